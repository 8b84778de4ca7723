"""The faults hal_sim can inject (cushion.schema.FAULT_KINDS), their keyword arguments, and
what each one does to the simulated hardware (docs/simulator.md, "Faults").

    sim.inject("sensor_offset", sensor="both", value_c=-3.0); sim.repair("sensor_offset")

`validate_args(kind, args)` is the one check of a fault's arguments, for Simulation.inject and
for scenario files alike. Runs under CPython and in the MicroPython VMs.
"""

from cushion.schema import FAULT_KINDS

FAULTS = FAULT_KINDS
# The first eleven are the faults the firmware's protections were built against; the rest
# came with the plant envelope and the power stage, and their protections are issue 11's.
# Matrices that judge the firmware's detection run BASE_FAULTS until those land.
BASE_FAULTS = FAULT_KINDS[:11]
NEW_FAULTS = FAULT_KINDS[11:]
SENSORS = (0, 1, "both")
# Every argument name any fault takes (a scenario step may carry these next to `inject`).
ARG_NAMES = ("sensor", "value_c", "rate_c_per_min", "fraction", "percent", "seconds")

# kind -> {argument: (default, low, high)}; `sensor` (0, 1 or "both") has no range. A
# `seconds` of 0 means "until repaired".
ARGS = {
    "sensor_open": {"sensor": (0, None, None)},
    "sensor_short": {"sensor": (0, None, None)},
    "sensor_detached": {"sensor": (0, None, None)},
    "sensor_drift": {"sensor": (0, None, None), "rate_c_per_min": (-1.0, -20.0, 20.0)},
    "sensor_offset": {"sensor": (0, None, None), "value_c": (-3.0, -30.0, 30.0)},
    "heater_stuck_on": {},
    "heater_open": {},
    "mosfet_leak": {"fraction": (0.1, 0.0, 1.0)},
    "cutoff_stuck_closed": {},
    "cutoff_stuck_open": {},
    "heater_degraded": {"fraction": (0.5, 0.0, 10.0)},
    "adc_reference": {"percent": (5.0, -50.0, 50.0)},  # + reads cold: the unsafe way
    "supply_low": {},
    "supply_high": {},
    "motor_stall": {},
    "loop_hang": {},
    "clock_freeze": {},
    "serial_block": {"seconds": (0.0, 0.0, 86400.0)},
    "serial_noise": {},
}

SUPPLY_LOW_V = 10.0
SUPPLY_HIGH_V = 15.0

# What a fault does when it sets one attribute: kind -> (the Simulation's part that has the
# attribute, None for the Simulation itself; the attribute; the argument whose value it
# takes, None for a flag that is True while injected). Repaired: False, or 0.0. The
# cushion's power-stage flags are hal_sim/power.py's, the rest hal_sim/physics.py's.
SETS = {
    "heater_stuck_on": ("cushion", "heater_stuck_on", None),
    "heater_open": ("cushion", "heater_open", None),
    "mosfet_leak": ("cushion", "mosfet_leak", "fraction"),
    "cutoff_stuck_closed": ("cushion", "cutoff_stuck_closed", None),
    "cutoff_stuck_open": ("cushion", "cutoff_stuck_open", None),
    "heater_degraded": ("cushion", "heater_degraded", "fraction"),
    "motor_stall": ("cushion", "motor_stalled", None),
    "loop_hang": (None, "_hung", None),  # the Simulation skips the firmware's tick while hung
    "serial_noise": (None, "_noise", None),  # ... and adds random bytes to its serial input
    "clock_freeze": ("board", "clock_frozen", None),
}
# The sensor faults, likewise: kind -> (the cushion's list indexed by sensor, argument).
SENSOR_SETS = {
    "sensor_open": ("sensor_open", None),
    "sensor_short": ("sensor_short", None),
    "sensor_detached": ("sensor_detached", None),
    "sensor_drift": ("sensor_drift_c_per_min", "rate_c_per_min"),
    "sensor_offset": ("sensor_offset_c", "value_c"),
}


