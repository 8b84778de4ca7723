"""Running a scenario: the steps applied at their tick boundaries on a recording Simulation,
then every expectation judged (hal_sim.scenario.judge).

A `send` step the firmware refuses (an error reply, such as `heat warm`) ends the run there:
the scenario is wrong about the device, and whatever the expectations would say after it
would be a symptom, not the cause. The result then carries the refused step and its reply.
While `serial_noise` is injected, replies are not matched to steps (the noise draws its own).
"""

import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from hal_sim.scenario.judge import Outcome, fmt_fields, judge
from hal_sim.scenario.validate import load_scenario, validate_scenario
from hal_sim.simulation import Simulation


@dataclass
class StepLog:
    index: int
    at_s: float  # when the scenario asked for it
    applied_s: float  # the tick boundary it was applied on
    text: str
    reply: dict | None = None  # for `send`: the first reply that came back after it

    @property
    def refused(self):
        return self.reply is not None and not self.reply.get("ok")

    def reply_text(self):
        r = self.reply
        if r is None:
            return "no reply"
        if r.get("ok"):
            return "ok"
        return "error %s: %s" % (r.get("error"), r.get("detail"))


@dataclass
class ScenarioResult:
    scenario: dict
    sim: Simulation
    outcomes: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    refused: StepLog | None = None  # the `send` step the firmware refused, if one was
    wall_s: float = 0.0

    @property
    def name(self):
        return self.scenario["name"]

    @property
    def passed(self):
        return self.refused is None and all(o.passed for o in self.outcomes)

    @property
    def failed(self):
        return [o for o in self.outcomes if not o.passed]

    @property
    def exit_code(self):
        return 0 if self.passed else 1

    def refusal_line(self):
        lg = self.refused
        if lg is None:
            return ""
        return ("ERROR steps[%d] %s at %g s: the firmware refused it (%s); the run stopped "
                "at %.2f s and no expectation was judged"
                % (lg.index, lg.text, lg.at_s, lg.reply_text(), self.sim.now_s))

    def report(self):
        lines = [self.refusal_line()] if self.refused else []
        return "\n".join(lines + [o.line for o in self.outcomes])


def step_text(st):
    kind, v = st["kind"], st["value"]
    if kind == "send":
        return "send %r" % v
    if kind == "press":
        return "press %s (%g s)" % (v, st["hold_s"])
    if kind == "power_cycle":
        return "power_cycle"
    args = "".join(" %s=%s" % (k, st["args"][k]) for k in sorted(st.get("args", ())))
    return "%s %s%s" % (kind, v, args)


def snapshot(sim):
    """The state expectations look at before any tick, shaped like a trace row."""
    ctl = sim.ctl
    if ctl is None:
        return {"t_ms": sim.now_ms, "fault": "service", "session": 0, "heat_state": 0,
                "heat": 0, "massage": 0}
    return {"t_ms": sim.now_ms, "fault": ctl.safety.active_fault() or "",
            "session": 1 if ctl.session.active else 0, "heat_state": ctl.heat.state,
            "heat": ctl.heat.level, "massage": ctl.vib.mode}


