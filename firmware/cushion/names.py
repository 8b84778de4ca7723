"""The names the firmware puts on the wire, each written once.

The controller needs these on the board (the status body, the blink code, the fault log),
so they live in this small module; firmware/cushion/schema.py adds the host-side schema
(status fields, events and their fields, injectable faults) on top of it and never ships
to the board's heap.
"""

from micropython import const

# Indices are the firmware's integers: heat level 0..3, massage mode 0..4, heat state 0..3.
LEVEL_NAMES = const(("off", "low", "medium", "high"))
MODE_NAMES = const(("off", "continuous", "pulse", "wave", "knead"))
HEAT_STATE_NAMES = const(("off", "warming", "holding", "fault"))
# The controller's state: exactly one of these (a latched fault wins over a session).
STATE_NAMES = const(("idle", "active", "fault"))

OVERHEAT = const("overheat")
SENSOR_OPEN = const("sensor_open")
SENSOR_SHORT = const("sensor_short")
NO_HEAT_RISE = const("no_heat_rise")
THERMAL_RUNAWAY = const("thermal_runaway")
HEATER_STUCK_ON = const("heater_stuck_on")
SENSOR_MISMATCH = const("sensor_mismatch")
SUPPLY_HIGH = const("supply_high")
MOTOR_STALL = const("motor_stall")
# The power stage, the ADC, the clock and the energy balance (SR-16..SR-19).
HEATER_OPEN = const("heater_open")
HEATER_DEGRADED = const("heater_degraded")
CUTOFF_STUCK = const("cutoff_stuck")
ADC_FAULT = const("adc_fault")
CLOCK_FAULT = const("clock_fault")
ENERGY_MISMATCH = const("energy_mismatch")
# The order numbers the LED blink code (code N blinks N times): append, never reorder.
FAULT_CODES = const((
    OVERHEAT, SENSOR_OPEN, SENSOR_SHORT, NO_HEAT_RISE, THERMAL_RUNAWAY,
    HEATER_STUCK_ON, SENSOR_MISMATCH, SUPPLY_HIGH, MOTOR_STALL,
    HEATER_OPEN, HEATER_DEGRADED, CUTOFF_STUCK, ADC_FAULT, CLOCK_FAULT, ENERGY_MISMATCH,
))
# Which heater switch still works after a fault (the `switch_left` of a fault event): a
# stuck MOSFET leaves the cut-off, a welded cut-off the MOSFET; "none" when current flowed
# with both open.
SWITCH_NAMES = const(("both", "cutoff", "mosfet", "none"))
MOTOR_FAULTS = const((MOTOR_STALL,))
