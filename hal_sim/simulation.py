"""`Simulation`: the real firmware on a simulated cushion, on a virtual clock.

    sim = Simulation(ambient_c=22.0)
    sim.command("heat high"); sim.run(60); sim.pad_c

Each step advances the physics over one firmware tick (50 ms) with the outputs the
firmware set on the previous tick, then runs that tick. Runs under CPython and in the
MicroPython VMs (no CPython-only imports here).
"""


from cushion import app, limits
from hal_sim.board import VirtualBoard
from hal_sim.faults import FAULTS, FaultInjector  # noqa: F401 - FAULTS re-exported
from hal_sim.physics import Cushion
from hal_sim.serial_link import LineNoise, SerialLink, SimulationError  # noqa: F401 - re-exported
from hal_sim.trace import TraceRecorder
from hal_sim.truth import PadTruth

TICK_MS = limits.TICK_MS

BUTTONS = {"power": 1, "heat": 2, "massage": 4}


class Simulation(SerialLink, TraceRecorder, PadTruth):
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
        self.faults = FaultInjector(self)
        self.active_faults = self.faults.active  # the kinds in force, in injection order
        self.resets = []  # (sim_s, cause) of every boot after the first
        self.ticks_run = 0
        self._ms = 0
        self._line = bytearray()
        self._bridge = bridge
        self._out = bytearray()
        self._hung = False
        self._noise = False
        self._line_noise = LineNoise(seed)  # serial_noise's bytes
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
            if ctl.console.service_requested:
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
    def inject(self, kind, sensor=None, **kwargs):
        """Inject a fault (hal_sim/faults.py, docs/simulator.md "Faults"), its arguments as
        keywords: `inject("sensor_drift", sensor="both", rate_c_per_min=-0.5)`. Sensor faults
        hit pad sensor A (0) unless `sensor` is 1 or "both". ValueError for an unknown kind
        or a bad argument, and nothing changes."""
        if sensor is not None:
            kwargs["sensor"] = sensor
        self.faults.inject(kind, kwargs)

    def repair(self, kind, sensor=None):
        """Undo a fault; a sensor fault on every sensor that has it unless `sensor` is given."""
        self.faults.repair(kind, sensor)

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
