"""Every safety and control number, in one place, as integers.

Units: centi-degrees C (``_C100``), per-mille duty, milliseconds, millivolts, milliamps.
Nothing received over serial changes any of these: the protocol can only pick a heat
level from LEVEL_SETPOINTS, never a temperature, and never a time.

Each number says why it has its value. The thermal ones are derived from the pad's physics
(hal_sim/physics.py, docs/simulator.md) over the whole operating envelope: room 0..35 C,
supply 10.8..13.2 V, element power +-20 %, thermal mass +-30 %; docs/simulator.md, "Safety
thresholds and why", has the measurements behind them and tests/sim/ the tests that hold
them to it.
"""

from micropython import const

FW_VERSION = const("1.0.0")

# The control loop period. The design allows at most 100 ms; SR-2/SR-3 need a reading
# and a decision inside 100 ms, so 50 ms leaves one full tick of margin.
TICK_MS = const(50)

# Heat levels: 0 off, 1 low, 2 medium, 3 high (indices into LEVEL_SETPOINTS and
# cushion.names.LEVEL_NAMES).
HEAT_OFF = const(0)
HEAT_LOW = const(1)
HEAT_MEDIUM = const(2)
HEAT_HIGH = const(3)
# Set-points are pad sensor temperatures, DESIGN section 5. High (45 C) is 5 C under SR-2's
# 50 C cut so the controller's overshoot (at most +0.7 C on the reading, measured over the
# envelope) never reaches it; a 15-minute session at 45 C is 60 CEM43 minutes, a quarter of
# SR-8's cap.
SETPOINT_LOW_C100 = const(3800)
SETPOINT_MEDIUM_C100 = const(4200)
SETPOINT_HIGH_C100 = const(4500)
LEVEL_SETPOINTS = const((0, SETPOINT_LOW_C100, SETPOINT_MEDIUM_C100, SETPOINT_HIGH_C100))

# SR-2: any pad sensor at or above 50.0 C latches `overheat` (the requirement's value; about
# 6 minutes to a burn at 50 C in Moritz and Henriques' data). The stored heat in the element
# lifts the surface up to ~2.5 C more after a cut from full power, which is why the other
# checks aim to cut well before the reading gets here: the pad must never pass 52 C.
OVERHEAT_C100 = const(5000)

# SR-3: plausible sensor window, in 12-bit ADC counts of the 10 k / 10 k B3950 divider.
# Above 3739 counts the sensor reads colder than -20 C: 20 C below the coldest room the
# cushion works in (0 C reads 3156), yet far from the open rail (4093..4095), so a contact
# that is going high-resistance is caught too. Below 206 counts it reads hotter than 110 C,
# which no pad reaches without SR-2 latching first; the shorted rail reads 0..2.
SENSOR_OPEN_COUNTS = const(3739)
SENSOR_SHORT_COUNTS = const(206)

# SR-6: the two pad sensors disagree by more than 6 C for 5 s. The requirement's 5 C is less
# than the envelope's honest disagreement: mismatched_sensors_corner (one sensor slow, between
# tracks, reading cold; the other fast, on a track, warm) reaches 5.2 C while warming
# (docs/safety.md, "Thresholds and the envelope corners that bound them").
MISMATCH_C100 = const(600)
MISMATCH_MS = const(5000)

# SR-4 `no_heat_rise`, SR-5 `thermal_runaway` / `heater_stuck_on`: derived from the pad's
# physics (docs/simulator.md, "Safety thresholds and why"), measured over every corner of
# the operating envelope: ambient 0..35 C, supply 10.8..13.2 V, element power +-20 %,
# thermal mass +-30 %, each from cold, from rest and after holding-then-pausing.

# "Driven hard": the controller is saturated (WARMING runs at 1000). The rise figures below
# were measured at full power; at 95 % the weakest pad still rises at ~95 % of that rate.
FULL_DUTY_PERMILLE = const(950)

