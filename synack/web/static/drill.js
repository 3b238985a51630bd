/**
 * "Open script": a packetdrill script (.pkt) from the user's disk, sent to the
 * local synack server (POST /api/drill), run there against synack's engine,
 * and its run handed to the player as a trace. A script that fails still
 * plays up to its first mismatch, which the status line names.
 */

import { $, setText } from "./dom.js";

const MAX_BYTES = 256 * 1024;

export class DrillPanel {
  constructor({ onTrace }) {
    this.onTrace = onTrace;
    this.input = $("drill-file");
    this.status = $("drill-status");
    this.errorBox = $("drill-error");
    if (!this.input) return; // an exported page has no server to run scripts
    this.input.addEventListener("change", () => {
      const file = this.input.files && this.input.files[0];
      if (file) this.open(file);
    });
  }

  error(text) {
    this.errorBox.hidden = !text;
    setText(this.errorBox, text || "");
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
      setText(this.status, "");
      this.error(error.message === "Failed to fetch"
        ? "The synack server did not answer; is `synack serve` still running?" : error.message);
      return;
    }
    const verdict = trace.drill.status === "pass" ? "passes" : trace.drill.message;
    setText(this.status, `${file.name} under ${trace.profile}: ${verdict}`);
    this.onTrace(trace);
  }
}
