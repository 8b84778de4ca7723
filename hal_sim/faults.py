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
        c = self.sim.cushion
        on = a is not None
        if kind == "sensor_open":
            c.sensor_open[i] = on
        elif kind == "sensor_short":
            c.sensor_short[i] = on
        elif kind == "sensor_detached":
            c.sensor_detached[i] = on
        elif kind == "sensor_drift":
            c.sensor_drift_c_per_min[i] = float(a["rate_c_per_min"]) if on else 0.0
        elif kind == "sensor_offset":
            c.sensor_offset_c[i] = float(a["value_c"]) if on else 0.0

    def _apply(self, kind, on, a):
        sim = self.sim
        c = sim.cushion  # with the power stage's flags (hal_sim/power.py)
        if kind == "heater_stuck_on":
            c.heater_stuck_on = on
        elif kind == "heater_open":
            c.heater_open = on
        elif kind == "mosfet_leak":
            c.mosfet_leak = float(a["fraction"]) if on else 0.0
        elif kind == "cutoff_stuck_closed":
            c.cutoff_stuck_closed = on
        elif kind == "cutoff_stuck_open":
            c.cutoff_stuck_open = on
        elif kind == "heater_degraded":
            c.heater_degraded = float(a["fraction"]) if on else 0.0
        elif kind == "adc_reference":
            c.adc_gain = 1.0 + float(a["percent"]) / 100.0 if on else 1.0
        elif kind == "supply_low":
            c.supply_v = SUPPLY_LOW_V if on else sim.supply_v
        elif kind == "supply_high":
            c.supply_v = SUPPLY_HIGH_V if on else sim.supply_v
        elif kind == "motor_stall":
            c.motor_stalled = on
        elif kind == "loop_hang":
            sim._hung = on  # the Simulation skips the firmware's tick while hung
        elif kind == "serial_noise":
            sim._noise = on  # ... and adds random bytes to its serial input
        elif kind == "clock_freeze":
            sim.board.clock_frozen = on
        elif kind == "serial_block":
            if on:
                sim.board.block_serial(float(a["seconds"]))
            else:
                sim.board.unblock_serial()
