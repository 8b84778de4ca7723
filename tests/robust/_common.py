"""Helpers shared by the robustness tests (not a test module)."""

from tests.conftest import (  # noqa: F401 - the names the tests here import from this module
    AMBIENTS, LEVELS, PAD_MAX_C, SETPOINTS_C100, SUPPLIES, TICK_S, fault_events,
)
from tests.conftest import ticks as tick_n  # noqa: F401


def step_checked(sim, state=None):
    """One tick with the always-true checks: the tick runs, the true pad stays cool enough,
    every output line is JSON. Returns the pad temperature."""
    before = sim.ticks_run
    hung = sim._hung  # noqa: SLF001 - a hung loop legitimately runs no tick
    sim.step()
    if not hung and sim.ctl is not None:
        assert sim.ticks_run == before + 1, "a tick was skipped"
    pad = sim.pad_c
    assert pad <= PAD_MAX_C, "true pad %.2f C > %.1f C at %.2f s" % (pad, PAD_MAX_C, sim.now_s)
    assert not sim.bad_lines, sim.bad_lines[:3]
    return pad