class _Runner:
    """Steps one Simulation tick by tick, matching replies to `send` steps as they come and
    telling `progress` (verbose mode) about each step, reply and event."""

    def __init__(self, sc, progress):
        self.sim = Simulation(ambient_c=sc["ambient_c"], start_ticks_ms=sc["start_ticks_ms"],
                              record=True, seed=sc["seed"], supply_v=sc["supply_v"])
        self.progress = progress
        self.waiting = []  # `send` steps whose reply has not come yet, oldest first
        self.events_seen = 0
        self.replies_seen = 0
        self.resets_seen = 0
        self.refused = None

    def noisy(self):
        # noise on the line draws replies of its own and may spoil a request: while it is
        # injected, replies cannot be told apart and are not matched to steps
        return "serial_noise" in self.sim.active_faults

    def say(self, text, at_s=None):
        if self.progress is not None:
            self.progress("%8.2f s  %s" % (self.sim.now_s if at_s is None else at_s, text))

    def look(self):
        """New events and replies since the last look."""
        sim = self.sim
        if self.progress is not None:
            for ev in sim.events[self.events_seen:]:
                rest = {k: v for k, v in ev.items() if k not in ("event", "sim_s")}
                self.say(("event %s %s" % (ev["event"], fmt_fields(rest))).rstrip(), ev["sim_s"])
            self.events_seen = len(sim.events)
        if len(sim.resets) != self.resets_seen:  # a reboot drops what was on the line
            self.resets_seen = len(sim.resets)
            self.waiting = []
        noisy = self.noisy()
        for reply in sim.replies[self.replies_seen:]:
            if not self.waiting or noisy:
                continue
            log = self.waiting.pop(0)
            log.reply = reply
            self.say("steps[%d] -> %s" % (log.index, log.reply_text()), reply["sim_s"])
            if log.refused and self.refused is None:
                self.refused = log
        self.replies_seen = len(sim.replies)

    def advance_to(self, t_s):
        """Step to the first tick boundary at or after t_s (stopping at a refusal)."""
        sim = self.sim
        target_ms = int(round(t_s * 1000))
        self.look()
        while sim.now_ms < target_ms and self.refused is None:
            sim.step()
            self.look()

    def apply(self, st):
        sim = self.sim
        log = StepLog(st["index"], st["at_s"], sim.now_s, step_text(st))
        self.say("steps[%d] %s" % (log.index, log.text))
        kind = st["kind"]
        # A send goes straight onto the serial line (no waiting for the reply): the step
        # happens at its time and takes none; each request line gets one reply, in order.
        if kind == "send" and not self.noisy():
            self.waiting.append(log)
        apply_step(sim, st)
        if kind in ("press", "power_cycle"):
            self.look()
        return log


def apply_step(target, st):
    """Carry out one validated step on a Simulation or anything shaped like one (the
    emulated board's EmulatedBoard)."""
    kind, v = st["kind"], st["value"]
    if kind == "send":
        target.serial_in(v.encode("utf-8").rstrip(b"\r\n") + b"\n")
    elif kind == "press":
        target.press(v, hold_s=st["hold_s"])
    elif kind == "inject":
        target.inject(v, **st["args"])
    elif kind == "repair":
        target.repair(v, **st["args"])
    elif kind == "power_cycle":
        target.power_cycle()


def run_scenario(scenario, progress: Callable[[str], Any] | None = None):
    """Run a scenario (a path, or a dict shaped like the TOML) and judge it.

    `progress`, if given, is called with one line of text for each step, each reply to a
    `send` and each event, as they happen (simulated time first). Raises ScenarioError for
    a bad scenario; returns a ScenarioResult (with the Simulation, its trace and events, in
    `.sim`)."""
    sc = validate_scenario(scenario) if isinstance(scenario, dict) else load_scenario(scenario)
    return run_validated(sc, progress)


def run_validated(sc, progress=None):
    """run_scenario for a scenario that validate_scenario or load_scenario already gave."""
    t0 = time.perf_counter()
    runner = _Runner(sc, progress)
    sim = runner.sim
    result = ScenarioResult(sc, sim)
    initial = snapshot(sim)
    for st in sorted(sc["steps"], key=lambda st: st["at_s"]):  # sorted() is stable
        runner.advance_to(st["at_s"])
        if runner.refused is not None:
            break
        result.steps.append(runner.apply(st))
    runner.advance_to(sc["duration_s"])
    result.steps.sort(key=lambda lg: lg.index)
    result.refused = runner.refused
    if result.refused is None:
        result.outcomes = [judge(ex, sim, initial) for ex in sc["expect"]]
    result.wall_s = time.perf_counter() - t0
    return result


__all__ = ["Outcome", "ScenarioResult", "StepLog", "run_scenario", "run_validated", "snapshot",
           "step_text"]
