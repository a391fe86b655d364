// Awda's only script of its own: no inline scripts anywhere, so a strict
// Content-Security-Policy can forbid them.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // HTMX requests carry the CSRF token from the page.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.getAttribute("data-csrf");
    if (token) { event.detail.headers["X-CSRFToken"] = token; }
  });
})();
// Charts: <canvas data-chart="line|bar" data-series="ID"> is drawn with the vendored
// Chart.js (loaded by the page) from the JSON in the json_script block #ID:
// {"labels": [...], "datasets": [{"label": "...", "data": [numbers or null]}]}.
// Scores run from 0 to 1.
(function () {
  "use strict";
  var colours = ["#0b5d57", "#b35c00", "#7a2e8e", "#1f3b70"];
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-series"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      new Chart(canvas, {
        type: canvas.getAttribute("data-chart") === "bar" ? "bar" : "line",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (set, i) {
            var colour = colours[i % colours.length];
            return { label: set.label, data: set.data, borderColor: colour,
                     backgroundColor: colour, spanGaps: true, tension: 0.2 };
          })
        },
        options: { scales: { y: { min: 0, max: 1 } } }
      });
    });
  });
})();
// Reconciling an edit refused as stale (awda/registry/conflicts.py): beside each field
// whose saved value differs, "keep mine" and "take the saved value" are radio buttons
// with data-awda-fill='{"input name": ["value", ...]}'; choosing one fills the inputs
// with that value, so the form shows what the next save keeps. Without the script the
// server applies the choice all the same.
(function () {
  "use strict";
  function fill(input, wanted, label) {
    if (input.type === "checkbox" || input.type === "radio") {
      input.checked = wanted.indexOf(input.value) !== -1;
      return;
    }
    var value = wanted.length ? wanted[0] : "";
    if (input.tagName === "SELECT" && value !== "" &&
        !Array.prototype.some.call(input.options, function (o) { return o.value === value; })) {
      input.add(new Option(label || value, value));
    }
    input.value = value;
  }
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches("input[type=radio][data-awda-fill]") ||
        !radio.checked || !radio.form) { return; }
    var values = JSON.parse(radio.getAttribute("data-awda-fill"));
    var label = radio.getAttribute("data-awda-label");
    Object.keys(values).forEach(function (name) {
      Array.prototype.forEach.call(radio.form.elements, function (input) {
        if (input.name === name) { fill(input, values[name], label); }
      });
    });
  });
})();
