"""The thermal cut-out against what it is fitted for, judged by the physical truth (sim.pad_c,
sim.heater_duty, the part's own temperature): the helpers behind tests/sim/test_cutout_*.py
and the figures docs/safety.md (H10, "Known limits") and docs/hardware.md carry.

- `clean_session`: (a) a fault-free pad of the envelope, two sessions back to back, with the
  part at the low end of its tolerance (it opens lowest and follows fastest): it must never
  open.
- `h10_case`: (b) one H10 common-cause case (both sensors wrong together) at high, injected
  while warming or holding, on the nominal pad or the hot corner, with or without the part.

`python -m tests.sim.cutout_cases` prints the tables of the docs from a fresh run.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from hal_sim import envelope

from . import TICK_S, ticks
from .envelope_cases import SESSION_S

WARMING_INJECT_S = 30.0  # a fault injected while warming: 30 s into the session
HOLDING_EXTRA_S = 30.0  # ... while holding: 30 s after the controller first holds

# The H10 cases of docs/safety.md, "Known limits": (words in the doc, fault, arguments).
H10_CASES = (
    ("drift -0.5 C/min, both", "sensor_drift", {"rate_c_per_min": -0.5}),
    ("drift -1.0 C/min, both", "sensor_drift", {"rate_c_per_min": -1.0}),
    ("offset -3 C, both", "sensor_offset", {"value_c": -3.0}),
    ("offset -8 C, both", "sensor_offset", {"value_c": -8.0}),
    ("both lifted off", "sensor_detached", {}),
)
H10_PADS = ("nominal", "hot_corner")
PHASES = ("warming", "holding")
COOL_S = 120.0  # watched after the session's end: the pad's peak and dose include the tail
HOLDING = 2
DOCS = Path(__file__).resolve().parents[2] / "docs"


def cem43_per_tick(pad_c):
    """CEM43 equivalent minutes of one tick at pad_c (cushion/dose.py's R: 0.5 at or above
    43 C, 0.25 below; computed unclamped, since the cases here run past dose.py's 52 C)."""
    r = 0.5 if pad_c >= 43.0 else 0.25
    return TICK_S / 60.0 * r ** (43.0 - pad_c)


@dataclass
class CaseResult:
    code: object = None       # the first fault the firmware latched after the injection
    code_s: float = 0.0       # ... seconds after the injection
    max_pad_c: float = 0.0    # the hottest the true pad got, to the end of the cool-down
    cem43: float = 0.0        # the true pad's dose from the injection on
    cutout_s: object = None   # seconds after the injection the part first opened (None)
    powered_after_open: int = 0  # ticks the element got power after the part first opened
    opens: int = 0            # how many times the part opened (double_fault)


def fitted(cond, cutout):
    """`cond` with the part at that end of its tolerance; cutout None: no part."""
    return cond if cutout is None else envelope.with_cutout(cond, cutout)


def h10_case(pad, case, phase, cutout=None):
    """One H10 case (an entry of H10_CASES) on a pad of H10_PADS, injected in `phase`, with
    the part at `cutout` (an end of envelope.CUTOUT_ENDS) or none."""
    return h10_run(fitted(envelope.corner(pad), cutout), case, phase)


def h10_run(cond, case, phase):
    """One H10 case on these Conditions (with whatever part they fit)."""
    _words, kind, args = case
    sim = envelope.simulation(cond, seed=1)
    assert sim.command("heat high")["ok"] and sim.command("massage continuous 1")["ok"]
    out = CaseResult()
    if phase == "warming":
        sim.run(WARMING_INJECT_S)
    else:
        assert sim.run_until(lambda s: s.ctl.heat.state == HOLDING, 700.0), "never held"
        sim.run(HOLDING_EXTRA_S)
    out.max_pad_c = sim.pad_c
    t0 = sim.now_s
    n_ev = len(sim.events)
    sim.inject(kind, sensor="both", **args)
    for _ in range(ticks(SESSION_S + COOL_S - t0)):
        sim.step()
        pad_c = sim.pad_c
        out.max_pad_c = max(out.max_pad_c, pad_c)
        out.cem43 += cem43_per_tick(pad_c)
        if out.cutout_s is not None and sim.heater_duty > 0.0:
            out.powered_after_open += 1
        if sim.cutout_open and out.cutout_s is None:
            out.cutout_s = sim.now_s - t0
        if out.code is None:
            evs = [e for e in sim.events[n_ev:] if e.get("event") == "fault"]
            if evs:
                out.code, out.code_s = evs[0]["code"], sim.now_s - t0
    return out


def sweep_conditions():
    """(a)'s pads and settings: the nominal pad, every corner of the envelope (the blanket,
    nobody on it, the 40 C room at 13.2 V among them) and the nominal pad over a room x
    supply x lead grid."""
    conds = [envelope.NOMINAL] + list(envelope.CORNERS.values())
    for ambient in (0.0, 22.0, 40.0):
        for supply in (10.8, 13.2):
            for lead in (0.05, 0.3):
                conds.append(envelope.with_params(
                    envelope.NOMINAL, name="nominal_%g_%g_%g" % (ambient, supply, lead),
                    ambient_c=ambient, supply_v=supply, r_supply_ohm=lead))
    return conds


@dataclass
class CleanResult:
    max_part_c: float = 0.0  # the hottest the part itself got
    max_pad_c: float = 0.0
    opened: bool = False
    faults: tuple = ()


def clean_session(cond, level, cutout="low", sessions=2):
    """Fault-free sessions at `level` back to back (a new one the moment auto-off ends the
    last, massage on), with the part at `cutout`."""
    sim = envelope.simulation(fitted(cond, cutout), seed=1)
    part = sim.cushion.cutout
    out = CleanResult(part.temp_c, sim.pad_c)
    for _ in range(sessions):
        assert sim.command("heat " + level)["ok"]
        assert sim.command("massage continuous 1")["ok"]
        for _ in range(ticks(SESSION_S + 1.0)):
            sim.step()
            out.max_part_c = max(out.max_part_c, part.temp_c)
            out.max_pad_c = max(out.max_pad_c, sim.pad_c)
            out.opened = out.opened or sim.cutout_open
    out.faults = tuple(e["code"] for e in sim.events if e.get("event") == "fault")
    return out


# ---- the docs' tables, from a fresh run ------------------------------------------------------

def dose_words(cem43):
    """A dose as the docs print it: two significant figures."""
    return "%.1f" % cem43 if cem43 < 10 else "{:,}".format(int(float("%.2g" % cem43)))


def _alone_cell(r):
    caught = "not caught" if r.code is None else "`%s` at %.0f s" % (r.code, r.code_s)
    return "%s, %.1f C, %s" % (caught, r.max_pad_c, dose_words(r.cem43))


def _with_cell(r):
    part = "stays closed" if r.cutout_s is None else "opens at %.0f s" % r.cutout_s
    return "%.1f C, %s (%s)" % (r.max_pad_c, dose_words(r.cem43), part)


def h10_results():
    """Every H10 case without the part (None) and with it at the top of its tolerance
    ("high": it opens highest and follows slowest): {(pad, words, phase, cutout): result}."""
    return {(pad, case[0], phase, cutout): h10_case(pad, case, phase, cutout)
            for case in H10_CASES for phase in PHASES for pad in H10_PADS
            for cutout in (None, "high")}


def h10_table(results):
    """docs/safety.md's H10 table, from h10_results()."""
    lines = ["| common-cause fault | injected | nominal: firmware alone | nominal: with the "
             "cut-out | hot corner: firmware alone | hot corner: with the cut-out |",
             "|---|---|---|---|---|---|"]
    for case in H10_CASES:
        for phase in PHASES:
            cells = [case[0], phase]
            for pad in H10_PADS:
                cells.append(_alone_cell(results[pad, case[0], phase, None]))
                cells.append(_with_cell(results[pad, case[0], phase, "high"]))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def with_part_at(cond, open_c, tau_s, reset_c):
    return envelope.with_params(cond, cutout_c=open_c, cutout_tau_s=tau_s,
                                cutout_reset_c=reset_c)


# The parts compared in docs/safety.md: (words, lowest and highest opening temperature, one
# shot). A thermal link opens within +0/-10 K of its rating (IEC 60691); the thermostat
# within its rating +-CUTOUT_TOLERANCE_C.
def candidate_parts():
    tol = envelope.CUTOUT_TOLERANCE_C
    out = []
    for step in (-1.0, 0.0, 1.0, 2.0):
        rating = envelope.CUTOUT_RATING_C + step
        out.append(("bimetal thermostat %g C +-%g K" % (rating, tol), rating - tol,
                    rating + tol, False))
    for rating in (57.0, 59.0):
        out.append(("thermal link %g C (+0/-10 K)" % rating, rating - 10.0, rating, True))
    return out


def rating_table(worst_clean_c):
    """docs/safety.md's choice of part: each candidate's lowest opening temperature against
    the hottest fault-free mount (worst_clean_c) and, at its highest and slowest, the worst
    case it can stop (both sensors drifting -1 C/min from the start of warming)."""
    lo_tau, hi_tau = envelope.CUTOUT_RANGES["cutout_tau_s"]
    case = H10_CASES[1]
    lines = ["| part | opens within | fault-free (a) | drift -1.0 C/min at its highest: "
             "pad peak, CEM43 |", "|---|---|---|---|"]
    for words, lo, hi, one_shot in candidate_parts():
        sim_cond = with_part_at(envelope.NOMINAL, hi, hi_tau,
                                None if one_shot else hi - envelope.CUTOUT_RESET_DIFFERENTIAL_C)
        r = h10_run(sim_cond, case, "warming")
        fits = "never opens" if lo > worst_clean_c else "opens (%.1f C > %g C)" % (
            worst_clean_c, lo)
        lines.append("| %s | %g..%g C | %s | %.1f C, %s |" % (
            words, lo, hi, fits, r.max_pad_c, dose_words(r.cem43)))
    return "\n".join(lines)



DOUBLE_FAULT_S = 1800.0


def double_fault(pad, cutout="high", one_shot=False):
    """A welded cut-off switch and a shorted MOSFET together while holding at high: neither
    switch can stop the heat, only the part. Watched for DOUBLE_FAULT_S."""
    cond = envelope.with_cutout(envelope.corner(pad), cutout, one_shot=one_shot)
    sim = envelope.simulation(cond, seed=1)
    assert sim.command("heat high")["ok"]
    assert sim.run_until(lambda s: s.ctl.heat.state == HOLDING, 700.0), "never held"
    sim.run(HOLDING_EXTRA_S)
    sim.inject("cutoff_stuck_closed")
    sim.inject("heater_stuck_on")
    out = CaseResult(max_pad_c=sim.pad_c)
    t0 = sim.now_s
    for _ in range(ticks(DOUBLE_FAULT_S)):
        sim.step()
        out.max_pad_c = max(out.max_pad_c, sim.pad_c)
        out.cem43 += cem43_per_tick(sim.pad_c)
        if out.cutout_s is not None and sim.heater_duty > 0.0:
            out.powered_after_open += 1  # the part closed again and the element heated
        if sim.cutout_open and out.cutout_s is None:
            out.cutout_s = sim.now_s - t0
    out.opens = sim.cushion.cutout.opens
    return out


def doc_text(name):
    """docs/NAME with its line breaks and indentation folded to single spaces."""
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())


def doc_figures(pattern, name):
    """The groups of `pattern` in docs/NAME (it must be there)."""
    m = re.search(pattern, doc_text(name))
    assert m, "docs/%s: no %r" % (name, pattern)
    return m.groups()


def documented_hottest_clean_c():
    """(a)'s hottest as docs/safety.md gives it."""
    return float(doc_figures(r"there the mount reaches ([\d.]+) C", "safety.md")[0])


def hottest_clean_mount_c():
    """(a)'s hottest: the part at the low end on the reads-low corner at high (the sweep in
    tests/sim/test_cutout_no_false_open.py shows nothing is hotter)."""
    return clean_session(envelope.corner("reads_low_corner"), "high").max_part_c


if __name__ == "__main__":
    print(h10_table(h10_results()))
    print()
    print(rating_table(round(hottest_clean_mount_c(), 1)))
