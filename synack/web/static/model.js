/**
 * What the page shows at each step of a trace (docs/trace-format.md), as pure functions.
 *
 * Step k counts segments that have reached the end of their trip:
 *   - step 0: nothing sent yet; every endpoint in its initial state; clock 0.
 *   - step k (1..n): segment k-1 of `trace.steps` has arrived (or, if lost,
 *     died on the wire); endpoints show `steps[k-1].states`, the snapshot
 *     taken right after the receiver processed it; the clock shows when that
 *     happened: `arrives_us`, or for a lost segment the time of its drop event
 *     (the moment the network discarded it), which falls back to `sent_us`.
 * While segment k-1 travels, the endpoints show `states_sent` (the sender's
 * state right after sending) only if it was sent after the moment step k-1
 * shows; a segment that left earlier, while another was in flight, must not
 * roll the picture back in time.
 * A run with several connections is shown one connection at a time:
 * `connectionView(trace, id)` cuts one out as a trace of its own (its ends,
 * its phases, its steps), and everything above works on that view.
 * No DOM here, so node runs the same functions in the unit checks.
 */

const cache = new WeakMap();

function indexOf(trace) {
  let idx = cache.get(trace);
  if (idx) return idx;
  const dropTimes = new Map();
  for (const ev of trace.events || []) {
    if (ev.type === "drop" && typeof ev.step === "number" && !dropTimes.has(ev.step)) {
      dropTimes.set(ev.step, ev.t_us);
    }
  }
  const phaseSteps = trace.phases.map(() => []);
  trace.steps.forEach((s, i) => {
    if (phaseSteps[s.phase]) phaseSteps[s.phase].push(i);
  });
  idx = { dropTimes, phaseSteps };
  cache.set(trace, idx);
  return idx;
}

/** How many connections the run has (a trace without the list counts as one). */
export function connectionCount(trace) {
  return Array.isArray(trace.connections) && trace.connections.length ? trace.connections.length : 1;
}

/**
 * One connection of a run as a trace of its own: its two ends as the
 * endpoints (with their initial states), its phases renumbered from 0, its
 * steps (each keeps its `index` in the whole run), and only the state events
 * of its own sockets. A segment sent to a forged address goes "to" the end
 * that forged it.
 */
export function connectionView(trace, id) {
  const conns = trace.connections;
  if (!Array.isArray(conns) || !conns.length) return trace;
  const conn = conns[Math.max(0, Math.min(conns.length - 1, Number(id) || 0))];
  const base = conn.phases.length ? conn.phases[0] : 0;
  const nameOf = new Map(conn.ends.map((e) => [`${e.ip}:${e.port}`, e.name]));
  const ends = new Set(conn.ends.map((e) => `${e.ip}:${e.port}`));
  const steps = conn.steps.map((i) => {
    const s = trace.steps[i];
    const to = nameOf.get(s.segment.dst) || s.segment.to;
    return { ...s, phase: s.phase - base, segment: { ...s.segment, to } };
  });
  const events = (trace.events || []).filter((e) => e.type !== "state" || e.local === undefined
    || (ends.has(e.local) && ends.has(e.remote)));
  return {
    ...trace,
    endpoints: conn.ends,
    phases: conn.phases.map((p) => trace.phases[p]),
    steps,
    events,
    connection: conn,
  };
}

export function stepCount(trace) {
  return trace.steps.length;
}

export function clampStep(trace, k) {
  const n = Number.isFinite(k) ? Math.trunc(k) : 0;
  return Math.max(0, Math.min(stepCount(trace), n));
}

/** When segment `index` finished its trip: its arrival, or the moment the network dropped it. */
export function endTimeUs(trace, index) {
  const s = trace.steps[index];
  if (!s.segment.lost && s.arrives_us !== null && s.arrives_us !== undefined) return s.arrives_us;
  const dropped = indexOf(trace).dropTimes.get(index);
  return dropped !== undefined ? dropped : s.sent_us;
}

/** Endpoints that run TCP, and so have a state to show. */
export function tcpEndpoints(trace) {
  return trace.endpoints.filter((e) => e.tcp !== false && e.initial_state);
}

export function initialStates(trace) {
  const states = {};
  for (const e of tcpEndpoints(trace)) states[e.name] = e.initial_state;
  return states;
}

export function statesAt(trace, k) {
  if (k <= 0) return initialStates(trace);
  const s = trace.steps[k - 1];
  return { ...initialStates(trace), ...(s.states || s.states_sent) };
}

export function clockAt(trace, k) {
  return k <= 0 ? 0 : endTimeUs(trace, k - 1);
}

/** The states to show while segment k-1 is on its way from step k-1 to step k. */
export function departureStates(trace, k) {
  const before = statesAt(trace, k - 1);
  const s = trace.steps[k - 1];
  if (s.sent_us >= clockAt(trace, k - 1)) return { ...before, ...s.states_sent };
  return before;
}

/** Everything the rest position of step k shows. */
export function frameAt(trace, k) {
  const step = clampStep(trace, k);
  const s = step > 0 ? trace.steps[step - 1] : null;
  return {
    step,
    clockUs: clockAt(trace, step),
    states: statesAt(trace, step),
    previousStates: statesAt(trace, step - 1),
    phase: s ? s.phase : null,
    segmentIndex: s ? step - 1 : null,
    lost: s ? Boolean(s.segment.lost) : false,
    note: s ? s.note : null,
    atEnd: step === stepCount(trace),
  };
}

/** Step indices (0-based) of each phase, in order. */
export function phaseSteps(trace) {
  return indexOf(trace).phaseSteps;
}

/**
 * The step (1-based) at which a phase's own segment has arrived (its copy with
 * role "first": the first that arrived), or its first segment when the trace
 * has no roles; null for an empty phase.
 */
export function stepForPhase(trace, phase) {
  const steps = phaseSteps(trace)[phase];
  if (!steps || !steps.length) return null;
  const own = steps.find((i) => trace.steps[i].role === "first");
  return (own === undefined ? steps[0] : own) + 1;
}

/**
 * Where an endpoint sits on the wire: the first endpoint at 0 (left), the
 * second at 1 (right); anyone else (an attacker, a prober) joins from the
 * middle, off to the side.
 */
export function lanePosition(trace, name) {
  const i = trace.endpoints.findIndex((e) => e.name === name);
  if (i === 0) return 0;
  if (i === 1) return 1;
  return 0.5;
}

/**
 * The TIME_WAIT countdown of an endpoint at a given clock, or null if it is
 * not in TIME_WAIT then. The end comes from the trace's own expiry event when
 * the run lasted that long, else from entry + the profile's `time_wait_us`.
 */
export function timeWait(trace, endpoint, clockUs) {
  // Events tagged with their socket belong to the connection shown (connectionView keeps only those).
  const changes = (trace.events || []).filter(
    (e) => e.type === "state" && e.endpoint === endpoint && (e.local !== undefined || e.primary !== false),
  );
  let entered = null;
  for (const e of changes) {
    if (e.new === "TIME_WAIT" && (e.t_us <= clockUs || entered === null)) entered = e;
  }
  if (!entered) return null;
  const expiry = changes.find((e) => e.old === "TIME_WAIT" && e.t_us >= entered.t_us);
  const endsUs = expiry ? expiry.t_us : entered.t_us + (trace.time_wait_us || 0);
  const totalUs = Math.max(endsUs - entered.t_us, 0);
  const remainingUs = Math.max(Math.min(endsUs - clockUs, totalUs), 0);
  return { enteredUs: entered.t_us, endsUs, totalUs, remainingUs };
}