def _is_number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and v == v and v not in (float("inf"), float("-inf")))


def validate_args(kind, args):
    """None when `kind` with these keyword arguments (a dict) is a valid fault; otherwise
    the message that says what is wrong."""
    if kind not in ARGS:
        return "unknown fault %r; one of %s" % (kind, ", ".join(FAULTS))
    spec = ARGS[kind]
    for name in args:
        if name not in spec:
            if spec:
                return "%s takes %s, not %r" % (kind, ", ".join(sorted(spec)), name)
            return "%s takes no arguments, not %r" % (kind, name)
        v = args[name]
        if name == "sensor":
            if v not in SENSORS or isinstance(v, bool):
                return "%s: sensor must be 0, 1 or \"both\", not %r" % (kind, v)
            continue
        lo, hi = spec[name][1], spec[name][2]
        if not _is_number(v) or not lo <= v <= hi:
            return "%s: %s must be a number from %s to %s, not %r" % (kind, name, lo, hi, v)
    return None


def with_defaults(kind, args):
    """The arguments with every one not given at its default (args already valid)."""
    out = {}
    spec = ARGS[kind]
    for name in spec:
        out[name] = args[name] if name in args else spec[name][0]
    return out


def _setting(arg, a):
    """The value a SETS or SENSOR_SETS attribute takes: with the fault's arguments `a`
    (None when it is repaired), a flag is True, a value is the argument `arg`."""
    if arg is None:
        return a is not None
    return 0.0 if a is None else float(a[arg])


def _which(sensor):
    return (0, 1) if sensor == "both" else (sensor,)


class FaultInjector:
    """Applies and removes faults on one Simulation's cushion and board. `active` lists the
    kinds in force (a sensor fault while any sensor has it)."""

    def __init__(self, sim):
        self.sim = sim
        self.active = []
        self._sensors = {}  # sensor fault kind -> set of the sensors that have it

    def inject(self, kind, args):
        err = validate_args(kind, args)
        if err:
            raise ValueError(err)
        a = with_defaults(kind, args)
        if "sensor" in a:
            which = _which(a["sensor"])
            for i in which:
                self._sensor_fault(kind, i, a)
            self._sensors.setdefault(kind, set()).update(which)
        else:
            self._apply(kind, True, a)
        if kind not in self.active:
            self.active.append(kind)

    def repair(self, kind, sensor=None):
        """Undo a fault; a sensor fault on `sensor` only (default: every sensor)."""
        err = validate_args(kind, {} if sensor is None else {"sensor": sensor})
        if err:
            raise ValueError(err)
        if "sensor" in ARGS[kind]:
            have = self._sensors.get(kind, set())
            which = (0, 1) if sensor is None else _which(sensor)
            for i in which:
                self._sensor_fault(kind, i, None)
                have.discard(i)
            if have:
                return
        else:
            self._apply(kind, False, None)
        if kind in self.active:
            self.active.remove(kind)

    def _sensor_fault(self, kind, i, a):
        attr, arg = SENSOR_SETS[kind]
        getattr(self.sim.cushion, attr)[i] = _setting(arg, a)

    def _apply(self, kind, on, a):
        sim = self.sim
        if kind in SETS:
            part, attr, arg = SETS[kind]
            setattr(sim if part is None else getattr(sim, part), attr, _setting(arg, a))
        elif kind == "adc_reference":
            sim.cushion.adc_gain = 1.0 + float(a["percent"]) / 100.0 if on else 1.0
        elif kind == "supply_low":
            sim.cushion.supply_v = SUPPLY_LOW_V if on else sim.supply_v
        elif kind == "supply_high":
            sim.cushion.supply_v = SUPPLY_HIGH_V if on else sim.supply_v
        elif kind == "serial_block":
            if on:
                sim.board.block_serial(float(a["seconds"]))
            else:
                sim.board.unblock_serial()
