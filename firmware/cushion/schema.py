"""The wire schema in one place: status fields, events with their fields, heat levels with
their set-points, and the faults the simulator can inject.

Host-side data (hal_sim, host/, tests): the board never imports this module, so none of it
costs the controller heap. The names the firmware itself sends come from cushion.names and
cushion.limits, re-exported here so that the host has one module to read.
"""

from cushion import limits
from cushion.names import (  # noqa: F401 - re-exported
    FAULT_CODES, HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES, MOTOR_FAULTS, STATE_NAMES,
)

# Set-points of the heat levels in C, by name ("off" has none).
LEVELS_C = {LEVEL_NAMES[i]: limits.LEVEL_SETPOINTS[i] / 100
            for i in range(1, len(LEVEL_NAMES))}

# `status` reply and `telemetry` event, in the order the firmware sends them.
STATUS_FIELDS = (
    "state", "heat", "heat_state", "massage", "intensity", "temp_c", "temp2_c", "setpoint_c",
    "heater_pct", "motor_pct", "remaining_s", "vin", "supply_paused", "fault", "dose_cem43",
    "dose_capped", "tx_dropped", "uptime_ms",
)

# Every event the firmware sends and its fields; `uptime_ms` is on every one.
EVENT_FIELDS = {
    "boot": ("reset_cause", "fw", "version", "uptime_ms"),
    "fault": ("code", "temp_c", "temp2_c", "switch_left", "uptime_ms"),
    "cleared": ("uptime_ms",),
    "auto_off": ("session_s", "uptime_ms"),
    "auto_off_warning": ("remaining_s", "uptime_ms"),
    "dose_limit": ("dose_cem43", "capped_to", "uptime_ms"),
    "store_corrupt": ("file", "uptime_ms"),
    "crash": ("error", "uptime_ms"),
    "telemetry": STATUS_FIELDS,
}
EVENT_NAMES = tuple(EVENT_FIELDS)

# What hal_sim can inject (DESIGN section 9; hal_sim/faults.py has their arguments), in the
# order the docs list them: the first eleven, then the power stage's and the rest.
FAULT_KINDS = (
    "sensor_open", "sensor_short", "sensor_detached", "sensor_drift", "heater_stuck_on",
    "heater_open", "supply_low", "supply_high", "motor_stall", "loop_hang", "serial_noise",
    "mosfet_leak", "cutoff_stuck_closed", "cutoff_stuck_open", "sensor_offset",
    "adc_reference", "heater_degraded", "clock_freeze", "serial_block",
)
