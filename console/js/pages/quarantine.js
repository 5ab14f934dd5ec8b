// The quarantine (admin): what was rejected after it was accepted, with the reason;
// re-drive it once the cause is fixed, or delete it.

import {api} from "../api.js";
import {announce, fill, h} from "../dom.js";
import {formatDate, t} from "../i18n.js";
import {confirmDialog, loading, problem} from "./common.js";

export function quarantinePage(main) {
  const status = h("p", {role: "status", id: "quarantine-status"});
  const body = h("div", {id: "quarantine-body"});
  fill(main, h("h1", {}, t("quarantine")), h("p", {class: "hint"}, t("quarantineNote")), status, body);

  async function load() {
    fill(body, loading());
    try {
      const held = await api("/v1/quarantine");
      if (!held.items.length) {
        fill(body, h("p", {id: "nothing-held"}, t("nothingHeld")));
        return;
      }
      fill(
        body,
        h(
          "table",
          {class: "quarantine", id: "quarantine"},
          h("thead", {}, h("tr", {}, [t("when"), t("source"), t("reason"), t("payload"), ""].map((label) => h("th", {scope: "col"}, label)))),
          h("tbody", {}, held.items.map(row)),
        ),
      );
    } catch (failure) {
      fill(body, problem(failure));
    }
  }

  function row(item) {
    const ref = encodeURIComponent(item.ref);
    return h(
      "tr",
      {dataset: {ref: item.ref}},
      h("td", {}, h("time", {datetime: item.at}, formatDate(item.at, true))),
      h("td", {}, h("code", {}, item.source)),
      h("td", {class: "reason"}, item.reason),
      h("td", {}, h("details", {}, h("summary", {}, t("payload")), h("pre", {}, JSON.stringify(item.payload, null, 2)))),
      h(
        "td",
        {class: "actions"},
        item.can_redrive
          ? h("button", {type: "button", class: "redrive", onclick: async () => {
              try {
                const result = await api(`/v1/quarantine/${ref}/redrive`, {method: "POST"});
                status.textContent = t("redriveResult", {outcome: result.outcome, detail: result.detail});
                announce(status.textContent);
                load();
              } catch (failure) {
                fill(status, problem(failure));
              }
            }}, t("redrive"))
          : null,
        h("button", {type: "button", class: "danger delete", onclick: async () => {
          if (!(await confirmDialog(t("deleteConfirm"), t("delete")))) return;
          try {
            await api(`/v1/quarantine/${ref}`, {method: "DELETE"});
            status.textContent = t("deleted");
            announce(status.textContent);
            load();
          } catch (failure) {
            fill(status, problem(failure));
          }
        }}, t("delete")),
      ),
    );
  }

  load();
}
