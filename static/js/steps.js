// Drag and drop steps in the chapter editor. A card is dragged by its handle; dropping it sends
// the new order through the same form the server uses (POST …/steps/reorder), so the result is
// what the API's reorder makes of it. Keyboard users have each card's Move up / Move down buttons.
(function () {
  "use strict";
  const list = document.querySelector("ol.steps[data-reorder-url]");
  const form = document.getElementById("reorder-form");
  if (!list || !form) return;
  let dragged = null;

  function cardOf(node) { return node && node.closest ? node.closest("li.step") : null; }

  list.querySelectorAll(".handle").forEach(function (handle) {
    handle.addEventListener("dragstart", function (event) {
      dragged = cardOf(handle);
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.stepId);
      event.dataTransfer.setDragImage(dragged, 20, 20);
    });
    handle.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      list.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
      dragged = null;
    });
  });

  list.addEventListener("dragover", function (event) {
    const over = cardOf(event.target);
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    list.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
    over.classList.add("drop-target");
  });

  list.addEventListener("drop", function (event) {
    const over = cardOf(event.target);
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const cards = Array.from(list.children);
    const after = cards.indexOf(over) > cards.indexOf(dragged);
    over.insertAdjacentElement(after ? "afterend" : "beforebegin", dragged);
    form.elements.order.value = Array.from(list.children).map(function (n) { return n.dataset.stepId; }).join(",");
    // what was typed is saved before the page reloads in its new order
    const saved = window.contentizerAutosave ? window.contentizerAutosave.flush() : Promise.resolve();
    saved.then(function () { form.submit(); });
  });
})();
