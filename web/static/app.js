// Progressive enhancement only: the forms work without it.
// 1. guess the time zone; 2. live preview of the query (JSON from /api/preview).
(function () {
  "use strict";
  var zone = document.getElementById("timezone");
  if (zone && zone.dataset.guess === "yes") {
    try {
      var guessed = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (guessed) { zone.value = guessed; }
    } catch (e) { /* keep the server's default */ }
  }

  var query = document.getElementById("query");
  var box = document.getElementById("preview");
  if (!query || !box) { return; }
  var timer = null;
  var seq = 0;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function show(data) {
    box.replaceChildren();
    box.hidden = false;
    box.appendChild(el("h2", box.dataset.title));
    if (!data.ok) {
      box.appendChild(el("p", data.error, "error"));
      if (data.column) {
        var line = query.value.split("\n")[(data.line || 1) - 1] || "";
        box.appendChild(el("pre", line + "\n" + " ".repeat(Math.max(0, data.column - 1)) + "^"));
      }
      return;
    }
    box.appendChild(el("p", box.dataset.count.replace("{n}", data.total)));
    var bars = el("div", null, "bars");
    var max = Math.max.apply(null, data.days.map(function (d) { return d.count; }).concat([1]));
    data.days.forEach(function (d) {
      var bar = el("span");
      bar.style.height = Math.round((d.count / max) * 100) + "%";
      bar.title = d.day + " : " + d.count;
      bars.appendChild(bar);
    });
    bars.setAttribute("aria-hidden", "true");
    box.appendChild(bars);
    if (!data.hits.length) { box.appendChild(el("p", box.dataset.none)); return; }
    var list = el("ol");
    data.hits.forEach(function (hit) {
      var item = el("li");
      var link = el("a", hit.title);
      link.href = hit.url;
      link.rel = "noopener noreferrer";
      item.appendChild(link);
      item.appendChild(el("div", hit.source + " · " + hit.published, "meta"));
      var snippet = el("div");
      hit.parts.forEach(function (part) {
        snippet.appendChild(part[1] ? el("mark", part[0]) : document.createTextNode(part[0]));
      });
      item.appendChild(snippet);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function run() {
    var text = query.value.trim();
    if (!text) { box.hidden = true; box.replaceChildren(); return; }
    var mine = ++seq;
    var url = query.dataset.preview + "&q=" + encodeURIComponent(text);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) { show(data); } })
      .catch(function () { /* the preview is a help, not a requirement */ });
  }

  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 350);
  });
  if (query.value.trim()) { run(); }
})();
