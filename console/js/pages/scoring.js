// The scoring model (marketing): the active model's rules with points and sentences.
//
// Hook for the adaptive scoring (issue 14): `scoringSections` holds functions that each
// add a section (versions, the learner's proposal and backtest, what-if, promote/roll
// back). The one below shows the model versions when GET /v1/scoring/models exists;
// until then it answers 404 and nothing is shown.

import {api} from "../api.js";
import {fill, h} from "../dom.js";
import {formatNumber, sentence, t} from "../i18n.js";
import {loading, problem, section} from "./common.js";

export const scoringSections = [
  async () => {
    try {
      const models = await api("/v1/scoring/models");
      return section(
        "Versions",
        h("ul", {id: "model-versions"}, (models.items || []).map((m) => h("li", {}, `${m.version}${m.version === models.active ? " (active)" : ""}`))),
      );
    } catch {
      return h("p", {class: "hint", id: "more-scoring"}, t("moreScoring"));
    }
  },
];

export function scoringPage(main) {
  fill(main, h("h1", {}, t("scoring")), loading());
  api("/v1/scoring/rules")
    .then(async (book) => {
      const extra = await Promise.all(scoringSections.map((add) => add(book)));
      fill(
        main,
        h("h1", {}, t("scoring")),
        h("p", {id: "model-version"}, t("modelVersion", {version: book.version})),
        section(
          t("thresholds"),
          h(
            "dl",
            {class: "profile"},
            h("div", {}, h("dt", {}, "MQL"), h("dd", {}, describe(book.mql))),
            h("div", {}, h("dt", {}, "SQL"), h("dd", {}, describe(book.sql))),
          ),
        ),
        section(
          t("rule"),
          h(
            "table",
            {class: "rules", id: "rules"},
            h("thead", {}, h("tr", {}, [t("rule"), t("kind"), t("points"), t("sentence")].map((label) => h("th", {scope: "col"}, label)))),
            h(
              "tbody",
              {},
              book.rules.map((rule) =>
                h(
                  "tr",
                  {dataset: {rule: rule.id}},
                  h("th", {scope: "row"}, h("code", {}, rule.id)),
                  h("td", {}, rule.kind === "fit" ? t("fit") : rule.kind === "engagement" ? t("engagement") : rule.kind, rule.buying_signal ? h("span", {class: "badge"}, t("buyingSignal")) : null),
                  h("td", {class: "num"}, rule.points > 0 ? `+${formatNumber(rule.points, 1)}` : formatNumber(rule.points, 1)),
                  h("td", {}, sentence(rule.text)),
                ),
              ),
            ),
          ),
        ),
        extra,
      );
    })
    .catch((failure) => fill(main, h("h1", {}, t("scoring")), problem(failure)));
}

function describe(thresholds) {
  return Object.entries(thresholds)
    .map(([name, value]) => `${name.replace(/_/g, " ")}: ${value}`)
    .join(", ");
}
