// Report charts and the print button. No inline script: chart data and translated labels come from
// <script type="application/json"> blocks written by the template; each chart's table is its text.
(() => {
  "use strict";
  const COLOURS = ["#0b5cad", "#b45f06", "#1e7b3a", "#7a4bb3"];  // each at least 3:1 against white
  const charts = [];
  const printing = () => document.querySelector(".print-pack") !== null;

  function readData(id) {
    const block = document.getElementById(id);
    if (!block) return null;
    try {
      return JSON.parse(block.textContent);
    } catch (error) {
      return null;
    }
  }

  function shorten(label, max) {
    return label.length > max ? `${label.slice(0, max - 1)}…` : label;
  }

  function draw(box) {
    const data = readData(box.dataset.chart);
    if (!data || !data.labels.length || typeof window.Chart === "undefined") {
      box.closest("figure").hidden = true;
      return;
    }
    const locale = document.documentElement.lang || undefined;
    const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
    const percent = data.unit === "%";
    const show = (value) => (value === null ? "—" : `${number.format(value)}${percent ? "%" : ` ${data.unit}`}`);
    // On paper a chart must fit one A4 landscape page: thinner bars, at most 150 mm high.
    const height = (perBar, most) => `${Math.min(most, Math.max(140, data.labels.length * perBar + 70))}px`;
    box.dataset.screenHeight = height(data.series.length * 16 + 10, Infinity);
    box.dataset.printHeight = height(Math.max(14, data.series.length * 8 + 4), 560);
    box.style.height = printing() ? box.dataset.printHeight : box.dataset.screenHeight;
    const narrow = window.matchMedia("(max-width: 600px)").matches;
    const still = printing() || window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    charts.push(new window.Chart(box.querySelector("canvas"), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map((series, i) => ({
          label: series.label, data: series.data, backgroundColor: COLOURS[i % COLOURS.length],
          borderRadius: 2, maxBarThickness: 18, categoryPercentage: 0.8, barPercentage: 0.9,
        })),
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 300 },
        plugins: {
          legend: { position: "top", align: "start", display: data.series.length > 1 },
          tooltip: {
            callbacks: { label: (ctx) => `${ctx.dataset.label}: ${show(ctx.parsed.x)}` },
          },
        },
        scales: {
          x: {
            beginAtZero: true,
            suggestedMax: percent ? 100 : undefined,
            ticks: { callback: (value) => (percent ? `${value}%` : `${value} ${data.unit}`) },
          },
          y: {
            ticks: {
              autoSkip: false,
              callback(value) { return shorten(this.getLabelForValue(value), narrow ? 9 : 18); },
            },
          },
        },
      },
    }));
  }

  function resizeFor(paper) {
    charts.forEach((chart) => {
      const box = chart.canvas.parentNode;
      box.style.height = paper || printing() ? box.dataset.printHeight : box.dataset.screenHeight;
      // Before printing the layout is still the screen's: give the chart the paper's width (A4 landscape).
      if (paper) chart.resize(Math.min(box.clientWidth, 1000), parseInt(box.dataset.printHeight, 10));
      else chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof window.Chart !== "undefined") {
      const font = window.getComputedStyle(document.documentElement).fontFamily;
      if (font) window.Chart.defaults.font.family = font;
      window.Chart.defaults.color = "#1d2330";
    }
    document.querySelectorAll("[data-chart]").forEach(draw);
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
    // Charts follow the paper's width when printed, and the screen's after.
    window.addEventListener("beforeprint", () => resizeFor(true));
    window.addEventListener("afterprint", () => resizeFor(false));
  });
})();
