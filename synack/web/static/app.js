/**
 * The simulator page: loads a run (from synack's API, or from the trace an
 * exported page carries inside), and drives the stage, ladder, note,
 * inspector and controls from one number, the step (see model.js for what a
 * step means). The URL always holds scenario, settings and step.
 */

import { $, setText } from "./dom.js";
import { displayName, formatDuration, formatRtts } from "./format.js";
import { clampStep, connectionCount, connectionView, frameAt, initialStates, stepCount } from "./model.js";
import {
  PAGE_KEYS, apiQuery, defaultSettings, pageQuery, settingsFromUrl, settingsOfTrace, SettingsForm,
} from "./settings.js";
import { Stage } from "./stage.js";
import { Ladder } from "./ladder.js";
import { Inspector } from "./inspector.js";
import { Crowd } from "./crowd.js";
import { nameStyle, renameStates, setNameStyle, stateLabel } from "./statenames.js";
import { Figures } from "./figures.js";
import { CapturePanel } from "./capture.js";
import { DrillPanel } from "./drill.js";

// Pause between packets while playing, at 1x: time to read the note.
const HOLD_MS = 900;
const SPEEDS = ["0.5", "1", "2", "4"];

class RunError extends Error {}

/** Runs come from synack's JSON API. */
function apiSource() {
  async function getJson(url) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch {
      throw new RunError("The synack server did not answer; is `synack serve` still running?");
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new RunError((body && body.error) || `The server answered ${response.status}.`);
    return body;
  }
  return {
    readOnly: false,
    scenarios: () => getJson("/api/scenarios"),
    run: (query) => getJson(`/api/run?${query}`),
    downloads: (query) => ({ pcap: `/api/pcap?${query}`, json: `/api/run.json?${query}` }),
  };
}

/** An exported page carries one run and its pcap; nothing is fetched. */
function embeddedSource(traceText, pcapBase64) {
  const trace = JSON.parse(traceText);
  const catalog = {
    scenarios: [{
      name: trace.scenario, title: trace.title, summary_line: trace.summary_line,
      explanation: trace.explanation, param_specs: trace.param_specs, default_rtt_us: trace.rtt_us,
    }],
    profiles: [trace.profile],
  };
  let links = null;
  return {
    readOnly: true,
    trace,
    scenarios: async () => catalog,
    run: async () => trace,
    downloads: () => {
      if (!links) {
        const raw = atob((pcapBase64 || "").trim());
        const bytes = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        links = {
          json: URL.createObjectURL(new Blob([traceText], { type: "application/json" })),
          pcap: bytes.length ? URL.createObjectURL(new Blob([bytes], { type: "application/vnd.tcpdump.pcap" })) : null,
        };
      }
      return links;
    },
  };
}

class App {
  constructor(source) {
    this.source = source;
    this.trace = null;
    this.catalog = null;
    this.settings = null;
    this.step = 0;
    this.playing = false;
    this.playToken = 0;
    this.runSeq = 0;
    this.speed = "1";
    this.run = null; // the whole run; this.trace is the connection on screen
    this.connection = 0;
    this.stage = new Stage({ onClock: (us) => this.showClock(us) });
    this.ladder = new Ladder({ onJump: (k) => this.jump(k) });
    this.inspector = new Inspector();
    this.crowd = new Crowd();
    this.figures = new Figures();
    this.form = new SettingsForm({ onChange: (settings, scenarioChanged) => this.rerun(settings, scenarioChanged) });
    this.capturePanel = new CapturePanel({ onTrace: (trace) => this.useCapture(trace) });
    // A script's run plays like a capture's connection: not a scenario run, so no downloads or URL of its own.
    this.drillPanel = new DrillPanel({ onTrace: (trace) => this.useCapture(trace) });
    this.buttons = { step: $("btn-step"), back: $("btn-back"), play: $("btn-play"), reset: $("btn-reset") };
    this.buttons.step.addEventListener("click", () => this.forward());
    this.buttons.back.addEventListener("click", () => this.back());
    this.buttons.play.addEventListener("click", () => this.togglePlay());
    this.buttons.reset.addEventListener("click", () => this.reset());
    $("speed").addEventListener("change", (e) => {
      this.speed = e.target.value;
      this.writeUrl();
    });
    $("names").addEventListener("change", (e) => {
      setNameStyle(e.target.value);
      this.redrawNames();
      this.writeUrl();
    });
    $("connection-pick").addEventListener("change", (e) => {
      this.connection = Number(e.target.value) || 0;
      this.showConnection(0);
    });
    document.addEventListener("keydown", (e) => this.onKey(e));
  }

