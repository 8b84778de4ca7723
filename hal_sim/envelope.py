"""The plant envelope: the pads, rooms and supplies a real cushion meets, as data.

    from hal_sim import envelope
    sim = envelope.simulation(envelope.corner("hot_corner"), seed=3)
    cond = envelope.draw(random.Random(7))      # a pad and its setting from the envelope

RANGES gives each PadParams field that varies between real pads (and "ambient_c",
"supply_v") its (low, high); a per-sensor field's range holds for each sensor. CORNERS are the
combinations the safety tests need, each explained where it is defined and in
docs/simulator.md ("The plant envelope"). CPython only (host side: tests, CLI); the
physics stays plain.
"""

import random
from dataclasses import dataclass

from hal_sim.physics import PadParams

# (low, high) of everything that varies. Sources: docs/simulator.md, "The plant envelope".
RANGES = {
    "power_scale": (0.8, 1.2),          # element resistance +-20 % (production + film)
    "mass_scale": (0.7, 1.3),           # cover, foam and spreader build
    "r_element_tc": (-0.0005, 0.001),   # carbon-fibre (negative) .. NiCr-like wire
    "loss_scale": (0.4, 1.5),           # a blanket over it / folded .. leaning hard
    "back_present": (False, True),      # nobody on it .. in use
    "sensor_tau_s": (4.0, 15.0),        # bead pressed hard into the pad .. loose in fleece
    "hotspot_c": (0.0, 3.0),            # on the element's track .. between two tracks
    "ntc_r25_error": (-0.03, 0.03),     # a 3 % NTC
    "ntc_beta_error": (-0.02, 0.02),    # its beta tolerance
    "adc_noise_lsb": (0.5, 2.5),        # a quiet board .. motor PWM on a long cable
    "adc_spike_per_s": (0.0, 0.002),    # none .. one spike per channel every ~8 minutes
    "r_supply_ohm": (0.05, 0.5),        # short thick lead .. long thin lead and a worn plug
    "supply_limit_a": (2.0, 5.0),       # a 2 A adapter .. a bench supply
    "ambient_c": (0.0, 40.0),
    "supply_v": (10.8, 13.2),           # 12 V +-10 %
}
PER_SENSOR = ("sensor_tau_s", "hotspot_c", "ntc_r25_error", "ntc_beta_error")


@dataclass(frozen=True)
class Conditions:
    """One pad and the setting it runs in."""

    pad: PadParams
    ambient_c: float
    supply_v: float
    name: str = ""

    def describe(self):
        """The fields that differ from the reference pad, as `name=value` words."""
        ref = PadParams()
        words = ["ambient_c=%g" % self.ambient_c, "supply_v=%g" % self.supply_v]
        for key in RANGES:
            if hasattr(ref, key) and getattr(self.pad, key) != getattr(ref, key):
                words.append("%s=%s" % (key, getattr(self.pad, key)))
        return " ".join(words)


def _conditions(name, ambient_c=22.0, supply_v=12.0, **pad):
    return Conditions(PadParams(**pad), float(ambient_c), float(supply_v), name)


NOMINAL = _conditions("nominal")

# Hot and strong: hot room, high supply, stiff lead, element +20 % (with a falling
# resistance), light build: the fastest, hottest pad, where overshoot and a stuck MOSFET
# matter most.
_HOT = dict(ambient_c=40.0, supply_v=13.2, r_supply_ohm=0.05, power_scale=1.2, mass_scale=0.7,
            r_element_tc=-0.0005)

CORNERS = {
    "hot_corner": _conditions("hot_corner", **_HOT),
    # ... under a blanket (losses x0.4): the steady temperature at any duty is highest.
    "blanket_corner": _conditions("blanket_corner", loss_scale=0.4, **_HOT),
    # ... with nobody on it: no back to sink heat, and no user to feel it.
    "no_back_corner": _conditions("no_back_corner", back_present=False, **_HOT),
    # Cold and weak: cold room, low supply behind 0.3 ohm, element -20 % with a rising
    # resistance, heavy build: the slowest pad, where heating-failure and
    # runaway checks trip falsely (leaning hard on it as well, loss_scale 1.5, and the pad
    # cannot reach 45 C at all: that is beyond what the product must do).
    "cold_weak_corner": _conditions(
        "cold_weak_corner", ambient_c=0.0, supply_v=10.8, r_supply_ohm=0.3, power_scale=0.8,
        mass_scale=1.3, r_element_tc=0.001),
    # Slow sensors (15 s) in a hot room: the readings trail a fast pad.
    "slow_sensor_corner": _conditions(
        "slow_sensor_corner", ambient_c=35.0, sensor_tau_s=[15.0, 15.0]),
    # Both sensors read low: placed between tracks (3 C hot spot) and NTCs at the tolerance
    # that reads cold (R25 +3 %, beta -2 %): the pad runs hotter than the firmware believes.
    "reads_low_corner": _conditions(
        "reads_low_corner", ambient_c=40.0, supply_v=13.2, r_supply_ohm=0.05,
        hotspot_c=[3.0, 3.0], ntc_r25_error=[0.03, 0.03], ntc_beta_error=[-0.02, -0.02]),
    # The two sensors as far apart as tolerance allows: A slow, between tracks, reading cold;
    # B fast, on a track, reading warm (the cross-check's worst case).
    "mismatched_sensors_corner": _conditions(
        "mismatched_sensors_corner", sensor_tau_s=[15.0, 4.0], hotspot_c=[3.0, 0.0],
        ntc_r25_error=[0.03, -0.03], ntc_beta_error=[-0.02, 0.02]),
    # A noisy ADC with the occasional spike on every channel.
    "noisy_corner": _conditions(
        "noisy_corner", adc_noise_lsb=2.5, adc_spike_per_s=0.002),
    # A weak adapter: 10.8 V, 0.3 ohm, a 2 A limit, with the motors' current on top.
    "weak_adapter_corner": _conditions(
        "weak_adapter_corner", ambient_c=22.0, supply_v=10.8, r_supply_ohm=0.3,
        supply_limit_a=2.0),
}


