/* Thank-you page: show the part that matches ?asset= (whitepaper, newsletter, demo,
   contact). Without JavaScript the general part, with the guide's download link, shows. */
(function () {
  "use strict";
  var asset = new URLSearchParams(window.location.search).get("asset");
  var match = asset && document.querySelector('[data-asset="' + asset.replace(/[^a-z0-9_-]/gi, "") + '"]');
  if (!match) return;
  document.querySelector('[data-asset="default"]').hidden = true;
  match.hidden = false;
})();