# SR-4: while driven hard more than NO_RISE_ARM_C100 below the set-point, the hotter
# reading must climb NO_RISE_MIN_C100 above its lowest point at least once every
# NO_RISE_WINDOW_MS (the clock restarts at each gain, the Klipper way; from the trough, as a
# pad that was cooling keeps falling while the element warms first). The window is 2.1 x the
# slowest honest 0.5 C gain in the envelope, 0.5 C is 8 x the noise of one reading, and 3 C
# is where the weakest pad's rise flattens out (docs/simulator.md has the figures).
NO_RISE_ARM_C100 = const(300)
NO_RISE_MIN_C100 = const(50)
NO_RISE_WINDOW_MS = const(120000)

# SR-5a: once the hotter reading has come within NO_RISE_ARM_C100 of the set-point (where
# SR-4 stops watching; re-armed by coming back after a higher set-point or a supply pause),
# RUNAWAY_BELOW_C100 under it at full duty for RUNAWAY_MS latches `thermal_runaway`: 4.5 x
# the deepest honest dip, for four times the slower sensor's lag (docs/simulator.md).
RUNAWAY_BELOW_C100 = const(500)
RUNAWAY_MS = const(30000)

# SR-5b: `heater_stuck_on`: the reading rises, with the heater commanded off, beyond what
# the heat already stored in the element can explain. The firmware keeps an index of that
# stored heat (the applied duty, followed faster than the lightest element warms and about
# as fast as the heaviest hands its heat to the surface: 31 s at mass +30 %); while commanded
# off the median-of-3 reading may rise at most STUCK_MARGIN_C100 + STUCK_STORED_C100 x index
# (1.0 = settled at full power) above any earlier reading of the off period, and only above
# STUCK_NOHEAT_C100, beyond what an unheated pad reaches. After a reset the index starts as
# if settled at full power (SR-16 and the self-test catch a stuck MOSFET whatever this
# assumes). Bound by the envelope's vertices (tests/sim/vertex_cases.py): the slowest
# sensors between tracks reading cold, on the strongest element, are what lift the reading
# after a cut (lag catching up, the hot spot's offset coming back as the flux falls, the
# stored heat); the blanket in a 40 C room needs 8.3 C, and a blind current sense's stuck
# MOSFET or 30 % leak is missed only from 10.9 C: 9.5 C is over 1 C from both
# (docs/safety.md, "The vertices of SR-5b and the energy check").
STUCK_HEAT_UP_MS = const(10000)
STUCK_HEAT_DOWN_MS = const(30000)
STUCK_STORED_C100 = const(950)
STUCK_MARGIN_C100 = const(30)
STUCK_NOHEAT_C100 = const(3600)

# SR-9: supply, judged on the adapter's own voltage: the terminal reading `vin` plus the
# drop across the measured source resistance (cushion/supply.py), since the heater pulls the
# terminal down by 0.07 V (0.05 ohm) to 0.45 V (weak_adapter_corner: 10.8 V behind 0.3 ohm).
# Divider 47 k / 10 k into the 3.3 V ADC: 18.81 V full scale (docs/hardware.md).
VIN_FULL_SCALE_MV = const(18810)
# 10.5 V is SR-9's: 0.3 V under the lowest in-spec supply (10.8 V), 65 ADC counts.
SUPPLY_LOW_MV = const(10500)
# Resume 0.2 V higher: hysteresis against noise. The heater's own sag is measured and added
# back, so it cannot cause pause/resume chatter whatever the source resistance, and a 10.8 V
# supply (weak_adapter_corner) always resumes.
SUPPLY_RESUME_MV = const(10700)
# ... held for half a second: one ADC spike on the supply channel (noisy_corner: a spike
# every few minutes) does not end the pause.
SUPPLY_RESUME_MS = const(500)
# 14.5 V is SR-9's; the highest in-spec supply (13.2 V) idles at 13.2 V: 1.3 V of margin.
SUPPLY_HIGH_MV = const(14500)
# Two readings over the limit (one tick apart): a single-sample spike does not latch; at
# 15 V the element makes 56 % more heat, which in 100 ms warms the pad < 0.01 C.
SUPPLY_HIGH_MS = const(100)

