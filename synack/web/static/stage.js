/**
 * The two boxes and the wire: endpoint states, the packet in flight, the
 * TIME_WAIT countdown and the RTT clock.
 *
 * One requestAnimationFrame loop drives the packet, its trail, the clock and
 * the countdowns together, touching only `transform`, `opacity` and text, so
 * a frame costs well under a millisecond and the compositor does the rest.
 */

import { $, setText } from "./dom.js";
import {
  displayName, flagsName, formatDuration, formatRtts, segmentKind, segmentNumbers, stateGroup,
} from "./format.js";
import {
  clockAt, departureStates, endTimeUs, frameAt, lanePosition, statesAt, timeWait, tcpEndpoints,
} from "./model.js";
import { stateLabel } from "./statenames.js";

// Milliseconds at 1x: long enough to read the flags as the packet moves.
const TRAVEL_MS = 1300;
const PREROLL_MS = 450;
const LOST_AT = 0.55; // share of the trip a lost packet covers before it dies

function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

function ease(t) {
  // ease-in-out, gentle enough that the packet reads as travelling, not jumping
  return t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
}

export class Stage {
  constructor({ onClock }) {
    this.onClock = onClock;
    this.trace = null;
    this.current = null; // running animation
    this.restStep = 0;
    this.wire = $("wire");
    this.packet = $("packet");
    this.trail = $("trail");
    this.hosts = {
      a: this.hostElements("a"),
      b: this.hostElements("b"),
    };
    this.third = $("third");
    this.caption = $("wire-caption");
    this.slots = {}; // endpoint name -> host elements
    this.half = 0;
    new ResizeObserver(() => {
      if (this.trace && !this.current) this.placeRest(this.restStep);
    }).observe(this.wire);
  }

  hostElements(key) {
    const id = (part) => $(`host-${key}${part}`);
    return {
      box: id(""), name: id("-name"), addr: id("-addr"), state: id("-state"), was: id("-was"),
      tw: id("-tw"), twFill: id("-tw-fill"), twText: id("-tw-text"),
    };
  }

  /** Labels and addresses for a new trace. */
  setTrace(trace) {
    this.cancel();
    this.trace = trace;
    const [left, right, ...others] = trace.endpoints;
    this.slots = {};
    for (const [key, ep] of [["a", left], ["b", right]]) {
      const el = this.hosts[key];
      if (!ep) continue;
      this.slots[ep.name] = el;
      const label = displayName(ep.name);
      el.box.setAttribute("aria-label", label);
      setText(el.name, label);
      setText(el.addr, ep.port ? `${ep.ip}:${ep.port}` : ep.ip);
      el.box.classList.toggle("host-raw", !(ep.tcp !== false && ep.initial_state));
    }
    this.third.hidden = others.length === 0;
    this.third.textContent = "";
    if (others.length) {
      const names = others.map((e) => `${displayName(e.name)} ${e.ip}`).join(", ");
      this.third.textContent = `${names}: sends forged segments, keeps no TCP state`;
    }
    this.tcpNames = new Set(tcpEndpoints(trace).map((e) => e.name));
  }

  /** Stop any animation where it is; the caller then shows a rest frame. */
  cancel() {
    if (this.current) {
      cancelAnimationFrame(this.current.raf);
      const done = this.current.resolve;
      this.current = null;
      done(false);
    }
  }

  get animating() {
    return this.current !== null;
  }

  showStates(states, previous, flash) {
    for (const [name, el] of Object.entries(this.slots)) {
      if (!this.tcpNames.has(name)) {
        setText(el.state, "no TCP state");
        el.state.dataset.state = "NONE";
        el.state.dataset.group = "none";
        setText(el.was, "raw segments only");
        continue;
      }
      const state = states[name] || "CLOSED";
      const before = previous ? previous[name] : undefined;
      const changed = before !== undefined && before !== state;
      const label = stateLabel(state);
      if (el.state.dataset.state !== state || el.state.textContent !== label) {
        el.state.textContent = label;
        el.state.dataset.state = state;
        el.state.dataset.group = stateGroup(state);
        if (flash && changed) this.flash(el.state);
      }
      setText(el.was, changed ? `was ${stateLabel(before)}` : "");
    }
  }

