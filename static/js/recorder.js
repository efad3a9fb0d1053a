// Record a step's narration in the chapter editor (each narration box's "Record" button, shown only
// where the browser has MediaRecorder). Stop sends the take to the same page endpoint a chosen file
// goes to (POST /steps/{id}/recordings/{language}: the asset store, then the transcription job), follows
// the job through the one jobs API, and puts the recognised text into the narration box when the
// server filled the narration (the author's own text is never replaced here either).
(function () {
  "use strict";
  if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const csrf = tokenInput ? tokenInput.value : "";
  const active = new Set(["queued", "running"]);

  function wait(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  function setup(box) {
    const button = box.querySelector("[data-record-button]");
    const status = box.querySelector("[data-record-status]");
    const label = button.querySelector(".visually-hidden");
    const textarea = document.getElementById(box.dataset.textarea);
    let recorder = null;
    let chunks = [];
    button.hidden = false;

    function say(text) { status.textContent = text; }

    function setPressed(pressed) {
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.firstChild.textContent = pressed ? "Stop" : "Record";
      if (label) label.hidden = false;
    }

    async function follow(jobId) {
      for (;;) {
        await wait(1000);
        let job;
        try { job = await getJson("/api/v1/jobs/" + encodeURIComponent(jobId)); } catch (error) { continue; }
        if (active.has(job.status)) { say("Transcribing your recording… " + Math.round(job.progress) + " %"); continue; }
        if (job.status !== "succeeded") {
          say("Recording refused: " + (job.error || "it could not be transcribed") + "");
          return;
        }
        const step = await getJson("/api/steps/" + encodeURIComponent(box.dataset.stepId));
        const recording = (step.narrationAudio || {})[box.dataset.language] || {};
        if (job.result.narration === "filled" && textarea && (!textarea.value.trim() || textarea.dataset.transcript === textarea.value)) {
          textarea.value = step.narration[box.dataset.language] || "";
          textarea.dataset.transcript = textarea.value;
          // the card's own saving (autosave.js) learns the box's new text, so it never sends the empty one
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }
        say(job.result.narration === "filled"
          ? "Your recording is the narration; its text was transcribed into the box."
          : "Your recording is the narration; your own text was kept. Heard: " + (recording.transcript || job.result.text));
        return;
      }
    }

    async function send(blob) {
      say("Uploading your recording…");
      const body = new FormData();
      body.append("recording", blob, "recording." + (blob.type.indexOf("ogg") >= 0 ? "ogg" : "webm"));
      try {
        const response = await fetch(box.dataset.url, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrf },
        });
        const answer = await response.json();
        if (!response.ok) { say("Recording refused: " + answer.error.message); return; }
        if (!answer.job) { say("Your recording is the narration. " + answer.recording.problem); return; }
        say("Transcribing your recording…");
        await follow(answer.job.id);
      } catch (error) {
        say("The recording could not be sent; check your connection and record again.");
      }
    }

    button.addEventListener("click", async function () {
      if (recorder && recorder.state === "recording") { recorder.stop(); return; }
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (error) {
        say("The microphone could not be used (" + error.name + "). Allow it, or upload a recording instead.");
        return;
      }
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (event) { if (event.data.size) chunks.push(event.data); });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        setPressed(false);
        send(new Blob(chunks, { type: recorder.mimeType || "audio/webm" }));
      });
      recorder.start(250);
      setPressed(true);
      say("Recording… press Stop when you are done.");
    });
  }

  document.querySelectorAll("[data-recorder]").forEach(setup);
})();
