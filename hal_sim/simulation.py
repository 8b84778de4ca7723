"""`Simulation`: the real firmware on a simulated cushion, on a virtual clock.

    sim = Simulation(ambient_c=22.0)
    sim.command("heat high"); sim.run(60); sim.pad_c

Each step advances the physics over one firmware tick (50 ms) with the outputs the
firmware set on the previous tick, then runs that tick. Runs under CPython and in the
MicroPython VMs (no CPython-only imports here).
"""


from cushion import app, limits
from cushion.schema import FAULT_KINDS
from hal_sim.board import VirtualBoard
from hal_sim.physics import Cushion
from hal_sim.serial_link import SerialLink, SimulationError  # noqa: F401 - re-exported
from hal_sim.trace import TraceRecorder

TICK_MS = limits.TICK_MS

FAULTS = FAULT_KINDS  # what inject() and repair() take
BUTTONS = {"power": 1, "heat": 2, "massage": 4}
SUPPLY_LOW_V = 10.0
SUPPLY_HIGH_V = 15.0
DRIFT_C_PER_MIN = -1.0


class Simulation(SerialLink, TraceRecorder):
    tick_ms = TICK_MS

    def __init__(self, ambient_c=22.0, start_ticks_ms=0, record=False, seed=1, supply_v=12.0,
                 params=None, storage=None, bridge=False):
        self.cushion = Cushion(params, ambient_c=ambient_c, supply_v=supply_v, seed=seed)
        self.board = VirtualBoard(self.cushion, start_ticks_ms, storage)
        self.supply_v = supply_v
        self.record = record
        self.trace = []
        self.events = []
        self.replies = []
        self.bad_lines = []  # output lines that were not valid JSON objects (must stay empty)
        self.active_faults = []
        self.resets = []  # (sim_s, cause) of every boot after the first
        self.ticks_run = 0
        self._ms = 0
        self._line = bytearray()
        self._bridge = bridge
        self._out = bytearray()
        self._hung = False
        self._noise = False
        self._rng = (seed * 2654435761 + 12345) & 0x7FFFFFFF or 1
        self.ctl = None
        self._boot("power_on")

    # -- time ---------------------------------------------------------------------------
    @property
    def now_s(self):
        return self._ms / 1000

    @property
    def now_ms(self):
        return self._ms

    def step(self):
        """One firmware tick: physics over the last period, then the firmware's tick."""
        board = self.board
        self.cushion.step(TICK_MS / 1000, board.heater_permille / 1000, board.heater_enabled,
                          board.motor_permille / 1000, board.motor_direction)
        board.advance(TICK_MS)
        self._ms += TICK_MS
        if self._noise:
            self._add_noise()
        ctl = self.ctl
        if ctl is not None and not self._hung:
            ctl.tick(board.ticks_ms())
            self.ticks_run += 1
            if ctl.service_requested:
                board.reset_requested = True
        self._collect_output()
        if board.reset_requested:
            self._boot("soft")
        elif board.wdt_expired():
            self._boot("watchdog")
        if self.record:
            self._trace_row()

    def run(self, seconds):
        n = int(seconds * 1000 + 0.5) // TICK_MS
        for _ in range(n):
            self.step()

    def run_until(self, predicate, max_s):
        n = int(max_s * 1000 + 0.5) // TICK_MS
        for _ in range(n):
            self.step()
            if predicate(self):
                return True
        return False

    # -- boot ---------------------------------------------------------------------------
    def _boot(self, cause):
        board = self.board
        self._hung = False  # a hang lives in the old run of the loop, not in the new boot
        if "loop_hang" in self.active_faults:
            self.active_faults.remove("loop_hang")
        if self.ctl is not None or cause != "power_on" or self._ms:
            self.resets.append((self.now_s, cause))
        board.outputs_off()
        board.cause = cause
        board.reset_requested = False
        board.wdt_timeout_ms = 0
        board.in_service = False
        board.rx = bytearray()
        board.button_mask = 0
        self._line = bytearray()
        self.ctl = None
        self.ctl = app.start(board)
        if self.ctl is None:
            board.enter_service()
        self._collect_output()

    def power_cycle(self):
        """Power lost and back: outputs drop at once, storage persists, RAM does not."""
        self._boot("power_on")

    @property
    def in_service(self):
        return self.board.in_service

    # -- buttons ------------------------------------------------------------------------
    def press(self, button, hold_s=0.1):
        """Hold a button for hold_s, release it, and let the debounce settle (0.1 s)."""
        bit = BUTTONS.get(button)
        if bit is None:
            raise ValueError("unknown button %r; one of power, heat, massage" % (button,))
        if hold_s < 0:
            raise ValueError("hold_s must be >= 0")
        self.board.button_mask |= bit
        self.run(hold_s)
        self.board.button_mask &= ~bit
        self.run(0.1)

    # -- faults -------------------------------------------------------------------------
    def inject(self, fault, sensor=0):
        """Inject a fault. Sensor faults hit pad sensor A (0) unless `sensor` is 1 or
        "both" (two simultaneous sensor failures: beyond the single-fault design basis)."""
        self._set_fault(fault, True, sensor)

    def repair(self, fault, sensor=0):
        self._set_fault(fault, False, sensor)

    def _set_fault(self, fault, on, sensor=0):
        if fault not in FAULTS:
            raise ValueError("unknown fault %r; one of %s" % (fault, ", ".join(FAULTS)))
        if sensor == "both":
            which = (0, 1)
        elif sensor in (0, 1):
            which = (sensor,)
        else:
            raise ValueError("sensor must be 0, 1 or 'both', not %r" % (sensor,))
        c = self.cushion
        if fault == "sensor_open":
            for i in which:
                c.sensor_open[i] = on
        elif fault == "sensor_short":
            for i in which:
                c.sensor_short[i] = on
        elif fault == "sensor_detached":
            for i in which:
                c.sensor_detached[i] = on
        elif fault == "sensor_drift":
            for i in which:
                c.sensor_drift_c_per_min[i] = DRIFT_C_PER_MIN if on else 0.0
        elif fault == "heater_stuck_on":
            c.heater_stuck_on = on
        elif fault == "heater_open":
            c.heater_open = on
        elif fault == "supply_low":
            c.supply_v = SUPPLY_LOW_V if on else self.supply_v
        elif fault == "supply_high":
            c.supply_v = SUPPLY_HIGH_V if on else self.supply_v
        elif fault == "motor_stall":
            c.motor_stalled = on
        elif fault == "loop_hang":
            self._hung = on
        elif fault == "serial_noise":
            self._noise = on
        if on:
            if fault not in self.active_faults:
                self.active_faults.append(fault)
        elif fault in self.active_faults:
            self.active_faults.remove(fault)

    # -- truth --------------------------------------------------------------------------
    @property
    def pad_c(self):
        return self.cushion.pad_c

    @property
    def sensor_c(self):
        return (self.cushion.sensor_c[0], self.cushion.sensor_c[1])

    @property
    def heater_duty(self):
        return self.cushion.heater_duty_delivered

    @property
    def motor_duty(self):
        return self.cushion.motor_duty_delivered

    def status(self):
        return self.command("status")

    def state(self):
        """A snapshot of the firmware's state without sending anything on serial."""
        ctl = self.ctl
        if ctl is None:
            return {"state": "service", "heat": "off", "heat_state": "off",
                    "massage": "off", "fault": None, "session": False, "remaining_s": 0}
        from cushion.names import HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES
        s = ctl.safety
        fault = s.active_fault()
        return {
            "state": ctl.state(),
            "heat": LEVEL_NAMES[ctl.heat.level], "heat_state": HEAT_STATE_NAMES[ctl.heat.state],
            "massage": MODE_NAMES[ctl.vib.mode], "fault": fault,
            "supply_paused": s.supply_paused, "session": ctl.session.active,
            "remaining_s": ctl.session.remaining_ms(self.board.ticks_ms()) // 1000,
        }
