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

FW_VERSION = "1.0.0"

# The control loop period. The design allows at most 100 ms; SR-2/SR-3 need a reading
# and a decision inside 100 ms, so 50 ms leaves one full tick of margin.
TICK_MS = const(50)

# Heat levels: 0 off, 1 low, 2 medium, 3 high (indices into LEVEL_SETPOINTS/LEVEL_NAMES).
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
LEVEL_SETPOINTS = (0, SETPOINT_LOW_C100, SETPOINT_MEDIUM_C100, SETPOINT_HIGH_C100)
LEVEL_NAMES = ("off", "low", "medium", "high")

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

# SR-6: the two pad sensors disagree by more than 5 C for 5 s (the requirement's values).
# Honest disagreement is far smaller: the sensors' lags differ by 2 s, 0.3 C at the fastest
# warm-up. A sensor drifting 1 C/min takes 5 minutes to get here, a detached one 7..46 s (in
# a 35 C room on low the loose one settles within 5 C of the pad: harmless, the control runs
# on the hotter sensor).
MISMATCH_C100 = const(500)
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
# NO_RISE_WINDOW_MS (the clock restarts at each such gain, the Klipper way; measuring from
# the trough, not from where the check armed, because a pad that was cooling keeps falling
# for a while after the heater comes back on: the element has to warm first).
# - The slowest honest gain of 0.5 C anywhere in the envelope: 46 s on the bare physics
#   (0 C room, 10.8 V, mass +30 %, heater back on after a 2-minute pause at 38 C), 57 s in
#   the firmware with ADC noise (0 C, 10.8 V, element -20 %, high, a 30 s supply pause at
#   41 C, 6.9 C under its full-power equilibrium). 120 s is 2.1 x that: no false trips.
#   (Marlin's 2 C per 40 s would trip that pad: near 42 C it gains well under 1 C/min.)
# - 0.5 C is 17 ADC counts at 45 C, eight times the +-2 count noise of one reading.
# - Arming 3 C below the set-point: the weakest pad (0 C, 10.8 V, element -20 %) settles at
#   47.9 C at full power, 2.9 C above the high set-point, so it still gains (slowly) all
#   the way to 42 C; closer, the rise flattens out and SR-5a takes over.
# - An open element (or a pad sensor that no longer feels the pad): the pad only drifts
#   toward its no-heat equilibrium (26.6 C in a 22 C room), slower than 0.5 C per 120 s
#   once within ~2 C of it: latched 120 s after the last gain (~230 s after the fault in the
#   warm-up at 22 C; in a 0 C room the user's back warms a cold pad toward 13 C for ~10
#   minutes first). No heat reaches the pad meanwhile: a delay, not a hazard.
NO_RISE_ARM_C100 = const(300)
NO_RISE_MIN_C100 = const(50)
NO_RISE_WINDOW_MS = const(120000)

# SR-5a: once the hotter reading has come within NO_RISE_ARM_C100 of the set-point (where
# SR-4 stops watching; re-armed by coming back after a higher set-point or a supply pause),
# RUNAWAY_BELOW_C100 under it at full duty for RUNAWAY_MS latches `thermal_runaway`.
# - A working pad never gets there: at full power even the weakest one settles 2.9 C above
#   the high set-point, and over the whole envelope the reading, once within 1 C, never
#   fell more than 1.1 C under the set-point at full duty. 5 C is 4.5 x that.
# - 30 s: four times the slower sensor's lag (8 s), yet short: with both sensors lifted off
#   the pad (a double fault, beyond the single-fault basis) the heater runs blind at full
#   power, and this latches 32..41 s later with the true pad at most 48.1 C (35 C room).
# - An open element while holding: the pad cools 5 C in ~155 s (22 C room), then 30 s.
RUNAWAY_BELOW_C100 = const(500)
RUNAWAY_MS = const(30000)

