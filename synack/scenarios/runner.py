"""Run a scenario: check the settings, build the world, run the clock until nothing is left to happen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim.crowd import CrowdSampler
from ..sim.host import Host
from ..sim.recorder import Recorder
from ..tcp.profiles import PROFILES, Profile
from .base import Scenario, ScenarioError, World
from .registry import get_scenario

MAX_RTT_US = 3_600_000_000
MAX_EVENTS = 2_000_000


@dataclass
class Run:
    scenario: Scenario
    profile: Profile
    rtt_us: int
    loss: float
    seed: int
    params: dict[str, Any]
    recorder: Recorder | None
    hosts: dict[str, Host]
    summary: dict[str, Any] = field(default_factory=dict)
    duration_us: int = 0
    crowd: dict[str, Any] | None = None  # synack.sim.crowd's columns, for crowd scenarios


def resolve_params(scenario: Scenario, given: dict[str, Any] | None) -> dict[str, Any]:
    specs = {p.name: p for p in scenario.all_params}
    values = {p.name: p.default for p in scenario.all_params}
    for key, text in (given or {}).items():
        if key not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise ScenarioError(f"scenario {scenario.name} has no parameter {key!r} (it has: {known}).")
        values[key] = specs[key].parse(text) if isinstance(text, str) else specs[key].parse(str(text))
    return values


def run_scenario(name: str, *, profile: str = "linux", rtt_us: int | None = None, loss: float = 0.0,
                 seed: int = 1, params: dict[str, Any] | None = None, tracing: bool = True,
                 profile_settings: dict[str, Any] | None = None, max_events: int = MAX_EVENTS) -> Run:
    scenario = get_scenario(name)
    if profile not in PROFILES:
        raise ScenarioError(f"unknown profile {profile!r}; choose {' or '.join(PROFILES)}.")
    if rtt_us is None:
        rtt_us = scenario.default_rtt_us
    if not isinstance(rtt_us, int) or not 2 <= rtt_us <= MAX_RTT_US:
        raise ScenarioError("the RTT must be between 2 µs and 1 hour.")
    if not (isinstance(loss, (int, float)) and 0.0 <= loss < 1.0):
        raise ScenarioError("loss must be a probability from 0 up to, but not including, 1.")
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ScenarioError("the seed must be a whole number from 0 to 4294967295.")
    values = resolve_params(scenario, params)
    settings = {**scenario.profile_settings, **(profile_settings or {})}
    # Parameters that are profile knobs (a scenario's backlog or syncookies mode) reach the profile.
    for knob, setting in (("backlog", "max_syn_backlog"), ("syncookies", "syncookies"), ("rfc5961", "rfc5961")):
        if knob in values:
            settings[setting] = values[knob]
    if scenario.settings_from_params is not None:
        settings.update(scenario.settings_from_params(values))
    prof = PROFILES[profile].with_settings(**settings)
    world = World(scenario, prof, rtt_us, float(loss), seed, values, tracing)
    scenario.script(world)
    sampler = None
    if scenario.crowd_every_us:
        sampler = CrowdSampler(world.sched, world.network, world.tcp_hosts, scenario.crowd_every_us)
        sampler.start()
    try:
        world.sched.run(max_events=max_events)
    except RuntimeError as exc:  # an engine that would loop for ever is a bug; say so, don't hang
        raise ScenarioError(f"the run of {name} did not settle: {exc}.") from None
    world.finish()
    crowd = None
    if sampler is not None:
        sampler.finish()
        crowd = sampler.as_json(scenario.crowd_plot)
    return Run(scenario, prof, rtt_us, float(loss), seed, values, world.recorder, world.hosts,
               world.summary, world.sched.now, crowd)
