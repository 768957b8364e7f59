/* journeylens dashboard: draws the charts (Plotly.js, shipped with the page), follows
   drill-down links on chart points, tidies the filter form, and runs the live moment feed. */
(function () {
  "use strict";
  var OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
  var AXIS = { gridcolor: "#e3e3e3", zerolinecolor: "#bdbdbd", linecolor: "#8c8c8c", automargin: true,
               tickfont: { size: 12 }, title: { font: { size: 13 } } };
  var TEMPLATE = { layout: {
    font: { family: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", size: 13, color: "#1a1a1a" },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", colorway: OKABE_ITO,
    xaxis: AXIS, yaxis: AXIS, hoverlabel: { font: { size: 13 } },
    legend: { font: { size: 12 } }, margin: { t: 30, r: 20, b: 40, l: 10 }
  } };

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) { return; }
    var fig = JSON.parse(source.textContent);
    var layout = fig.layout || {};
    layout.template = TEMPLATE;
    layout.autosize = true;
    delete layout.width;
    window.Plotly.newPlot(el, fig.data || [], layout, {
      responsive: true, displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]
    }).then(function () { el.classList.add("drawn"); });
    el.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var target = point && point.customdata;
      var served = window.location.protocol === "http:" || window.location.protocol === "https:";
      if (served && typeof target === "string" && target.charAt(0) === "/") { window.location.assign(target); }
    });
  }

  function tidyFilters(form) {
    form.addEventListener("submit", function () {
      var fields = form.querySelectorAll("input, select");
      for (var i = 0; i < fields.length; i++) {
        if (!fields[i].value) { fields[i].disabled = true; }
      }
    });
  }

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) { node.className = cls; }
    return node;
  }

  function liveFeed(list) {
    if (!window.EventSource) { return; }
    var status = document.getElementById("feed-status");
    var source = new EventSource(list.getAttribute("data-stream"));
    source.addEventListener("moment", function (event) {
      var m = JSON.parse(event.data);
      var item = document.createElement("li");
      item.className = "new";
      item.appendChild(text("b", m.rule || "moment"));
      item.appendChild(document.createTextNode(" · " + (m.fired_at || m.ts || "") + " · "));
      var link = document.createElement("a");
      link.href = "/customers?q=" + encodeURIComponent(m.customer_key || "");
      link.textContent = m.customer_key || "";
      item.appendChild(link);
      if (m.holdout) { item.appendChild(text("span", " (hold-out: no action)")); }
      list.insertBefore(item, list.firstChild);
      while (list.children.length > 200) { list.removeChild(list.lastChild); }
      if (status) { status.textContent = "Live: last moment at " + new Date().toLocaleTimeString(); }
    });
    source.onerror = function () { if (status) { status.textContent = "Reconnecting to the live feed…"; } };
    source.onopen = function () { if (status) { status.textContent = "Live: waiting for moments."; } };
  }

  function start() {
    var charts = document.querySelectorAll(".chart[data-figure]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
    var forms = document.querySelectorAll("form.filters, form.funnel-form");
    for (var j = 0; j < forms.length; j++) { tidyFilters(forms[j]); }
    var feed = document.getElementById("moment-feed");
    if (feed) { liveFeed(feed); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
