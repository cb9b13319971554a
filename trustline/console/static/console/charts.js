/* Programme dashboards: draw each <canvas data-chart="line|bar" data-table="ID"> from the table it names.
 * The table is the source of truth (and what screen readers and no-JS users get); first column = labels,
 * every numeric column after it = a data set. The SLA chart plots only its last column (attainment %).
 * Chart.js is vendored (static/vendor/chartjs); no inline script, so the strict CSP holds.
 */
(function () {
  "use strict";
  var palette = ["#0b5cad", "#b3261e", "#2e7d32", "#6a1b9a", "#ef6c00"];

  function draw(canvas) {
    if (typeof window.Chart === "undefined") return;
    var table = document.getElementById(canvas.getAttribute("data-table"));
    if (!table) return;
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    var rows = Array.prototype.map.call(table.querySelectorAll("tbody tr"), function (tr) {
      return Array.prototype.map.call(tr.querySelectorAll("td"), function (td) { return td.textContent.trim(); });
    }).filter(function (r) { return r.length === headers.length; });
    var kind = canvas.getAttribute("data-chart") === "line" ? "line" : "bar";
    var columns = kind === "line" ? [headers.length - 1] : [];
    if (!columns.length) for (var i = 1; i < headers.length; i++) columns.push(i);
    var datasets = columns.map(function (col, n) {
      return {
        label: headers[col],
        data: rows.map(function (r) { return parseFloat(r[col]) || 0; }),
        borderColor: palette[n % palette.length],
        backgroundColor: palette[n % palette.length],
      };
    });
    var rtl = document.documentElement.dir === "rtl";
    new window.Chart(canvas, {
      type: kind,
      data: { labels: rows.map(function (r) { return r[0]; }), datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        locale: document.documentElement.lang || "en",
        plugins: { legend: { rtl: rtl, display: datasets.length > 1 } },
        scales: { x: { reverse: rtl }, y: { beginAtZero: true } },
      },
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
