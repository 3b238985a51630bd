/**
 * The crowd: sockets per state and the lesson's counters over time, from the
 * trace's "crowd" columns (docs/trace-format.md), drawn with uPlot (loaded
 * on demand by uplot.js). The ladder beside it follows the one
 * featured connection; this card says which. The run's figures are in the
 * figures card (figures.js).
 */

import { $, h, setText } from "./dom.js";
import { renameStates } from "./statenames.js";
import { loadUplot } from "./uplot.js";

const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];

export class Crowd {
  constructor() {
    this.card = $("crowd-card");
    this.plotBox = $("crowd-plot");
    this.chart = null;
    this.trace = null;
    this.markUs = 0;
    window.addEventListener("resize", () => this.resize());
  }

  setTrace(trace) {
    this.trace = trace;
    const crowd = trace.crowd;
    if (this.chart) {
      this.chart.destroy();
      this.chart = null;
    }
    this.card.hidden = !crowd;
    if (!crowd) return;
    const featured = (trace.featured || [])[0];
    setText($("crowd-note"), featured
      ? `The ladder follows one connection, ${featured.a} ⇄ ${featured.b}; every other one is counted here.`
      : "Every connection is in the ladder; here they are counted.");
    const byKey = new Map(crowd.series.map((s) => [s.key, s]));
    const shown = (crowd.plot.length ? crowd.plot : crowd.series.filter((s) => s.kind !== "counter").map((s) => s.key))
      .map((k) => byKey.get(k)).filter(Boolean);
    this.plotBox.setAttribute("aria-label",
      `Chart over ${Math.round(crowd.t_us[crowd.t_us.length - 1] / 1e6)} s: ` +
      shown.map((s) => `${s.host} ${renameStates(s.label)} peaks at ${Math.max(...s.values)}`).join("; "));
    const data = [crowd.t_us.map((t) => t / 1e6), ...shown.map((s) => s.values)];
    const series = [{ label: "time (s)" }, ...shown.map((s, i) => ({
      label: `${s.host} ${renameStates(s.label)}`, stroke: COLOURS[i % COLOURS.length], width: 2,
    }))];
    const token = trace;
    loadUplot().then((uPlot) => {
      if (this.trace !== token) return;
      this.plotBox.replaceChildren();
      this.chart = new uPlot({
        width: this.width(), height: 260, series,
        scales: { x: { time: false } },
        axes: [{ label: "time (s)" }, { label: "sockets / count" }],
        legend: { live: true },
        hooks: { draw: [(u) => this.drawMark(u)] },
      }, data, this.plotBox);
      this.card.dataset.ready = "true";
    }, (error) => {
      this.plotBox.replaceChildren(h("p", { class: "crowd-missing" }, `No chart: ${error.message}.`));
    });
  }

  /** Where the ladder's current step stands on the chart's time axis. */
  mark(us) {
    this.markUs = us;
    this.card.dataset.markUs = String(us);
    if (this.chart) this.chart.redraw(false, false);
  }

  drawMark(u) {
    const x = Math.round(u.valToPos(this.markUs / 1e6, "x", true));
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = "#64748b";
    ctx.setLineDash([4, 4]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  width() {
    return Math.max(280, this.plotBox.clientWidth || this.card.clientWidth - 40);
  }

  resize() {
    if (this.chart) this.chart.setSize({ width: this.width(), height: 260 });
  }
}