  flash(el) {
    if (prefersReducedMotion()) return;
    el.animate(
      [{ transform: "scale(1.12)", boxShadow: "0 0 0 6px var(--flash)" }, { transform: "scale(1)", boxShadow: "0 0 0 0 transparent" }],
      { duration: 650, easing: "cubic-bezier(.2,.7,.3,1)" },
    );
  }

  /** Clock, and the TIME_WAIT countdown that hangs off it. */
  tick(clockUs) {
    this.onClock(clockUs);
    for (const [name, el] of Object.entries(this.slots)) {
      const inTimeWait = el.state.dataset.state === "TIME_WAIT";
      const tw = inTimeWait ? timeWait(this.trace, name, clockUs) : null;
      el.tw.hidden = !tw;
      if (!tw) continue;
      const share = tw.totalUs > 0 ? tw.remainingUs / tw.totalUs : 0;
      el.twFill.style.transform = `scaleX(${share.toFixed(4)})`;
      setText(el.twText, `${formatDuration(tw.remainingUs)} left of ${formatDuration(tw.totalUs)} (2MSL)`);
    }
  }

  geometry(segment) {
    const wireWidth = this.wire.clientWidth;
    const packetWidth = this.packet.offsetWidth;
    const span = Math.max(wireWidth - packetWidth, 0);
    this.half = packetWidth / 2; // read once per trip: reading layout every frame would force reflows
    const from = lanePosition(this.trace, segment.from);
    const to = lanePosition(this.trace, segment.to);
    return { x0: from * span, x1: to * span, packetWidth, fromThird: from === 0.5 };
  }

  dressPacket(step) {
    const seg = step.segment;
    const p = this.packet;
    // The wire carries the colour, so the packet and its trail share it.
    this.wire.dataset.kind = segmentKind(seg);
    const rightward = lanePosition(this.trace, seg.to) >= lanePosition(this.trace, seg.from);
    p.classList.toggle("dir-left", !rightward);
    p.classList.toggle("dir-right", rightward);
    p.classList.remove("dead");
    setText($("packet-flags"), flagsName(seg.flags));
    setText($("packet-meta"), segmentNumbers(seg));
    $("packet-lost").hidden = true;
    p.hidden = false;
  }

  place(x, trailFrom, trailTo, opts = {}) {
    this.packet.style.transform = `translate3d(${x.toFixed(1)}px, ${(opts.y || 0).toFixed(1)}px, 0)${opts.scale ? ` scale(${opts.scale})` : ""}`;
    this.packet.style.opacity = opts.opacity === undefined ? "" : String(opts.opacity);
    const left = Math.min(trailFrom, trailTo) + this.half;
    const width = Math.abs(trailTo - trailFrom);
    this.trail.style.transform = `translate3d(${left.toFixed(1)}px, 0, 0) scaleX(${width.toFixed(1)})`;
  }

  captionFor(index) {
    const s = this.trace.steps[index];
    const rtt = this.trace.rtt_us;
    if (s.segment.lost) {
      return s.segment.lost_reason ? `Lost: ${s.segment.lost_reason}` : "Lost on the wire.";
    }
    return `${flagsName(s.segment.flags)} sent at ${formatRtts(s.sent_us, rtt)} RTT, arrived at ${formatRtts(endTimeUs(this.trace, index), rtt)} RTT`;
  }

