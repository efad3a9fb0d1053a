// Resumable uploads with tus (vendored tus-js-client) to /api/uploads/: the asset library's
// drop zone and file picker (many files, a progress bar each) and the "upload a new file" field
// of each step card. A dropped connection is retried from the offset the server confirms; after a
// reload, choosing the same file again resumes it. Without JavaScript the plain forms still work.
(function () {
  "use strict";
  const configNode = document.getElementById("tus-config");
  if (!configNode || !window.tus || !window.tus.isSupported) return;
  const config = JSON.parse(configNode.textContent);
  const tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const csrf = tokenInput ? tokenInput.value : "";

  function errorText(error) {
    const response = error && error.originalResponse;
    if (response) {
      try {
        return JSON.parse(response.getBody()).error.message;
      } catch (ignored) {
        return "The server refused the upload (" + response.getStatus() + ").";
      }
    }
    return "The upload stopped: the connection was lost. Choose the file again to resume it.";
  }

  // Resolves with {assetId, deduplicated}; rejects with a message a person can act on.
  function send(file, onProgress, onNote) {
    return new Promise(function (resolve, reject) {
      const upload = new window.tus.Upload(file, {
        endpoint: config.endpoint,
        chunkSize: config.chunkSize,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        metadata: { filename: file.name, projectId: String(config.projectId) },
        headers: { "X-CSRFToken": csrf },
        removeFingerprintOnSuccess: true,
        // per project: the same file chosen in another project is another upload
        fingerprint: function (f) {
          return Promise.resolve(["contentizer", config.projectId, f.name, f.type, f.size, f.lastModified].join("|"));
        },
        onProgress: onProgress,
        onError: function (error) { reject(errorText(error)); },
        onSuccess: function (payload) {
          const response = payload && payload.lastResponse;
          resolve({
            assetId: response ? response.getHeader("Contentizer-Asset-Id") : null,
            deduplicated: response ? response.getHeader("Contentizer-Deduplicated") === "true" : false,
          });
        },
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          onNote("Resuming where it stopped…");
        }
        upload.start();
      }, function () { upload.start(); });
    });
  }

  // --- the asset library ---------------------------------------------------------------------
  const zone = document.querySelector("[data-upload-zone]");
  const list = document.querySelector("[data-upload-list]");
  if (zone && list) {
    const input = zone.querySelector("input[type=file]");
    const plain = zone.querySelector("[data-plain-upload]");
    const hint = zone.querySelector("[data-drop-hint]");
    input.multiple = true;
    if (plain) plain.hidden = true;
    if (hint) hint.hidden = false;
    let running = 0;
    let failed = 0;

    function row(file) {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      const state = document.createElement("span");
      state.className = "upload-state";
      state.setAttribute("role", "status");
      state.textContent = "Waiting…";
      item.append(name, bar, state);
      list.append(item);
      return { item: item, bar: bar, state: state };
    }

    function start(files) {
      Array.from(files).forEach(function (file) {
        const view = row(file);
        running += 1;
        send(file, function (sent, total) {
          view.bar.value = total ? Math.floor((sent / total) * 100) : 0;
          view.state.textContent = view.bar.value + "%";
        }, function (note) { view.state.textContent = note; }).then(function (result) {
          view.bar.value = 100;
          view.state.textContent = result.deduplicated ? "Already in the library" : "Uploaded";
          view.item.classList.add("done");
        }, function (message) {
          failed += 1;
          view.state.textContent = message;
          view.state.setAttribute("role", "alert");
          view.item.classList.add("failed");
        }).finally(function () {
          running -= 1;
          if (running === 0 && failed === 0) window.location.reload();
          if (running === 0 && failed > 0) {
            const again = document.createElement("li");
            const link = document.createElement("a");
            link.href = window.location.pathname + window.location.search;
            link.textContent = "Show the library with the new files";
            again.append(link);
            list.append(again);
            failed = 0;
          }
        });
      });
      input.value = "";
    }

    input.addEventListener("change", function () { if (input.files.length) start(input.files); });
    zone.addEventListener("submit", function (event) { event.preventDefault(); if (input.files.length) start(input.files); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) start(event.dataTransfer.files);
    });
  }

  // --- a new file for a step card: its file field, a picture pasted while the card has focus, or a
  // file dropped onto the card ----------------------------------------------------------------------
  function uploadToCard(form, file) {
    const input = form.querySelector("[data-step-upload]");
    const status = input.parentElement.querySelector(".upload-status");
    const thumbs = form.querySelector(".thumbs");
    const save = form.querySelector("button[type=submit]:not([name])");
    status.hidden = false;
    status.setAttribute("role", "status");
    if (save) save.disabled = true;
    return send(file, function (sent, total) {
      status.textContent = "Uploading " + file.name + ": " + Math.floor((sent / total) * 100) + "%";
    }, function (note) { status.textContent = note; }).then(function (result) {
      const label = document.createElement("label");
      label.className = "thumb";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "asset";
      radio.value = result.assetId;
      radio.checked = true;
      const box = document.createElement("span");
      box.className = "thumb-box";
      box.textContent = "New";
      const name = document.createElement("span");
      name.className = "thumb-name";
      name.textContent = file.name;
      label.append(radio, box, name);
      thumbs.append(label);
      const autosaved = !!window.contentizerAutosave && !!form.closest("li.step");
      status.textContent = file.name + " uploaded and chosen." + (autosaved ? "" : " Save the step to keep it.");
      radio.dispatchEvent(new Event("change", { bubbles: true })); // the editor saves the choice
    }, function (message) {
      status.setAttribute("role", "alert");
      status.textContent = message;
    }).finally(function () {
      input.value = ""; // the file went through tus; the form must not send it again
      if (save) save.disabled = false;
    });
  }

  // a pasted screenshot has no name of its own: name it by the time it was pasted
  function named(file) {
    if (file.name && file.name !== "image.png") return file;
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    return new File([file], "pasted-" + stamp + "." + extension, { type: file.type });
  }

  document.querySelectorAll("[data-step-upload]").forEach(function (input) {
    const form = input.form;
    const card = form.closest(".card.step") || form;
    input.addEventListener("change", function () {
      if (input.files[0]) uploadToCard(form, input.files[0]);
    });
    card.addEventListener("paste", function (event) {
      const items = event.clipboardData ? Array.from(event.clipboardData.files || []) : [];
      const picture = items.find(function (f) { return /^image\//.test(f.type); });
      if (!picture) return; // text pastes into the box as usual
      event.preventDefault();
      uploadToCard(form, named(picture));
    });
    ["dragenter", "dragover"].forEach(function (name) {
      card.addEventListener(name, function (event) {
        if (!event.dataTransfer || Array.from(event.dataTransfer.types || []).indexOf("Files") < 0) return;
        event.preventDefault();
        card.classList.add("dropping");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      card.addEventListener(name, function () { card.classList.remove("dropping"); });
    });
    card.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      uploadToCard(form, event.dataTransfer.files[0]);
    });
  });
})();
