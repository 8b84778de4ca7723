"""The plant envelope: the pads and settings a real cushion meets, as ranges and named corners.

    from hal_sim import envelope
    cond = envelope.draw(random.Random(7))        # one pad and its setting from the envelope
    sim = envelope.simulation(envelope.corner("hot_corner"), seed=3)

A minimal stand-in written on the campaign branch (issue 14) to the shared contract; the
simulator issue (issue 10) owns the real one and replaces this file. Ranges are today's
PadParams benchmark variations, a 0..40 C room and a 10.8..13.2 V adapter.
"""

import random
from dataclasses import dataclass, field

from hal_sim.physics import PadParams
from hal_sim.simulation import Simulation

# Field -> (lo, hi). PadParams fields, plus the room and the supply. sensor_tau_s is a
# per-sensor list in PadParams: each sensor's lag is drawn from this range on its own.
RANGES = {
    "power_scale": (0.8, 1.2),
    "mass_scale": (0.7, 1.3),
    "r_supply_ohm": (0.05, 0.3),
    "sensor_tau_s": (4.0, 15.0),
    "ambient_c": (0.0, 40.0),
    "supply_v": (10.8, 13.2),
}
ROOM_FIELDS = ("ambient_c", "supply_v")


@dataclass(frozen=True)
class Conditions:
    pad: PadParams = field(default_factory=PadParams)
    ambient_c: float = 22.0
    supply_v: float = 12.0
    name: str = ""


def _pad(**kw):
    return PadParams(**kw)


NOMINAL = Conditions(name="nominal")
CORNERS = {
    "hot_corner": Conditions(_pad(power_scale=1.2, mass_scale=0.7, r_supply_ohm=0.05),
                             40.0, 13.2, "hot_corner"),
    "cold_weak_corner": Conditions(_pad(power_scale=0.8, mass_scale=1.3, r_supply_ohm=0.3),
                                   0.0, 10.8, "cold_weak_corner"),
    "slow_sensor_corner": Conditions(_pad(sensor_tau_s=[15.0, 15.0]), 22.0, 12.0,
                                     "slow_sensor_corner"),
    "fast_sensor_corner": Conditions(_pad(sensor_tau_s=[4.0, 4.0]), 22.0, 12.0,
                                     "fast_sensor_corner"),
}


def corner(name):
    try:
        return CORNERS[name]
    except KeyError:
        raise ValueError("unknown corner %r; one of %s" % (name, ", ".join(CORNERS)))


def draw(rng: random.Random) -> Conditions:
    """A pad and its setting, each field uniform in its range, in RANGES order."""
    pad = PadParams()
    room = {}
    for name, (lo, hi) in RANGES.items():
        if name in ROOM_FIELDS:
            room[name] = rng.uniform(lo, hi)
        elif name == "sensor_tau_s":
            pad.sensor_tau_s = [rng.uniform(lo, hi), rng.uniform(lo, hi)]
        else:
            setattr(pad, name, rng.uniform(lo, hi))
    return Conditions(pad, room["ambient_c"], room["supply_v"], "drawn")


def simulation(cond, **kw):
    return Simulation(params=cond.pad, ambient_c=cond.ambient_c, supply_v=cond.supply_v, **kw)
