// Dutch and English. The browser's language picks the first; the switch in the header
// changes it (the choice is kept in localStorage: it is not personal data).

const STRINGS = {
  en: {
    app: "Trechter console",
    skip: "Skip to content",
    language: "Language",
    signIn: "Sign in",
    signInTitle: "Sign in to Trechter",
    email: "E-mail address",
    password: "Password",
    newPassword: "New password",
    mfaCode: "Code from your authenticator app",
    continue: "Continue",
    signOut: "Sign out",
    signedInAs: "Signed in as {email} ({roles})",
    signInFailed: "Sign-in failed: {reason}",
    sessionExpired: "Your session has expired. Please sign in again.",
    signedOut: "You are signed out.",
    tokenNote: "Your session lives in this tab's memory only: closing or reloading it signs you out.",
    navLeads: "Hot leads",
    navFunnel: "Funnel",
    navScoring: "Scoring",
    navQuarantine: "Quarantine",
    navAudit: "Audit log",
    loading: "Loading…",
    error: "Something went wrong: {reason}",
    forbidden: "Not allowed: {reason}",
    hotLeads: "Hot leads",
    sqlList: "Sales-qualified leads (SQL)",
    mqlList: "Marketing-qualified leads (MQL)",
    stageList: "Leads in stage {stage}",
    filters: "Filters",
    stage: "Stage",
    stageSqlMql: "SQL and MQL",
    country: "Country",
    channel: "Channel",
    company: "Company",
    any: "any",
    phone: "phone",
    emailChannel: "e-mail",
    name: "Name",
    jobTitle: "Job title",
    score: "Score",
    fit: "Fit",
    engagement: "Engagement",
    updated: "Updated",
    more: "Show more",
    noLeads: "No leads match.",
    newLead: "new",
    newLeadArrived: "New hot lead: {name}",
    liveNote: "This list refreshes itself every few seconds.",
    back: "Back to the hot leads",
    profile: "Profile",
    phoneNumber: "Phone",
    companySize: "Company size",
    industry: "Industry",
    created: "First seen",
    stageNow: "Stage",
    whyHot: "Why this lead is hot",
    fitReasons: "Who they are (fit)",
    engagementReasons: "Strongest reasons",
    scoreOverTime: "Score over time",
    scoreChartNote: "Points as earned, before decay; fit and engagement apart.",
    ledger: "Every score change",
    when: "When",
    what: "What",
    points: "Points",
    kind: "Kind",
    timeline: "Timeline",
    followUp: "Follow-up advice",
    why: "Why",
    opener: "Phone opener",
    mailDraft: "Mail draft",
    subject: "Subject",
    copy: "Copy",
    copyOpener: "Copy the opener",
    copyMail: "Copy the mail",
    copied: "Copied",
    channelAdvice: "Advised channel",
    colleagues: "Colleagues at {company}",
    colleagueRead: "read about {topics}, last on {date}",
    feedback: "Outcome",
    feedbackNote: "Note (optional)",
    accepted: "Accepted",
    rejected: "Rejected",
    won: "Won",
    lost: "Lost",
    feedbackSaved: "Recorded: {outcome}. The lead is now in stage {stage}.",
    admin: "Admin",
    export: "Export everything held (JSON)",
    erase: "Erase this person",
    eraseConfirm: "Erase {name} for good? This cannot be undone.",
    eraseDone: "Erased.",
    cancel: "Cancel",
    confirm: "Yes, erase",
    funnel: "Funnel",
    from: "From",
    to: "To",
    show: "Show",
    countsNow: "Leads per stage now",
    enteredInPeriod: "Entered in the period",
    conversion: "Conversion in the period",
    medianLeadToMql: "Median time from lead to MQL",
    medianMqlToSql: "Median time from MQL to SQL",
    machineShare: "Share of machine traffic",
    hours: "{n} h",
    none: "—",
    entriesPerDay: "Entries per stage per day",
    scoring: "Scoring model",
    modelVersion: "Active model: version {version}",
    rule: "Rule",
    sentence: "Sentence",
    buyingSignal: "buying signal",
    thresholds: "Stage thresholds",
    moreScoring: "Versions, proposals and what-if appear here when the adaptive scoring is deployed.",
    quarantine: "Quarantine",
    quarantineNote: "What was accepted and then rejected, with the reason. Re-drive it once the cause is fixed, or delete it.",
    source: "Source",
    reason: "Reason",
    payload: "Payload",
    redrive: "Re-drive",
    delete: "Delete",
    deleteConfirm: "Delete this item for good?",
    nothingHeld: "Nothing is held.",
    redriveResult: "Re-drive: {outcome} ({detail})",
    deleted: "Deleted.",
    auditLog: "Audit log",
    action: "Action",
    lead: "Lead",
    detail: "Detail",
    stages: {visitor: "visitor", lead: "lead", mql: "MQL", sql: "SQL", customer: "customer", recycled: "recycled"},
  },
  nl: {
    app: "Trechter-console",
    skip: "Naar de inhoud",
    language: "Taal",
    signIn: "Inloggen",
    signInTitle: "Inloggen bij Trechter",
    email: "E-mailadres",
    password: "Wachtwoord",
    newPassword: "Nieuw wachtwoord",
    mfaCode: "Code uit je authenticator-app",
    continue: "Verder",
    signOut: "Uitloggen",
    signedInAs: "Ingelogd als {email} ({roles})",
    signInFailed: "Inloggen mislukt: {reason}",
    sessionExpired: "Je sessie is verlopen. Log opnieuw in.",
    signedOut: "Je bent uitgelogd.",
    tokenNote: "Je sessie staat alleen in het geheugen van dit tabblad: sluiten of herladen logt je uit.",
    navLeads: "Hete leads",
    navFunnel: "Funnel",
    navScoring: "Scoring",
    navQuarantine: "Quarantaine",
    navAudit: "Auditlog",
    loading: "Bezig met laden…",
    error: "Er ging iets mis: {reason}",
    forbidden: "Niet toegestaan: {reason}",
    hotLeads: "Hete leads",
    sqlList: "Sales-gekwalificeerde leads (SQL)",
    mqlList: "Marketing-gekwalificeerde leads (MQL)",
    stageList: "Leads in fase {stage}",
    filters: "Filters",
    stage: "Fase",
    stageSqlMql: "SQL en MQL",
    country: "Land",
    channel: "Kanaal",
    company: "Bedrijf",
    any: "alle",
    phone: "telefoon",
    emailChannel: "e-mail",
    name: "Naam",
    jobTitle: "Functie",
    score: "Score",
    fit: "Fit",
    engagement: "Betrokkenheid",
    updated: "Bijgewerkt",
    more: "Meer tonen",
    noLeads: "Geen leads gevonden.",
    newLead: "nieuw",
    newLeadArrived: "Nieuwe hete lead: {name}",
    liveNote: "Deze lijst ververst zichzelf om de paar seconden.",
    back: "Terug naar de hete leads",
    profile: "Profiel",
    phoneNumber: "Telefoon",
    companySize: "Bedrijfsgrootte",
    industry: "Branche",
    created: "Eerst gezien",
    stageNow: "Fase",
    whyHot: "Waarom deze lead heet is",
    fitReasons: "Wie het is (fit)",
    engagementReasons: "Sterkste redenen",
    scoreOverTime: "Score door de tijd",
    scoreChartNote: "Punten zoals verdiend, vóór verval; fit en betrokkenheid apart.",
    ledger: "Elke scorewijziging",
    when: "Wanneer",
    what: "Wat",
    points: "Punten",
    kind: "Soort",
    timeline: "Tijdlijn",
    followUp: "Advies voor de opvolging",
    why: "Waarom",
    opener: "Openingszin voor het gesprek",
    mailDraft: "Concept-mail",
    subject: "Onderwerp",
    copy: "Kopiëren",
    copyOpener: "Openingszin kopiëren",
    copyMail: "Mail kopiëren",
    copied: "Gekopieerd",
    channelAdvice: "Geadviseerd kanaal",
    colleagues: "Collega's bij {company}",
    colleagueRead: "las over {topics}, laatst op {date}",
    feedback: "Uitkomst",
    feedbackNote: "Notitie (optioneel)",
    accepted: "Geaccepteerd",
    rejected: "Afgewezen",
    won: "Gewonnen",
    lost: "Verloren",
    feedbackSaved: "Vastgelegd: {outcome}. De lead staat nu in fase {stage}.",
    admin: "Beheer",
    export: "Alles wat we bewaren exporteren (JSON)",
    erase: "Deze persoon wissen",
    eraseConfirm: "{name} definitief wissen? Dit kan niet ongedaan worden.",
    eraseDone: "Gewist.",
    cancel: "Annuleren",
    confirm: "Ja, wissen",
    funnel: "Funnel",
    from: "Van",
    to: "Tot en met",
    show: "Tonen",
    countsNow: "Leads per fase nu",
    enteredInPeriod: "Ingestroomd in de periode",
    conversion: "Conversie in de periode",
    medianLeadToMql: "Mediane tijd van lead tot MQL",
    medianMqlToSql: "Mediane tijd van MQL tot SQL",
    machineShare: "Aandeel machineverkeer",
    hours: "{n} u",
    none: "—",
    entriesPerDay: "Instroom per fase per dag",
    scoring: "Scoremodel",
    modelVersion: "Actief model: versie {version}",
    rule: "Regel",
    sentence: "Zin",
    buyingSignal: "koopsignaal",
    thresholds: "Drempels per fase",
    moreScoring: "Versies, voorstellen en wat-als verschijnen hier zodra adaptieve scoring is uitgerold.",
    quarantine: "Quarantaine",
    quarantineNote: "Wat eerst werd aangenomen en daarna afgewezen, met de reden. Opnieuw aanbieden zodra de oorzaak is opgelost, of verwijderen.",
    source: "Bron",
    reason: "Reden",
    payload: "Inhoud",
    redrive: "Opnieuw aanbieden",
    delete: "Verwijderen",
    deleteConfirm: "Dit item definitief verwijderen?",
    nothingHeld: "Er staat niets in quarantaine.",
    redriveResult: "Opnieuw aangeboden: {outcome} ({detail})",
    deleted: "Verwijderd.",
    auditLog: "Auditlog",
    action: "Actie",
    lead: "Lead",
    detail: "Details",
    stages: {visitor: "bezoeker", lead: "lead", mql: "MQL", sql: "SQL", customer: "klant", recycled: "teruggezet"},
  },
};

