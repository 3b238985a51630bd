/**
 * "Open script": a packetdrill script (.pkt) from the user's disk, sent to the
 * local synack server (POST /api/drill), run there against synack's engine,
 * and its run handed to the player as a trace. A script that fails still
 * plays up to its first mismatch, which the status line names.
 */

import { $, setText } from "./dom.js";
import { FilePanel } from "./filepanel.js";

const MAX_BYTES = 256 * 1024;

export class DrillPanel extends FilePanel {
  constructor({ onTrace }) {
    super({ input: "drill-file", status: "drill-status", error: "drill-error", onTrace });
  }

  async open(file) {
    this.error(null);
    if (file.size > MAX_BYTES) {
      this.error(`${file.name} is larger than ${MAX_BYTES / 1024} KB; a packetdrill script is a few KB of text.`);
      return;
    }
    const profile = ($("profile") && $("profile").value) || "linux";
    setText(this.status, `Running ${file.name}…`);
    let trace;
    try {
      const response = await fetch(
        `/api/drill?profile=${encodeURIComponent(profile)}&name=${encodeURIComponent(file.name)}`,
        { method: "POST", body: await file.text(), headers: { "Content-Type": "text/plain; charset=utf-8" } });
      trace = await response.json().catch(() => null);
      if (!response.ok) throw new Error((trace && trace.error) || `The server answered ${response.status}.`);
    } catch (error) {
      this.failed(error);
      return;
    }
    const verdict = trace.drill.status === "pass" ? "passes" : trace.drill.message;
    setText(this.status, `${file.name} under ${trace.profile}: ${verdict}`);
    this.onTrace(trace);
  }
}
