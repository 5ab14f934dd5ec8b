/*! Trechter reading time v1 | Apache-2.0 | how it works: docs/LANDING_PAGES.md */
// Beside trechter.js: how long this page view was read (visible, focused, and the reader
// active within the last 30 s) and how far it was scrolled, sent once as a
// page_engagement event when the page is hidden or left. The page's
// <meta name="trechter:content"> (e.g. "opinion") goes along as properties.content.
// Consent and privacy signals are trechter.js's: its track() sends nothing without them.
(function (w, d) {
  var seconds = 0, depth = 0, last = Date.now(), sent;

  function active() {
    return !d.hidden && d.hasFocus() && Date.now() - last < 3e4;
  }

  function scrolled() {
    var room = d.documentElement.scrollHeight - w.innerHeight;
    depth = Math.max(depth, room > 0 ? Math.round(100 * Math.min(1, w.scrollY / room)) : 100);
  }

  function seen() {
    last = Date.now();
    scrolled();
  }

  function report() {
    var t = w.trechter, tag = d.querySelector('meta[name="trechter:content"]'), p;
    if (sent || !t) return;
    sent = 1;
    p = { engaged_seconds: seconds, scroll_depth: depth };
    if (tag && tag.content) p.content = tag.content.slice(0, 64);
    t.track("page_engagement", p);
    t.flush();
  }

  ["scroll", "keydown", "pointerdown", "pointermove", "touchstart"].forEach(function (e) {
    w.addEventListener(e, seen, { passive: true });
  });
  setInterval(function () { if (active()) seconds++; }, 1e3);
  d.addEventListener("visibilitychange", function () { if (d.hidden) report(); });
  w.addEventListener("pagehide", report);
  w.trechterRead = { report: report };
  scrolled();
})(window, document);
