"""Faults on the emulated board: at the physics (the pad, its sensors, the power stage) or
at the chip (its core stops: the loop hangs; the USB host stops reading; its TIMER stands
still; random bytes arrive on its USB serial input).

The physics faults are hal_sim's own (hal_sim/faults.py): the same kinds, the same keyword
arguments and their checks, applied to the same `Cushion`. Only the faults that live in the
board rather than in the physics are done here, at the chip; what the chip cannot do is
refused, saying why (CHIP_CANNOT: none today).
"""

from hal_sim import faults as sim_faults
from hal_sim.serial_link import LineNoise
from cushion.limits import TICK_MS  # (after hal_sim: it makes the firmware importable)

# Faults of cushion.schema.FAULT_KINDS the emulated chip does not inject, and why.
CHIP_CANNOT = {}
NOISE_EVERY_MS = TICK_MS  # hal_sim adds its noise (LineNoise) once per tick of the firmware


class FaultInjector(sim_faults.FaultInjector):
    """hal_sim's injector on an EmulatedBoard (it has the `cushion` and `supply_v` a
    Simulation has); the hang, the blocked host, the stopped TIMER and the noise are the
    chip's."""

    KINDS = tuple(k for k in sim_faults.FAULTS if k not in CHIP_CANNOT)

    def __init__(self, board, seed=1):
        super().__init__(board)
        self._unblock_at_s = None  # serial_block with `seconds`: when the host reads again
        self._noise = LineNoise(seed)
        self._noise_due_ms = None  # serial_noise: the next emulated ms to add bytes at

    def inject(self, kind, args):
        if kind in CHIP_CANNOT:
            raise ValueError("fault %s on the emulated chip: %s; the chip has %s"
                             % (kind, CHIP_CANNOT[kind], ", ".join(self.KINDS)))
        super().inject(kind, args)

    def _apply(self, kind, on, a):
        board = self.sim
        if kind == "loop_hang":
            # The core executes nothing more (a hang with interrupts off); the peripherals,
            # the PWM and the watchdog among them, keep running until the watchdog resets it.
            board.harness.request(op="set", stall=on)
        elif kind == "serial_block":
            board.harness.request(op="set", block_tx=on)
            seconds = a["seconds"] if on else 0
            self._unblock_at_s = board.now_s + seconds if seconds else None
        elif kind == "clock_freeze":
            # TIMER's counter stands still (alarms too); the watchdog keeps its own time
            board.harness.request(op="set", clock_freeze=on)
        elif kind == "serial_noise":
            self._noise_due_ms = board.now_ms if on else None
        else:
            super()._apply(kind, on, a)

    def stepped(self):
        """After each step: a serial_block for `seconds` ends when they are up; noise."""
        board = self.sim
        if self._unblock_at_s is not None and board.now_s >= self._unblock_at_s:
            self.repair("serial_block")
        while self._noise_due_ms is not None and board.now_ms >= self._noise_due_ms:
            board.serial_in(self._noise.take())
            self._noise_due_ms += NOISE_EVERY_MS

    def rebooted(self):
        """A hang lives in the run of the loop that hung, not in the next boot."""
        if "loop_hang" in self.active:
            self.active.remove("loop_hang")
