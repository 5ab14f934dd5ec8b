// The audit log (admin): erasures, denied access, re-drives and deletions, newest first.

import {api} from "../api.js";
import {fill, h} from "../dom.js";
import {formatDate, t} from "../i18n.js";
import {loading, problem} from "./common.js";

export function auditPage(main) {
  fill(main, h("h1", {}, t("auditLog")), loading());
  api("/v1/audit-log")
    .then((log) =>
      fill(
        main,
        h("h1", {}, t("auditLog")),
        h(
          "table",
          {class: "audit", id: "audit"},
          h("thead", {}, h("tr", {}, [t("when"), t("action"), t("lead"), t("detail")].map((label) => h("th", {scope: "col"}, label)))),
          h(
            "tbody",
            {},
            log.items.map((entry) =>
              h(
                "tr",
                {},
                h("td", {}, h("time", {datetime: entry.at}, formatDate(entry.at, true))),
                h("td", {}, h("code", {}, entry.action)),
                h("td", {}, entry.lead_id),
                h("td", {}, Object.entries(entry.detail).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`).join("; ")),
              ),
            ),
          ),
        ),
      ),
    )
    .catch((failure) => fill(main, h("h1", {}, t("auditLog")), problem(failure)));
}
