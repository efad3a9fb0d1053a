// The project page's Voices panel: "▶ Play" speaks the sentence with the voice and rate chosen in
// the form (POST /api/v1/voices/{id}/sample, the session's cookie and CSRF token) into the form's
// <audio>; the note under each voice select follows the choice. Without JavaScript the forms save
// as they are and no play button shows.
(function () {
  "use strict";
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
            let message = detail ? detail.message : "The sample could not be made (HTTP " + response.status + ").";
            if (detail && detail.details && typeof detail.details === "object" && !Array.isArray(detail.details)) {
              const fields = Object.keys(detail.details).map(function (key) { return [].concat(detail.details[key]).join(" "); });
              if (detail.code === "validation_error" && fields.length) message += " " + fields.join(" ");
            }
            fail(message);
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
