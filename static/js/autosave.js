// The chapter editor saves as the author writes. Each step card's form is sent (the same form, the
// same server rules as its "Save step" button) a moment after the last change, one request per card
// at a time; the card says "Saving…", "Saved" or why it was not saved, and the page warns before it is
// left with changes not saved yet. Every form the page submits (a card's "Save step", which shows each
// problem beside its field, move, delete, add, duplicate; a drag) first finishes the other cards' saves,
// so what was typed in one card is never lost by another's reload.
(function () {
  "use strict";
  const DELAY = 700; // ms after the last keystroke
  const cards = [];

  function setup(form) {
    const card = { form: form, dirty: false, running: null, timer: null, status: null };
    const button = form.querySelector("button[type=submit]:not([name])");
    const status = document.createElement("p");
    status.className = "save-state";
    status.setAttribute("aria-live", "polite");
    status.textContent = "Saved";
    status.dataset.state = "saved";
    if (button) button.insertAdjacentElement("beforebegin", status); else form.append(status);
    card.status = status;

    function show(state, text) {
      status.dataset.state = state;
      status.textContent = text;
      if (state === "error") status.setAttribute("role", "alert"); else status.removeAttribute("role");
    }

    function body() {
      const data = new FormData(form);
      data.delete("upload"); // a picked file goes through the resumable upload, never here
      Array.from(data.keys()).forEach(function (name) { // a narration recording has its own button
        if (name.indexOf("recording-") === 0) data.delete(name);
      });
      data.delete("approve");
      return data;
    }

    function save() {
      clearTimeout(card.timer);
      card.timer = null;
      if (card.running) { card.again = true; return card.running; }
      if (!card.dirty) return Promise.resolve();
      card.dirty = false;
      show("saving", "Saving…");
      card.running = fetch(form.action, {
        method: "POST", body: body(), credentials: "same-origin",
        headers: { "X-Autosave": "1", "Accept": "application/json" },
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok && answer.saved) {
            if (!card.dirty) show("saved", "Saved");
            return;
          }
          card.dirty = true; // still to be saved once the author fixes it
          const errors = answer.errors || {};
          const first = Object.keys(errors).map(function (field) { return errors[field].join(" "); })[0];
          show("error", "Not saved: " + (first || "the server refused it (" + response.status + ").") +
               (button ? " (“" + button.textContent.trim() + "” shows each problem beside its field.)" : ""));
        });
      }, function () {
        card.dirty = true;
        show("error", "Not saved: the connection was lost. It is saved again when you change something, or reload.");
      }).finally(function () {
        card.running = null;
        if (card.again) { card.again = false; return save(); }
      });
      return card.running;
    }

    function changed() {
      card.dirty = true;
      show("pending", "Changes not saved yet…");
      clearTimeout(card.timer);
      card.timer = setTimeout(save, DELAY);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    card.save = save;
    card.show = show;
    cards.push(card);
  }

  function unsaved() {
    return cards.some(function (c) { return c.dirty || c.running; });
  }

  function flush() {
    return Promise.all(cards.map(function (c) { return c.save(); })).then(function () {
      return Promise.all(cards.map(function (c) { return c.running || Promise.resolve(); }));
    });
  }

  document.querySelectorAll("li.step form.step-form").forEach(setup);
  if (!cards.length) return;
  window.contentizerAutosave = { flush: flush, unsaved: unsaved };

  window.addEventListener("beforeunload", function (event) {
    if (!unsaved()) return;
    flush();
    event.preventDefault();
    event.returnValue = ""; // the browser asks the author whether to leave
  });

  // Any form the page submits (a card's own "Save step" too: its fields go with it) first finishes
  // the other cards' saves, so nothing typed is lost by the reload that follows.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const own = cards.find(function (c) { return c.form === form; });
    if (own) { clearTimeout(own.timer); own.dirty = false; }
    const others = cards.filter(function (c) { return c !== own && (c.dirty || c.running); });
    if (!others.length && !(own && own.running)) return; // nothing else to save: submit as usual
    event.preventDefault();
    const submitter = event.submitter;
    Promise.all(others.map(function (c) { return c.save(); })).then(function () {
      return Promise.all(cards.map(function (c) { return c.running || Promise.resolve(); }));
    }).then(function () {
      if (others.some(function (c) { return c.dirty; })) { // one could not be saved: its message says why
        if (own) own.dirty = true;
        return;
      }
      if (submitter && submitter.hasAttribute("formaction")) form.action = submitter.formAction; // form.submit() ignores it
      if (submitter && submitter.name) {
        const carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        form.append(carried);
      }
      form.submit();
    });
  }, true);
})();