# SR-13: motor stall. 0.1 ohm shunt, gain 20: 3.3 V / 2 V/A = 1650 mA full scale.
MOTOR_FULL_SCALE_MA = const(1650)
# The limit follows the duty, between a running motor's current and a stalled one's at every
# duty the patterns use (docs/simulator.md has the motor model and the margins).
MOTOR_STALL_BASE_MA = const(150)
MOTOR_STALL_PER_DUTY_MA = const(800)
# SR-13's 1 s of high current, counted while the motor is driven (the off-phases of pulse
# and knead neither count nor reset it); inrush stays over the limit for at most 0.3 s.
MOTOR_STALL_MS = const(1000)
# Undriven this long (twice a pulse off-phase, 500 ms): the count starts afresh.
MOTOR_STALL_RESET_MS = const(1000)

# SR-7: auto-off 900 s after a session starts, with a warning 60 s before (the requirement's
# values; a 15-minute session at 45 C is 60 CEM43 minutes).
AUTO_OFF_MS = const(900000)
AUTO_OFF_WARN_MS = const(840000)

# SR-8: thermal dose. CEM43 over a rolling 3 h window (the requirement's), kept in
# one-minute buckets: 180 of them, preallocated, and a minute is fine against a 3 h window.
# Above 240 equivalent minutes (SR-8's; about a third of the ~700 at which Moritz and
# Henriques saw burns) the heat is capped at low.
DOSE_BUCKET_MS = const(60000)
DOSE_BUCKETS = const(180)
DOSE_LIMIT_EQ_MS = const(14400000)  # 240 equivalent minutes
# The dose is saved as it grows (one equivalent minute at a time, at most every 15 s) so a
# power cut loses at most about one equivalent minute of it.
DOSE_SAVE_STEP_EQ_MS = const(60000)
DOSE_SAVE_MIN_MS = const(15000)

# SR-10: hardware watchdog, 2 s (the requirement's; the RP2040 allows up to 8.388 s). A hung
# loop leaves the element at its last duty for those 2 s: at most +0.3 C at full power.
WDT_TIMEOUT_MS = const(2000)

# SR-12: a latched fault clears only with readings in range and the pad below 40 C (the
# requirement's value: under the medium set-point, so a clear never happens on a hot pad).
CLEAR_MAX_C100 = const(4000)

# Buttons. Tactile switches bounce for well under 10 ms; 30 ms rejects that with room and is
# still shorter than a tick. The long press is DESIGN section 5's 2 s.
DEBOUNCE_MS = const(30)
LONG_PRESS_MS = const(2000)

# Serial. 128 bytes per request line: DESIGN section 7. Telemetry at most every 100 ms: a
# status line is ~400 bytes, 35 ms at 115200 baud, so the link stays under half busy; at
# least once a minute, beyond which a host should poll `status`; once a second by default.
LINE_MAX = const(128)
TELEMETRY_MIN_MS = const(100)
TELEMETRY_MAX_MS = const(60000)
TELEMETRY_DEFAULT_MS = const(1000)

# Fault log entries kept in storage: 16 of ~100 bytes stay well inside one small file, and
# are more latched faults than a cushion should ever see between two services.
FAULT_LOG_MAX = const(16)

# ---- power stage ------------------------------------------------------------------------
# Scaling of the two analog inputs on the 4-way switch (docs/hardware.md, "Analog front
# end"), read by the HAL as read_u16 counts (>> 4 gives these 12-bit counts).
# Heater current: 0.05 ohm low-side shunt, amplifier gain 20 (1 V/A), RC-filtered so the ADC
# sees the mean over the 500 Hz PWM; 4095 counts = 3.3 A, 1.3x the largest element current
# in the envelope (13.2 V on an element 20 % strong: 2.2 A).
HEATER_FULL_SCALE_MA = const(3300)
# Reference: an LM4040-2.0 shunt reference (2.048 V, 0.1 %), 2.048 / 3.3 * 4095 counts at a
# correct 3.3 V ADC reference.
REF_NOMINAL_COUNTS = const(2541)

# ---- issue 11: thresholds of SR-16..SR-19 and the energy check --------------------------
# Each names the envelope corner (hal_sim/envelope.py) that bounds it; the measurements are
# in docs/safety.md, "Thresholds and the envelope corners that bound them".