const KEY = "trechter.console.language";
let current = pickLanguage();

function pickLanguage() {
  const saved = globalThis.localStorage?.getItem(KEY);
  if (saved && STRINGS[saved]) return saved;
  const preferred = navigator.languages || [navigator.language || "en"];
  for (const tag of preferred) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (STRINGS[base]) return base;
  }
  return "en";
}

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!STRINGS[code]) return;
  current = code;
  globalThis.localStorage?.setItem(KEY, code);
  document.documentElement.lang = code;
}

/** The sentence for a key, with {name} placeholders filled in (as text, never HTML). */
export function t(key, values = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return String(text).replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

export function stageName(stage) {
  return STRINGS[current].stages[stage] || stage;
}

/** A rule's sentence: one string, or {en, nl}. */
export function sentence(text) {
  if (text && typeof text === "object") return text[current] || text.en || Object.values(text)[0] || "";
  return text || "";
}

export function formatDate(iso, withTime = false) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = withTime
    ? {day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit"}
    : {day: "numeric", month: "short", year: "numeric"};
  return new Intl.DateTimeFormat(current === "nl" ? "nl-NL" : "en-GB", options).format(date);
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(current === "nl" ? "nl-NL" : "en-GB", {maximumFractionDigits: digits}).format(value);
}

export const LANGUAGES = [["en", "English"], ["nl", "Nederlands"]];