  async start() {
    const search = window.location.search;
    const pageParams = new URLSearchParams(search);
    const speed = pageParams.get("speed");
    if (SPEEDS.includes(speed)) this.speed = speed;
    $("speed").value = this.speed;
    $("names").value = setNameStyle(pageParams.get("names") || "synack");
    // Ask for the run straight away with the URL's own settings, while the catalog loads.
    const direct = new URLSearchParams(search);
    for (const key of PAGE_KEYS) if (key !== "scenario") direct.delete(key);
    if (!direct.has("scenario")) direct.set("scenario", "handshake");
    const firstRun = this.source.run(direct.toString()).then((t) => ({ trace: t }), (error) => ({ error }));
    let catalog;
    try {
      catalog = await this.source.scenarios();
    } catch (error) {
      this.form.error(error.message);
      return;
    }
    this.catalog = catalog;
    this.form.setCatalog(catalog, this.source.readOnly);
    const wanted = Number.parseInt(pageParams.get("step") || "0", 10);
    const wantedConnection = Number.parseInt(pageParams.get("connection") || "1", 10) - 1;
    this.connection = Number.isFinite(wantedConnection) ? Math.max(wantedConnection, 0) : 0;
    let { settings, unknownScenario } = this.source.readOnly
      ? { settings: null, unknownScenario: null }
      : settingsFromUrl(search, catalog);
    let result = await firstRun;
    if (result.error) {
      // A bad link still opens the page: say what was wrong and show the defaults.
      this.form.error(result.error.message);
      settings = defaultSettings(catalog, settings.scenario);
      try {
        result = { trace: await this.source.run(apiQuery(settings, catalog)) };
      } catch (error) {
        this.form.error(error.message);
        return;
      }
    } else if (unknownScenario) {
      this.form.error(`There is no scenario called ${unknownScenario}; showing ${settings.scenario}.`);
    }
    if (this.source.readOnly) settings = settingsOfTrace(result.trace);
    this.settings = settings;
    this.form.show(settings);
    this.useTrace(result.trace, Number.isFinite(wanted) ? wanted : 0);
    performance.mark("synack:ready");
  }

  useTrace(run, step) {
    this.stopPlaying();
    this.run = run;
    this.connection = Math.min(this.connection, connectionCount(run) - 1);
    const pick = $("connection-pick");
    const options = (run.connections || []).map((c, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      option.textContent = `${i + 1}: ${c.label} (${c.steps.length} segments)`;
      return option;
    });
    pick.replaceChildren(...options);
    pick.value = String(this.connection);
    $("connection-choice").hidden = connectionCount(run) < 2;
    this.showConnection(step);
  }

  /** Put connection `this.connection` of the run on screen at step k. */
  showConnection(step) {
    this.stopPlaying();
    const trace = connectionView(this.run, this.connection);
    this.trace = trace;
    setText($("title"), trace.title);
    setText($("summary"), trace.summary_line);
    document.title = `${trace.title} · synack`;
    this.stage.setTrace(trace);
    this.ladder.setTrace(trace);
    this.inspector.setTrace(trace);
    this.crowd.setTrace(trace);
    this.figures.setTrace(trace);
    const links = trace.scenario === "capture" || trace.drill ? {}
      : this.source.readOnly
        ? this.source.downloads()
        : this.source.downloads(apiQuery(this.settings, this.catalog));
    this.link("dl-json", links.json, `synack-${trace.scenario}.json`);
    this.link("dl-pcap", links.pcap, `synack-${trace.scenario}.pcap`);
    this.show(clampStep(trace, step), false);
  }

  /** A connection read from a capture: the same player; the downloads and the URL belong to runs only. */
  useCapture(trace) {
    this.fromCapture = true;
    this.connection = 0;
    this.useTrace(trace, 0);
  }

  link(id, href, filename) {
    const a = $(id);
    a.hidden = !href;
    if (!href) return;
    a.href = href;
    a.setAttribute("download", filename);
  }

  showClock(us) {
    const rtt = this.trace ? this.trace.rtt_us : 1;
    setText($("clock-rtt"), formatRtts(us, rtt));
    setText($("clock-ms"), formatDuration(us));
  }

  /** Move to step k; animate when it is the next step, else jump. */
  show(k, animate) {
    const trace = this.trace;
    const frame = frameAt(trace, k);
    this.step = frame.step;
    this.ladder.update(this.step);
    this.inspector.follow(this.step);
    this.crowd.mark(this.step ? trace.steps[this.step - 1].sent_us : 0);
    setText($("note"), renameStates(frame.note) || this.openingNote());
    setText($("position"), `Step ${this.step} of ${stepCount(trace)}`);
    this.buttons.step.disabled = frame.atEnd;
    this.buttons.back.disabled = this.step === 0;
    this.writeUrl();
    if (animate) return this.stage.animate(this.step, Number(this.speed));
    this.stage.cancel();
    this.stage.placeRest(this.step);
    return Promise.resolve(true);
  }

