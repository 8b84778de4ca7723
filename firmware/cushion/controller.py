"""The control tick (DESIGN section 3), one pipeline:

inputs (read once) -> safety supervisor -> session timer -> buttons -> thermal dose -> heat
-> vibration -> the output gate -> events and flash writes -> serial -> watchdog.

Every hardware touch goes through the HAL; the output gate is the only writer of the power
outputs and the LEDs in a tick, and nothing is sent or written to flash before it ran, so a
fault latched on this tick has already opened both switches when its event and its log
entry go out. A steady tick (no serial traffic, telemetry off) allocates nothing.
"""


from micropython import const

from cushion import limits, panel, protocol
from cushion.buttons import Buttons
from cushion.commands import Console
from cushion.dose import CAPPED, NOTHING, ThermalDose
from cushion.heat import HELD_OFF, HeatControl
from cushion.names import CLOCK_FAULT, MOTOR_STALL, SWITCH_NAMES
from cushion.outputs import OutputGate
from cushion.readings import Readings
from cushion.safety import Supervisor
from cushion.session import AUTO_OFF, WARNING, SessionTimer
from cushion.store import Store
from cushion.vibration import MODE_OFF, Vibration

_MAX_DT_MS = const(1000)  # a late tick counts as at most this much, for every stage


class Controller:
    FAULT_LATCHED = 1  # set_heat and set_massage refuse: a fault of that output is latched

    def __init__(self, hal, board_name="unknown"):
        self.hal = hal
        # SR-1: outputs off before anything else can go wrong.
        hal.outputs_off()
        self.board_name = board_name
        self.store = Store(hal.storage)
        self.settings = self.store.load_settings()
        self.fault_log = self.store.load_faults()
        self.heat = HeatControl()
        self.vib = Vibration(hal)
        self.vib.intensity = self.settings["intensity"]
        self.safety = Supervisor(hal)
        # SR-12 across power loss: a heater fault latched before the reset is latched again.
        latched = self.store.load_latch()
        if latched is not None:
            self.safety.restore(latched[0], latched[1])
        self.out = OutputGate(hal, self.safety)
        self.session = SessionTimer(hal)
        self.dose = ThermalDose()
        self.dose.restore(self.settings["dose_eq_ms"])
        self.buttons = Buttons(hal)
        self.readings = Readings()
        self.console = Console(self, hal)
        now = hal.ticks_ms()
        self._last = now
        self._uptime_s = 0
        self._uptime_ms = 0
        self.fault_at = now
        # What this tick reports and writes once its outputs are set (see _report).
        self._deferring = False
        self._new_fault = None
        self._timer = 0
        self._cleared = 0  # 1: a fault was cleared this tick, 2: a heater fault (its latch)
        self._dose_limit = False
        self._save_due = False
        self.readings.update(hal)
        self._event("boot", '"reset_cause": "%s", "fw": "cushion", "version": "%s"'
                    % (hal.reset_cause(), limits.FW_VERSION))
        for name in self.store.corrupt:
            self._event("store_corrupt", '"file": "%s"' % name)
        self.store.corrupt = []

    def outputs_off(self):
        self.out.off()

    def send(self, line):
        self.console.send(line)

    def uptime_ms(self):
        return self._uptime_s * 1000 + self._uptime_ms

    def _event(self, name, body=""):
        """Send an event stamped with the uptime, so a host can place it in time."""
        stamp = '"uptime_ms": %d' % self.uptime_ms()
        self.send(protocol.event(name, body + ", " + stamp if body else stamp))

    # -- the tick -----------------------------------------------------------------------

    def tick(self, now):
        hal = self.hal
        raw_dt = dt = hal.ticks_diff(now, self._last)
        self._last = now
        if dt < 0:
            dt = 0
        elif dt > _MAX_DT_MS:
            dt = _MAX_DT_MS
        ms = self._uptime_ms + dt
        if ms >= 1000:
            self._uptime_s += ms // 1000
            ms %= 1000
        self._uptime_ms = ms
        self._deferring = True  # flash writes wait for the outputs (_save_settings)

        r = self.readings
        r.update(hal)
        fault = self.safety.check(now, dt, r, self.out, self.heat.setpoint, raw_dt)
        if fault is not None:
            self._on_fault(now, fault)

        timer = self.session.update(now)
        if timer == AUTO_OFF:
            self.end_session()
        self._timer = timer

        buttons = self.buttons
        buttons.update(now, r.buttons)
        if buttons.short or buttons.long:
            panel.on_buttons(self, now)

        dose = self.dose.update(dt, r.hot)
        if dose != NOTHING:
            self._save_due = True
            if dose == CAPPED:
                self._dose_limit = True
        heat = self.heat
        if self.dose.capped and heat.level > limits.HEAT_LOW:
            heat.set_level(limits.HEAT_LOW)

        duty = heat.update(r.hot, dt)
        motor = self.vib.update(now, dt)
        self.out.apply(duty, heat.level > 0, motor, self.vib.direction, panel.leds(self, now))

        self._deferring = False
        self._report(now)

        console = self.console
        console.poll(now)
        if console.service_requested:
            return
        # SR-10: fed only here, after the supervisor ran on this tick's readings.
        hal.wdt_feed()

    def _report(self, now):
        """The tick's events, in the order they happened, then its flash writes (the latch,
        the fault log, then the settings): all after the outputs, since a write takes tens
        of ms."""
        r = self.readings
        code = self._new_fault
        if code is not None:
            self._new_fault = None
            left = SWITCH_NAMES[self.safety.left] if code != MOTOR_STALL else SWITCH_NAMES[0]
            self._event("fault", '"code": "%s", "temp_c": %s, "temp2_c": %s, "switch_left": "%s"'
                        % (code, protocol.c100_text(r.ta), protocol.c100_text(r.tb), left))
            self.fault_log = self.store.record_fault(
                {"code": code, "uptime_s": self._uptime_s, "temp_c100": r.ta,
                 "temp2_c100": r.tb, "vin_mv": r.vin_mv},
                self.safety.left, self.fault_log, code != MOTOR_STALL)
        timer = self._timer
        if timer == AUTO_OFF:
            self._event("auto_off", '"session_s": %d' % (limits.AUTO_OFF_MS // 1000))
        elif timer == WARNING:
            self._event("auto_off_warning", '"remaining_s": %d' % (  # rounded up, as status
                (self.session.remaining_ms(now) + 999) // 1000))
        if self._cleared:
            self._announce_cleared(self._cleared == 2)
            self._cleared = 0
        if self._dose_limit:
            self._dose_limit = False
            self._event("dose_limit", '"dose_cem43": %s, "capped_to": "low"'
                        % protocol.c100_text(self.dose.cem43_x10() * 10))
        if self._save_due:
            self._save_due = False
            self._write_settings()

    # -- state changes ------------------------------------------------------------------

    def _on_fault(self, now, code):
        """A fault latched on this tick: control lets go now; the gate opens the switches
        (or stops the motor) further down this tick, and _report tells and logs it."""
        if code == MOTOR_STALL:
            self.vib.off()
        else:
            self.heat.hold_off()
            self.fault_at = now
            if code == CLOCK_FAULT:
                self.vib.off()  # SR-19: every output off, as no timer can be trusted
        self._new_fault = code
        self._end_session_if_idle()

    def end_session(self):
        if self.heat.state != HELD_OFF:  # keep it visible while a fault is latched
            self.heat.off()
        self.vib.off()
        self.session.end()
        self.save_settings()

    def save_settings(self):
        """Now, or at the end of the tick's output stage when called before it."""
        if self._deferring:
            self._save_due = True
        else:
            self._write_settings()

    def _write_settings(self):
        s = self.settings
        s["intensity"] = self.vib.intensity
        s["dose_eq_ms"] = self.dose.saved_eq_ms = self.dose.total_eq_ms
        try:
            self.store.save_settings(s)
        except OSError:
            pass  # a full or failing flash must not stop the loop

    def _end_session_if_idle(self):
        if self.session.active and self.idle():
            self.session.end()
            self.save_settings()

    def _start_session_if_needed(self, now, was_idle):
        if was_idle and (self.heat.level or self.vib.mode):
            self.session.start(now)
            self.out.selftest.reset()  # SR-17 at every session start, however quick the turn

    def state(self):
        """One of names.STATE_NAMES: a latched fault wins over a session."""
        if self.safety.active_fault() is not None:
            return "fault"
        return "active" if self.session.active else "idle"

    def idle(self):
        return self.heat.level == 0 and self.vib.mode == MODE_OFF

    def set_heat(self, now, level):
        """Returns None, or FAULT_LATCHED when a heater fault refuses the heat."""
        if level > 0 and self.safety.fault is not None:
            return Controller.FAULT_LATCHED
        was_idle = self.idle()
        if level > limits.HEAT_LOW and self.dose.capped:
            level = limits.HEAT_LOW
        if level > 0 or self.safety.fault is None:  # keep HELD_OFF visible under a fault
            self.heat.set_level(level)
        if level:
            self.settings["heat"] = level
        self._start_session_if_needed(now, was_idle)
        self._end_session_if_idle()
        return None

    def set_massage(self, now, mode, intensity):
        """Returns None, or FAULT_LATCHED when a motor fault refuses the massage."""
        if mode and self.safety.motor_fault is not None:
            return Controller.FAULT_LATCHED
        if mode and self.safety.fault == CLOCK_FAULT:  # SR-19 stops the motor too
            return Controller.FAULT_LATCHED
        was_idle = self.idle()
        if mode == MODE_OFF:
            self.vib.off()
        else:
            self.vib.set_mode(mode, intensity, now)
            self.settings["massage"] = mode
        self._start_session_if_needed(now, was_idle)
        self._end_session_if_idle()
        return None

    def try_clear(self):
        """Clear the latched faults (SR-12) and send `cleared`; returns None, or why not (a
        Supervisor clear-problem constant). The serial `clear` and the long press both."""
        s = self.safety
        if s.fault is None and s.motor_fault is None:
            return None
        heater_fault = s.fault is not None
        if heater_fault:
            problem = s.clear_problem(self.readings)
            if problem is not None:
                return problem
        s.clear()
        # SR-12: clearing never starts heating; the heat level stays off. A motor fault alone
        # never touched the heat (SR-13), so clearing it must not turn the heat off either.
        if heater_fault:
            self.heat.off()
        # The serial `clear` and the long press both tell the host and remove the stored
        # latch; inside the tick both wait for the outputs, like every event and flash write.
        if self._deferring:
            self._cleared = 2 if heater_fault else 1
        else:
            self._announce_cleared(heater_fault)
        return None

    def _announce_cleared(self, heater_fault):
        if heater_fault:
            try:  # (a flash that cannot remove it keeps the latch: the safe side)
                self.store.clear_latch()
            except OSError:
                pass
        self._event("cleared")
