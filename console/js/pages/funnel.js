// The funnel (marketing): counts per stage now, entries and conversion in a period, the
// median times, the machine share, and a chart of entries per stage per day.

import {api} from "../api.js";
import {fill, h} from "../dom.js";
import {formatNumber, stageName, t} from "../i18n.js";
import {funnelChart} from "./charts.js";
import {loading, problem, section} from "./common.js";

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export function funnelPage(main) {
  let chart = null;
  const today = new Date();
  const from = h("input", {id: "funnel-from", type: "date", value: isoDay(new Date(today.getTime() - 29 * 86400000))});
  const to = h("input", {id: "funnel-to", type: "date", value: isoDay(today)});
  const body = h("div", {id: "funnel-body"});
  const form = h(
    "form",
    {class: "filters", onsubmit: (event) => {
      event.preventDefault();
      load();
    }},
    h("label", {for: "funnel-from"}, t("from")),
    from,
    h("label", {for: "funnel-to"}, t("to")),
    to,
    h("button", {type: "submit"}, t("show")),
  );
  fill(main, h("h1", {}, t("funnel")), form, body);

  async function load() {
    if (chart) chart.destroy();
    chart = null;
    fill(body, loading());
    try {
      const report = await api(`/v1/reports/funnel?from=${from.value}&to=${to.value}&daily=true`);
      const chartHolder = h("div", {class: "chart", id: "funnel-chart", role: "img", "aria-label": t("entriesPerDay")});
      fill(
        body,
        section(t("entriesPerDay"), chartHolder),
        h(
          "div",
          {class: "columns"},
          section(t("countsNow"), counts(report.current, "funnel-current")),
          section(t("enteredInPeriod"), counts(report.entered, "funnel-entered")),
        ),
        section(
          t("conversion"),
          h(
            "ul",
            {id: "funnel-conversion"},
            report.conversion.map((c) =>
              h("li", {}, `${stageName(c.from_stage)} → ${stageName(c.to_stage)}: `, c.rate === null ? t("none") : `${formatNumber(c.rate * 100, 1)} %`),
            ),
          ),
          h(
            "dl",
            {class: "profile", id: "funnel-medians"},
            h("div", {}, h("dt", {}, t("medianLeadToMql")), h("dd", {}, hours(report.median_hours_lead_to_mql))),
            h("div", {}, h("dt", {}, t("medianMqlToSql")), h("dd", {}, hours(report.median_hours_mql_to_sql))),
            h("div", {}, h("dt", {}, t("machineShare")), h("dd", {id: "machine-share"}, report.machine_share === null ? t("none") : `${formatNumber(report.machine_share * 100, 1)} %`)),
          ),
        ),
      );
      chart = funnelChart(chartHolder, report.daily || []);
    } catch (failure) {
      fill(body, problem(failure));
    }
  }

  load();
  return () => chart && chart.destroy();
}

function hours(value) {
  return value === null || value === undefined ? t("none") : t("hours", {n: formatNumber(value, 1)});
}

function counts(values, id) {
  return h(
    "table",
    {class: "counts", id},
    h("thead", {}, h("tr", {}, h("th", {scope: "col"}, t("stage")), h("th", {scope: "col"}, "#"))),
    h("tbody", {}, Object.entries(values).map(([stage, n]) => h("tr", {}, h("th", {scope: "row"}, stageName(stage)), h("td", {class: "num"}, n)))),
  );
}
