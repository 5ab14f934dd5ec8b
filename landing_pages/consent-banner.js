/* Kennisbank consent banner: asks once, when the tracker needs consent and has none.
   Accept and decline are equally easy; the choice is kept in a first-party cookie
   by trechter.consent(). Change it later on /privacy/. */
(function () {
  "use strict";

  function show() {
    var t = window.trechter;
    if (!t || t.consent() !== "pending" || document.getElementById("consent")) return;
    var box = document.createElement("section");
    box.id = "consent";
    box.className = "consent";
    box.setAttribute("aria-labelledby", "consent-title");
    box.innerHTML =
      '<h2 id="consent-title">Cookies on the Kennisbank</h2>' +
      "<p>May we remember which articles you read? We use one first-party cookie and no " +
      "advertising trackers. Without your consent nothing is measured. " +
      '<a href="/privacy/">Privacy &amp; cookies</a></p>' +
      '<div class="consent-actions">' +
      '<button type="button" class="button" data-consent="yes">Accept</button> ' +
      '<button type="button" class="button button-secondary" data-consent="no">Decline</button>' +
      "</div>";
    box.addEventListener("click", function (event) {
      var choice = event.target.getAttribute("data-consent");
      if (!choice) return;
      t.consent(choice === "yes");
      box.remove();
    });
    // First in the tab order after the skip link: the choice comes before the content.
    var skip = document.querySelector(".skip");
    document.body.insertBefore(box, skip ? skip.nextSibling : document.body.firstChild);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();
