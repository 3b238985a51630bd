/**
 * Scenario picker and settings: the form built from the engine's catalog and
 * each scenario's param_specs, and the mapping between settings, the page's
 * URL and the API's query string.
 *
 * Settings are kept as the strings a user types ("100ms", "0.05"), the same
 * strings the URL and the API carry; the engine parses and checks them and
 * answers with one sentence when something is wrong.
 */

import { $, h } from "./dom.js";
import { durationInput } from "./format.js";

export const DEFAULT_SCENARIO = "handshake";
const TOP_KEYS = ["profile", "rtt", "loss", "seed"];
// Keys of the page URL that are not engine settings.
export const PAGE_KEYS = ["scenario", "step", "speed", "connection", "names"];

function specValue(spec, value) {
  if (spec.type === "duration" && typeof value === "number") return durationInput(value);
  if (spec.type === "bool") return value ? "true" : "false";
  return String(value);
}

export function findScenario(catalog, name) {
  return catalog.scenarios.find((s) => s.name === name) || null;
}

/** The settings a scenario runs with when nobody changed anything. */
export function defaultSettings(catalog, name) {
  const info = findScenario(catalog, name) || catalog.scenarios[0];
  const params = {};
  for (const spec of info.param_specs) params[spec.name] = specValue(spec, spec.default);
  return {
    scenario: info.name,
    profile: catalog.profiles[0],
    rtt: durationInput(info.default_rtt_us),
    loss: "0",
    seed: "1",
    params,
  };
}

/** Settings as a trace records them (an exported page shows its own run). */
export function settingsOfTrace(trace) {
  const params = {};
  for (const spec of trace.param_specs) {
    params[spec.name] = specValue(spec, trace.params[spec.name] ?? spec.default);
  }
  return {
    scenario: trace.scenario,
    profile: trace.profile,
    rtt: durationInput(trace.rtt_us),
    loss: String(trace.loss),
    seed: String(trace.seed),
    params,
  };
}

/** Read settings from a page URL; anything absent keeps its default. */
export function settingsFromUrl(search, catalog) {
  const q = new URLSearchParams(search);
  const name = q.get("scenario") || DEFAULT_SCENARIO;
  const known = findScenario(catalog, name) ? name : catalog.scenarios[0].name;
  const settings = defaultSettings(catalog, known);
  for (const key of TOP_KEYS) if (q.has(key)) settings[key] = q.get(key);
  for (const key of Object.keys(settings.params)) if (q.has(key)) settings.params[key] = q.get(key);
  return { settings, unknownScenario: known !== name ? name : null };
}

/** Only what differs from the defaults, so URLs stay short and cache keys canonical. */
export function changedSettings(settings, catalog) {
  const base = defaultSettings(catalog, settings.scenario);
  const out = [["scenario", settings.scenario]];
  for (const key of TOP_KEYS) if (settings[key] !== base[key]) out.push([key, settings[key]]);
  for (const [key, value] of Object.entries(settings.params)) {
    if (value !== base.params[key]) out.push([key, value]);
  }
  return out;
}

export function apiQuery(settings, catalog) {
  return new URLSearchParams(changedSettings(settings, catalog)).toString();
}

export function pageQuery(settings, catalog, step, speed) {
  const q = new URLSearchParams(changedSettings(settings, catalog));
  if (step > 0) q.set("step", String(step));
  if (speed !== "1") q.set("speed", speed);
  return q.toString();
}

function paramLabel(name) {
  return name.replace(/_/g, " ");
}

