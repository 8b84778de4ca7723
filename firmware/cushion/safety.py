"""Safety supervisor: decides whether the heater may be on at all.

Runs every tick before the controller, on the raw readings, independent of the heat
state machine's opinion of itself. A latched heater fault forces both heater switches
open (the PWM MOSFET and the cut-off switch) until `clear` succeeds; a motor stall only
stops the motor. Covers SR-2..SR-6, SR-9 and SR-13 (limits.py holds every number).
"""

from micropython import const

from cushion import limits

OVERHEAT = "overheat"
SENSOR_OPEN = "sensor_open"
SENSOR_SHORT = "sensor_short"
NO_HEAT_RISE = "no_heat_rise"
THERMAL_RUNAWAY = "thermal_runaway"
HEATER_STUCK_ON = "heater_stuck_on"
SENSOR_MISMATCH = "sensor_mismatch"
SUPPLY_HIGH = "supply_high"
MOTOR_STALL = "motor_stall"
# numbers for the LED blink code and the fault log
FAULT_CODES = (
    OVERHEAT, SENSOR_OPEN, SENSOR_SHORT, NO_HEAT_RISE, THERMAL_RUNAWAY,
    HEATER_STUCK_ON, SENSOR_MISMATCH, SUPPLY_HIGH, MOTOR_STALL,
)

_FULL_DUTY = const(950)


