// One lead: profile, why it is hot (fit and engagement apart), the score over time from
// the ledger, every ledger entry as a sentence, the timeline, the follow-up advice with
// copy buttons, the outcome buttons, and (admins only) export and erase.

import {api} from "../api.js";
import {hasRole} from "../auth.js";
import {announce, fill, h} from "../dom.js";
import {formatDate, formatNumber, stageName, t} from "../i18n.js";
import {scoreChart} from "./charts.js";
import {confirmDialog, copyButton, loading, personName, problem, section} from "./common.js";

export function leadPage(main, leadId) {
  let chart = null;
  fill(main, h("p", {}, h("a", {href: "#/leads", class: "back"}, t("back"))), loading());
  const path = `/v1/leads/${encodeURIComponent(leadId)}`;
  Promise.all([api(path), api(`${path}/ledger`), api(`${path}/colleagues`).catch(() => null)])
    .then(([lead, ledger, company]) => {
      chart = draw(main, lead, ledger.entries, company);
    })
    .catch((failure) => fill(main, h("p", {}, h("a", {href: "#/leads", class: "back"}, t("back"))), problem(failure)));
  return () => chart && chart.destroy();
}

function draw(main, lead, entries, company) {
  const name = personName(lead);
  const chartHolder = h("div", {class: "chart", id: "score-chart", role: "img", "aria-label": t("scoreOverTime")});
  fill(
    main,
    h("p", {}, h("a", {href: "#/leads", class: "back"}, t("back"))),
    h(
      "header",
      {class: "lead-head"},
      h("h1", {id: "lead-name"}, name),
      h("p", {class: "sub"}, [lead.job_title, lead.company].filter(Boolean).join(" · ")),
      h(
        "dl",
        {class: "scores"},
        h("div", {}, h("dt", {}, t("stageNow")), h("dd", {id: "lead-stage"}, stageName(lead.stage))),
        h("div", {}, h("dt", {}, t("score")), h("dd", {id: "lead-score"}, lead.score)),
        h("div", {}, h("dt", {}, t("fit")), h("dd", {id: "lead-fit"}, lead.fit_score)),
        h("div", {}, h("dt", {}, t("engagement")), h("dd", {id: "lead-engagement"}, lead.engagement_score)),
      ),
      h("p", {class: "channel"}, h("strong", {}, `${t("channelAdvice")}: `), lead.recommended_channel_reason || lead.recommended_channel),
    ),
    section(
      t("whyHot"),
      h("div", {class: "columns"},
        h("div", {}, h("h3", {}, t("engagementReasons")), reasonList(lead.reasons, "reasons")),
        h("div", {}, h("h3", {}, t("fitReasons")), reasonList(lead.fit_reasons, "fit-reasons")),
      ),
    ),
    lead.follow_up ? followUp(lead.follow_up) : null,
    feedback(lead, main),
    section(t("scoreOverTime"), h("p", {class: "hint"}, t("scoreChartNote")), chartHolder),
    section(t("ledger"), ledgerTable(entries)),
    section(t("timeline"), timeline(lead.timeline || [])),
    section(t("profile"), profile(lead)),
    company && company.colleagues.length ? colleagues(lead, company.colleagues) : null,
    hasRole("admin") ? adminActions(lead, main) : null,
  );
  return scoreChart(chartHolder, entries);
}

function reasonList(reasons, id) {
  if (!reasons || !reasons.length) return h("p", {class: "hint"}, t("none"));
  return h(
    "ul",
    {class: "reasons", id},
    reasons.map((r) => h("li", {}, h("span", {class: "points"}, signed(r.points)), " ", r.text)),
  );
}

function signed(points) {
  const value = formatNumber(points, 1);
  return points > 0 ? `+${value}` : value;
}

function followUp(advice) {
  const mail = advice.email || {};
  const mailText = [mail.subject ? `${t("subject")}: ${mail.subject}` : "", mail.body || ""].filter(Boolean).join("\n\n");
  return section(
    t("followUp"),
    advice.why ? h("p", {id: "follow-up-why"}, h("strong", {}, `${t("why")}: `), advice.why) : null,
    advice.phone_opener
      ? h(
          "div",
          {class: "advice"},
          h("h3", {}, t("opener")),
          h("blockquote", {id: "phone-opener"}, advice.phone_opener),
          copyButton(t("copyOpener"), advice.phone_opener, "copy-opener"),
        )
      : null,
    mail.body || mail.subject
      ? h(
          "div",
          {class: "advice"},
          h("h3", {}, t("mailDraft")),
          mail.subject ? h("p", {id: "mail-subject"}, h("strong", {}, `${t("subject")}: `), mail.subject) : null,
          h("pre", {id: "mail-body", class: "mail"}, mail.body || ""),
          copyButton(t("copyMail"), mailText, "copy-mail"),
        )
      : null,
  );
}

