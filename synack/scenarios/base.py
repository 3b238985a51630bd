"""What a scenario is, and the world a scenario's script builds its hosts and applications in.

A scenario is an application script (socket calls, sleeps, impairments) plus
a title, a short explanation and, when the lesson needs fixed rows, its ladder
phases.  Its parameters are declared with types and ranges so the CLI and the
web page can check user input against them and say what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random
from typing import Any, Callable

from ..sim.host import Host
from ..sim.network import Impairment, LinkConfig, Network
from ..sim.recorder import Recorder
from ..sim.scheduler import Scheduler
from ..tcp.endpoint import Context
from ..tcp.isn import ISN_GENERATORS
from ..tcp.profiles import Profile

MS = 1000
S = 1_000_000


class ScenarioError(ValueError):
    """Bad input for a run (unknown scenario, profile or parameter); the message is one sentence."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "int", "float", "duration", "bool", "choice"
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def spec(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default, "help": self.help}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        if self.choices:
            d["choices"] = list(self.choices)
        return d

    def parse(self, text: str) -> Any:
        from ..units import parse_duration
        value: Any
        try:
            if self.type == "int":
                value = int(text)
            elif self.type == "float":
                value = float(text)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError
            elif self.type == "duration":
                value = parse_duration(text) if not isinstance(text, int) else text
            elif self.type == "bool":
                lowered = str(text).lower()
                if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                value = lowered in ("1", "true", "yes", "on")
            else:
                if text not in self.choices:
                    raise ValueError
                value = text
        except (ValueError, TypeError):
            kind = {"int": "a whole number", "float": "a number", "duration": "a duration like 100ms",
                    "bool": "true or false", "choice": "one of " + ", ".join(self.choices)}[self.type]
            raise ScenarioError(f"parameter {self.name} must be {kind}, not {text!r}.") from None
        if self.min is not None and value < self.min:
            raise ScenarioError(f"parameter {self.name} must be at least {self.min}, not {text}.")
        if self.max is not None and value > self.max:
            raise ScenarioError(f"parameter {self.name} must be at most {self.max}, not {text}.")
        return value


COMMON_PARAMS = (
    Param("mss", "int", 1460, "MSS the route allows (1460 on Ethernet, 65495 on loopback)", 88, 65495),
    Param("isn", "choice", "rfc6528", "initial sequence numbers: keyed hash + 64 ns clock, or RFC 793's 4 µs clock",
          choices=("rfc6528", "rfc793")),
)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    summary_line: str
    explanation: str
    script: Callable[["World"], None]
    params: tuple[Param, ...] = ()
    phases: tuple[str, ...] = ()  # fixed ladder rows; empty means derived from the steps
    profile_settings: dict[str, Any] = field(default_factory=dict)
    default_rtt_us: int = 100 * MS
    # Parameters that are profile knobs: params -> Profile settings (backlog, SYN-ACK retries, ...).
    settings_from_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # A crowd scenario samples its hosts' socket counts every crowd_every_us (see synack.sim.crowd)
    # and plots the series named in crowd_plot ("host.STATE" or "host.counter") by default.
    crowd_every_us: int = 0
    crowd_plot: tuple[str, ...] = ()
    # Smaller settings for the golden record of the wire, when the defaults are a big run.
    golden_params: dict[str, Any] = field(default_factory=dict)

    @property
    def all_params(self) -> tuple[Param, ...]:
        # A scenario may give a common parameter its own default (isn_prediction starts from RFC 793).
        own = {p.name for p in self.params}
        return self.params + tuple(p for p in COMMON_PARAMS if p.name not in own)

    @property
    def param_specs(self) -> list[dict[str, Any]]:
        return [p.spec() for p in self.all_params]


class World:
    """One run's scheduler, network, hosts and scenario parameters."""

    def __init__(self, scenario: Scenario, profile: Profile, rtt_us: int, loss: float, seed: int,
                 params: dict[str, Any], tracing: bool) -> None:
        self.scenario = scenario
        self.profile = profile
        self.rtt_us = rtt_us
        self.seed = seed
        self.params = params
        self.sched = Scheduler()
        self.rng = random.Random(seed)
        self.recorder = Recorder() if tracing else None
        link = LinkConfig(delay_us=max(rtt_us // 2, 1), loss=loss)
        self.network = Network(self.sched, random.Random(self.rng.getrandbits(64)), link, self.recorder)
        self.hosts: dict[str, Host] = {}
        self.tcp_hosts: list[Host] = []
        self.summary: dict[str, Any] = {}
        self.fastopen_cache: dict[str, bytes] = {}
        self._finishers: list[Callable[[], None]] = []

    def when_done(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once the run has settled (to fill ``summary`` from what happened)."""
        self._finishers.append(fn)

    def finish(self) -> None:
        for fn in self._finishers:
            fn()

    def host(self, name: str, ip: str, *, tcp: bool = True, settings: dict[str, Any] | None = None) -> Host:
        """A host on the network; ``settings`` change its own profile (one end without SACK, say)."""
        secret = self.rng.getrandbits(128).to_bytes(16, "big")
        isn_gen = ISN_GENERATORS[self.params.get("isn", "rfc6528")](secret)
        profile = self.profile.with_settings(**settings) if settings else self.profile
        ctx = Context(profile=profile, isn_gen=isn_gen, route_mss=self.params.get("mss", 1460),
                      syncookie_secret=secret + b"c", fastopen_key=secret + b"f",
                      trace=self.recorder is not None)
        host = Host(name, ip, self.sched, self.network, ctx, random.Random(self.rng.getrandbits(64)),
                    self.recorder)
        self.hosts[name] = host
        if tcp:
            self.tcp_hosts.append(host)
            if self.recorder is not None:
                self.recorder.watch(host)
        return host

    def trace_featured_only(self) -> None:
        """A crowd scenario: trace only the connections opened with ``featured=True``, count the rest."""
        if self.recorder is not None:
            self.recorder.feature_only()

    def impair(self, impairment: Impairment) -> None:
        self.network.impair(impairment)

    def at(self, t_us: int, fn: Callable[[], None]) -> None:
        self.sched.call_at(t_us, fn)
