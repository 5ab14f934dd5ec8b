/* Newsletter unsubscribe: sends a newsletter_unsubscribe event naming the address (or the
   signed token from the e-mail's link, ?token=). This is the visitor's own request, not
   tracking, so it is sent whatever the consent state; an address in ?email= is never put
   into the event's URL. */
(function () {
  "use strict";
  var form = document.getElementById("unsubscribe-form");
  var email = document.getElementById("unsubscribe-email");
  var status = document.getElementById("unsubscribe-status");
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token");
  var api = ((window.TRECHTER || {}).api || "").replace(/\/$/, "");
  if (!form || !api || /^__/.test(api)) return;

  form.hidden = false;
  if (params.get("email")) email.value = params.get("email");
  if (token) {
    document.getElementById("unsubscribe-email-field").hidden = true;
    document.getElementById("unsubscribe-token-note").hidden = false;
  }

  function randomId() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : "u-" + Date.now() + "-" + Math.random().toString(36).slice(2);
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "trechter-error" : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var address = email.value.trim();
    if (!token && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      email.setAttribute("aria-invalid", "true");
      email.focus();
      say("Please enter the e-mail address you receive the newsletter on.", true);
      return;
    }
    email.removeAttribute("aria-invalid");
    var now = new Date().toISOString();
    var body = {
      anonymous_id: (window.trechter && window.trechter.id()) || randomId(),
      sent_at: now,
      events: [{
        type: "newsletter_unsubscribe",
        url: window.location.origin + window.location.pathname,
        ts: now,
        title: document.title,
        referrer: "",
        properties: token ? { token: token } : { email: address }
      }]
    };
    fetch(api + "/v1/t/events", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok || (answer.rejected && answer.rejected.length)) throw answer;
          form.querySelector("button").hidden = true;
          say("Done: you will receive no more newsletters. You can subscribe again any time.");
        });
      })
      .catch(function () {
        say("That did not work. Please try again, or write to nieuwsbrief@kennisbank.example.", true);
      });
  });
})();
