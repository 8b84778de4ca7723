"""Safety supervisor: decides whether the heater may be on at all.

Runs every tick before the controller, on the raw readings, independent of the heat
state machine's opinion of itself. A latched heater fault forces both heater switches
open (the PWM MOSFET and the cut-off switch) until `clear` succeeds; a motor stall only
stops the motor. Covers SR-2..SR-6, SR-9 and SR-13 here, and through one small module per
concern SR-16 (power_check), SR-18 (adc_check), SR-19 (clock_check), the source-corrected
supply (supply) and the common-cause energy check (energy_check). limits.py holds every
number and says which envelope corner bounds it.

The checks judge what the element was really driven with (the output gate's `heater`,
last tick's output) and the hotter of the two readings; none of them relies on the heat state
machine's states, so re-tuning the controller cannot switch one off.
"""

from micropython import const

from cushion import limits, thermistor
from cushion.adc_check import RefCheck
from cushion.clock_check import ClockCheck
from cushion.energy_check import EnergyCheck
from cushion.names import (
    HEATER_STUCK_ON, MOTOR_STALL, NO_HEAT_RISE, OVERHEAT, SENSOR_MISMATCH, SENSOR_OPEN,
    SENSOR_SHORT, SUPPLY_HIGH, THERMAL_RUNAWAY,
)
from cushion.power_check import LEFT_BOTH, PowerCheck
from cushion.supply import SupplyEstimate
from cushion.sustained import Sustained

_HEAT_SHIFT = const(10)  # the stored-heat index keeps 10 extra bits (per-mille << 10)
_HEAT_FULL = const(1000 << 10)