# SR-16 heater current. "No current": 60 mA (75 counts), 30 x the noise of the noisiest ADC
# (noisy_corner, 2.5 LSB) and under what a leak of 0.1 % of full power draws (53 mA on the
# nominal element); an ADC spike (400 LSB) lasts one reading, so every verdict needs
# consecutive readings. Bound by noisy_corner.
HEATER_ZERO_MA = const(60)
# Readings in a row that a "current while a switch is open" verdict needs: a spike is one
# reading, the shunt amplifier's RC filter settles inside one tick (SR-16: within 2 ticks).
HEATER_STUCK_TICKS = const(2)
# No current while driven this many ticks in a row: `heater_open` (SR-16: within 1 s).
HEATER_OPEN_TICKS = const(5)
# The element's resistance seen as supply x duty / current, judged only at PWM duties of
# at least HEATER_WINDOW_DUTY (a mean current of 0.3 A or more: 0.3 % quantisation). The
# healthy range runs from 5.76 ohm (hot_corner: element +20 %, tc -0.05 %/K, at 100 C) to
# 9.72 ohm (cold_weak_corner: element -20 %, tc +0.1 %/K, at 100 C); the window adds 5 %
# on both sides. Outside it for HEATER_WINDOW_TICKS readings in a row: `heater_degraded`.
HEATER_WINDOW_DUTY = const(300)
HEATER_R_MIN_MOHM = const(5470)
HEATER_R_MAX_MOHM = const(10200)
HEATER_WINDOW_TICKS = const(10)
# SR-17 switch self-test: ticks per phase (cut-off open + MOSFET on, then MOSFET off +
# cut-off closed), each judged by SR-16's HEATER_STUCK_TICKS readings.
SELFTEST_PHASE_TICKS = const(2)

# SR-18 ADC reference: REF_NOMINAL_COUNTS +-2.5 % (the LM4040's 0.1 % and the 3.3 V rail's
# +-1.5 %, with noisy_corner's noise on top). A reference 2.5 % off moves a 45 C reading
# by less than 0.8 C. Out of the window REF_BAD_TICKS readings in a row: `adc_fault`.
REF_WINDOW_COUNTS = const(64)
REF_BAD_TICKS = const(3)

# SR-19 clock: ticks_ms that stands still for CLOCK_STALL_TICKS loop passes in a row (each
# pass slept about TICK_MS), or moves by more than CLOCK_JUMP_MS in one pass (more than the
# watchdog's 2 s: no honest pass takes that long), or backwards: `clock_fault`.
CLOCK_STALL_TICKS = const(10)
CLOCK_JUMP_MS = const(2500)

# SR-9 with a measured source: the supply is judged as the adapter's own voltage, the
# terminal reading plus the drop across the measured source resistance (lead, plug,
# adapter). The resistance is learnt from each step of the load current of at least
# SUPPLY_STEP_MA (the heater switching: 1.2..2.2 A); it starts at the design's 0.1 ohm and
# is kept inside 0..SUPPLY_R_MAX_MOHM (the envelope's worst lead is 0.5 ohm; a step that
# implies more is an ADC spike and is not learnt). Bound by weak_adapter_corner.
SUPPLY_STEP_MA = const(400)
SUPPLY_R_START_MOHM = const(100)
SUPPLY_R_MAX_MOHM = const(800)

# Energy check (both sensors wrong together): while the hotter reading is more than
# NO_RISE_ARM_C100 under the set-point and the element is driven, every ENERGY_WINDOW_J of
# delivered electrical energy (measured current x measured supply x time) must lift the
# reading ENERGY_MIN_RISE_C100 above its lowest point of the window, else
# `energy_mismatch`. The window is sized for the slowest honest start-up (cold_weak_corner,
# slow_sensor_corner); the rise is bound by the vertices that rise least per joule: the
# strongest element on the heaviest build behind the slowest sensors between tracks, which
# in a 40 C room gets one window before the arming band and rises 0.76 C in it (leaning
# hard). Sensors lifted off fall: they rise nothing, so 0.5 C costs no detection time.
ENERGY_WINDOW_J = const(1500)
ENERGY_MIN_RISE_C100 = const(50)
