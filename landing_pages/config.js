/* Trechter configuration: the one place that names the API and the consent mode.
   The page server replaces the two placeholders (see docs/LANDING_PAGES.md). */
window.TRECHTER = {
  api: "__TRECHTER_API__",
  consent: "__TRECHTER_CONSENT__"
};
