/**
 * The lesson's figures: the numbers the scenario measured (trace.figures
 * names them in trace.summary), flattened into a table, "ttfb_rtt › tcp".
 * The card stays hidden for scenarios that measure nothing of their own.
 * A scenario's comparison (summary.chart, a bar chart: setup_tax's time to
 * the first byte per mode) is drawn above the table with uPlot, in round
 * trips on the left axis and milliseconds at this run's RTT on the right.
 */

import { $, h } from "./dom.js";
import { loadUplot } from "./uplot.js";

const BAR = "#2563eb";

function text(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en") : String(value);
  return String(value);
}

function flatten(key, value, out) {
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => v && typeof v === "object")) {
      value.forEach((v, i) => flatten(`${key} › ${i + 1}`, v, out));
    } else {
      out.push([key, value.map(text).join(", ") || "none"]);
    }
  } else if (value && typeof value === "object") {
    for (const [sub, inner] of Object.entries(value)) flatten(`${key} › ${sub}`, inner, out);
  } else {
    out.push([key, text(value)]);
  }
  return out;
}

export function figureRows(trace) {
  const summary = trace.summary || {};
  const rows = [];
  for (const key of trace.figures || []) {
    if (key !== "chart" && key in summary) flatten(key, summary[key], rows);
  }
  return rows;
}

/** UDP datagrams (QUIC's flights in setup_tax): events, not segments, so the ladder does not draw them. */
export function datagramRows(trace) {
  const rtt = trace.rtt_us || 1;
  const names = Object.fromEntries(trace.endpoints.map((e) => [e.ip, e.name]));
  return (trace.events || []).filter((e) => e.type === "datagram").map((e) => {
    const to = names[e.dst.split(":")[0]] || e.dst;
    const fate = e.lost ? "lost" : `arrives ${(e.arrives_us / rtt).toFixed(2)} RTT`;
    return [`${(e.t_us / rtt).toFixed(2)} RTT`, `${e.endpoint} → ${to}`, `${e.bytes} B`, `${e.label} (${fate})`];
  });
}

/** The bars of summary.chart: [{label, value, ms}]; ms only when the unit is round trips. */
export function chartBars(trace) {
  const chart = (trace.summary || {}).chart;
  if (!chart || chart.kind !== "bar") return [];
  const perRtt = chart.unit === "round trips" ? trace.rtt_us / 1000 : null;
  return chart.labels.map((label, i) => {
    const value = chart.values[i];
    const ms = perRtt !== null && value !== null ? Math.round(value * perRtt * 1000) / 1000 : null;
    return { label, value, ms };
  });
}

function barText(bar, unit) {
  if (bar.value === null) return `${bar.label}: no answer`;
  const main = unit === "round trips" ? `${bar.value} RTT` : `${bar.value} ${unit}`;
  return bar.ms !== null ? `${bar.label}: ${main} (${bar.ms} ms)` : `${bar.label}: ${main}`;
}

export class Figures {
  constructor() {
    this.chart = null;
    this.trace = null;
    this.box = $("figures-chart");
    window.addEventListener("resize", () => {
      if (this.chart) this.chart.setSize({ width: this.width(), height: 240 });
    });
  }

  width() {
    return Math.max(280, this.box.clientWidth || $("figures-card").clientWidth - 40);
  }

  drawChart(trace) {
    this.trace = trace;
    if (this.chart) {
      this.chart.destroy();
      this.chart = null;
    }
    const bars = chartBars(trace);
    this.box.hidden = bars.length === 0;
    delete this.box.dataset.ready;
    if (!bars.length) return;
    const { title, unit } = trace.summary.chart;
    this.box.setAttribute("aria-label", `${title}, in ${unit}: ` + bars.map((b) => barText(b, unit)).join("; "));
    const perRtt = bars.some((b) => b.ms !== null) ? trace.rtt_us / 1000 : null;
    const top = Math.max(1, ...bars.map((b) => b.value || 0)) * 1.35;
    const token = trace;
    loadUplot().then((uPlot) => {
      if (this.trace !== token) return;
      this.box.replaceChildren();
      const ink = getComputedStyle(this.box).color;  // the page's text colour, light or dark scheme
      const axes = [
        { stroke: ink, values: (u, splits) => splits.map((i) => (bars[i] ? bars[i].label : "")),
          splits: () => bars.map((_, i) => i), grid: { show: false } },
        { stroke: ink, label: unit === "round trips" ? "RTTs" : unit },
      ];
      if (perRtt !== null) {
        axes.push({ side: 1, scale: "y", label: "ms", stroke: ink, grid: { show: false },
          values: (u, splits) => splits.map((v) => String(Math.round(v * perRtt * 10) / 10)) });
      }
      this.chart = new uPlot({
        title, width: this.width(), height: 240,
        legend: { show: false }, cursor: { show: false },
        scales: { x: { time: false, range: [-0.6, bars.length - 0.4] }, y: { range: [0, top] } },
        axes,
        series: [{}, { label: unit, fill: BAR, stroke: BAR, paths: uPlot.paths.bars({ size: [0.6, 80] }),
          points: { show: false } }],
        hooks: { draw: [(u) => this.drawValues(u, bars, unit)] },
      }, [bars.map((_, i) => i), bars.map((b) => b.value)], this.box);
      this.box.dataset.ready = "true";
    }, (error) => {
      this.box.replaceChildren(h("p", { class: "crowd-missing" }, `No chart: ${error.message}.`));
    });
  }

  /** Each bar's figure above it: "3 RTT" and, under it, "300 ms". */
  drawValues(u, bars, unit) {
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = getComputedStyle(this.box).color;
    ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    bars.forEach((b, i) => {
      if (b.value === null) return;
      const x = u.valToPos(i, "x", true);
      const y = u.valToPos(b.value, "y", true) - 4 * devicePixelRatio;
      const lines = [unit === "round trips" ? `${b.value} RTT` : String(b.value)];
      if (b.ms !== null) lines.unshift(`${b.ms} ms`);
      lines.forEach((line, k) => ctx.fillText(line, x, y - k * 13 * devicePixelRatio));
    });
    ctx.restore();
  }

  setTrace(trace) {
    this.drawChart(trace);
    const rows = figureRows(trace);
    const datagrams = datagramRows(trace);
    $("figures-card").hidden = rows.length === 0 && datagrams.length === 0;
    $("figures").replaceChildren(...rows.map(([key, value]) =>
      h("tr", {}, h("th", { scope: "row" }, key), h("td", {}, value))));
    $("datagrams").hidden = datagrams.length === 0;
    $("datagram-rows").replaceChildren(...datagrams.map((cells) => h("tr", {}, ...cells.map((c) => h("td", {}, c)))));
  }
}
