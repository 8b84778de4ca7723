"""Faults on the emulated board: at the physics (the pad, its sensors, the power stage) or
at the chip (its core stops: the loop hangs; the USB host stops reading).

The physics faults are hal_sim's own (hal_sim/faults.py): the same kinds, the same keyword
arguments and their checks, applied to the same `Cushion`. Only the faults that live in the
board rather than in the physics are done here, at the chip; what the chip cannot do yet is
refused, saying why.
"""

from hal_sim import faults as sim_faults

# Faults of cushion.schema.FAULT_KINDS the emulated chip does not inject (yet), and why.
CHIP_CANNOT = {
    "clock_freeze": "the harness cannot stop the RP2040's timer under the running port",
    "serial_noise": "the harness does not add bytes to the USB serial input",
}


class FaultInjector(sim_faults.FaultInjector):
    """hal_sim's injector on an EmulatedBoard (it has the `cushion` and `supply_v` a
    Simulation has); the hang and the blocked host are the chip's."""

    KINDS = tuple(k for k in sim_faults.FAULTS if k not in CHIP_CANNOT)

    def __init__(self, board):
        super().__init__(board)
        self._unblock_at_s = None  # serial_block with `seconds`: when the host reads again

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
        else:
            super()._apply(kind, on, a)

    def stepped(self):
        """After each step: a serial_block for `seconds` ends when they are up."""
        if self._unblock_at_s is not None and self.sim.now_s >= self._unblock_at_s:
            self.repair("serial_block")

    def rebooted(self):
        """A hang lives in the run of the loop that hung, not in the next boot."""
        if "loop_hang" in self.active:
            self.active.remove("loop_hang")
