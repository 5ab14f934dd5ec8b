// Small pieces every page uses.

import {ApiError} from "../api.js";
import {h} from "../dom.js";
import {t} from "../i18n.js";

export function personName(lead) {
  const name = [lead.first_name, lead.last_name].filter(Boolean).join(" ");
  return name || lead.email || lead.lead_id;
}

export function problem(failure) {
  const forbidden = failure instanceof ApiError && failure.status === 403;
  return h(
    "p",
    {class: "error", role: "alert"},
    forbidden ? t("forbidden", {reason: failure.message}) : t("error", {reason: failure.message}),
  );
}

export function loading() {
  return h("p", {class: "loading", role: "status"}, t("loading"));
}

export function section(title, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", {"aria-labelledby": id}, h("h2", {id}, title), ...children);
}

/** A confirmation in a modal <dialog>; resolves true when confirmed. */
export function confirmDialog(message, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      {class: "confirm", "aria-labelledby": "confirm-message"},
      h("p", {id: "confirm-message"}, message),
      h(
        "div",
        {class: "actions"},
        h("button", {type: "button", id: "confirm-cancel", onclick: () => close(false)}, t("cancel")),
        h("button", {type: "button", id: "confirm-ok", class: "danger", onclick: () => close(true)}, confirmLabel),
      ),
    );
    function close(answer) {
      dialog.close();
      dialog.remove();
      resolve(answer);
    }
    dialog.addEventListener("cancel", () => close(false));
    document.body.appendChild(dialog);
    dialog.showModal();
    dialog.querySelector("#confirm-cancel").focus();
  });
}

/** A copy button for a text; says "Copied" for a moment. */
export function copyButton(label, text, id) {
  const button = h("button", {type: "button", class: "copy", id}, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard refused (no permission): select a hidden copy for Ctrl+C instead.
      const area = h("textarea", {class: "visually-hidden", "aria-hidden": "true"}, text);
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = t("copied");
    setTimeout(() => (button.textContent = label), 2000);
  });
  return button;
}
