// Hot leads: the SQL and MQL lists, highest score first, filtered (by the API: country,
// channel, company) and paged by cursor; new hot leads appear by themselves (the first
// page of each list is polled).

import {api} from "../api.js";
import {announce, fill, h} from "../dom.js";
import {formatDate, stageName, t} from "../i18n.js";
import {personName, problem} from "./common.js";

const POLL_MS = 3000;
const PAGE = 25;
//: The filters survive leaving and coming back to the page (in memory only).
const filters = {stage: "sql+mql", country: "", channel: "", company: ""};

export function leadsPage(main) {
  let stopped = false;
  const lists = [];
  const form = filterForm(() => rebuild());
  const holder = h("div", {class: "lists"});
  fill(
    main,
    h("h1", {}, t("hotLeads")),
    h("p", {class: "hint"}, t("liveNote")),
    form,
    holder,
  );

  function rebuild() {
    fill(holder);
    lists.length = 0;
    const stages = filters.stage === "sql+mql" ? ["sql", "mql"] : [filters.stage];
    for (const stage of stages) {
      const list = new LeadList(stage);
      lists.push(list);
      holder.appendChild(list.element);
      list.loadFirst();
    }
  }

  rebuild();
  const timer = setInterval(() => {
    if (!stopped) lists.forEach((list) => list.poll());
  }, POLL_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

function filterForm(onChange) {
  const stageSelect = h(
    "select",
    {id: "filter-stage", name: "stage"},
    [["sql+mql", t("stageSqlMql")], ...["sql", "mql", "lead", "customer", "recycled"].map((s) => [s, stageName(s)])].map(
      ([value, label]) => h("option", {value, selected: filters.stage === value}, label),
    ),
  );
  const channelSelect = h(
    "select",
    {id: "filter-channel", name: "channel"},
    [["", t("any")], ["phone", t("phone")], ["email", t("emailChannel")]].map(([value, label]) =>
      h("option", {value, selected: filters.channel === value}, label),
    ),
  );
  const country = h("input", {id: "filter-country", name: "country", value: filters.country, size: 4, autocomplete: "off"});
  const company = h("input", {id: "filter-company", name: "company", value: filters.company, autocomplete: "off"});
  const form = h(
    "form",
    {class: "filters", role: "search", "aria-label": t("filters"), onsubmit: (e) => e.preventDefault()},
    h("label", {for: "filter-stage"}, t("stage")),
    stageSelect,
    h("label", {for: "filter-country"}, t("country")),
    country,
    h("label", {for: "filter-channel"}, t("channel")),
    channelSelect,
    h("label", {for: "filter-company"}, t("company")),
    company,
  );
  stageSelect.addEventListener("change", () => {
    filters.stage = stageSelect.value;
    onChange();
  });
  let typing = null;
  for (const [input, name] of [[country, "country"], [company, "company"], [channelSelect, "channel"]]) {
    input.addEventListener("input", () => {
      filters[name] = input.value.trim();
      // Narrow what is shown at once, then ask the API for the filtered pages.
      document.querySelectorAll("table.leads").forEach((table) => table.dispatchEvent(new Event("refilter")));
      clearTimeout(typing);
      typing = setTimeout(onChange, 300);
    });
  }
  return form;
}

function matches(lead) {
  if (filters.country && (lead.country || "").toLowerCase() !== filters.country.toLowerCase()) return false;
  if (filters.channel && lead.recommended_channel !== filters.channel) return false;
  if (filters.company) {
    const company = `${lead.company || ""} ${lead.company_domain || ""}`.toLowerCase();
    if (!company.includes(filters.company.toLowerCase())) return false;
  }
  return true;
}

function query(stage, cursor) {
  const params = new URLSearchParams({stage, limit: String(PAGE)});
  for (const name of ["country", "channel", "company"]) {
    if (filters[name]) params.set(name, filters[name]);
  }
  if (cursor) params.set("cursor", cursor);
  return `/v1/leads?${params}`;
}

class LeadList {
  constructor(stage) {
    this.stage = stage;
    this.items = new Map();
    this.fresh = new Set();
    this.cursor = null;
    this.loadedOnce = false;
    const title = stage === "sql" ? t("sqlList") : stage === "mql" ? t("mqlList") : t("stageList", {stage: stageName(stage)});
    const titleId = `list-${stage}`;
    this.body = h("tbody");
    this.table = h(
      "table",
      {class: "leads", "aria-labelledby": titleId, "aria-busy": "true", dataset: {stage}},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [t("name"), t("company"), t("jobTitle"), t("country"), t("score"), t("fit"), t("engagement"), t("channel"), t("updated")].map(
            (label) => h("th", {scope: "col"}, label),
          ),
        ),
      ),
      this.body,
    );
    this.table.addEventListener("refilter", () => this.draw());
    this.status = h("div", {class: "list-status"});
    this.more = h("button", {type: "button", class: "more", hidden: true, onclick: () => this.loadMore()}, t("more"));
    this.element = h("section", {class: "lead-list", "aria-labelledby": titleId}, h("h2", {id: titleId}, title), this.table, this.status, this.more);
  }

  async loadFirst() {
    try {
      const page = await api(query(this.stage));
      page.items.forEach((lead) => this.items.set(lead.lead_id, lead));
      this.cursor = page.next_cursor;
      this.loadedOnce = true;
      this.draw();
    } catch (failure) {
      fill(this.status, problem(failure));
    } finally {
      // Assistive technology (and the tests) know when the first page is in.
      this.table.setAttribute("aria-busy", "false");
    }
  }

  async loadMore() {
    if (!this.cursor) return;
    try {
      const page = await api(query(this.stage, this.cursor));
      page.items.forEach((lead) => this.items.set(lead.lead_id, lead));
      this.cursor = page.next_cursor;
      this.draw();
    } catch (failure) {
      fill(this.status, problem(failure));
    }
  }

  /** The first page again: new leads join the list (marked new), known ones are updated. */
  async poll() {
    if (!this.loadedOnce) return;
    try {
      const page = await api(query(this.stage));
      const arrived = page.items.filter((lead) => !this.items.has(lead.lead_id));
      page.items.forEach((lead) => this.items.set(lead.lead_id, lead));
      arrived.forEach((lead) => this.fresh.add(lead.lead_id));
      if (arrived.length) announce(t("newLeadArrived", {name: personName(arrived[0])}));
      this.draw();
    } catch {
      // A failed poll is retried at the next tick; a 401 has signed the user out already.
    }
  }

  draw() {
    const shown = [...this.items.values()]
      .filter((lead) => lead.stage === this.stage)
      .filter(matches)
      .sort((a, b) => b.score - a.score || a.lead_id.localeCompare(b.lead_id));
    this.more.hidden = !this.cursor;
    // Redraw only what changed, and keep the keyboard focus where it was: a poll must
    // never pull the focus from under someone tabbing through the list.
    const signature = JSON.stringify(shown.map((l) => [l.lead_id, l.score, l.updated_at, this.fresh.has(l.lead_id)]));
    if (signature === this.signature) return;
    this.signature = signature;
    const focused = this.body.contains(document.activeElement)
      ? document.activeElement.closest("tr")?.dataset.leadId
      : null;
    fill(
      this.body,
      shown.length
        ? shown.map((lead) => this.row(lead))
        : h("tr", {}, h("td", {colspan: 9, class: "empty"}, t("noLeads"))),
    );
    if (focused) {
      const again = [...this.body.querySelectorAll("tr")].find((row) => row.dataset.leadId === focused);
      again?.querySelector("a.lead-link")?.focus();
    }
  }

  row(lead) {
    const fresh = this.fresh.has(lead.lead_id);
    return h(
      "tr",
      {class: fresh ? "fresh" : null, dataset: {leadId: lead.lead_id}},
      h(
        "th",
        {scope: "row"},
        h("a", {href: `#/leads/${encodeURIComponent(lead.lead_id)}`, class: "lead-link"}, personName(lead)),
        fresh ? h("span", {class: "badge new"}, t("newLead")) : null,
      ),
      h("td", {}, lead.company || lead.company_domain || ""),
      h("td", {}, lead.job_title || ""),
      h("td", {}, lead.country || ""),
      h("td", {class: "num score"}, lead.score),
      h("td", {class: "num"}, lead.fit_score),
      h("td", {class: "num"}, lead.engagement_score),
      h("td", {}, lead.recommended_channel === "phone" ? t("phone") : t("emailChannel")),
      h("td", {}, h("time", {datetime: lead.updated_at}, formatDate(lead.updated_at, true))),
    );
  }
}
