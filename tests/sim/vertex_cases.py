"""The envelope's vertices that bound SR-5b and the energy check, and the statistic each rule
judges, measured on the firmware's own inputs: the helpers behind
tests/sim/test_envelope_vertices.py and the figures in docs/safety.md ("Thresholds and the
envelope corners that bound them").

- SR-5b (`heater_stuck_on` from the reading): while the heater is commanded off the reading
  may rise at most STUCK_MARGIN_C100 + STUCK_STORED_C100 x index above any earlier reading of
  the off period. `stuck_need` is the smallest STUCK_STORED_C100 a session needs not to trip:
  max over s <= t of (hot_t - hot_s - margin) / index_s.
- The energy check: every ENERGY_WINDOW_J delivered far below the set-point must lift the
  reading ENERGY_MIN_RISE_C100. `window_rises` replays the check's windows on the recorded
  (reading, set-point, power) of each tick; the smallest rise is what a fault-free pad needs
  the threshold to stay under (the faults it is for are the H10 cases of
  tests/sim/cutout_cases.py: sensors lifted off fall, they rise nothing).

Statistics are recorded with both rules unable to latch (their thresholds patched out of
reach), so that an honest session runs to its end and a faulty one runs until another rule,
or the pad's 52 C, ends it. `python -m tests.sim.vertex_cases` prints the figures.
"""

import contextlib
import itertools
from dataclasses import dataclass, field

from cushion import limits, power_check

from hal_sim import envelope

from . import LEVELS, ticks
from .envelope_cases import SESSION_S

# ---- the vertices -------------------------------------------------------------------------

# What lifts the reading after a cut beyond the stored heat (SR-5b), and what holds it back
# while the energy goes in (the energy check), is the same set of parameters, each at the end
# that makes it worse: the slowest sensors (15 s: the reading still catches up after the cut,
# and trails the start), between two tracks (a 3 C hot spot: the offset scales with the flux,
# grows while warming and comes back as the flux falls), NTCs reading cold (r25 +3 %, beta
# -2 %: a flatter reading). The pad and setting span the rest at both ends: element +-20 %,
# mass +-30 %, a blanket / nobody on it / in use, 0 and 40 C rooms, 13.2 V behind 0.05 ohm
# and 10.8 V behind 0.3 ohm; leaning hard (losses x1.5) in the 40 C room only: in a cold room
# such a pad cannot reach high (hal_sim/envelope.py), docs/safety.md "Known limits".
SLOW_BETWEEN_TRACKS = dict(sensor_tau_s=[15.0, 15.0], hotspot_c=[3.0, 3.0],
                           ntc_r25_error=[0.03, 0.03], ntc_beta_error=[-0.02, -0.02])
COVERS = {"blanket": dict(loss_scale=0.4), "no_back": dict(back_present=False),
          "in_use": {}, "leaning": dict(loss_scale=1.5)}
ROOMS = (0.0, 40.0)
SUPPLIES = ((13.2, 0.05), (10.8, 0.3))
ELEMENTS = (0.8, 1.2)
MASSES = (0.7, 1.3)


def vertex(cover, ambient, supply, element, mass):
    v, r = supply
    name = "%s-%gC-%gV-x%g-m%g" % (cover, ambient, v, element, mass)
    return envelope.with_params(envelope.NOMINAL, name, ambient_c=ambient, supply_v=v,
                                r_supply_ohm=r, power_scale=element, mass_scale=mass,
                                **COVERS[cover], **SLOW_BETWEEN_TRACKS)


def vertices():
    for cover, ambient, supply, element, mass in itertools.product(
            COVERS, ROOMS, SUPPLIES, ELEMENTS, MASSES):
        if cover != "leaning" or ambient == 40.0:
            yield vertex(cover, ambient, supply, element, mass)


