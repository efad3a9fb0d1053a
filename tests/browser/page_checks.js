// What the 390 px walk checks on every page; returns the problems it finds.
() => {
  const doc = document.documentElement;
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
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
  return {
    scroll: Math.max(doc.scrollWidth, document.body.scrollWidth), unlabelled, nameless, foreign,
    wide: wide.slice(0, 5),
    resources: performance.getEntriesByType("resource").map((r) => r.name).filter((url) => !local(url)),
  };
}
