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
    // the server words the count ("1 article", "12 articles … en 9 dépêches")
    box.appendChild(el("p", data.count_label));
    box.appendChild(chart(data));
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
      // the same dispatch carried by other outlets: one entry, as in digests
      hit.also.forEach(function (other) {
        var also = el("div", hit.also_label + " ", "also");
        var link = el("a", other.source);
        link.href = other.url;
        link.rel = "noopener noreferrer";
        also.appendChild(link);
        item.appendChild(also);
      });
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  // Articles per day: bars with the busiest day's count on the left and the
  // first, middle and last days under them; the caption says what is shown.
  function chart(data) {
    var figure = el("figure", null, "chart");
    var max = Math.max(data.most || 0, 1);
    var plot = el("div", null, "plot");
    plot.appendChild(el("span", String(data.most || 0), "y-max"));
    var bars = el("div", null, "bars");
    data.days.forEach(function (d) {
      var bar = el("span");
      bar.style.height = Math.round((d.count / max) * 100) + "%";
      bar.title = d.label + box.dataset.colon + " " + d.count;
      bars.appendChild(bar);
    });
    bars.setAttribute("aria-hidden", "true");
    plot.appendChild(bars);
    figure.appendChild(plot);
    var axis = el("div", null, "x-axis");
    var last = data.days.length - 1;
    [0, Math.floor(last / 2), last].forEach(function (i) {
      if (data.days[i]) { axis.appendChild(el("span", data.days[i].label)); }
    });
    figure.appendChild(axis);
    figure.appendChild(el("figcaption", box.dataset.axis.replace("{n}", data.most || 0)));
    return figure;
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
