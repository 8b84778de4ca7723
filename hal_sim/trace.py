"""The recording of a Simulation: with `record=True`, one row per tick of what the firmware
did and what physically happened, for scenario verdicts, CSV files and plots
(docs/simulator.md). A part of Simulation (hal_sim/simulation.py).
Runs under CPython and in the MicroPython VMs.
"""


class TraceRecorder:
    """Simulation's trace row; it reads its controller and cushion."""

    def _trace_row(self):
        ctl = self.ctl
        c = self.cushion
        if ctl is not None:
            heat = ctl.heat
            r = ctl.readings
            row = {
                "t_ms": self._ms,
                "temp_c100": r.ta, "temp2_c100": r.tb, "setpoint_c100": heat.setpoint,
                "heater_permille": ctl.out.heater, "motor_permille": ctl.out.motor,
                "heat_state": heat.state, "heat": heat.level, "massage": ctl.vib.mode,
                "fault": ctl.safety.active_fault() or "",
                "session": 1 if ctl.session.active else 0, "state": ctl.state(),
            }
        else:
            row = {"t_ms": self._ms, "temp_c100": 0, "temp2_c100": 0, "setpoint_c100": 0,
                   "heater_permille": 0, "motor_permille": 0, "heat_state": 0, "heat": 0,
                   "massage": 0, "fault": "service", "session": 0, "state": "service"}
        row["pad_c"] = c.pad_c
        row["sensor_a_c"] = c.sensor_c[0]
        row["sensor_b_c"] = c.sensor_c[1]
        row["heater_duty"] = c.heater_duty_delivered
        row["motor_duty"] = c.motor_duty_delivered
        row["vin_v"] = c.vin_v
        row["motor_current_a"] = c.motor_current_a
        row["supply_paused"] = 1 if (ctl is not None and ctl.safety.supply_paused) else 0
        self.trace.append(row)
