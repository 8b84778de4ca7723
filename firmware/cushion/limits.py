"""Every safety and control number, in one place, as integers.

Units: centi-degrees C (``_C100``), per-mille duty, milliseconds, millivolts, milliamps.
Nothing received over serial changes any of these: the protocol can only pick a heat
level from LEVEL_SETPOINTS, never a temperature, and never a time.
"""

from micropython import const

FW_VERSION = "1.0.0"

# The control loop period. The design allows at most 100 ms; SR-2/SR-3 need a reading
# and a decision inside 100 ms, so 50 ms leaves one full tick of margin.
TICK_MS = const(50)

# Heat levels: 0 off, 1 low, 2 medium, 3 high. Set-points are pad sensor temperatures.
HEAT_OFF = const(0)
HEAT_LOW = const(1)
HEAT_MEDIUM = const(2)
HEAT_HIGH = const(3)
SETPOINT_LOW_C100 = const(3800)
SETPOINT_MEDIUM_C100 = const(4200)
SETPOINT_HIGH_C100 = const(4500)
LEVEL_SETPOINTS = (0, SETPOINT_LOW_C100, SETPOINT_MEDIUM_C100, SETPOINT_HIGH_C100)
LEVEL_NAMES = ("off", "low", "medium", "high")

# SR-2: any pad sensor at or above 50.0 C latches `overheat`.
OVERHEAT_C100 = const(5000)

# SR-3: plausible sensor window, in 12-bit ADC counts of the 10 k / 10 k B3950 divider.
# Above ~3739 counts the sensor reads colder than -20 C: the divider is open.
# Below ~206 counts it reads hotter than 110 C: the thermistor is shorted.
SENSOR_OPEN_COUNTS = const(3739)
SENSOR_SHORT_COUNTS = const(206)

# SR-6: the two pad sensors disagree by more than 5 C for 5 s.
MISMATCH_C100 = const(500)
MISMATCH_MS = const(5000)

# SR-4: heating failure. The reference pad rises about 7 C/min at full power from 22 C
# and still about 4 C/min at 45 C (docs/simulator.md); the sensors lag 5-10 s. While the
# heater is driven hard and the pad is more than NO_RISE_ARM_C100 below the set-point, it
# must gain NO_RISE_MIN_C100 in every NO_RISE_WINDOW_MS window. That is a quarter of the
# slowest honest rise (0 C ambient, 10.8 V supply, element -20 %), yet catches an open
# element or a sensor off the pad within about one minute.
HARD_DUTY_PERMILLE = const(800)
NO_RISE_ARM_C100 = const(300)
NO_RISE_WINDOW_MS = const(60000)
NO_RISE_MIN_C100 = const(100)

# SR-5a: while holding, more than RUNAWAY_BELOW_C100 under the set-point at full duty for
# RUNAWAY_MS latches `thermal_runaway` (heat is going somewhere we do not measure).
RUNAWAY_BELOW_C100 = const(500)
RUNAWAY_MS = const(90000)

# SR-5b: `heater_stuck_on`. With the heater commanded off, the element's stored heat keeps
# the surface rising for a while, so allow STUCK_GRACE_MS before judging; after that, a rise
# of STUCK_RISE_C100 within STUCK_WINDOW_MS, or STUCK_ABOVE_C100 above the set-point, means
# the MOSFET conducts on its own. The cut-off switch is opened.
STUCK_GRACE_MS = const(20000)
STUCK_WINDOW_MS = const(20000)
STUCK_RISE_C100 = const(100)
STUCK_ABOVE_C100 = const(200)

# SR-9: supply. Reference divider 47 k / 10 k into the 3.3 V ADC: 18.81 V full scale.
VIN_FULL_SCALE_MV = const(18810)
SUPPLY_LOW_MV = const(10500)
SUPPLY_RESUME_MV = const(10800)
SUPPLY_HIGH_MV = const(14500)
SUPPLY_HIGH_MS = const(100)

# SR-13: motor stall. 0.1 ohm shunt, gain 20: 1650 mA full scale.
MOTOR_FULL_SCALE_MA = const(1650)
MOTOR_STALL_MA = const(1000)
MOTOR_STALL_MS = const(1000)

# SR-7: auto-off 900 s after a session starts, with a warning 60 s before.
AUTO_OFF_MS = const(900000)
AUTO_OFF_WARN_MS = const(840000)

# SR-8: thermal dose. CEM43 over a rolling 3 h window, kept in one-minute buckets.
# Above 240 equivalent minutes the heat is capped at low.
DOSE_BUCKET_MS = const(60000)
DOSE_BUCKETS = const(180)
DOSE_LIMIT_EQ_MS = const(14400000)  # 240 equivalent minutes
# The dose is saved as it grows (one equivalent minute at a time, at most every 15 s) so a
# power cut loses at most about one equivalent minute of it.
DOSE_SAVE_STEP_EQ_MS = const(60000)
DOSE_SAVE_MIN_MS = const(15000)

# SR-10: hardware watchdog.
WDT_TIMEOUT_MS = const(2000)

# SR-12: a latched fault clears only with readings in range and the pad below 40 C.
CLEAR_MAX_C100 = const(4000)

# Buttons.
DEBOUNCE_MS = const(30)
LONG_PRESS_MS = const(2000)

# Serial.
LINE_MAX = const(128)
TELEMETRY_MIN_MS = const(100)
TELEMETRY_MAX_MS = const(60000)
TELEMETRY_DEFAULT_MS = const(1000)

# Fault log entries kept in storage.
FAULT_LOG_MAX = const(16)
