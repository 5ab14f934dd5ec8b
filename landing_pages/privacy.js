/* Privacy page: shows the visitor's tracking choice and lets them change it. */
(function () {
  "use strict";
  var state = document.getElementById("privacy-state");
  var actions = document.getElementById("privacy-actions");
  var t = window.trechter;
  var texts = {
    granted: "You allowed measurement. Thank you!",
    denied: "You chose not to be measured. We measure nothing.",
    pending: "You have not made a choice yet. Until you do, we measure nothing.",
    "not-required": "We measure which pages are read, as described above. You can opt out.",
    blocked: "Your browser sends Global Privacy Control or Do Not Track, so we measure nothing at all."
  };

  function show() {
    var current = t ? t.consent() : "blocked";
    var measuring = current === "granted" || current === "not-required";
    state.textContent = texts[current] || texts.blocked;
    actions.hidden = current === "blocked";
    // Offer only the choice that changes something (both while undecided).
    actions.querySelector('[data-consent="yes"]').hidden = measuring;
    actions.querySelector('[data-consent="no"]').hidden = current === "denied";
  }

  if (!state || !actions) return;
  actions.addEventListener("click", function (event) {
    var choice = event.target.getAttribute("data-consent");
    if (!choice || !t) return;
    t.consent(choice === "yes");
    var banner = document.getElementById("consent");
    if (banner) banner.remove();
    show();
  });
  show();
})();