  /** The picture at rest at step k. */
  placeRest(k) {
    this.restStep = k;
    const trace = this.trace;
    const frame = frameAt(trace, k);
    this.showStates(frame.states, frame.previousStates, false);
    this.tick(frame.clockUs);
    this.trail.classList.remove("trail-lost");
    if (frame.segmentIndex === null) {
      this.packet.hidden = true;
      this.trail.style.transform = "scaleX(0)";
      setText(this.caption, "Nothing on the wire yet.");
      return;
    }
    const step = trace.steps[frame.segmentIndex];
    this.dressPacket(step);
    const g = this.geometry(step.segment);
    if (step.segment.lost) {
      const xm = g.x0 + (g.x1 - g.x0) * LOST_AT;
      this.packet.classList.add("dead");
      $("packet-lost").hidden = false;
      this.trail.classList.add("trail-lost");
      this.place(xm, g.x0, xm, { y: 0 });
    } else {
      this.place(g.x1, g.x0, g.x1);
    }
    this.trail.classList.add("trail-rest");
    setText(this.caption, this.captionFor(frame.segmentIndex));
  }

  /**
   * Animate from step k-1 to step k. Resolves true when it ran to the end,
   * false when cancelled. Under prefers-reduced-motion it jumps.
   */
  animate(k, speed) {
    this.cancel();
    const trace = this.trace;
    if (k < 1 || prefersReducedMotion()) {
      this.placeRest(k);
      return Promise.resolve(true);
    }
    const index = k - 1;
    const step = trace.steps[index];
    const lost = Boolean(step.segment.lost);
    const fromClock = clockAt(trace, k - 1);
    const toClock = clockAt(trace, k);
    const departClock = Math.max(fromClock, Math.min(step.sent_us, toClock));
    const preroll = departClock > fromClock ? PREROLL_MS / speed : 0;
    const travel = TRAVEL_MS / speed;
    const before = statesAt(trace, k - 1);
    const departing = departureStates(trace, k);
    const after = statesAt(trace, k);

    this.dressPacket(step);
    this.trail.classList.remove("trail-rest", "trail-lost");
    const g = this.geometry(step.segment);
    const xm = g.x0 + (g.x1 - g.x0) * LOST_AT;
    setText(this.caption, this.captionFor(index));
    this.place(g.x0, g.x0, g.x0, { opacity: preroll ? 0 : 1, y: g.fromThird ? 34 : 0 });

    return new Promise((resolve) => {
      const start = performance.now();
      let departed = false;
      let dead = false;
      const frame = (now) => {
        if (!this.current) return;
        if (!this.current.firstFrame) {
          this.current.firstFrame = true;
          performance.mark("synack:first-frame");
        }
        const t = now - start;
        if (t < preroll) {
          // Time passes with nothing on the wire (a timer, an application pause).
          this.tick(fromClock + (departClock - fromClock) * (t / preroll));
        } else {
          if (!departed) {
            departed = true;
            this.showStates(departing, before, true);
          }
          const p = Math.min((t - preroll) / travel, 1);
          if (lost) {
            const moveShare = LOST_AT;
            if (p < moveShare) {
              const x = g.x0 + (xm - g.x0) * ease(p / moveShare);
              this.place(x, g.x0, x, { y: g.fromThird ? 34 * (1 - Math.min(p * 6, 1)) : 0 });
            } else {
              if (!dead) {
                dead = true;
                this.packet.classList.add("dead");
                this.trail.classList.add("trail-lost");
                $("packet-lost").hidden = false;
              }
              const d = (p - moveShare) / (1 - moveShare);
              this.place(xm, g.x0, xm, { y: 10 * d, scale: 1 + 0.12 * Math.sin(Math.min(d * 2, 1) * Math.PI) });
            }
            this.tick(departClock + (toClock - departClock) * Math.min(p / moveShare, 1));
          } else {
            const x = g.x0 + (g.x1 - g.x0) * ease(p);
            this.place(x, g.x0, x, { y: g.fromThird ? 34 * (1 - Math.min(p * 4, 1)) : 0 });
            this.tick(departClock + (toClock - departClock) * p);
          }
          if (p >= 1) {
            this.current = null;
            this.restStep = k;
            this.showStates(after, departing, true);
            this.placeRest(k);
            resolve(true);
            return;
          }
        }
        this.current.raf = requestAnimationFrame(frame);
      };
      this.current = { raf: requestAnimationFrame(frame), resolve, firstFrame: false };
    });
  }
}
