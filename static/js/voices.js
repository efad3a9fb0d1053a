// The project page's Voices panel: "▶ Play" speaks the sentence with the voice and rate chosen in
// the form (POST /api/v1/voices/{id}/sample, the session's cookie and CSRF token) into the form's
// <audio>; the note under each voice select follows the choice. Without JavaScript the forms save
// as they are and no play button shows.
(function () {
  "use strict";
  // a validation error's details.fields: {"text": ["…"]}, possibly nested; every message, in order
  function messagesOf(node) {
    if (typeof node === "string") return [node];
    const values = Array.isArray(node) ? node : Object.values(node || {});
    return values.reduce(function (all, value) { return all.concat(messagesOf(value)); }, []);
  }

  document.querySelectorAll("form.voice-form").forEach(function (form) {
    const select = form.elements.voice;
    const about = document.getElementById(select.id.replace(/-voice$/, "-about"));
    select.addEventListener("change", function () {
      const option = select.selectedOptions[0];
      if (about && option) about.textContent = option.dataset.about || "";
    });
    const box = form.querySelector("[data-voice-sample]");
    if (!box) return;
    const button = box.querySelector("[data-play]");
    const audio = box.querySelector("audio");
    const state = box.querySelector("[data-sample-state]");
    box.hidden = false;

    function fail(message) {
      state.textContent = message;
      state.classList.add("error");
    }

    button.addEventListener("click", function () {
      const voice = select.value || select.dataset.best;
      const rate = parseFloat(form.elements.rate.value);
      const body = { text: form.elements.sample.value, language: form.dataset.language,
                     projectId: parseInt(form.dataset.project, 10) };
      if (!isNaN(rate)) body.rate = rate;
      button.disabled = true;
      state.classList.remove("error");
      state.textContent = "Making the sample…";
      fetch("/api/v1/voices/" + encodeURIComponent(voice) + "/sample", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "audio/wav, application/json",
                   "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
        body: JSON.stringify(body),
      }).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return null; }).then(function (answer) {
            const detail = answer && answer.error;
            const fields = detail && detail.details && detail.details.fields;
            fail(fields ? messagesOf(fields).join(" ")
              : detail ? detail.message : "The sample could not be made (HTTP " + response.status + ").");
          });
        }
        return response.blob().then(function (wav) {
          if (audio.src) URL.revokeObjectURL(audio.src);
          audio.src = URL.createObjectURL(wav);
          audio.hidden = false;
          state.textContent = "Sample ready.";
          audio.play().catch(function () { /* the browser wants a click on the player itself */ });
        });
      }).catch(function () {
        fail("The sample could not be made: the server did not answer.");
      }).finally(function () {
        button.disabled = false;
      });
    });
  });
})();
