/**
 * A file the user picks, sent to the local synack server, and what comes back
 * handed to the player: what "Open capture" and "Open script" share (the input,
 * the status line, the error box, the sentence when the server is gone).
 */

import { $, setText } from "./dom.js";

export class FilePanel {
  constructor({ input, status, error, onTrace }) {
    this.onTrace = onTrace;
    this.input = $(input);
    this.status = $(status);
    this.errorBox = $(error);
    if (!this.input) return; // an exported page has no server to send files to
    this.input.addEventListener("change", () => {
      const file = this.input.files && this.input.files[0];
      if (file) this.open(file);
    });
  }

  error(text) {
    this.errorBox.hidden = !text;
    setText(this.errorBox, text || "");
  }

  /** The sentence for a failed request: the server's own, or that it did not answer. */
  failed(error) {
    setText(this.status, "");
    this.error(error.message === "Failed to fetch"
      ? "The synack server did not answer; is `synack serve` still running?" : error.message);
  }
}
