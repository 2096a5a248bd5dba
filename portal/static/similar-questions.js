// Shows questions similar to the one being typed, so duplicates are caught early.
// The form says where to ask (data-similar-url); results are built with DOM
// methods and textContent only, never innerHTML, so a title cannot inject markup.
(function () {
  "use strict";
  var form = document.querySelector("form[data-similar-url]");
  var results = document.getElementById("similar-results");
  if (!form || !results || !window.fetch) { return; }

  var url = form.getAttribute("data-similar-url");
  var exclude = form.getAttribute("data-exclude");
  var detailFields = ["population", "intervention", "comparator", "outcome"];
  var timer = null;
  var lastQuery = "";
  var latest = 0;

  function value(name) {
    var field = form.elements.namedItem(name);
    return field ? field.value.trim() : "";
  }

  function show(questions) {
    results.textContent = "";
    if (!questions.length) {
      var none = document.createElement("p");
      none.className = "muted small";
      none.textContent = "No similar questions found so far.";
      results.appendChild(none);
      return;
    }
    var intro = document.createElement("p");
    intro.textContent = questions.length === 1 ? "1 similar question:" : questions.length + " similar questions:";
    results.appendChild(intro);
    var list = document.createElement("ul");
    questions.forEach(function (q) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = q.url;
      link.textContent = q.title;
      var meta = document.createElement("span");
      meta.className = "muted small";
      meta.textContent = " (" + q.status + ", " + Math.round(q.similarity * 100) + "% similar)";
      item.appendChild(link);
      item.appendChild(meta);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  function lookUp() {
    var title = value("title");
    var details = detailFields.map(value).join(" ");
    var query = title + "\u0000" + details;
    if (query === lastQuery) { return; }
    lastQuery = query;
    if ((title + details).length < 8) { results.textContent = ""; return; }
    var params = new URLSearchParams({ title: title, details: details });
    if (exclude) { params.set("exclude", exclude); }
    var ticket = ++latest;
    fetch(url + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Answers can arrive out of order; only the latest question counts.
        if (data && ticket === latest) { show(data.questions || []); }
      })
      .catch(function () { /* The list is a help, not a requirement: stay quiet. */ });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 350);
  });
  lookUp();
})();
