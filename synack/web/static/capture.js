/**
 * "Open capture": a pcap or pcapng file from the user's disk, uploaded to the
 * local synack server (POST /api/capture), its TCP connections listed, and the
 * chosen one handed to the player as a trace (GET /api/capture/{id}/{n}), the
 * same format a simulated run has. The server answers errors with one sentence.
 */

import { $, h, setText } from "./dom.js";
import { FilePanel } from "./filepanel.js";
import { stateLabel } from "./statenames.js";

/** The server's limit, said before uploading so a huge file fails at once. */
const MAX_BYTES = 32 * 1024 * 1024;

async function answer(response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error((body && body.error) || `The server answered ${response.status}.`);
  return body;
}

export class CapturePanel extends FilePanel {
  constructor({ onTrace }) {
    super({ input: "capture-file", status: "capture-status", error: "capture-error", onTrace });
    this.capture = null;
    this.list = $("capture-list");
  }

  async open(file) {
    this.error(null);
    this.list.replaceChildren();
    if (file.size > MAX_BYTES) {
      this.error(`${file.name} is larger than ${MAX_BYTES / 1024 / 1024} MB, the most the page takes; ` +
        "use 'synack replay FILE' in a terminal for large files.");
      return;
    }
    setText(this.status, `Reading ${file.name}…`);
    let listing;
    try {
      const response = await fetch(`/api/capture?name=${encodeURIComponent(file.name)}`, {
        method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
      });
      listing = await answer(response);
    } catch (error) {
      this.failed(error);
      return;
    }
    this.capture = listing;
    const n = listing.connections.length;
    setText(this.status, `${listing.file}: ${n} TCP connection${n === 1 ? "" : "s"}, ${listing.packets} packets.` +
      (listing.warnings.length ? ` ${listing.warnings.join(" ")}` : ""));
    this.showList();
    if (n) this.pick(listing.connections[0].conn);
  }

  /** The connections of the open capture, their final states in the page's spelling. */
  showList() {
    if (!this.capture) return;
    const pressed = this.list.querySelector("button[aria-pressed=true]");
    this.list.replaceChildren();
    for (const row of this.capture.connections) {
      const ends = `${stateLabel(row.final_states.client)} / ${stateLabel(row.final_states.server)}`;
      const button = h("button", { type: "button", class: "capture-conn", dataset: { conn: row.conn } },
        h("span", { class: "capture-ends" }, `${row.conn}  ${row.client} → ${row.server}`),
        h("span", { class: "capture-facts" }, `${row.packets} packets · ${row.ended} · ${ends}`));
      if (pressed) button.setAttribute("aria-pressed", pressed.dataset.conn === String(row.conn) ? "true" : "false");
      button.addEventListener("click", () => this.pick(row.conn));
      this.list.append(h("li", {}, button));
    }
  }

  async pick(number) {
    if (!this.capture) return;
    this.error(null);
    for (const b of this.list.querySelectorAll("button")) {
      b.setAttribute("aria-pressed", b.dataset.conn === String(number) ? "true" : "false");
    }
    try {
      const trace = await answer(await fetch(`/api/capture/${this.capture.id}/${number}`));
      this.onTrace(trace);
    } catch (error) {
      this.error(error.message);
    }
  }
}
