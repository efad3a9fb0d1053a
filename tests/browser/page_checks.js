// What the 390 px walk checks on every page; returns the problems it finds.
() => {
  const doc = document.documentElement;
  // shown: laid out, not hidden, and not inside a closed disclosure (its content is not drawn)
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"
    && !(el.closest("details:not([open])") && !el.closest("summary"));
  const named = (el) => el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
  const unlabelled = [...document.querySelectorAll("input, select, textarea")]
    .filter((el) => el.type !== "hidden" && visible(el))
    .filter((el) => !(el.labels && el.labels.length) && !named(el))
    .map((el) => el.outerHTML.slice(0, 120));
  const nameless = [...document.querySelectorAll("a[href], button")].filter(visible)
    .filter((el) => !(el.innerText || "").trim() && !named(el) && !el.querySelector("img[alt]:not([alt=''])"))
    .map((el) => el.outerHTML.slice(0, 120));
  const local = (url) => !url || url.startsWith("data:") || url.startsWith("blob:")
    || new URL(url, location.href).origin === location.origin;
  const foreign = [...document.querySelectorAll("script[src], link[href], img[src], video[src], source[src], track[src]")]
    .map((el) => el.src || el.href).filter((url) => !local(url));
  const wide = [...document.querySelectorAll("body *")].filter(visible)
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest(".table-wrap, pre"))
    .map((el) => el.outerHTML.slice(0, 80));
  // tap targets: every control at least 44 px tall (WCAG 2.5.5); a checkbox or radio counts by its label,
  // a link inside a sentence is exempt (2.5.8's inline exception), a link that stands alone is not
  const targets = [...document.querySelectorAll(
    "button, select, textarea, summary, a.button, nav a, .bar a, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), " +
    "label.check, label.thumb, .thumbs label, .crumbs a, .actions a, .seek-list button")]
    .filter(visible).filter((el) => !el.closest(".visually-hidden"))
    .filter((el) => el.getBoundingClientRect().height < 43.5)
    .map((el) => `${Math.round(el.getBoundingClientRect().height)}px ${el.outerHTML.slice(0, 90)}`);
  return {
    small: targets.slice(0, 8),
    navLines: (() => {
      const nav = document.querySelector(".bar");
      if (!nav) return 1;
      const tops = new Set([...nav.querySelectorAll("a, button, summary")].filter(visible)
        .map((el) => Math.round(el.getBoundingClientRect().top)));
      return tops.size;
    })(),
    scroll: Math.max(doc.scrollWidth, document.body.scrollWidth), unlabelled, nameless, foreign,
    wide: wide.slice(0, 5),
    resources: performance.getEntriesByType("resource").map((r) => r.name).filter((url) => !local(url)),
  };
}
