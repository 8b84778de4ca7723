"""One campaign session: drawn from its seed alone, run on a Simulation, judged by truth.

    row = run_seed(spec, seed)                 # what a Dask worker runs; a JSON-safe dict
    row, sim = run_session(spec, seed, record=True)   # the same session with its full trace

`draw` takes every random choice from random.Random(seed), in a fixed order, so a seed and a
spec give the same session on any worker, any number of workers, and in a replay. The
session heats at its level (and massages), the fault strikes at its time, a power cycle or a
reset may follow (and the user re-heats), and the run stops `settle_s` after the detection
(and the follow-up), or `run_on_s` after the fault at the latest. Every tick is watched:
the highest true pad, the first fault event (or watchdog reset), and heater power after it.
"""

import copy
import dataclasses
import random
import traceback

from cushion import names
from cushion.limits import TICK_MS
from hal_sim import envelope
from hal_sim.campaign import rules

SEED_STRIDE = 10**9  # session seed = campaign seed * SEED_STRIDE + index


def session_seeds(campaign_seed, n):
    return [campaign_seed * SEED_STRIDE + i for i in range(n)]


def _tick_s(t):
    """Round a time to the firmware tick, so that the plan says exactly what runs."""
    return round(t * 1000 / TICK_MS) * TICK_MS / 1000


def _value(rng, v):
    if isinstance(v, dict):
        return rng.uniform(v["lo"], v["hi"])
    return rng.choice(v) if isinstance(v, list) else v


def _conditions(rng, pads):
    """(conditions, the corner's name or "envelope" for a drawn pad)."""
    if pads["corners"] and rng.random() < pads["corner_weight"]:
        name = rng.choice(pads["corners"])
        return envelope.corner(name), name
    cond = envelope.draw(rng)
    if not pads["ranges"]:
        return cond, "envelope"
    pad = copy.deepcopy(cond.pad)
    room = {}
    for name, (lo, hi) in pads["ranges"].items():
        if name in ("ambient_c", "supply_v"):
            room[name] = rng.uniform(lo, hi)
        elif isinstance(getattr(pad, name), list):
            setattr(pad, name, [rng.uniform(lo, hi) for _ in getattr(pad, name)])
        else:
            setattr(pad, name, rng.uniform(lo, hi))
    return dataclasses.replace(cond, pad=pad, **room), "envelope"


def draw(spec, seed):
    """The session of `seed`: (plan, conditions). The plan is JSON-safe and goes in the row."""
    rng = random.Random(seed)
    cond, where = _conditions(rng, spec["pads"])
    s, f, fu = spec["session"], spec["faults"], spec["followup"]
    level = rng.choice(s["levels"])
    kind = None if rng.random() < f["fault_free"] else rng.choice(f["kinds"])
    massage = rng.choice(s["massage"])
    if kind in rules.NEEDS_MASSAGE and massage == "off":
        massage = rng.choice([m for m in s["massage"] if m != "off"] or ["continuous"])
    intensity = rng.randint(*s["intensity"])
    inject_s = _tick_s(rng.uniform(*f["inject_s"]))
    args = {k: _value(rng, v) for k, v in f["args"].get(kind, {}).items()} if kind else {}
    u = rng.random()
    followup = ("power_cycle" if u < fu["power_cycle"] else
                "reset" if u < fu["power_cycle"] + fu["reset"] else None)
    followup_s = _tick_s(inject_s + rng.uniform(*fu["after_s"])) if followup else None
    plan = {
        "seed": seed, "corner": where,
        "pad": {k: getattr(cond.pad, k) for k in _pad_fields(spec) if hasattr(cond.pad, k)},
        "ambient_c": cond.ambient_c, "supply_v": cond.supply_v,
        "level": level, "massage": massage, "intensity": intensity,
        "fault": kind, "args": args, "inject_s": inject_s,
        "followup": followup, "followup_s": followup_s,
        "sim_seed": rng.randrange(1, 2**31),
    }
    return plan, cond


def _pad_fields(spec):
    fields = [k for k in envelope.RANGES if k not in ("ambient_c", "supply_v")]
    return fields + [k for k in spec["pads"]["ranges"]
                     if k not in fields and k not in ("ambient_c", "supply_v")]