# SR-5b: `heater_stuck_on`: the reading rises, with the heater commanded off, beyond what
# the heat already stored in the element can explain.
# - Stored heat: the element runs 9 C (0 C, 10.8 V, element -20 %) to 21 C (13.2 V,
#   element +20 %) above the surface at full power, 14.4 C nominal, and hands that heat to
#   the surface after a cut: the hotter reading then keeps rising for up to ~60 s, by at most
#   3.4 C in the envelope (35 C room, 13.2 V, element +20 %; 3.75 C with mass -30 % too).
#   That is why a fixed "no rise for 20 s after the cut" rule either trips falsely or waits
#   too long. The firmware keeps an index of the stored heat instead: the applied duty,
#   followed with STUCK_HEAT_UP_MS while rising (shorter than the lightest element's 23 s
#   time constant, so the index is never behind the element) and STUCK_HEAT_DOWN_MS while
#   falling (longer than the heaviest element's 43 s).
# - While commanded off, the (median-of-3) reading may rise at most STUCK_MARGIN_C100 plus
#   STUCK_STORED_C100 times that index (1.0 = settled at full power) above any earlier
#   reading of the same off period. Fitted over the envelope and its combined corners:
#   3.66 C per unit index is the most any honest pad needed (with 0.2 C of margin, every
#   time after every cut from full power at 36..49 C, and after PI holds and fixed duties);
#   4.0 C and 0.3 C leave room for the noise (the closest honest session came to 0.39 C).
# - Holding at 45 C (index 0.3..0.6) a stuck MOSFET is caught 1.4..2.3 C above the reading
#   at the cut: the pad peaks at 47.3..47.9 C (0..35 C rooms), where SR-2 alone would let it
#   reach 51.0 C (22 C room) to 52.5 C (35 C, 13.2 V, element +20 %).
# - Only above STUCK_NOHEAT_C100: without heat the pad settles between the room (at most
#   35 C) and the user's back (34 C): 13.0 C in a 0 C room, 34.6 C in a 35 C room. Up to
#   there a rise can be the back warming a cold pad (up to ~2 C/min in a 0 C room); above
#   36 C an unheated pad can only cool. (The cut-off switch is open whenever no heat is
#   wanted, so below 36 C a stuck MOSFET is no hazard either.)
# - After a reset the history is unknown: the index starts as if settled at full power.
STUCK_HEAT_UP_MS = const(10000)
STUCK_HEAT_DOWN_MS = const(45000)
STUCK_STORED_C100 = const(400)
STUCK_MARGIN_C100 = const(30)
STUCK_NOHEAT_C100 = const(3600)

# SR-9: supply. Reference divider 47 k / 10 k into the 3.3 V ADC: 18.81 V full scale
# (docs/hardware.md). `vin` is the terminal voltage under load: the heater at full duty pulls
# it down by 0.15 V (nominal element) to 0.17 V (element +20 %) across the adapter and cable
# (0.1 ohm), the motors by another 0.05 V.
VIN_FULL_SCALE_MV = const(18810)
# 10.5 V is SR-9's. The lowest in-spec supply (10.8 V) reads at least 10.52 V with the
# heater full on (element +20 %) and the motors' start-up or knead-reversal inrush on top:
# 23 mV of margin, 5 ADC counts (noise +-2); without the inrush 10.57 V.
SUPPLY_LOW_MV = const(10500)
# Resume 0.2 V higher: more than the heater's own sag (0.17 V), so switching the heater
# back on cannot drop the reading under SUPPLY_LOW_MV again (no pause/resume chatter); yet
# below 10.75 V, what a 10.8 V supply reads with the heater paused and the motors running,
# so a supply back in spec always resumes.
SUPPLY_RESUME_MV = const(10700)
# 14.5 V is SR-9's; the highest in-spec supply (13.2 V) idles at 13.2 V: 1.3 V of margin.
SUPPLY_HIGH_MV = const(14500)
# Two readings over the limit (one tick apart): a single-sample spike does not latch; at
# 15 V the element makes 56 % more heat, which in 100 ms warms the pad < 0.01 C.
SUPPLY_HIGH_MS = const(100)

# SR-13: motor stall. 0.1 ohm shunt, gain 20: 3.3 V / 2 V/A = 1650 mA full scale.
MOTOR_FULL_SCALE_MA = const(1650)
# The motors draw 100 mA + 400 mA x speed running and 100 mA + 1300 mA x duty stalled
# (docs/simulator.md): a fixed 1 A limit missed a stall at intensity 1 (40 %: 620 mA) and
# sat on the 1.01 A of a stall at intensity 2. The limit follows the duty instead:
# 150 mA + 800 mA x duty, between running (at most 100 + 400 x duty, +~90 mA while the wave
# mode's duty slews) and stalled (100 + 1300 x duty), at every duty the patterns use
# (20 % .. 100 %): at 20 % running <= 270 mA < 310 mA < 360 mA stalled.
MOTOR_STALL_BASE_MA = const(150)
MOTOR_STALL_PER_DUTY_MA = const(800)
# SR-13's 1 s of high current, counted while the motor is driven (the pulse mode's and the
# knead reversal's off-phases neither count nor reset it, so a stall in pulse mode latches
# after two pulses). Start-up inrush (soft start 300 ms, motor 0.2 s) and knead's reversals
# stay over the limit for at most 0.3 s in any running pattern (measured).
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
