/**
 * The ladder: one row per phase of the connection's life, each with the
 * segments of that phase drawn as rungs between the two endpoints' rails,
 * and the time its own segment arrived (the header clock's number then).
 * The current phase carries aria-current="step"; a click jumps to it.
 */

import { $, h } from "./dom.js";
import { flagsName, formatRtts, segmentKind } from "./format.js";
import { endTimeUs, lanePosition, phaseSteps, stepForPhase } from "./model.js";

function splitLabel(label) {
  // "01 SYN" reads best as a number column and a name column.
  const m = /^(\d+)\s+(.*)$/.exec(label);
  return m ? [m[1], m[2]] : ["", label];
}

export class Ladder {
  constructor({ onJump }) {
    this.list = $("ladder");
    this.onJump = onJump;
    this.trace = null;
    this.rows = [];
    this.arrows = [];
    this.list.addEventListener("click", (event) => {
      const li = event.target.closest("li");
      if (!li || !this.list.contains(li)) return;
      const step = stepForPhase(this.trace, Number(li.dataset.phase));
      if (step !== null) this.onJump(step);
    });
  }

  setTrace(trace) {
    this.trace = trace;
    const [left, right] = trace.endpoints;
    $("ladder-left").textContent = left ? left.name : "";
    $("ladder-right").textContent = right ? right.name : "";
    const groups = phaseSteps(trace);
    this.arrows = [];
    this.rows = trace.phases.map((phase, p) => {
      const [num, name] = splitLabel(phase.label);
      const steps = groups[p] || [];
      const lane = h("span", { class: "rung-lane", "aria-hidden": "true" });
      for (const i of steps) {
        const seg = trace.steps[i].segment;
        const from = lanePosition(trace, seg.from);
        const to = lanePosition(trace, seg.to);
        const arrow = h(
          "span",
          {
            class: `rung kind-${segmentKind(seg)} ${to >= from ? "dir-right" : "dir-left"}${seg.lost ? " rung-lost" : ""}${from === 0.5 || to === 0.5 ? " rung-half" : ""}`,
            dataset: { step: String(i), from: String(from), to: String(to) },
          },
          h("span", { class: "rung-text" }, `${flagsName(seg.flags)}${seg.len ? ` ${seg.len} B` : ""}${seg.lost ? " ✕" : ""}`),
        );
        this.arrows[i] = arrow;
        lane.append(arrow);
      }
      // The phase's moment: when its own segment arrived, the same number the clock shows at that step.
      const own = stepForPhase(trace, p);
      const time = own === null ? "not in this run" : `${formatRtts(endTimeUs(trace, own - 1), trace.rtt_us)} RTT`;
      const row = h(
        "li",
        { class: `rung-row${steps.length ? "" : " rung-empty"}`, dataset: { phase: String(p) } },
        h(
          "button",
          { type: "button", class: "rung-button", disabled: steps.length === 0 },
          h("span", { class: "rung-num" }, num),
          " ",
          h("span", { class: "rung-name" }, name),
          lane,
          h("span", { class: "rung-time" }, time),
        ),
      );
      return row;
    });
    this.list.replaceChildren(...this.rows);
  }

  /** Mark progress at step k (k segments have arrived). */
  update(k) {
    const trace = this.trace;
    const current = k > 0 ? trace.steps[k - 1].phase : null;
    this.rows.forEach((row, p) => {
      if (p === current) row.setAttribute("aria-current", "step");
      else row.removeAttribute("aria-current");
      const steps = phaseSteps(trace)[p] || [];
      const done = steps.length > 0 && steps[steps.length - 1] < k;
      const started = steps.length > 0 && steps[0] < k;
      row.classList.toggle("done", done);
      row.classList.toggle("future", !started);
    });
    this.arrows.forEach((arrow, i) => {
      if (!arrow) return;
      arrow.classList.toggle("rung-future", i >= k);
      arrow.classList.toggle("rung-now", i === k - 1);
    });
    const row = current === null ? null : this.rows[current];
    // Keep the highlighted row in view inside its own scroll box, not the page.
    if (row && this.list.scrollHeight > this.list.clientHeight) {
      const top = row.offsetTop - this.list.offsetTop;
      if (top < this.list.scrollTop || top + row.offsetHeight > this.list.scrollTop + this.list.clientHeight) {
        this.list.scrollTop = top - this.list.clientHeight / 3;
      }
    }
  }
}
