// "Copy link" beside each share link: the clipboard where the browser allows it, else the link is
// selected so the person can copy it themselves.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    const input = document.getElementById(button.dataset.copy);
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      const done = function () { button.textContent = "Copied"; };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { /* left selected */ });
      } else if (document.execCommand && document.execCommand("copy")) {
        done();
      }
    });
  });
})();
