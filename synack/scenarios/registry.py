"""Every built-in scenario, by name, in the order the CLI and the page list them."""

from __future__ import annotations

from importlib import import_module

from .base import Scenario, ScenarioError

NAMES = (
    "handshake", "client_close", "client_close_lingering_server", "server_close", "half_close",
    "refused", "syn_lost", "synack_lost", "abort", "close_unread", "simultaneous_open",
    "simultaneous_close", "fast_open", "syn_cookies", "syn_flood", "keepalive", "time_wait",
    "time_wait_exhaustion", "close_wait_leak", "half_open",
    "in_window_attacks", "ack_to_closed_port", "setup_tax", "rst_injection", "isn_prediction",
    "pmtud_blackhole", "options_negotiation", "defer_accept",
)

SCENARIOS: dict[str, Scenario] = {name: import_module(f"{__package__}.{name}").SCENARIO for name in NAMES}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ScenarioError(f"unknown scenario {name!r}; 'synack list' shows the {len(SCENARIOS)} there are.") from None


def list_scenarios() -> list[Scenario]:
    return list(SCENARIOS.values())
