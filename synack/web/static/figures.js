/**
 * The lesson's figures: the numbers the scenario measured (trace.figures
 * names them in trace.summary), flattened into a table, "ttfb_rtt › tcp".
 * The card stays hidden for scenarios that measure nothing of their own.
 */

import { $, h } from "./dom.js";

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

export class Figures {
  setTrace(trace) {
    const rows = figureRows(trace);
    const datagrams = datagramRows(trace);
    $("figures-card").hidden = rows.length === 0 && datagrams.length === 0;
    $("figures").replaceChildren(...rows.map(([key, value]) =>
      h("tr", {}, h("th", { scope: "row" }, key), h("td", {}, value))));
    $("datagrams").hidden = datagrams.length === 0;
    $("datagram-rows").replaceChildren(...datagrams.map((cells) => h("tr", {}, ...cells.map((c) => h("td", {}, c)))));
  }
}
