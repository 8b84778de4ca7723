"""Helpers shared by the robustness tests (not a test module)."""

from hal_sim import Simulation

TICK_S = Simulation.tick_ms / 1000
PAD_MAX_C = 52.0  # the true pad surface must never exceed this (DESIGN section 9)
LEVELS = ("low", "medium", "high")
AMBIENTS = (0.0, 22.0, 35.0)
SUPPLIES = (10.8, 12.0, 13.2)
SETPOINTS_C100 = (0, 3800, 4200, 4500)


def tick_n(seconds):
    return int(seconds * 1000 + 0.5) // Simulation.tick_ms


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


def fault_events(sim, since=0):
    return [e for e in sim.events[since:] if e.get("event") == "fault"]
