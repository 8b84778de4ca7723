"""The served simulated cushion: a PacedSimulation that can also be handled like a board.

`cushion sim` needs more than sim:// does: its control channel presses buttons (held for
simulated time while the clock keeps running), injects and repairs faults, power-cycles and
resets it, and its serial line must leave service mode the way a board's does (host/simrepl.py).
Everything here runs in the server's one thread, between ticks.
"""

from .simclock import PacedSimulation
from .simrepl import ServiceRepl

MAX_HOLD_S = 30.0


class ServedSimulation(PacedSimulation):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.repl = ServiceRepl(self._request_reset)
        self._was_in_service = False
        self._pending = bytearray()      # REPL output not yet handed to the server
        self._releases = []              # (tick, button bit) of held buttons

    # -- the serial line -----------------------------------------------------------------

    def feed(self, data):
        if self.sim.in_service:
            self._pending += self.repl.feed(data)
        else:
            super().feed(data)

    def advance(self, max_ticks=None):
        """Step what is due, one tick at a time (buttons are released on their tick)."""
        from .simclock import MAX_BURST_TICKS
        out = bytearray(self._pending)
        self._pending = bytearray()
        for _ in range(min(self.due_ticks(), max_ticks or MAX_BURST_TICKS)):
            self._release_due_buttons()
            out += super().advance(max_ticks=1)
            if self.sim.in_service and not self._was_in_service:
                out += self.repl.enter()
            self._was_in_service = self.sim.in_service
        return bytes(out)

    def _tick(self):
        """The simulation's tick count (its clock runs on through resets and power cycles)."""
        return self.sim.now_ms // self.sim.tick_ms

    def _request_reset(self, _cause):
        self.sim.board.reset()     # the next tick boots the firmware again (flag is one-shot)

    # -- what the control channel does ---------------------------------------------------

    def press(self, button, hold_s=0.1):
        from hal_sim.simulation import BUTTONS
        bit = BUTTONS.get(button)
        if bit is None:
            raise ValueError("unknown button {!r}; one of {}".format(
                button, ", ".join(BUTTONS)))
        if not 0.0 <= hold_s <= MAX_HOLD_S:
            raise ValueError(f"hold_s must be 0..{MAX_HOLD_S:g} s (got {hold_s:g})")
        self.sim.board.button_mask |= bit
        ticks = max(1, round(hold_s / self.tick_s))
        self._releases.append((self._tick() + ticks, bit))

    def _release_due_buttons(self):
        if not self._releases:
            return
        keep = []
        now = self._tick()
        for tick, bit in self._releases:
            if tick <= now:
                self.sim.board.button_mask &= ~bit
            else:
                keep.append((tick, bit))
        self._releases = keep

    def inject(self, kind, **kwargs):
        self.sim.inject(kind, **kwargs)

    def repair(self, kind, **kwargs):
        self.sim.repair(kind, **kwargs)

    def power_cycle(self):
        self._releases = []
        self.sim.board.button_mask = 0
        self.sim.power_cycle()
        self._was_in_service = self.sim.in_service

    def reset(self):
        self.sim.board.reset()

    def truth(self):
        """What the simulator knows and the firmware may not (for tests and the dashboard)."""
        sim = self.sim
        return {"sim_s": round(sim.now_s, 3), "pad_c": round(sim.pad_c, 2),
                "sensor_c": [round(v, 2) for v in sim.sensor_c],
                "heater_duty": round(sim.heater_duty, 3), "motor_duty": round(sim.motor_duty, 3),
                "faults": list(sim.active_faults), "in_service": bool(sim.in_service),
                "speed": self.speed}
