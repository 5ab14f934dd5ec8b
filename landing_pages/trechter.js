/*! Trechter tracker v1 | Apache-2.0 | how it works: docs/LANDING_PAGES.md */
(function (w, d, n) {
  var C = w.TRECHTER || {},
    s = d.currentScript,
    loc = w.location,
    qs = new URLSearchParams(loc.search),
    at = function (k) { return s && s.getAttribute("data-" + k); },
    api = (at("api") || C.api || "").replace(/\/$/, ""),
    required = [C.consent, at("consent"), qs.get("trechter_consent")].indexOf("required") > -1,
    blocked = /^(__|$)/.test(api) || n.globalPrivacyControl === true || n.doNotTrack == "1",
    rendered = Date.now(),
    YEAR = 31536e3,
    UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"],
    q = [],
    aid,
    timer,
    started;

  function noop() {}

  function cookie(k, v, age) {
    if (v == null) return (d.cookie.match("(^|; )" + k + "=([^;]*)") || [])[2];
    d.cookie = k + "=" + v + ";path=/;max-age=" + age + ";SameSite=Lax" + (loc.protocol == "https:" ? ";Secure" : "");
  }

  // Web storage can be missing or throw (privacy modes).
  function store(area, k, v) {
    try {
      if (v === undefined) return w[area].getItem(k);
      v ? w[area].setItem(k, v) : w[area].removeItem(k);
    } catch (e) {}
  }

  function state() {
    var c = cookie("trechter_consent");
    return blocked ? "blocked" : c == "yes" ? "granted" : c == "no" ? "denied" : required ? "pending" : "not-required";
  }

  function on() {
    return /^(gr|not)/.test(state());
  }

  function uid() {
    return w.crypto && crypto.randomUUID ? crypto.randomUUID() : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, function (x) {
      return (x ^ (Math.random() * 16 >> x / 4)).toString(16);
    });
  }

  function ident() {
    if (!aid) {
      aid = cookie("trechter_aid") || store("localStorage", "trechter_aid") || "";
      if (!/^[\w-]{8,64}$/.test(aid)) aid = uid();
      cookie("trechter_aid", aid, YEAR);
      store("localStorage", "trechter_aid", aid);
    }
    return aid;
  }

  function visit() {
    var v = {}, saved = on() && store("sessionStorage", "trechter_visit");
    UTM.forEach(function (k) { if (qs.get(k)) v[k] = qs.get(k); });
    if (saved && !v.utm_source) return JSON.parse(saved);
    if (d.referrer.indexOf(loc.origin + "/")) v.referrer = d.referrer;
    if (on()) store("sessionStorage", "trechter_visit", JSON.stringify(v));
    return v;
  }

  function now() {
    return new Date().toISOString();
  }

  function track(type, props, url) {
    if (type && on()) {
      q.push({ event_id: uid(), type: type, url: url || loc.href, ts: now(), title: d.title, referrer: d.referrer, properties: props || {} });
      timer = timer || setTimeout(flush, 1000);
    }
  }

  function flush() {
    clearTimeout(timer);
    timer = 0;
    while (q.length && on()) send(q.splice(0, 100));
  }

  function send(events) {
    var url = api + "/v1/t/events",
      body = JSON.stringify({ anonymous_id: ident(), sent_at: now(), events: events });
    try {
      if (n.sendBeacon(url, new Blob([body], { type: "text/plain" }))) return;
    } catch (e) {}
    function go(k) {
      fetch(url, { method: "POST", body: body, keepalive: k > 0, headers: { "Content-Type": "text/plain" } }).catch(k > 0 ? go : noop);
    }
    go(1);
  }

  function click(e) {
    var a = e.target.closest && e.target.closest("a[href]");
    if (!a || e.button > 1 || !/^(http|mailto|tel)/.test(a.href) || a.getAttribute("href")[0] == "#") return;
    track("link_click", { target_url: a.href, in_article: !!a.closest("article") });
    if (/\.(pdf|zip|docx?|xlsx?|pptx?|od[st]|csv|epub)$|\/(downloads|whitepapers)\//i.test(a.pathname)) {
      track("download", { page_url: loc.href }, a.href);
    }
  }

  function ours(f) {
    return /\/v1\/forms\//.test(f.getAttribute("action"));
  }

  function enrich(f) {
    var v = visit(), el, k, vals = { anonymous_id: on() && ident(), page_url: loc.href, referrer: v.referrer || d.referrer, rendered_at: rendered };
    UTM.forEach(function (k) { vals[k] = v[k]; });
    for (k in vals) {
      el = f.elements[k];
      if (!el) {
        el = f.appendChild(d.createElement("input"));
        el.type = "hidden";
        el.name = k;
      }
      if (el.type == "hidden") el.value = vals[k] || "";
    }
  }

  function forms() {
    d.querySelectorAll("form").forEach(function (f) { if (ours(f)) enrich(f); });
  }

  function say(f, el, text) {
    var p = d.createElement("p");
    p.className = "trechter-error";
    p.textContent = text;
    p.tabIndex = -1;
    if (!el) return p.setAttribute("role", "alert"), f.prepend(p), p;
    p.id = (el.id || f.id + el.name) + "-trechter-error";
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + p.id).trim());
    el.after(p);
    return el;
  }

  function showErrors(f, j) {
    var first, top = [];
    (j.errors || []).forEach(function (x) {
      var el = f.elements[x.field], text = "" + x.message;
      if (el && !el.tagName) el = el[0];
      if (!el || el.type == "hidden") return top.push(x.field + ": " + text);
      if (/^is /.test(text)) text = "This field " + text;
      el = say(f, el, text[0].toUpperCase() + text.slice(1));
      first = first || el;
    });
    if (top[0] || !first) top = say(f, 0, top.join(". ") || j.message || "Please try again.");
    (first || top).focus();
  }

  function submit(e) {
    var f = e.target, body = {};
    if (!ours(f) || e.defaultPrevented) return;
    e.preventDefault();
    if (f.getAttribute("aria-busy")) return;
    f.setAttribute("aria-busy", "true");
    enrich(f);
    f.querySelectorAll(".trechter-error").forEach(function (p) { p.remove(); });
    f.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.setAttribute("aria-describedby", el.getAttribute("aria-describedby").replace(/\S+-trechter-error/, "").trim());
    });
    new FormData(f).forEach(function (v, k) { if (v) body[k] = v; });
    fetch(f.getAttribute("action"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status > 499) throw r;
      return r.json().catch(noop).then(function (j) {
        j = j || {};
        f.removeAttribute("aria-busy");
        if (!r.ok) return showErrors(f, j);
        flush();
        j.redirect_url ? loc.assign(j.redirect_url) : say(f, 0, "Thank you!").focus();
      });
    }).catch(function () {
      // Network or server trouble: the plain HTML post still works.
      HTMLFormElement.prototype.submit.call(f);
    });
  }

  function start() {
    var query = (qs.get(C.search_param || "q") || "").trim();
    forms();
    if (started || !on()) return;
    started = 1;
    visit();
    track("page_view");
    if (query) track("site_search", { query: query.slice(0, 200) });
  }

  w.trechter = {
    track: track,
    consent: function (yes) {
      if (yes != null) {
        cookie("trechter_consent", yes ? "yes" : "no", YEAR);
        if (!yes) {
          q = [];
          aid = started = 0;
          cookie("trechter_aid", "", 0);
          store("localStorage", "trechter_aid", null);
          store("sessionStorage", "trechter_visit", null);
        }
        start();
      }
      return state();
    },
    id: function () { return on() ? ident() : null; },
    flush: flush
  };

  d.addEventListener("click", click, true);
  d.addEventListener("auxclick", click, true);
  d.addEventListener("submit", submit);
  d.addEventListener("visibilitychange", function () { if (d.hidden) flush(); });
  w.addEventListener("pagehide", flush);
  d.readyState == "loading" ? d.addEventListener("DOMContentLoaded", start) : start();
})(window, document, navigator);
