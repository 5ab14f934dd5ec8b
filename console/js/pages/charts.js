// Charts drawn with uPlot (vendored from the npm registry: vendor/uplot-1.6.32).

import uPlot from "../../vendor/uplot-1.6.32/uPlot.esm.js";
import {h} from "../dom.js";
import {stageName, t} from "../i18n.js";

const COLOURS = {fit: "#1b6ac9", engagement: "#c2410c", lead: "#64748b", mql: "#1b6ac9", sql: "#c2410c", customer: "#15803d", recycled: "#7c3aed"};

function width(holder) {
  return Math.max(320, Math.min(holder.clientWidth || 720, 960));
}

/** The score over time from the ledger: fit and engagement apart (points as earned). */
export function scoreChart(holder, entries) {
  if (!entries.length) {
    holder.appendChild(h("p", {class: "hint"}, t("none")));
    return null;
  }
  const xs = [];
  const fit = [];
  const engagement = [];
  let f = 0;
  let e = 0;
  for (const entry of entries) {
    if (entry.kind === "fit") f += entry.points;
    else if (entry.kind === "engagement") e += entry.points;
    else continue;
    const x = Date.parse(entry.at) / 1000;
    if (xs.length && xs[xs.length - 1] === x) {
      fit[fit.length - 1] = f;
      engagement[engagement.length - 1] = e;
    } else {
      xs.push(x);
      fit.push(f);
      engagement.push(e);
    }
  }
  return new uPlot(
    {
      width: width(holder),
      height: 240,
      series: [
        {},
        {label: t("fit"), stroke: COLOURS.fit, width: 2, paths: uPlot.paths.stepped({align: 1})},
        {label: t("engagement"), stroke: COLOURS.engagement, width: 2, paths: uPlot.paths.stepped({align: 1})},
      ],
      axes: [{}, {label: t("points")}],
    },
    [xs, fit, engagement],
    holder,
  );
}

/** Entries per stage per day over the period. */
export function funnelChart(holder, daily) {
  const stages = ["lead", "mql", "sql", "customer"];
  const xs = daily.map((d) => Date.parse(`${d.day}T12:00:00Z`) / 1000);
  return new uPlot(
    {
      width: width(holder),
      height: 280,
      series: [{}, ...stages.map((s) => ({label: stageName(s), stroke: COLOURS[s], width: 2, points: {show: daily.length < 45}}))],
      axes: [{}, {label: t("entriesPerDay")}],
      scales: {y: {range: (u, min, max) => [0, Math.max(1, max)]}},
    },
    [xs, ...stages.map((s) => daily.map((d) => d.entered[s] || 0))],
    holder,
  );
}