class Watch:
    """Steps a Simulation one tick at a time and keeps what the verdict is made of."""

    def __init__(self, sim):
        self.sim = sim
        self.max_pad_c = sim.pad_c
        self.inject_ms = None
        self.first = None        # (ms, rule) of the first fault event or watchdog reset
        self.before = None       # a fault code latched before the fault was injected
        self.heater_after_ms = 0
        self._events = 0
        self._resets = 0

    def step(self):
        sim = self.sim
        sim.step()
        pad = sim.pad_c
        if pad > self.max_pad_c:
            self.max_pad_c = pad
        if len(sim.events) > self._events:
            for ev in sim.events[self._events:]:
                if ev.get("event") == "fault":
                    self._caught(round(ev["sim_s"] * 1000), ev.get("code"))
            self._events = len(sim.events)
        if len(sim.resets) > self._resets:
            for t_s, cause in sim.resets[self._resets:]:
                if cause == "watchdog":
                    self._caught(round(t_s * 1000), rules.WATCHDOG)
            self._resets = len(sim.resets)
        first = self.first
        if (first is not None and first[1] not in names.MOTOR_FAULTS
                and first[1] != rules.WATCHDOG and sim.heater_duty > 0
                and sim.now_ms > first[0] + rules.LATCH_GRACE_S * 1000):
            self.heater_after_ms += TICK_MS

    def _caught(self, ms, rule):
        if self.inject_ms is None or ms < self.inject_ms:
            if self.before is None:
                self.before = rule
        elif self.first is None:
            self.first = (ms, rule)

    def run_to(self, t_s):
        end_ms = round(t_s * 1000)
        while self.sim.now_ms < end_ms:
            self.step()


def _send(sim, line):
    if sim.ctl is not None:  # a board in service mode takes no commands
        sim.serial_in(line.encode() + b"\n")


def _follow_up(w, plan):
    sim = w.sim
    if plan["followup"] == "power_cycle":
        sim.power_cycle()
    elif callable(getattr(sim, "reset", None)):
        sim.reset()
    else:
        sim.board.reset_requested = True  # what machine.reset() does on the virtual board
        w.step()


def run_session(spec, seed, record=False):
    """Draw and run the session of `seed`; returns (row, sim)."""
    plan, cond = draw(spec, seed)
    sim = envelope.simulation(cond, seed=plan["sim_seed"], record=record)
    w = Watch(sim)
    heat = "heat %s" % plan["level"]
    _send(sim, heat)
    w.run_to(TICK_MS / 1000 * 2)
    if plan["massage"] != "off":
        _send(sim, "massage %s %d" % (plan["massage"], plan["intensity"]))
    w.run_to(plan["inject_s"])
    w.inject_ms = sim.now_ms
    if plan["fault"] is not None:
        sim.inject(plan["fault"], **plan["args"])
    end_ms = w.inject_ms + round(spec["session"]["run_on_s"] * 1000)
    settle_ms = round(spec["session"]["settle_s"] * 1000)
    follow_ms = None if plan["followup"] is None else round(plan["followup_s"] * 1000)
    followed = follow_ms is None
    while sim.now_ms < end_ms:
        if not followed and sim.now_ms >= follow_ms:
            _follow_up(w, plan)
            if spec["followup"]["reheat"]:
                _send(sim, heat)
            followed = True
        w.step()
        if w.first is not None and followed:
            if sim.now_ms >= max(w.first[0], follow_ms or 0) + settle_ms:
                break
    out = {
        "max_pad_c": w.max_pad_c,
        "rule": None if w.first is None else w.first[1],
        "detect_s": None if w.first is None else (w.first[0] - w.inject_ms) / 1000,
        "heater_on_after_latch_s": w.heater_after_ms / 1000,
        "tripped_before_fault": w.before,
        "end_s": sim.now_s,
        "watched_s": (sim.now_ms - w.inject_ms) / 1000,
    }
    verdict, reasons = rules.judge(plan["fault"], out)
    row = dict(plan, **out)
    row.update(verdict=verdict, reasons=reasons, unsafe=rules.is_unsafe(out))
    return row, sim


def run_seed(spec, seed):
    """The Dask task: one session's row. An exception is a finding, not a lost session: it
    becomes a row with verdict "error" and the traceback's last lines."""
    try:
        return run_session(spec, seed)[0]
    except Exception as e:  # noqa: BLE001 - recorded in the results, counted in the report
        return {"seed": seed, "verdict": "error", "unsafe": False,
                "reasons": ["%s: %s" % (type(e).__name__, e)],
                "traceback": traceback.format_exc(limit=4)}