# SR-5b's faults (SR-16 reading nothing, so only SR-5b can tell): a stuck MOSFET and a 30 %
# leak, injected while warming or holding at high on the pads where they heat fastest, or
# after a power cycle or a watchdog reset on the hot pad (the index then starts at full).
# A 10 % leak is not among them: the heat loop takes it into its duty on every pad that
# needs more than 2 W to hold, and on the others it is caught with the index run down to 0.
BACKUP_PADS = ("nominal", "hot_corner", "blanket_corner", "no_back_corner")
BACKUP_FAULTS = (("heater_stuck_on", {}), ("mosfet_leak", {"fraction": 0.3}))
BACKUP_WHEN = (("warming", None), ("holding", None), ("holding", "power_cycle"),
               ("holding", "watchdog"))


def backup_cases():
    return itertools.product(BACKUP_PADS, BACKUP_FAULTS, BACKUP_WHEN)


# ---- recording ----------------------------------------------------------------------------

@dataclass
class Record:
    stuck: list = field(default_factory=list)   # per tick: (duty, hot, index per-mille, dt)
    energy: list = field(default_factory=list)  # per tick: (hot, setpoint, power mW, dt ms)
    pad: list = field(default_factory=list)     # per tick: the true pad
    faults: list = field(default_factory=list)  # codes latched
    since_energy: int = 0  # the first energy row after an injection


@contextlib.contextmanager
def rules_out_of_reach(sr16=True, rules=True):
    """SR-5b and the energy check cannot latch (rules); sr16=False: nor can SR-16 (current
    sensing that reads nothing: the case SR-5b is the backup for)."""
    saved = limits.STUCK_STORED_C100, limits.ENERGY_MIN_RISE_C100, power_check.PowerCheck.check
    if rules:
        limits.STUCK_STORED_C100 = 1 << 30
        limits.ENERGY_MIN_RISE_C100 = -(1 << 30)
    if not sr16:
        power_check.PowerCheck.check = lambda self, *a: None
    try:
        yield
    finally:
        (limits.STUCK_STORED_C100, limits.ENERGY_MIN_RISE_C100,
         power_check.PowerCheck.check) = saved


class Probe:
    """Records what SR-5b and the energy check see on every tick of a Simulation."""

    def __init__(self, sim):
        self.sim = sim
        self.rec = Record()
        self._sup = None

    def _hook(self):
        sup = self.sim.ctl.safety
        if sup is self._sup:
            return
        rec = self.rec
        if self._sup is not None:
            rec.stuck.append((1, 0, 0, -1))  # a reset: the new supervisor's off period starts anew
        self._sup = sup
        stuck = sup._check_stuck
        energy = sup.energy.check

        def check_stuck(dt, hot, duty):
            stuck(dt, hot, duty)
            rec.stuck.append((duty, hot, sup._heat_x >> 10, dt))

        def check_energy(hot, setpoint, power_mw, dt):
            rec.energy.append((hot, setpoint, power_mw, dt))
            return energy(hot, setpoint, power_mw, dt)

        sup._check_stuck = check_stuck
        sup.energy.check = check_energy

    def step(self):
        if self.sim.ctl is not None:
            self._hook()
        n = len(self.sim.events)
        self.sim.step()
        self.rec.pad.append(self.sim.pad_c)
        self.rec.faults += [e["code"] for e in self.sim.events[n:] if e.get("event") == "fault"]

    def run(self, seconds):
        for _ in range(ticks(seconds)):
            self.step()


def clean_record(cond, level, massage, seed=1):
    """A fault-free session (and 5 s) with both rules out of reach."""
    with rules_out_of_reach():
        sim = envelope.simulation(cond, seed=seed)
        p = Probe(sim)
        assert sim.command("heat " + level)["ok"]
        if massage:
            assert sim.command("massage continuous 2")["ok"]
        p.run(SESSION_S + 5.0)
    return p.rec


HOLDING = 2


