// Drawing a step's effects on its picture. Each step card has plain number boxes for its focus
// region, blur regions and click marker (they work without this script); here the author drags on
// the step's picture instead: in "Focus region" mode a drag sets the focus, in "Blur region" mode a
// drag adds a region to redact, in "Click marker" mode a click places the marker. The boxes are
// written and a change event sent, so the editor's autosave saves them as it saves typed text.
(function () {
  "use strict";
  const KEYS = ["x", "y", "w", "h"];
  const MIN = 0.005; // contentizer.effects.MIN_SIDE: a smaller drag is a click, not a region

  function figure(value) { return String(Math.round(value * 10000) / 10000); }
  function clamp(value) { return Math.min(1, Math.max(0, value)); }

  function setup(fieldset) {
    const draw = fieldset.querySelector("[data-effects-draw]");
    if (!draw) return;
    const stage = draw.querySelector("[data-effects-stage]");
    const image = stage.querySelector("img");
    const focus = {};
    fieldset.querySelectorAll("[data-effects-focus]").forEach(function (box) { focus[box.dataset.effectsFocus] = box; });
    const click = {};
    fieldset.querySelectorAll("[data-effects-click]").forEach(function (box) { click[box.dataset.effectsClick] = box; });
    const blur = fieldset.querySelector("[data-effects-blur]");
    draw.hidden = false;

    function mode() {
      const chosen = draw.querySelector("input[type=radio]:checked");
      return chosen ? chosen.value : "focus";
    }
    // choosing a mode changes nothing to save
    draw.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function (event) { event.stopPropagation(); });
    });

    function written(box, value) {
      box.value = value;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function regions() {
      return blur.value.split(";").map(function (chunk) {
        const parts = chunk.trim().split(/[\s,]+/).map(Number);
        return parts.length === 4 && parts.every(isFinite) ? parts : null;
      }).filter(Boolean);
    }

    function mark(kind, x, y, w, h) {
      const el = document.createElement("span");
      el.className = "effects-mark " + kind;
      el.setAttribute("aria-hidden", "true");
      el.style.left = x * 100 + "%";
      el.style.top = y * 100 + "%";
      if (w !== undefined) { el.style.width = w * 100 + "%"; el.style.height = h * 100 + "%"; }
      stage.append(el);
      return el;
    }

    function show() {
      stage.querySelectorAll(".effects-mark").forEach(function (el) { el.remove(); });
      const f = KEYS.map(function (k) { return parseFloat(focus[k].value); });
      if (f.every(isFinite)) mark("focus", f[0], f[1], f[2], f[3]);
      regions().forEach(function (r) { mark("blur", r[0], r[1], r[2], r[3]); });
      const c = [parseFloat(click.x.value), parseFloat(click.y.value)];
      if (c.every(isFinite)) mark("click", c[0], c[1]);
    }

    function at(event) {
      const rect = image.getBoundingClientRect();
      return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)];
    }

    let start = null;
    let band = null;
    stage.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      event.preventDefault();
      start = at(event);
      stage.setPointerCapture(event.pointerId);
      band = mark("band " + mode(), start[0], start[1], 0, 0);
    });
    stage.addEventListener("pointermove", function (event) {
      if (!start) return;
      const end = at(event);
      band.style.left = Math.min(start[0], end[0]) * 100 + "%";
      band.style.top = Math.min(start[1], end[1]) * 100 + "%";
      band.style.width = Math.abs(end[0] - start[0]) * 100 + "%";
      band.style.height = Math.abs(end[1] - start[1]) * 100 + "%";
    });
    function finish(event) {
      if (!start) return;
      const end = at(event);
      const region = [Math.min(start[0], end[0]), Math.min(start[1], end[1]),
                      Math.abs(end[0] - start[0]), Math.abs(end[1] - start[1])].map(figure);
      const dragged = Math.abs(end[0] - start[0]) >= MIN && Math.abs(end[1] - start[1]) >= MIN;
      start = null;
      if (mode() === "click") {
        written(click.x, figure(end[0]));
        written(click.y, figure(end[1]));
      } else if (dragged && mode() === "blur") {
        written(blur, (blur.value.trim() ? blur.value.trim() + "; " : "") + region.join(" "));
      } else if (dragged) {
        KEYS.forEach(function (k, i) { written(focus[k], region[i]); });
      }
      show();
    }
    stage.addEventListener("pointerup", finish);
    stage.addEventListener("pointercancel", function () { start = null; show(); });

    const clear = document.createElement("p");
    clear.className = "effects-clear";
    [["Clear the focus", function () { KEYS.forEach(function (k) { written(focus[k], ""); }); }],
     ["Clear the blur regions", function () { written(blur, ""); }],
     ["Clear the click marker", function () { written(click.x, ""); written(click.y, ""); }]].forEach(function (item) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = item[0];
      button.addEventListener("click", function () { item[1](); show(); });
      clear.append(button);
    });
    draw.append(clear);
    fieldset.addEventListener("input", show);
    show();
  }

  document.querySelectorAll("[data-effects]").forEach(setup);
})();
