/**
 * uPlot, the chart library in static/vendor, loaded once and only when a run
 * has something to chart (the crowd's counts in crowd.js, a lesson's
 * comparison in figures.js), so the other lessons do not pay for it. An
 * exported page carries it inline, so window.uPlot is already there.
 */

import { h } from "./dom.js";

const UPLOT_JS = "/static/vendor/uPlot.iife.min.js";
const UPLOT_CSS = "/static/vendor/uPlot.min.css";

let loading = null;

export function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      document.head.append(h("link", { rel: "stylesheet", href: UPLOT_CSS }));
      const script = h("script", { src: UPLOT_JS });
      script.addEventListener("load", () => resolve(window.uPlot));
      script.addEventListener("error", () => reject(new Error("the chart library did not load")));
      document.head.append(script);
    });
  }
  return loading;
}
