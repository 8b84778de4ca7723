"""The control tick (DESIGN section 3).

read inputs -> integers -> safety supervisor -> session timer -> heat -> vibration ->
outputs -> serial -> watchdog. Every hardware touch goes through the HAL; a steady tick
(no serial traffic, telemetry off) allocates nothing.
"""


from micropython import const

from cushion import limits, protocol, thermistor
from cushion.buttons import HEAT as BTN_HEAT
from cushion.buttons import MASSAGE as BTN_MASSAGE
from cushion.buttons import POWER as BTN_POWER
from cushion.buttons import Buttons
from cushion.commands import Console
from cushion.dose import ThermalDose
from cushion.heat import HELD_OFF, HeatControl
from cushion.safety import FAULT_CODES, Supervisor
from cushion.session import AUTO_OFF, WARNING, SessionTimer
from cushion.store import Store
from cushion.vibration import MODE_NAMES, MODE_OFF, Vibration

_MAX_DT_MS = const(1000)

_LED_SESSION = const(1)
_LED_HEAT = (0, 2, 4, 8)
_LED_MASSAGE = const(16)
_LED_FAULT = const(32)

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
        self.session = SessionTimer(hal)
        self.dose = ThermalDose()
        self.dose.restore(self.settings["dose_eq_ms"])
        self.dose_capped = False
        self._dose_saved = self.dose.total_eq_ms
        self._dose_saved_at = hal.ticks_ms()
        self.buttons = Buttons(hal)
        self.console = Console(self, hal)
        now = hal.ticks_ms()
        self._last = now
        self._uptime_s = 0
        self._uptime_ms = 0
        self.c12a = self.c12b = 2048
        self.ta = self.tb = 2500
        self.vin_mv = 12000
        self.motor_ma = 0
        self.applied_duty = 0
        self.motor_duty = 0
        self.fault_at = now
        self._read_inputs()
        self._event("boot", '"reset_cause": "%s", "fw": "cushion", "version": "%s"'
                    % (hal.reset_cause(), limits.FW_VERSION))
        for name in self.store.corrupt:
            self._event("store_corrupt", '"file": "%s"' % name)
        self.store.corrupt = []

    # -- inputs and outputs -------------------------------------------------------------

    def _read_inputs(self):
        hal = self.hal
        c = hal.read_temp(0) >> 4
        self.c12a = c
        self.ta = thermistor.to_c100(c)
        c = hal.read_temp(1) >> 4
        self.c12b = c
        self.tb = thermistor.to_c100(c)
        self.vin_mv = (hal.read_vin() >> 4) * limits.VIN_FULL_SCALE_MV // 4095
        self.motor_ma = (hal.read_motor_current() >> 4) * limits.MOTOR_FULL_SCALE_MA // 4095

    def hot_c100(self):
        """Control and dose use the hotter sensor: a sensor reading low is never trusted.
        A sensor outside the plausible window (open or shorted: the supervisor latches a
        fault for it) says nothing about the pad, so the other one stands in."""
        a_ok = limits.SENSOR_SHORT_COUNTS <= self.c12a <= limits.SENSOR_OPEN_COUNTS
        b_ok = limits.SENSOR_SHORT_COUNTS <= self.c12b <= limits.SENSOR_OPEN_COUNTS
        if a_ok and b_ok:
            return self.ta if self.ta > self.tb else self.tb
        if a_ok:
            return self.ta
        if b_ok:
            return self.tb
        return 0

    def outputs_off(self):
        self.hal.outputs_off()
        self.applied_duty = 0
        self.motor_duty = 0

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
        dt = hal.ticks_diff(now, self._last)
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

        self._read_inputs()
        hot = self.hot_c100()
        safety = self.safety
        safety.check(now, dt, self.c12a, self.c12b, self.ta, self.tb, self.vin_mv,
                     self.motor_ma, self.motor_duty, self.applied_duty, self.heat.setpoint)
        if safety.new_fault is not None:
            self._on_fault(now, safety.new_fault)

        timer = self.session.update(now)
        if timer == AUTO_OFF:
            self.end_session()
            self._event("auto_off", '"session_s": %d' % (limits.AUTO_OFF_MS // 1000))
        elif timer == WARNING:
            self._event("auto_off_warning", '"remaining_s": %d' % (
                self.session.remaining_ms(now) // 1000))

        self.buttons.update(now, hal.buttons())
        if self.buttons.short or self.buttons.long:
            self._on_buttons(now)

        self.dose.add(dt, hot)
        if self.dose.over_limit():
            if not self.dose_capped:
                self.dose_capped = True
                self._event("dose_limit", '"dose_cem43": %s, "capped_to": "low"'
                            % protocol.c100_text(self.dose.cem43_x10() * 10))
                self._save_settings()
            if self.heat.level > limits.HEAT_LOW:
                self.heat.set_level(limits.HEAT_LOW)
        elif self.dose_capped and self.dose.total_eq_ms < limits.DOSE_LIMIT_EQ_MS * 9 // 10:
            self.dose_capped = False  # the window rolled on: full levels are back
        # Unplugging mid-session must not wipe the dose (SR-8): save it as it grows, at most
        # once per DOSE_SAVE_MIN_MS, so flash writes scale with the dose, not with time.
        if (self.dose.total_eq_ms - self._dose_saved >= limits.DOSE_SAVE_STEP_EQ_MS
                and hal.ticks_diff(now, self._dose_saved_at) >= limits.DOSE_SAVE_MIN_MS):
            self._dose_saved_at = now
            self._save_settings()

        duty = self.heat.update(hot, dt)
        allowed = safety.heater_allowed()
        if not allowed:
            duty = 0
        motor = self.vib.update(now, dt)
        if safety.motor_fault is not None:
            motor = 0

        # The cut-off switch closes only while heat is wanted: with heat off, a MOSFET that
        # failed short still cannot warm the pad (SR-1), and a latched fault keeps it open.
        hal.heater_enable(allowed and self.heat.level > 0)
        hal.heater_pwm(duty)
        hal.motor(motor, self.vib.direction)
        self.applied_duty = duty
        self.motor_duty = motor
        hal.leds(self._led_mask(now))

        console = self.console
        console.poll(now)
        if console.service_requested:
            return
        # SR-10: fed only here, after the supervisor ran on this tick's readings.
        hal.wdt_feed()

    # -- state changes ------------------------------------------------------------------

    def _on_fault(self, now, code):
        if code == "motor_stall":
            self.vib.off()
        else:
            self.heat.hold_off()
            # open both switches now, before the fault-log write below (tens of ms on flash)
            self.hal.heater_pwm(0)
            self.hal.heater_enable(False)
            self.applied_duty = 0
            self.fault_at = now
        self._event("fault", '"code": "%s", "temp_c": %s, "temp2_c": %s' % (
            code, protocol.c100_text(self.ta), protocol.c100_text(self.tb)))
        try:
            self.fault_log = self.store.append_fault({
                "code": code, "uptime_s": self._uptime_s,
                "temp_c100": self.ta, "temp2_c100": self.tb, "vin_mv": self.vin_mv})
        except OSError:
            pass  # a full or failing flash must not stop the cut-off; the event went out
        self._end_session_if_idle()

    def end_session(self):
        if self.heat.state != HELD_OFF:  # keep it visible while a fault is latched
            self.heat.off()
        self.vib.off()
        self.session.end()
        self._save_settings()

    def _save_settings(self):
        s = self.settings
        s["intensity"] = self.vib.intensity
        s["dose_eq_ms"] = self.dose.total_eq_ms
        self._dose_saved = self.dose.total_eq_ms
        try:
            self.store.save_settings(s)
        except OSError:
            pass

    def _end_session_if_idle(self):
        if self.session.active and self.heat.level == 0 and self.vib.mode == MODE_OFF:
            self.session.end()
            self._save_settings()

    def _start_session_if_needed(self, now, was_idle):
        if was_idle and (self.heat.level or self.vib.mode):
            self.session.start(now)

    @property
    def service_requested(self):
        """`service` was answered: the loop resets into the REPL instead of going on."""
        return self.console.service_requested

    def state(self):
        """One of names.STATE_NAMES: a latched fault wins over a session."""
        if self.safety.active_fault() is not None:
            return "fault"
        return "active" if self.session.active else "idle"

    def _idle(self):
        return self.heat.level == 0 and self.vib.mode == MODE_OFF

    def set_heat(self, now, level):
        """Returns None, or FAULT_LATCHED when a heater fault refuses the heat."""
        if level > 0 and self.safety.fault is not None:
            return Controller.FAULT_LATCHED
        was_idle = self._idle()
        if level > limits.HEAT_LOW and self.dose_capped:
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
        was_idle = self._idle()
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
            problem = s.clear_problem(self.c12a, self.c12b, self.ta, self.tb, self.vin_mv)
            if problem is not None:
                return problem
        s.clear()
        # SR-12: clearing never starts heating; the heat level stays off. A motor fault alone
        # never touched the heat (SR-13), so clearing it must not turn the heat off either.
        if heater_fault:
            self.heat.off()
        self._event("cleared")
        return None

    def _on_buttons(self, now):
        short = self.buttons.short
        long = self.buttons.long
        if long & BTN_POWER:
            self.try_clear()
        if short & BTN_POWER:
            if self._idle():
                # a power press starts a session with the remembered preferences
                self.set_heat(now, self.settings["heat"])
                if self.vib.mode == MODE_OFF:
                    self.set_massage(now, self.settings["massage"], self.vib.intensity)
            else:
                self.end_session()
        if short & BTN_HEAT:
            nxt = self.heat.level + 1
            if nxt > limits.HEAT_HIGH or (self.dose_capped and nxt > limits.HEAT_LOW):
                nxt = 0
            self.set_heat(now, nxt)
        if short & BTN_MASSAGE:
            nxt = self.vib.mode + 1
            if nxt >= len(MODE_NAMES):
                nxt = 0
            self.set_massage(now, nxt, self.vib.intensity)
        if long & BTN_MASSAGE:
            nxt = self.vib.intensity + 1
            if nxt > 3:
                nxt = 1
            self.vib.intensity = nxt
            self._save_settings()

    def _led_mask(self, now):
        mask = 0
        if self.session.active:
            mask |= _LED_SESSION
        mask |= _LED_HEAT[self.heat.level]
        if self.vib.mode != MODE_OFF:
            mask |= _LED_MASSAGE
        code = self.safety.active_fault()
        if code is not None:
            # blink code: N short blinks every 3 s, N = the fault's number
            n = 1
            for i in range(len(FAULT_CODES)):
                if FAULT_CODES[i] == code:
                    n = i + 1
            phase = self.hal.ticks_diff(now, self.fault_at) % 3000
            if phase < n * 300 and phase % 300 < 150:
                mask |= _LED_FAULT
        return mask
