/**
 * The packet inspector: one segment's header fields (decoded from the real
 * bytes), its options as the engine decoded them, and the hex of the whole
 * IPv4 packet, coloured by layer. Hovering a field lights up its bytes.
 */

import { $, h } from "./dom.js";
import { displayName, flagsName, formatRtts, segmentKind } from "./format.js";
import { decodePacket, hexToBytes } from "./decode.js";
import { endTimeUs } from "./model.js";

// A full-sized segment is 1500 bytes; the first few rows say what the bytes look like.
const MAX_HEX_BYTES = 320;

// What each option is for, in a few words (RFC 9293 3.2, RFC 2018, RFC 7323, RFC 7413).
const OPTION_MEANINGS = {
  mss: "largest segment this side accepts",
  sackok: "selective ACKs allowed",
  sack: "blocks received beyond a gap",
  ts: "timestamps: RTT measurement and PAWS",
  nop: "padding to a 4-byte boundary",
  eol: "end of the option list",
  wscale: "window scale: shift the window left",
  tfo: "TCP Fast Open cookie",
  fastopen: "TCP Fast Open cookie",
};

export class Inspector {
  constructor() {
    this.root = $("inspector");
    this.pick = $("inspect-pick");
    this.trace = null;
    this.index = null;
    this.pick.addEventListener("change", () => {
      const v = this.pick.value;
      this.show(v === "" ? null : Number(v));
    });
  }

  setTrace(trace) {
    this.trace = trace;
    const options = [h("option", { value: "" }, "Current segment")];
    trace.steps.forEach((s, i) => {
      const seg = s.segment;
      options.push(
        h("option", { value: String(i) }, `#${i + 1} ${seg.from} → ${seg.to} ${flagsName(seg.flags)}${seg.lost ? " (lost)" : ""}`),
      );
    });
    this.pick.replaceChildren(...options);
  }

  /** Follow the stepper: show the segment that step k just delivered. */
  follow(k) {
    this.pick.value = "";
    this.show(k > 0 ? k - 1 : null, true);
  }

  show(index, following = false) {
    this.index = index;
    if (!following && index !== null) this.pick.value = String(index);
    if (index === null || !this.trace || !this.trace.steps[index]) {
      this.root.replaceChildren(
        h("p", { class: "insp-empty" }, "Nothing has been sent yet. Step forward, or pick any segment from the list above."),
      );
      return;
    }
    const trace = this.trace;
    const step = trace.steps[index];
    const seg = step.segment;
    const rtt = trace.rtt_us;
    const bytes = hexToBytes(seg.ip_hex);
    const decoded = decodePacket(bytes);

    const when = seg.lost
      ? `sent at ${formatRtts(step.sent_us, rtt)} RTT, lost`
      : `sent at ${formatRtts(step.sent_us, rtt)} RTT, arrived at ${formatRtts(endTimeUs(trace, index), rtt)} RTT`;
    const head = h(
      "div",
      { class: "insp-head" },
      h("span", { class: `chip kind-${segmentKind(seg)}` }, flagsName(seg.flags)),
      h("span", { class: "insp-route" }, `#${index + 1} · ${displayName(seg.from)} → ${displayName(seg.to)}`),
      h("span", { class: "insp-when" }, when),
    );
    const tcpdump = h("p", { class: "tcpdump" }, `${seg.src} > ${seg.dst}: ${seg.tcpdump}`);

    // One table per layer, so wide screens can set IPv4 and TCP side by side.
    const tables = [];
    for (const layer of ["IPv4", "TCP"]) {
      const rows = decoded.fields.filter((f) => f.layer === layer).map((f) => {
        let value = f.value;
        if (f.name === "Sequence number") value = `${f.value} (relative ${seg.seq})`;
        if (f.name === "Acknowledgment number" && seg.flags.includes("ACK")) value = `${f.value} (relative ${seg.ack})`;
        return h(
          "tr",
          { dataset: { start: String(f.start), end: String(f.end) } },
          h("th", { scope: "row" }, f.name),
          h("td", {}, value),
        );
      });
      if (rows.length) tables.push(h("table", { class: "fields" }, h("caption", {}, `${layer} header`), h("tbody", {}, rows)));
    }
    if (decoded.error) tables.push(h("p", { class: "insp-none" }, `The bytes could not be read: ${decoded.error}.`));

    const opts = seg.options_detail && seg.options_detail.length
      ? h("ul", { class: "opts" }, seg.options_detail.map((o) => {
        const rest = o.text.startsWith(o.name) ? o.text.slice(o.name.length).trim() : o.text;
        const meaning = OPTION_MEANINGS[o.name.toLowerCase()];
        return h("li", {}, h("b", {}, o.name), rest ? ` ${rest}` : "", meaning ? h("span", { class: "opt-meaning" }, meaning) : "");
      }))
      : h("p", { class: "insp-none" }, "No options.");

    const hex = this.hexDump(bytes, decoded.regions);
    const legend = h(
      "p",
      { class: "hex-legend", "aria-hidden": "true" },
      decoded.regions.map((r) => h("span", { class: `swatch r-${r.name}` }, { ip: "IPv4 header", tcp: "TCP header", options: "options", payload: "payload" }[r.name])),
    );

    const side = h(
      "div",
      { class: "insp-side" },
      h("h3", {}, "Options"),
      opts,
      h("h3", {}, `Bytes on the wire (${bytes.length})`),
      hex,
      legend,
    );
    const cols = h("div", { class: "insp-cols" }, tables, side);
    this.root.replaceChildren(head, tcpdump, cols);

    // Point at a field's bytes while the pointer is on its row.
    const spans = hex.querySelectorAll(".b");
    cols.addEventListener("mouseover", (event) => {
      const tr = event.target.closest("tr[data-start]");
      spans.forEach((s) => s.classList.remove("hl"));
      if (!tr) return;
      const start = Number(tr.dataset.start);
      const end = Math.min(Number(tr.dataset.end), spans.length);
      for (let i = start; i < end; i++) spans[i].classList.add("hl");
    });
    cols.addEventListener("mouseleave", () => spans.forEach((s) => s.classList.remove("hl")));
  }

  hexDump(bytes, regions) {
    const regionOf = (i) => {
      const r = regions.find((g) => i >= g.start && i < g.end);
      return r ? r.name : "other";
    };
    const shown = Math.min(bytes.length, MAX_HEX_BYTES);
    const lines = [];
    for (let row = 0; row < shown; row += 16) {
      const cells = [];
      for (let i = row; i < Math.min(row + 16, shown); i++) {
        cells.push(h("span", { class: `b r-${regionOf(i)}` }, bytes[i].toString(16).padStart(2, "0")));
      }
      lines.push(h("div", { class: "hex-row" }, h("span", { class: "hex-off" }, row.toString(16).padStart(4, "0")), h("span", { class: "hex-bytes" }, cells)));
    }
    if (bytes.length > shown) {
      lines.push(h("div", { class: "hex-more" }, `… ${bytes.length - shown} more bytes of payload; the pcap download has them all.`));
    }
    return h("div", { class: "hex", role: "group", "aria-label": "Segment bytes in hexadecimal" }, lines);
  }
}