def corner(name):
    """The named corner ("nominal" too); ValueError naming the known ones."""
    if name == "nominal":
        return NOMINAL
    try:
        return CORNERS[name]
    except KeyError:
        raise ValueError("unknown corner %r; known: nominal, %s"
                         % (name, ", ".join(CORNERS))) from None


def draw(rng: random.Random, name=""):
    """A pad and its setting drawn uniformly from RANGES (nobody on it one time in five,
    spikes on one pad in four)."""
    pad = {}
    for key, (lo, hi) in RANGES.items():
        if key in ("ambient_c", "supply_v"):
            continue
        if key == "back_present":
            pad[key] = rng.random() >= 0.2
        elif key == "adc_spike_per_s":
            pad[key] = rng.uniform(lo, hi) if rng.random() < 0.25 else 0.0
        elif key in PER_SENSOR:
            pad[key] = [rng.uniform(lo, hi), rng.uniform(lo, hi)]
        else:
            pad[key] = rng.uniform(lo, hi)
    ambient = rng.uniform(*RANGES["ambient_c"])
    supply = rng.uniform(*RANGES["supply_v"])
    return Conditions(PadParams(**pad), ambient, supply, name)


def with_params(cond, name=None, **changes):
    """`cond` with some PadParams fields (or ambient_c / supply_v) changed."""
    pad = dict(vars(cond.pad))
    ambient = changes.pop("ambient_c", cond.ambient_c)
    supply = changes.pop("supply_v", cond.supply_v)
    for key in changes:
        if key not in pad:
            raise ValueError("unknown pad parameter %r; known: %s"
                             % (key, ", ".join(sorted(pad))))
    pad.update(changes)
    return Conditions(PadParams(**pad), float(ambient), float(supply),
                      cond.name if name is None else name)


# The thermal cut-out (hal_sim/cutout.py, docs/hardware.md "The power stage"): fitted only
# when asked for, so that every other test judges the firmware alone. The product's part is a
# snap-action bimetal disc thermostat on the hottest track next to sensor A: it opens within
# its rating's tolerance and follows the surface through its can and its contact with the
# cover; it closes again once it has cooled by its reset differential (tests/sim/cutout_cases.py
# measures why this part and this rating).
CUTOUT_RATING_C = 52.0
CUTOUT_TOLERANCE_C = 3.0
CUTOUT_RESET_DIFFERENTIAL_C = 30.0
CUTOUT_RANGES = {
    "cutout_c": (CUTOUT_RATING_C - CUTOUT_TOLERANCE_C, CUTOUT_RATING_C + CUTOUT_TOLERANCE_C),
    "cutout_tau_s": (5.0, 20.0),  # a disc pressed flat on the cover .. a loose can
}
# "low": opens at the bottom of its tolerance and follows the surface fastest, the end that
# could open in fault-free use; "high": the top and the slowest, the end a fault runs hottest
# past. "nominal": the rating, the middle lag.
CUTOUT_ENDS = ("low", "nominal", "high")


def with_cutout(cond, end="nominal", one_shot=False):
    """`cond` with the product's cut-out fitted at one end of its tolerance (CUTOUT_ENDS);
    one_shot: a thermal link of the same rating instead (it never closes again)."""
    if end not in CUTOUT_ENDS:
        raise ValueError("unknown cut-out end %r; one of %s" % (end, ", ".join(CUTOUT_ENDS)))
    i = {"low": 0, "high": 1}.get(end)
    part = {k: (lo + hi) / 2 if i is None else (lo, hi)[i]
            for k, (lo, hi) in CUTOUT_RANGES.items()}
    part["cutout_reset_c"] = (None if one_shot
                              else part["cutout_c"] - CUTOUT_RESET_DIFFERENTIAL_C)
    return with_params(cond, **part)


def simulation(cond, cutout=None, **kw):
    """A Simulation of this pad in this setting; kw go to Simulation (seed, record, ...).
    cutout: fit the product's thermal cut-out at that end of its tolerance (CUTOUT_ENDS)."""
    from hal_sim.simulation import Simulation
    if cutout is not None:
        cond = with_cutout(cond, cutout)
    return Simulation(params=cond.pad, ambient_c=cond.ambient_c, supply_v=cond.supply_v, **kw)