class Supervisor:
    def __init__(self, hal):
        self._hal = hal
        self.fault = None  # latched heater fault code, or None
        self.motor_fault = None  # latched motor fault code, or None
        self._new = None  # the fault latched in this check() (its return value)
        self.supply_paused = False
        self.left = LEFT_BOTH  # which heater switch still works (names.SWITCH_NAMES index)
        self.power = PowerCheck()
        self.ref = RefCheck()
        self.clock = ClockCheck()
        self.energy = EnergyCheck()
        self.supply = SupplyEstimate()
        self.source_mv = 12000  # the adapter's voltage as SR-9 judges it
        self._started = False
        self._mismatch = Sustained(limits.MISMATCH_MS)  # SR-6
        self._high = Sustained(limits.SUPPLY_HIGH_MS)  # SR-9, high side
        # SR-13: driven time at stall current, undriven time
        self._stall_ms = 0
        self._idle_ms = 0
        # SR-4: progress of the hotter reading while driven hard
        self._rise_armed = False
        self._rise_since = 0
        self._rise_ref = 0
        # SR-5a
        self._reached = False
        self._last_setpoint = 0
        self._runaway = Sustained(limits.RUNAWAY_MS)
        # SR-5b: stored-heat index (applied duty, lagged like the element) and the ceiling
        # the reading may reach in the present off period. After a reset nobody knows what
        # the element last did: assume it was settled at full power.
        self._heat_x = _HEAT_FULL
        self._hot1 = 0  # the hotter reading one and two ticks ago (SR-5b's median of 3)
        self._hot2 = 0
        self._off = False
        self._ceiling = 0

    def active_fault(self):
        """The latched heater fault, else the latched motor fault, else None."""
        return self.fault if self.fault is not None else self.motor_fault

    def heater_allowed(self):
        return self.fault is None and not self.supply_paused

    def _latch(self, code, left=LEFT_BOTH):
        if self.fault is None:
            self.fault = code
            self.left = left
            self._new = code

    def restore(self, code, left):
        """A heater fault that was latched before a reset (SR-12 across power loss)."""
        self.fault = code
        self.left = left

    def check(self, now, dt, readings, applied, setpoint, raw_dt=None):
        """One supervision pass on this tick's readings, dt ms after the last (the controller
        clamps dt to at most a second, which keeps every product here a small int).
        `applied` is the output gate: what the heater (`heater`) and the motor (`motor`)
        really got last tick (`heater` the PWM duty, `enabled` the cut-off); `setpoint` the heat
        loop's present target; `raw_dt` the clock's own step (before the controller's
        clamp). Returns the fault latched by this pass (at most one per tick), else None."""
        hal = self._hal
        self._new = None
        # SR-19 first: every timed check below counts this clock.
        code = self.clock.check(dt if raw_dt is None else raw_dt)
        if code is not None:
            self._latch(code)
        ta = readings.ta
        tb = readings.tb
        if not self._started:
            self._started = True
            dt = 0
            self._hot1 = self._hot2 = ta if ta > tb else tb
        # SR-3 first: an open or shorted sensor makes its temperature meaningless.
        fa = readings.fault_a
        fb = readings.fault_b
        if fa == SENSOR_OPEN or fb == SENSOR_OPEN:
            self._latch(SENSOR_OPEN)
        elif fa is not None or fb is not None:
            self._latch(SENSOR_SHORT)
        # SR-2: either sensor at or above 50.0 C, confirmed by a second sample taken now: a
        # one-sample ADC spike reads 10 C hot, and waiting for the next tick's reading would
        # put the cut at the very edge of SR-2's 100 ms (two ticks plus the tick's own time).
        hot = ta if ta > tb else tb
        if hot >= limits.OVERHEAT_C100 and thermistor.hotter_c100(hal) >= limits.OVERHEAT_C100:
            self._latch(OVERHEAT)
        # SR-18: every reading above is only as good as the ADC's reference.
        code = self.ref.check(readings.ref_c12)
        if code is not None:
            self._latch(code)
        # SR-6: cross-check.
        diff = ta - tb
        if diff < 0:
            diff = -diff
        if self._mismatch.held(hal, now, diff > limits.MISMATCH_C100):
            self._latch(SENSOR_MISMATCH)
        # SR-9: supply, judged on the source's own voltage (cushion/supply.py): an adapter
        # holding its current limit reads low at its terminals.
        vin_mv = readings.vin_mv
        source = self.supply.source_mv(vin_mv, readings.heater_ma + readings.motor_ma)
        self.source_mv = source
        if self._high.held(hal, now, source > limits.SUPPLY_HIGH_MV):
            self._latch(SUPPLY_HIGH)
        self.supply_paused = self.supply.low(hal, now, source)
        # SR-16: the heater current against what the switches were told.
        duty = applied.heater
        code = self.power.check(readings.heater_ma, vin_mv, duty, applied.enabled)
        if code is not None:
            self._latch(code, self.power.left)
        # The trend checks below judge the median of the last three hotter readings: a loose
        # contact or an ADC spike glitches one reading (no pad changes that fast), and a
        # glitch must neither arm SR-5a, nor restart SR-4's window, nor move SR-5b's ceiling.
        a = self._hot1
        b = self._hot2
        self._hot2 = a
        self._hot1 = hot
        if a > b:
            a, b = b, a
        if hot < a:
            hot = a
        elif hot > b:
            hot = b
        # Both sensors wrong together: the energy delivered against the rise they report.
        code = self.energy.check(hot, setpoint, vin_mv * readings.heater_ma // 1000, dt)
        if code is not None:
            self._latch(code)
        # SR-4, SR-5: judged against what the element was really driven with.
        self._check_rise(now, hot, duty, setpoint)
        self._check_runaway(now, hot, duty, setpoint)
        self._check_stuck(dt, hot, duty)
        # SR-13: motor stall stops the motor only.
        self._check_stall(dt, readings.motor_ma, applied.motor)
        return self._new

    def _check_rise(self, now, hot, duty, setpoint):
        """SR-4: driven hard well below the set-point, the reading must keep gaining."""
        if duty >= limits.FULL_DUTY_PERMILLE and setpoint - hot > limits.NO_RISE_ARM_C100:
            if not self._rise_armed:
                self._rise_armed = True
                self._rise_since = now
                self._rise_ref = hot
                return
            if hot < self._rise_ref:
                self._rise_ref = hot  # still falling: gains count from the trough
            elif hot - self._rise_ref >= limits.NO_RISE_MIN_C100:
                self._rise_ref = hot
                self._rise_since = now
            if self._hal.ticks_diff(now, self._rise_since) >= limits.NO_RISE_WINDOW_MS:
                self._latch(NO_HEAT_RISE)
        else:
            self._rise_armed = False

    def _check_runaway(self, now, hot, duty, setpoint):
        """SR-5a: having come within NO_RISE_ARM_C100 of the set-point (where SR-4 stops
        watching), far below it again at full duty."""
        if setpoint <= 0 or setpoint > self._last_setpoint or self.supply_paused:
            self._reached = False  # a new, higher target (or heat withheld): reach it first
        self._last_setpoint = setpoint
        if setpoint > 0 and setpoint - hot <= limits.NO_RISE_ARM_C100:
            self._reached = True  # SR-4 watches the approach up to here, SR-5a from here on
        if self._runaway.held(self._hal, now, self._reached
                              and duty >= limits.FULL_DUTY_PERMILLE
                              and setpoint - hot > limits.RUNAWAY_BELOW_C100):
            self._latch(THERMAL_RUNAWAY)

    def _check_stuck(self, dt, hot, duty):
        """SR-5b: rising, while commanded off, past what the element's stored heat explains
        (`hot` is the median of three, see check())."""
        x = self._heat_x
        d = (duty << _HEAT_SHIFT) - x
        if d > 0:
            x += d * dt // limits.STUCK_HEAT_UP_MS
        else:
            x += d * dt // limits.STUCK_HEAT_DOWN_MS
        self._heat_x = x
        if duty > 0:
            self._off = False
            return
        c = hot + limits.STUCK_MARGIN_C100 + limits.STUCK_STORED_C100 * (x >> _HEAT_SHIFT) // 1000
        if not self._off:
            self._off = True
            self._ceiling = c
        elif c < self._ceiling:
            self._ceiling = c
        if hot > self._ceiling and hot > limits.STUCK_NOHEAT_C100:
            self._latch(HEATER_STUCK_ON)

    def _check_stall(self, dt, motor_ma, motor_duty):
        """SR-13: driven for MOTOR_STALL_MS in all at more than a running motor can draw."""
        if motor_duty > 0:
            self._idle_ms = 0
            limit = (limits.MOTOR_STALL_BASE_MA
                     + limits.MOTOR_STALL_PER_DUTY_MA * motor_duty // 1000)
            if motor_ma >= limit:
                self._stall_ms += dt
                # one event per tick: behind a heater fault latched this tick, it waits one
                if (self._stall_ms >= limits.MOTOR_STALL_MS and self.motor_fault is None
                        and self._new is None):
                    self.motor_fault = MOTOR_STALL
                    self._new = MOTOR_STALL
            else:
                self._stall_ms = 0
        else:
            self._idle_ms += dt
            if self._idle_ms >= limits.MOTOR_STALL_RESET_MS:
                self._stall_ms = 0

    # Why clear_problem refuses a clear (the console words each one for the host).
    SENSOR_OUT_OF_RANGE = 1
    SUPPLY_STILL_HIGH = 2
    SENSORS_DISAGREE = 3
    PAD_TOO_WARM = 4

    def clear_problem(self, readings):
        """Why a clear must be refused now (one of the constants above), or None (SR-12)."""
        if readings.fault_a is not None or readings.fault_b is not None:
            return Supervisor.SENSOR_OUT_OF_RANGE
        ta = readings.ta
        tb = readings.tb
        if readings.vin_mv > limits.SUPPLY_HIGH_MV:
            return Supervisor.SUPPLY_STILL_HIGH
        diff = ta - tb
        if diff > limits.MISMATCH_C100 or diff < -limits.MISMATCH_C100:
            return Supervisor.SENSORS_DISAGREE
        if ta >= limits.CLEAR_MAX_C100 or tb >= limits.CLEAR_MAX_C100:
            return Supervisor.PAD_TOO_WARM
        return None

    def clear(self):
        self.fault = None
        self.motor_fault = None
        self._mismatch.reset()
        self._high.reset()
        self._stall_ms = 0
        self._rise_armed = False
        self._runaway.reset()
        self._reached = False
        self._off = False  # the stored-heat index stays: the element's heat is real
        self.left = LEFT_BOTH
        self.power = PowerCheck()
        self.ref = RefCheck()
        self.clock = ClockCheck()
        self.energy.reset()
