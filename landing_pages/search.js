/* Site search: lists the articles that match ?q= (client-side, from /search-index.json).
   The tracker reports the query itself as a site_search event. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim();
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");

  function words(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean);
  }

  function highlight(text, terms) {
    var escaped = text.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
    terms.forEach(function (term) {
      if (term.length < 2) return;
      escaped = escaped.replace(new RegExp("\\b(" + term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "gi"), "<mark>$1</mark>");
    });
    return escaped;
  }

  function render(articles) {
    var terms = words(query);
    var hits = articles
      .map(function (a) {
        var haystack = words([a.title, a.summary, a.topic, a.keywords].join(" "));
        var score = 0;
        terms.forEach(function (t) {
          haystack.forEach(function (w) {
            if (w === t) score += 3;
            else if (w.indexOf(t) === 0) score += 1;
          });
        });
        return { article: a, score: score };
      })
      .filter(function (h) { return h.score > 0; })
      .sort(function (x, y) { return y.score - x.score; });

    list.innerHTML = hits
      .map(function (h) {
        var a = h.article;
        return '<li class="card"><p class="tag">' + highlight(a.topic, []) + "</p>" +
          '<h2><a href="' + a.url + '">' + highlight(a.title, terms) + "</a></h2>" +
          "<p>" + highlight(a.summary, terms) + "</p></li>";
      })
      .join("");
    status.textContent = hits.length
      ? hits.length + (hits.length === 1 ? " article matches " : " articles match ") + "“" + query + "”."
      : "No articles match “" + query + "”. Try another word, or browse all articles.";
    if (!hits.length) {
      status.innerHTML = status.innerHTML.replace("browse all articles", '<a href="/articles/">browse all articles</a>');
    }
  }

  if (input) input.value = query;
  if (!query) {
    status.textContent = "Type a word above, for example ITIL, BIO or audit.";
    return;
  }
  fetch("/search-index.json")
    .then(function (response) { return response.json(); })
    .then(render)
    .catch(function () {
      status.innerHTML = 'Search is not available right now. Browse <a href="/articles/">all articles</a> instead.';
    });
})();