def fault_record(cond, fault, args, phase="holding", follow=None, limit_s=300.0, sr16=False,
                 rules=True):
    """`fault` at high with SR-16 reading nothing (SR-5b's case) and SR-5b and the energy
    check out of reach (rules), injected 30 s into `phase`, or after a reset that follows it
    ("power_cycle" or "watchdog": then heat is asked for again on the hot pad). Recorded
    until a rule latches or the true pad passes 52 C. (record, first row after the
    injection)."""
    with rules_out_of_reach(sr16, rules):
        sim = envelope.simulation(cond, seed=1)
        p = Probe(sim)
        assert sim.command("heat high")["ok"] and sim.command("massage continuous 1")["ok"]
        if phase == "warming":
            p.run(30.0)
        else:
            for _ in range(ticks(700.0)):
                p.step()
                if sim.ctl.heat.state == HOLDING:
                    break
            p.run(30.0)
        if follow == "power_cycle":
            sim.power_cycle()
        elif follow == "watchdog":
            sim.inject("loop_hang")
            p.run(2.2)
            assert sim.resets and sim.resets[-1][1] == "watchdog"
        if follow is not None:
            p.run(1.0)
            sim.inject(fault, **args)
            assert sim.command("heat high")["ok"]
        else:
            sim.inject(fault, **args)
        since = len(p.rec.stuck)
        p.rec.since_energy = len(p.rec.energy)
        for _ in range(ticks(limit_s)):
            p.step()
            if p.rec.faults or p.rec.pad[-1] > 52.0:
                break
    return p.rec, since


# ---- the statistics -----------------------------------------------------------------------

def stuck_need(rows, since=0):
    """The smallest STUCK_STORED_C100 with which these (duty, hot, index) rows do not trip
    SR-5b, judging the readings from row `since` on (0: none needed; None: a rise with no
    stored heat at all, which no value allows)."""
    need = 0
    period = []
    for i, row in enumerate(rows + [(1, 0, 0, 0)]):
        if row[0] == 0:
            period.append((i,) + row[:3])
            continue
        best = -1 << 30  # the hottest reading still to come that SR-5b judges
        for k, _duty, hot, idx in reversed(period):
            if k >= since and hot > limits.STUCK_NOHEAT_C100 and hot > best:
                best = hot
            rise = best - hot - limits.STUCK_MARGIN_C100
            if rise > 0:
                if idx == 0:
                    return None
                need = max(need, -(-rise * 1000 // idx))
        period = []
    return need


def window_rises(rows, window_j=None):
    """The rise of the reading over each energy window (the check's own bookkeeping)."""
    window_mj = (limits.ENERGY_WINDOW_J if window_j is None else window_j) * 1000
    armed = False
    ref = mj = 0
    out = []
    for hot, setpoint, power_mw, dt in rows:
        if setpoint <= 0 or setpoint - hot <= limits.NO_RISE_ARM_C100:
            armed = False
            continue
        if not armed:
            armed, ref, mj = True, hot, 0
            continue
        ref = min(ref, hot)
        mj += power_mw * dt // 1000
        if mj >= window_mj:
            out.append(hot - ref)
            ref, mj = hot, 0
    return out


def figures():
    """The honest extremes over the vertices and the faults' statistic, for docs/safety.md:
    {"stuck": (need, where), "rise": (least rise, where), "faults": [(need, case)]}."""
    stuck = (0, None)
    rise = (1 << 30, None)
    for cond in vertices():
        for level in LEVELS:
            for massage in (True, False):
                rec = clean_record(cond, level, massage)
                where = "%s %s%s" % (cond.name, level, " massage" if massage else "")
                need = stuck_need(rec.stuck)
                if need is None or need > stuck[0]:
                    stuck = (need, where)
                rises = window_rises(rec.energy)
                if rises and min(rises) < rise[0]:
                    rise = (min(rises), where)
    out = []
    for pad, (fault, args), (phase, follow) in backup_cases():
        rec, since = fault_record(envelope.corner(pad), fault, args, phase, follow)
        out.append((stuck_need(rec.stuck, since), " ".join(
            str(w) for w in (pad, fault, args.get("fraction", ""), phase, follow or ""))))
    return {"stuck": stuck, "rise": rise, "faults": sorted(out)}


if __name__ == "__main__":
    f = figures()
    print("SR-5b: honest need %s (%s)" % f["stuck"])
    print("energy: least honest rise per window %s (%s)" % f["rise"])
    for need, case in f["faults"]:
        print("SR-5b fault: misses it from %6s  %s" % (need, case))
