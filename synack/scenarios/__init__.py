"""The scenario library: application scripts with a title, an explanation and ladder phases.

``run_scenario(name, ...)`` runs one in the simulator and returns a :class:`Run`
whose recorder the views in :mod:`synack.trace` draw from.
"""

from .base import Param, Scenario, ScenarioError
from .registry import SCENARIOS, get_scenario, list_scenarios
from .runner import Run, run_scenario

__all__ = ["Param", "Run", "SCENARIOS", "Scenario", "ScenarioError", "get_scenario", "list_scenarios",
           "run_scenario"]
