// The dashboard's charts (awda/templates/reports/dashboard.html), drawn with the vendored
// Chart.js from the JSON in the json_script block #dashboard-data: no inline script.
// A suppressed count arrives as null and is drawn as a gap, never as a value. On a
// right-to-left page the legends, tooltips and axes run right to left. Without
// JavaScript the tables beside each chart say the same.
(function () {
  "use strict";
  var colours = ["#0b5d57", "#b35c00", "#7a2e8e", "#1f3b70", "#2e7d32", "#a61b4a"];

  function options(rtl, extra) {
    var base = {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr", labels: { boxWidth: 12 } },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
      },
      scales: {
        x: { reverse: rtl, ticks: { autoSkip: true } },
        y: { position: rtl ? "right" : "left", beginAtZero: true, ticks: { precision: 0 } }
      }
    };
    if (extra && extra.y) {
      Object.keys(extra.y).forEach(function (k) { base.scales.y[k] = extra.y[k]; });
    }
    return base;
  }

  function measureSets(data, part, kind) {
    return data.measures.map(function (m, i) {
      var colour = colours[i % colours.length];
      return {
        label: m.label,
        data: part.series[m.key],
        borderColor: colour,
        backgroundColor: colour,
        spanGaps: false,
        tension: 0,
        pointRadius: kind === "line" ? 3 : undefined
      };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var rtl = document.documentElement.getAttribute("dir") === "rtl";
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;

    var draw = {
      months: function (canvas) {
        return new Chart(canvas, {
          type: "line",
          data: { labels: data.months.labels, datasets: measureSets(data, data.months, "line") },
          options: options(rtl)
        });
      },
      camps: function (canvas) {
        return new Chart(canvas, {
          type: "bar",
          data: { labels: data.camps.labels, datasets: measureSets(data, data.camps, "bar") },
          options: options(rtl)
        });
      },
      coverage: function (canvas) {
        var c = data.coverage;
        return new Chart(canvas, {
          type: "bar",
          data: {
            labels: c.labels,
            datasets: [
              { label: c.text.due, data: c.due, backgroundColor: "#9fb8b5" },
              { label: c.text.done, data: c.done, backgroundColor: colours[0] }
            ]
          },
          options: options(rtl)
        });
      },
      scores: function (canvas) {
        var s = data.scores;
        var keys = ["economic", "social", "psychosocial", "composite"];
        return new Chart(canvas, {
          type: "bar",
          data: {
            labels: s.labels,
            datasets: keys.map(function (k, i) {
              return { label: s.text[k], data: s.series[k], backgroundColor: colours[i] };
            })
          },
          options: options(rtl, { y: { min: 0, max: 1, ticks: { precision: 2 } } })
        });
      }
    };

    document.querySelectorAll("canvas[data-dashboard-chart]").forEach(function (canvas) {
      var kind = canvas.getAttribute("data-dashboard-chart");
      if (draw[kind]) { draw[kind](canvas); }
    });
  });
})();
