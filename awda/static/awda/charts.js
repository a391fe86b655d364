// Scores over time on the psychosocial page: data from a JSON script tag (not executed),
// drawn with the vendored Chart.js. No inline script.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.querySelector("canvas[data-chart=scores]");
    var data = document.getElementById("scores-data");
    if (!canvas || !data || typeof Chart === "undefined") { return; }
    var series = JSON.parse(data.textContent);
    var colours = { who5: "#0b5d57", k6: "#b35c00", k10: "#7a2e8e" };
    var names = { who5: "WHO-5 %", k6: "K6", k10: "K10" };
    var datasets = Object.keys(series).filter(function (k) { return series[k].length; }).map(function (k) {
      return {
        label: names[k],
        data: series[k].map(function (p) { return { x: p.date, y: p.score }; }),
        borderColor: colours[k],
        backgroundColor: colours[k],
        tension: 0.2
      };
    });
    var labels = Array.from(new Set([].concat.apply([], Object.keys(series).map(function (k) {
      return series[k].map(function (p) { return p.date; });
    })))).sort();
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: { parsing: { xAxisKey: "x", yAxisKey: "y" }, scales: { y: { beginAtZero: true } } }
    });
  });
})();