class Supervisor:
    def __init__(self, hal):
        self._hal = hal
        self.fault = None  # latched heater fault code, or None
        self.motor_fault = None  # latched motor fault code, or None
        self.new_fault = None  # set on the tick a fault latches, for the event
        self.supply_paused = False
        self._mismatch_since = 0
        self._mismatching = False
        self._high_since = 0
        self._high = False
        self._stall_since = 0
        self._stalling = False
        # SR-4 window
        self._rise_armed = False
        self._rise_from = 0
        self._rise_ref = 0
        # SR-5a
        self._runaway_since = 0
        self._runaway = False
        self._reached_setpoint = False
        # SR-5b
        self._off_since = 0
        self._was_off = False
        self._stuck_from = 0
        self._stuck_ref = 0

    def heater_allowed(self):
        return self.fault is None and not self.supply_paused

    def _latch(self, code):
        if self.fault is None:
            self.fault = code
            self.new_fault = code

    def check(self, now, c12a, c12b, ta, tb, vin_mv, motor_ma, motor_duty, applied_duty,
              setpoint, holding):
        """One supervision pass. `applied_duty` is what the heater really got last tick."""
        hal = self._hal
        self.new_fault = None
        # SR-3 first: an open or shorted sensor makes its temperature meaningless.
        if c12a > limits.SENSOR_OPEN_COUNTS or c12b > limits.SENSOR_OPEN_COUNTS:
            self._latch(SENSOR_OPEN)
        elif c12a < limits.SENSOR_SHORT_COUNTS or c12b < limits.SENSOR_SHORT_COUNTS:
            self._latch(SENSOR_SHORT)
        # SR-2: either sensor at or above 50.0 C, on this very reading.
        if ta >= limits.OVERHEAT_C100 or tb >= limits.OVERHEAT_C100:
            self._latch(OVERHEAT)
        hot = ta if ta > tb else tb
        # SR-6: cross-check.
        diff = ta - tb
        if diff < 0:
            diff = -diff
        if diff > limits.MISMATCH_C100:
            if not self._mismatching:
                self._mismatching = True
                self._mismatch_since = now
            elif hal.ticks_diff(now, self._mismatch_since) >= limits.MISMATCH_MS:
                self._latch(SENSOR_MISMATCH)
        else:
            self._mismatching = False
        # SR-9: supply.
        if vin_mv > limits.SUPPLY_HIGH_MV:
            if not self._high:
                self._high = True
                self._high_since = now
            elif hal.ticks_diff(now, self._high_since) >= limits.SUPPLY_HIGH_MS:
                self._latch(SUPPLY_HIGH)
        else:
            self._high = False
        if vin_mv < limits.SUPPLY_LOW_MV:
            self.supply_paused = True
        elif vin_mv >= limits.SUPPLY_RESUME_MV:
            self.supply_paused = False
        # SR-4, SR-5: judged against what the element was really driven with.
        self._check_rise(now, hot, applied_duty, setpoint)
        self._check_runaway(now, hot, applied_duty, setpoint, holding)
        self._check_stuck(now, hot, applied_duty, setpoint)
        # SR-13: motor stall stops the motor only.
        if motor_duty > 0 and motor_ma >= limits.MOTOR_STALL_MA:
            if not self._stalling:
                self._stalling = True
                self._stall_since = now
            elif hal.ticks_diff(now, self._stall_since) >= limits.MOTOR_STALL_MS:
                if self.motor_fault is None:
                    self.motor_fault = MOTOR_STALL
                    self.new_fault = MOTOR_STALL
        else:
            self._stalling = False

    def _check_rise(self, now, hot, duty, setpoint):
        if duty >= limits.HARD_DUTY_PERMILLE and setpoint - hot > limits.NO_RISE_ARM_C100:
            if not self._rise_armed:
                self._rise_armed = True
                self._rise_from = now
                self._rise_ref = hot
            elif self._hal.ticks_diff(now, self._rise_from) >= limits.NO_RISE_WINDOW_MS:
                if hot - self._rise_ref < limits.NO_RISE_MIN_C100:
                    self._latch(NO_HEAT_RISE)
                self._rise_from = now
                self._rise_ref = hot
        else:
            self._rise_armed = False

    def _check_runaway(self, now, hot, duty, setpoint, holding):
        if not holding or setpoint == 0:
            self._reached_setpoint = False
            self._runaway = False
            return
        if hot >= setpoint:
            self._reached_setpoint = True
        if (self._reached_setpoint and duty >= _FULL_DUTY
                and hot < setpoint - limits.RUNAWAY_BELOW_C100):
            if not self._runaway:
                self._runaway = True
                self._runaway_since = now
            elif self._hal.ticks_diff(now, self._runaway_since) >= limits.RUNAWAY_MS:
                self._latch(THERMAL_RUNAWAY)
        else:
            self._runaway = False

    def _check_stuck(self, now, hot, duty, setpoint):
        if duty > 0:
            self._was_off = False
            return
        if not self._was_off:
            self._was_off = True
            self._off_since = now
            self._stuck_from = now
            self._stuck_ref = hot
            return
        off_ms = self._hal.ticks_diff(now, self._off_since)
        if off_ms < limits.STUCK_GRACE_MS:
            self._stuck_from = now
            self._stuck_ref = hot
            return
        if setpoint > 0 and hot > setpoint + limits.STUCK_ABOVE_C100:
            self._latch(HEATER_STUCK_ON)
            return
        if hot < self._stuck_ref:
            self._stuck_ref = hot
        if hot - self._stuck_ref >= limits.STUCK_RISE_C100:
            self._latch(HEATER_STUCK_ON)
        elif self._hal.ticks_diff(now, self._stuck_from) >= limits.STUCK_WINDOW_MS:
            self._stuck_from = now
            self._stuck_ref = hot

    def clear_problem(self, c12a, c12b, ta, tb, vin_mv):
        """Why a clear must be refused now (error code, detail), or None (SR-12)."""
        if (c12a > limits.SENSOR_OPEN_COUNTS or c12b > limits.SENSOR_OPEN_COUNTS
                or c12a < limits.SENSOR_SHORT_COUNTS or c12b < limits.SENSOR_SHORT_COUNTS):
            return "fault_active", "a pad sensor still reads out of range"
        if vin_mv > limits.SUPPLY_HIGH_MV:
            return "fault_active", "supply voltage still too high"
        diff = ta - tb
        if diff > limits.MISMATCH_C100 or diff < -limits.MISMATCH_C100:
            return "fault_active", "pad sensors still disagree"
        if ta >= limits.CLEAR_MAX_C100 or tb >= limits.CLEAR_MAX_C100:
            return "not_cool", "pad must cool below 40.0 C first"
        return None

    def clear(self):
        self.fault = None
        self.motor_fault = None
        self._mismatching = False
        self._high = False
        self._stalling = False
        self._rise_armed = False
        self._runaway = False
        self._reached_setpoint = False
        self._was_off = False
