"""Scenario files: a TOML script of steps for the simulated cushion, and what must come of it.

    python -m hal_sim run scenarios/sensor_detached_while_holding.toml --plot out.png
    cushion run FILE            (host/cli.py: `add_run_arguments` and `run_files`)

    from hal_sim.scenario import run_scenario
    result = run_scenario("scenarios/x.toml")      # or a dict with the same shape
    assert result.passed, result.report()

The modules: `validate` (the file to a normalised scenario), `run` (the steps on a
Simulation), `judge` (one function per expectation kind), `cli` (the command line and
`run_files`). The format, every check the validator makes and how each expectation is
judged are in docs/simulator.md, section "Scenarios". CPython only (tomllib): a test and CI
tool that never runs in MicroPython.

Exit codes of `main` and `run_files`: 0 every expectation passed, 1 at least one failed or
the firmware refused a `send` step, 2 the file (or the command line) is bad; the reason goes
to stderr.
"""

from hal_sim.scenario.cli import add_run_arguments, main, run_file, run_files
from hal_sim.scenario.fields import ScenarioError
from hal_sim.scenario.judge import JUDGES, Outcome, event_matches, row_state
from hal_sim.scenario.judge import judge as judge_expectation
from hal_sim.scenario.run import ScenarioResult, StepLog, run_scenario
from hal_sim.scenario.validate import load_scenario, validate_scenario

__all__ = [
    "JUDGES", "Outcome", "ScenarioError", "ScenarioResult", "StepLog", "add_run_arguments",
    "event_matches", "judge_expectation", "load_scenario", "main", "row_state", "run_file",
    "run_files", "run_scenario", "validate_scenario",
]
