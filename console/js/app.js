// The console: sign-in, the header with navigation and language, and a small hash router.

import {configureApi} from "./api.js";
import {configure, currentSession, hasRole, onSessionChange, respond, signIn, signOut} from "./auth.js";
import {announce, fill, h} from "./dom.js";
import {LANGUAGES, language, setLanguage, t} from "./i18n.js";
import {auditPage} from "./pages/audit.js";
import {funnelPage} from "./pages/funnel.js";
import {leadPage} from "./pages/lead.js";
import {leadsPage} from "./pages/leads.js";
import {quarantinePage} from "./pages/quarantine.js";
import {scoringPage} from "./pages/scoring.js";

//: Each page, who may open it, and its place in the navigation.
const ROUTES = [
  {path: /^leads$/, page: leadsPage, roles: ["sales", "marketing", "admin"], nav: "navLeads", href: "#/leads"},
  {path: /^leads\/([^/]+)$/, page: leadPage, roles: ["sales", "marketing", "admin"]},
  {path: /^funnel$/, page: funnelPage, roles: ["marketing", "admin"], nav: "navFunnel", href: "#/funnel"},
  {path: /^scoring$/, page: scoringPage, roles: ["marketing", "admin"], nav: "navScoring", href: "#/scoring"},
  {path: /^quarantine$/, page: quarantinePage, roles: ["admin"], nav: "navQuarantine", href: "#/quarantine"},
  {path: /^audit$/, page: auditPage, roles: ["admin"], nav: "navAudit", href: "#/audit"},
];

const main = document.getElementById("main");
const top = document.getElementById("top");
let leavePage = () => {};
let notice = "";

async function start() {
  const config = await (await fetch("config.json", {cache: "no-store"})).json();
  configure(config);
  configureApi(config.api_url);
  document.documentElement.lang = language();
  onSessionChange((session, reason) => {
    if (!session) {
      // Nothing of the last user's data stays on the page or in memory.
      leavePage();
      leavePage = () => {};
      fill(main);
      notice = reason === "expired" ? t("sessionExpired") : t("signedOut");
      if (location.hash !== "") history.replaceState(null, "", location.pathname);
    } else {
      notice = "";
    }
    render();
  });
  window.addEventListener("hashchange", () => render());
  render();
}

function render() {
  document.getElementById("skip-link").textContent = t("skip");
  document.title = t("app");
  renderHeader();
  const session = currentSession();
  leavePage();
  leavePage = () => {};
  if (!session) {
    renderSignIn();
    return;
  }
  const path = location.hash.replace(/^#\/?/, "") || "leads";
  const route = ROUTES.find((r) => r.path.test(path));
  if (!route || !hasRole(...route.roles)) {
    location.hash = "#/leads";
    return;
  }
  const params = path.match(route.path).slice(1).map(decodeURIComponent);
  fill(main);
  leavePage = route.page(main, ...params) || (() => {});
}

function renderHeader() {
  const session = currentSession();
  const path = location.hash.replace(/^#\/?/, "") || "leads";
  const nav = session
    ? h(
        "nav",
        {"aria-label": t("app")},
        h(
          "ul",
          {},
          ROUTES.filter((r) => r.nav && hasRole(...r.roles)).map((r) =>
            h(
              "li",
              {},
              h("a", {href: r.href, "aria-current": r.path.test(path) || (r.nav === "navLeads" && path.startsWith("leads")) ? "page" : null}, t(r.nav)),
            ),
          ),
        ),
      )
    : null;
  const switcher = h(
    "label",
    {class: "language"},
    h("span", {}, t("language")),
    h(
      "select",
      {
        id: "language",
        onchange: (event) => {
          setLanguage(event.target.value);
          render();
        },
      },
      LANGUAGES.map(([code, name]) => h("option", {value: code, selected: code === language()}, name)),
    ),
  );
  const user = session
    ? h(
        "div",
        {class: "user"},
        h("span", {id: "signed-in-as"}, t("signedInAs", {email: session.email, roles: session.roles.join(", ")})),
        h("button", {type: "button", id: "sign-out", onclick: () => signOut("user")}, t("signOut")),
      )
    : null;
  fill(top, h("a", {class: "brand", href: session ? "#/leads" : "#"}, "Trechter"), nav, switcher, user);
}

function renderSignIn(challenge = null) {
  const error = h("p", {class: "error", role: "alert", id: "sign-in-error"});
  const fields = challenge
    ? [
        h("label", {for: "challenge-value"}, challenge.challenge === "NEW_PASSWORD_REQUIRED" ? t("newPassword") : t("mfaCode")),
        h("input", {
          id: "challenge-value",
          name: "challenge-value",
          type: challenge.challenge === "NEW_PASSWORD_REQUIRED" ? "password" : "text",
          autocomplete: challenge.challenge === "NEW_PASSWORD_REQUIRED" ? "new-password" : "one-time-code",
          required: true,
        }),
      ]
    : [
        h("label", {for: "email"}, t("email")),
        h("input", {id: "email", name: "email", type: "email", autocomplete: "username", required: true}),
        h("label", {for: "password"}, t("password")),
        h("input", {id: "password", name: "password", type: "password", autocomplete: "current-password", required: true}),
      ];
  const form = h(
    "form",
    {
      class: "sign-in",
      onsubmit: async (event) => {
        event.preventDefault();
        const button = form.querySelector("button");
        button.disabled = true;
        try {
          const outcome = challenge
            ? await respond(challenge.challenge, challenge.username, challenge.session, form.querySelector("#challenge-value").value)
            : await signIn(form.querySelector("#email").value.trim(), form.querySelector("#password").value);
          if (outcome.challenge) renderSignIn(outcome);
          else if (!location.hash) location.hash = "#/leads";
        } catch (failure) {
          error.textContent = t("signInFailed", {reason: failure.message});
          button.disabled = false;
        }
      },
    },
    h("h1", {}, t("signInTitle")),
    notice ? h("p", {class: "notice", role: "status"}, notice) : null,
    fields,
    h("button", {type: "submit"}, challenge ? t("continue") : t("signIn")),
    error,
    h("p", {class: "hint"}, t("tokenNote")),
  );
  fill(main, form);
  announce(notice);
}

start().catch((failure) => fill(main, h("p", {class: "error", role: "alert"}, t("error", {reason: failure.message}))));