export class SettingsForm {
  constructor({ onChange }) {
    this.form = $("settings");
    this.onChange = onChange;
    this.catalog = null;
    this.readOnly = false;
    this.form.addEventListener("change", (event) => {
      if (this.readOnly) return;
      const scenarioChanged = event.target.name === "scenario";
      const settings = this.read(scenarioChanged);
      // The new scenario's own fields at once, not when its run comes back: a change made while
      // the run is on its way must read them, not the fields of the scenario before.
      if (scenarioChanged) this.show(settings);
      this.onChange(settings, scenarioChanged);
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.readOnly) this.onChange(this.read(false), false);
    });
  }

  setCatalog(catalog, readOnly) {
    this.catalog = catalog;
    this.readOnly = readOnly;
    $("scenario").replaceChildren(...catalog.scenarios.map((s) => h("option", { value: s.name }, `${s.name}: ${s.title}`)));
    $("profile").replaceChildren(...catalog.profiles.map((p) => h("option", { value: p }, p)));
    $("export-note").hidden = !readOnly;
  }

  /** Put settings into the form, rebuilding the scenario's own fields. */
  show(settings) {
    this.shown = settings;
    const info = findScenario(this.catalog, settings.scenario);
    $("scenario").value = settings.scenario;
    $("profile").value = settings.profile;
    $("rtt").value = settings.rtt;
    $("loss").value = settings.loss;
    $("seed").value = settings.seed;
    $("explanation").textContent = info ? info.explanation : "";
    const fields = (info ? info.param_specs : []).map((spec) => this.field(spec, settings.params[spec.name]));
    $("param-fields").replaceChildren(...fields);
    $("params").hidden = fields.length === 0;
    for (const el of this.form.elements) el.disabled = this.readOnly;
  }

  field(spec, value) {
    const id = `param-${spec.name}`;
    const helpId = `${id}-help`;
    let input;
    if (spec.type === "bool") {
      input = h("input", { type: "checkbox", id, name: spec.name, "data-param": "1", "aria-describedby": helpId });
      input.checked = value === "true";
    } else if (spec.type === "choice") {
      input = h("select", { id, name: spec.name, "data-param": "1", "aria-describedby": helpId },
        spec.choices.map((c) => h("option", { value: c }, c)));
      input.value = value;
    } else {
      const numeric = spec.type === "int" || spec.type === "float";
      input = h("input", {
        id, name: spec.name, "data-param": "1", "aria-describedby": helpId,
        type: numeric ? "number" : "text",
        step: spec.type === "int" ? "1" : numeric ? "any" : null,
        min: numeric && spec.min !== undefined ? String(spec.min) : null,
        max: numeric && spec.max !== undefined ? String(spec.max) : null,
        autocomplete: "off", spellcheck: "false",
      });
      input.value = value;
    }
    return h(
      "div",
      { class: `field${spec.type === "bool" ? " field-check" : ""}` },
      h("label", { class: "field-label", for: id }, paramLabel(spec.name)),
      input,
      h("span", { class: "field-help", id: helpId }, spec.help),
    );
  }

  /** The form's settings; a new scenario starts from its own defaults. */
  read(scenarioChanged) {
    const name = $("scenario").value;
    if (scenarioChanged) {
      const fresh = defaultSettings(this.catalog, name);
      fresh.profile = $("profile").value;
      // An RTT the user chose travels to the next scenario; an untouched one takes the new default.
      const previous = this.shown;
      if (previous && previous.rtt !== defaultSettings(this.catalog, previous.scenario).rtt) fresh.rtt = previous.rtt;
      fresh.loss = $("loss").value.trim() || "0";
      fresh.seed = $("seed").value.trim() || "1";
      return fresh;
    }
    const params = {};
    for (const el of this.form.querySelectorAll("[data-param]")) {
      params[el.name] = el.type === "checkbox" ? (el.checked ? "true" : "false") : el.value.trim();
    }
    return {
      scenario: name,
      profile: $("profile").value,
      rtt: $("rtt").value.trim(),
      loss: $("loss").value.trim(),
      seed: $("seed").value.trim(),
      params,
    };
  }

  status(text) {
    $("form-status").textContent = text;
  }

  error(text) {
    const el = $("form-error");
    el.textContent = text || "";
    el.hidden = !text;
  }
}
