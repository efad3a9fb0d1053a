// Import with a progress bar: the zip goes to the same import the API offers (POST /api/import),
// with the upload's progress shown, then the import job's page, which follows the checks and shows
// the import's errors (in the API's words) or a link to the new project. Without JavaScript the
// form posts to the studio, which queues the same import.
(function () {
  "use strict";
  const form = document.querySelector("form[data-import]");
  if (!form || !window.XMLHttpRequest) return;
  const input = form.querySelector("input[type=file]");
  const box = form.querySelector(".import-progress");
  const bar = box.querySelector("progress");
  const state = box.querySelector("[data-import-status]");
  const button = form.querySelector("button[type=submit]");

  function fail(message) {
    state.textContent = message;
    state.setAttribute("role", "alert");
    state.classList.add("error");
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    if (!input.files.length) return; // let the server say a file is needed
    event.preventDefault();
    const body = new FormData();
    body.append("file", input.files[0]);
    const request = new XMLHttpRequest();
    request.open("POST", "/api/import");
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.setRequestHeader("Accept", "application/json");
    box.hidden = false;
    button.disabled = true;
    state.classList.remove("error");
    state.setAttribute("role", "status");
    state.textContent = "Uploading…";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.floor((e.loaded / e.total) * 100);
      state.textContent = "Uploading " + bar.value + "%";
      if (e.loaded === e.total) state.textContent = "Uploaded; queueing the import…";
    });
    request.addEventListener("load", function () {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch (ignored) { data = null; }
      if (request.status === 202 && data && data.id) {
        bar.value = 100;
        state.textContent = "Uploaded. Opening the import's progress…";
        window.location.assign("/jobs/" + encodeURIComponent(data.id) + "/");
      } else {
        fail(data && data.error ? data.error.message : "The import failed (" + request.status + ").");
      }
    });
    request.addEventListener("error", function () { fail("The connection was lost; try again."); });
    request.send(body);
  });
})();
