"""One fault-free session on a pad of the envelope, judged by the physical truth: the helper
behind tests/sim/test_envelope_matrix.py (`make test-slow`).

`clean_session` returns the problems a session showed, each as (SR, words); an empty list
is a pass. The SR says which requirement the problem belongs to (a false trip names the rule
that tripped).
"""

from dataclasses import dataclass, field

from hal_sim import envelope

from . import PAD_MAX_C, ticks

SESSION_S = 900.0
SUPPLY_PAUSE_MAX = 0.01  # of a fault-free session's ticks, with the supply inside 10.8..13.2 V


@dataclass
class Outcome:
    max_pad_c: float = 0.0
    problems: list = field(default_factory=list)

    def problem(self, sr, words):
        self.problems.append((sr, words))


class Run:
    """A Simulation stepped tick by tick, its hottest true pad recorded."""

    def __init__(self, cond, level, massage, seed=1):
        self.sim = envelope.simulation(cond, seed=seed)
        self.max_pad = self.sim.pad_c
        self.paused_ticks = 0
        self.ticks = 0
        assert self.sim.command("heat " + level)["ok"]
        if massage:
            assert self.sim.command("massage continuous 2")["ok"]

    def step(self):
        sim = self.sim
        sim.step()
        self.ticks += 1
        if sim.pad_c > self.max_pad:
            self.max_pad = sim.pad_c
        ctl = sim.ctl
        if ctl is not None and ctl.safety.supply_paused:
            self.paused_ticks += 1

    def run(self, seconds):
        for _ in range(ticks(seconds)):
            self.step()

    def fault_events(self, since=0):
        return [e for e in self.sim.events[since:] if e.get("event") == "fault"]


def _sr_of_false_trip(code):
    return {"heater_stuck_on": "SR-5", "thermal_runaway": "SR-5", "no_heat_rise": "SR-4",
            "sensor_mismatch": "SR-6", "overheat": "SR-2", "sensor_open": "SR-3",
            "sensor_short": "SR-3", "motor_stall": "SR-13", "supply_high": "SR-9"}.get(code,
                                                                                   "SR-?")


def clean_session(cond, level, massage, seed=1):
    """A whole fault-free session plus 5 s."""
    r = Run(cond, level, massage, seed)
    r.run(SESSION_S + 5.0)
    out = Outcome(r.max_pad)
    for e in r.fault_events():
        out.problem(_sr_of_false_trip(e["code"]),
                    "false %s at %.1f s" % (e["code"], e["sim_s"]))
    if r.max_pad > PAD_MAX_C:
        out.problem("SR-2", "true pad %.2f C" % r.max_pad)
    if r.paused_ticks > SUPPLY_PAUSE_MAX * r.ticks:
        out.problem("SR-9", "heater paused for low supply %.0f %% of the session"
                    % (100.0 * r.paused_ticks / r.ticks))
    autos = [e for e in r.sim.events if e.get("event") == "auto_off"]
    if not r.fault_events() and not (len(autos) == 1 and 899.9 <= autos[0]["sim_s"] <= 900.2):
        out.problem("SR-7", "auto_off %s" % [e["sim_s"] for e in autos])
    return out


def case_id(*parts):
    return "-".join(str(p) for p in parts)