function feedback(lead, main) {
  const note = h("textarea", {id: "feedback-note", rows: 2, maxlength: 2000});
  const status = h("p", {id: "feedback-status", role: "status"});
  const buttons = ["accepted", "rejected", "won", "lost"].map((outcome) =>
    h(
      "button",
      {
        type: "button",
        class: `outcome ${outcome}`,
        id: `outcome-${outcome}`,
        onclick: async () => {
          try {
            const updated = await api(`/v1/leads/${encodeURIComponent(lead.lead_id)}/feedback`, {
              method: "POST",
              body: {outcome, note: note.value.trim() || null},
            });
            const text = t("feedbackSaved", {outcome: t(outcome), stage: stageName(updated.stage)});
            status.textContent = text;
            const stage = main.querySelector("#lead-stage");
            if (stage) stage.textContent = stageName(updated.stage);
            announce(text);
          } catch (failure) {
            fill(status, problem(failure));
          }
        },
      },
      t(outcome),
    ),
  );
  return section(
    t("feedback"),
    h("label", {for: "feedback-note"}, t("feedbackNote")),
    note,
    h("div", {class: "actions"}, buttons),
    status,
  );
}

function ledgerTable(entries) {
  if (!entries.length) return h("p", {class: "hint"}, t("none"));
  return h(
    "table",
    {class: "ledger", id: "ledger"},
    h("thead", {}, h("tr", {}, [t("when"), t("what"), t("points"), t("kind")].map((label) => h("th", {scope: "col"}, label)))),
    h(
      "tbody",
      {},
      [...entries].reverse().map((e) =>
        h(
          "tr",
          {},
          h("td", {}, h("time", {datetime: e.at}, formatDate(e.at, true))),
          h("td", {}, e.text),
          h("td", {class: "num"}, signed(e.points)),
          h("td", {}, e.kind === "fit" ? t("fit") : e.kind === "engagement" ? t("engagement") : e.kind),
        ),
      ),
    ),
  );
}

function timeline(events) {
  if (!events.length) return h("p", {class: "hint"}, t("none"));
  return h(
    "ol",
    {class: "timeline", id: "timeline"},
    events.map((e) =>
      h(
        "li",
        {},
        h("time", {datetime: e.ts}, formatDate(e.ts, true)),
        " ",
        h("strong", {}, e.type.replace(/_/g, " ")),
        e.title ? ` — ${e.title}` : "",
        e.url ? h("span", {class: "url"}, ` ${e.url}`) : null,
        e.machine ? h("span", {class: "badge"}, ` ${e.machine.label}`) : null,
      ),
    ),
  );
}

function profile(lead) {
  const rows = [
    [t("email"), lead.email],
    [t("phoneNumber"), lead.phone],
    [t("jobTitle"), lead.job_title],
    [t("company"), [lead.company, lead.company_domain && `(${lead.company_domain})`].filter(Boolean).join(" ")],
    [t("companySize"), lead.company_size],
    [t("industry"), lead.industry],
    [t("country"), lead.country],
    [t("created"), formatDate(lead.created_at, true)],
  ].filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", {class: "profile", id: "profile"}, rows.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))));
}

function colleagues(lead, people) {
  return section(
    t("colleagues", {company: lead.company || lead.company_domain || ""}),
    h(
      "ul",
      {id: "colleagues"},
      people.map((c) =>
        h(
          "li",
          {},
          h("a", {href: `#/leads/${encodeURIComponent(c.lead_id)}`}, personName(c)),
          c.job_title ? `, ${c.job_title}` : "",
          ` (${stageName(c.stage)}, ${c.score}): `,
          t("colleagueRead", {topics: c.topics.join(", "), date: formatDate(c.last_read_at, true)}),
        ),
      ),
    ),
  );
}

function adminActions(lead, main) {
  const status = h("p", {role: "status", id: "admin-status"});
  const exportButton = h(
    "button",
    {
      type: "button",
      id: "export-lead",
      onclick: async () => {
        try {
          const data = await api(`/v1/leads/${encodeURIComponent(lead.lead_id)}/export`);
          const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], {type: "application/json"}));
          const link = h("a", {href: url, download: `trechter-export-${lead.lead_id}.json`});
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        } catch (failure) {
          fill(status, problem(failure));
        }
      },
    },
    t("export"),
  );
  const eraseButton = h(
    "button",
    {
      type: "button",
      id: "erase-lead",
      class: "danger",
      onclick: async () => {
        if (!(await confirmDialog(t("eraseConfirm", {name: personName(lead)}), t("confirm")))) return;
        try {
          await api(`/v1/leads/${encodeURIComponent(lead.lead_id)}`, {method: "DELETE"});
          fill(main, h("p", {role: "status", id: "erased"}, t("eraseDone")), h("p", {}, h("a", {href: "#/leads"}, t("back"))));
        } catch (failure) {
          fill(status, problem(failure));
        }
      },
    },
    t("erase"),
  );
  return section(t("admin"), h("div", {class: "actions"}, exportButton, eraseButton), status);
}