  /** Another spelling of the states: draw the boxes, note and chart again, where the run stands. */
  redrawNames() {
    this.capturePanel.showList();
    if (!this.trace) return;
    this.crowd.setTrace(this.trace);
    this.show(this.step, false);
  }

  openingNote() {
    const states = initialStates(this.trace);
    const parts = Object.entries(states).map(([name, state]) => `${displayName(name)} is ${stateLabel(state)}`);
    return `Nothing sent yet. ${parts.join(", ")}. Press Step to put the first segment on the wire.`;
  }

  forward() {
    if (!this.trace || this.step >= stepCount(this.trace)) return;
    this.show(this.step + 1, true);
  }

  back() {
    if (!this.trace) return;
    this.stopPlaying();
    this.show(this.step - 1, false);
  }

  reset() {
    if (!this.trace) return;
    this.stopPlaying();
    this.show(0, false);
  }

  jump(k) {
    this.stopPlaying();
    this.show(k, false);
  }

  togglePlay() {
    if (this.playing) this.stopPlaying();
    else this.play();
  }

  async play() {
    if (!this.trace) return;
    if (this.step >= stepCount(this.trace)) this.show(0, false);
    const token = ++this.playToken;
    this.setPlaying(true);
    while (this.playToken === token && this.step < stepCount(this.trace)) {
      const finished = await this.show(this.step + 1, true);
      if (this.playToken !== token) return;
      if (!finished) break;
      if (this.step >= stepCount(this.trace)) break;
      await new Promise((resolve) => setTimeout(resolve, HOLD_MS / Number(this.speed)));
    }
    if (this.playToken === token) this.setPlaying(false);
  }

  stopPlaying() {
    this.playToken++;
    this.setPlaying(false);
  }

  setPlaying(on) {
    this.playing = on;
    setText($("play-label"), on ? "Pause" : "Play");
    this.buttons.play.classList.toggle("playing", on);
  }

  onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("input, select, textarea, [contenteditable]")) return;
    const onButton = target && target.closest("button, a, summary");
    switch (event.key) {
      case "ArrowRight":
        event.preventDefault();
        this.stopPlaying();
        this.forward();
        break;
      case " ":
        if (onButton) return; // the focused control answers Space itself
        event.preventDefault();
        this.stopPlaying();
        this.forward();
        break;
      case "ArrowLeft":
        event.preventDefault();
        this.back();
        break;
      case "Home":
        event.preventDefault();
        this.reset();
        break;
      case "p":
      case "P":
        event.preventDefault();
        this.togglePlay();
        break;
      default:
    }
  }

  async rerun(settings, scenarioChanged) {
    this.fromCapture = false;
    const seq = ++this.runSeq;
    this.form.status("Running…");
    this.form.error(null);
    let trace;
    try {
      trace = await this.source.run(apiQuery(settings, this.catalog));
    } catch (error) {
      if (seq === this.runSeq) {
        this.form.status("");
        this.form.error(error.message);
      }
      return;
    }
    if (seq !== this.runSeq) return; // a newer change is on its way
    this.settings = settings;
    this.form.shown = settings; // the form shows them already (a new scenario's fields since the change)
    if (scenarioChanged) this.connection = 0;
    const conns = connectionCount(trace);
    this.form.status(`Ran ${trace.scenario}: ${stepCount(trace)} segments${conns > 1 ? ` in ${conns} connections` : ""}.`);
    this.useTrace(trace, scenarioChanged ? 0 : this.step);
  }

  writeUrl() {
    if (!this.trace || !this.settings || this.fromCapture) return;
    const params = new URLSearchParams(this.source.readOnly
      ? (this.step > 0 ? `step=${this.step}` : "")
      : pageQuery(this.settings, this.catalog, this.step, this.speed));
    if (this.connection > 0) params.set("connection", String(this.connection + 1));
    if (nameStyle() !== "synack") params.set("names", nameStyle());
    const query = params.toString();
    const url = `${window.location.pathname}${query ? `?${query}` : ""}${window.location.hash}`;
    try {
      window.history.replaceState(null, "", url);
    } catch {
      // Some browsers refuse history changes on file:// pages; the page works without them.
    }
  }
}

function boot() {
  const embedded = document.getElementById("synack-trace");
  const source = embedded
    ? embeddedSource(embedded.textContent, (document.getElementById("synack-pcap") || {}).textContent)
    : apiSource();
  const app = new App(source);
  app.start().catch((error) => {
    $("form-error").hidden = false;
    $("form-error").textContent = `The page could not start: ${error.message}`;
  });
}

boot();
