"""Faults on the emulated board: at the physics (the pad, its sensors, the power stage) or
at the chip (its core stops: the loop hangs; the USB host stops reading).

The physics faults are the ones `hal_sim.Simulation` injects, with its keyword arguments
(sensor=0|1|"both"); what is not wired here is refused with the list of what is.
"""

from hal_sim.physics import SUPPLY_HIGH_V, SUPPLY_LOW_V


class FaultInjector:
    SENSOR_FAULTS = ("sensor_open", "sensor_short", "sensor_detached")
    KINDS = SENSOR_FAULTS + ("heater_stuck_on", "heater_open", "supply_low", "supply_high",
                             "motor_stall", "loop_hang", "serial_block")

    def __init__(self, board):
        self.board = board
        self.active = []

    def set(self, kind, on, sensor=0, **kwargs):
        if kind not in self.KINDS:
            raise ValueError("unknown fault %r on the emulated chip; one of %s"
                             % (kind, ", ".join(self.KINDS)))
        if kwargs:
            raise ValueError("fault %s takes no %s here" % (kind, ", ".join(sorted(kwargs))))
        c = self.board.cushion
        if kind in self.SENSOR_FAULTS:
            which = (0, 1) if sensor == "both" else (sensor,)
            if not set(which) <= {0, 1}:
                raise ValueError("sensor must be 0, 1 or 'both', not %r" % (sensor,))
            for i in which:
                getattr(c, kind)[i] = on
        elif kind in ("heater_stuck_on", "heater_open"):
            setattr(c, kind, on)
        elif kind == "supply_low":
            c.supply_v = SUPPLY_LOW_V if on else self.board.supply_v
        elif kind == "supply_high":
            c.supply_v = SUPPLY_HIGH_V if on else self.board.supply_v
        elif kind == "motor_stall":
            c.motor_stalled = on
        elif kind == "loop_hang":
            # The core executes nothing more (a hang with interrupts off); the peripherals,
            # the PWM and the watchdog among them, keep running until the watchdog resets it.
            self.board.harness.request(op="set", stall=on)
        elif kind == "serial_block":
            self.board.harness.request(op="set", block_tx=on)
        self._mark(kind, on)

    def rebooted(self):
        """A hang lives in the run of the loop that hung, not in the next boot."""
        self._mark("loop_hang", False)

    def _mark(self, kind, on):
        if on and kind not in self.active:
            self.active.append(kind)
        elif not on and kind in self.active:
            self.active.remove(kind)
