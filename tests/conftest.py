"""What the test packages share: the bounds every whole-system test holds the simulator's
physical truth to, the grids they sweep, and small helpers. Imported by name
(`from tests.conftest import PAD_MAX_C`); the helpers that drive a Simulation live next to
their tests (tests/sim/__init__.py, tests/robust/_common.py).

Importing hal_sim first installs the `micropython` stand-in and puts firmware/ on sys.path,
so every test module may import `cushion` at its top.
"""

from hal_sim import Simulation  # first: the firmware's imports need it

from cushion import limits  # noqa: E402
from cushion.schema import LEVEL_NAMES, LEVELS_C  # noqa: E402

TICK_S = Simulation.tick_ms / 1000
PAD_MAX_C = 52.0  # the true pad surface may never exceed this (DESIGN section 9)
EPS = 1e-6  # sim_s values are sums of 0.05 s steps: compare with a little slack
AMBIENTS = (0.0, 22.0, 35.0)
SUPPLIES = (10.8, 12.0, 13.2)
LEVELS = LEVEL_NAMES[1:]  # the heat levels that heat: low, medium, high
SETPOINT_C = dict(LEVELS_C)  # by level name
SETPOINTS_C100 = tuple(limits.LEVEL_SETPOINTS)  # by level index, 0 for off


def ticks(seconds):
    """Whole ticks in `seconds`."""
    return int(round(seconds * 1000)) // Simulation.tick_ms


def fault_events(sim, since=0):
    return [e for e in sim.events[since:] if e.get("event") == "fault"]
