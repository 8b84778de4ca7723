# The vibration motors behind their H-bridge: the rotor's speed follows the commanded (signed)
# duty with a lag, and the supply current has a no-load part, a part that grows with speed,
# and an inrush / stall part that grows with the slip between commanded and actual speed
# (docs/simulator.md, "Physics and calibration"). A stalled rotor does not turn.
#
# A mixin of physics.Cushion like power.PowerStage (the fault injector sets
# `cushion.motor_stalled`, the tests read `cushion.motor_speed`). MicroPython-safe: + - * on
# floats.


class Motors:
    """Motor speed and current over one step."""

    def _init_motors(self):
        self.motor_stalled = False  # fault: the rotor is jammed
        self._speed = 0.0  # signed motor speed, -1..1
        # last step's outputs
        self.motor_duty_delivered = 0.0
        self.motor_speed = 0.0
        self.motor_current_a = 0.0
        self._km = 0.0

    def _motor_dt(self, dt_s):
        self._km = dt_s / (self.params.motor_tau_s + dt_s)

    def _motor_step(self, motor_duty, motor_dir):
        """One step with the bridge at motor_duty (0..1) in motor_dir (+1/-1); returns the
        motors' supply current (A)."""
        p = self.params
        md = motor_duty
        if md < 0.0:
            md = 0.0
        elif md > 1.0:
            md = 1.0
        target = -md if motor_dir < 0 else md
        sp = self._speed
        if self.motor_stalled:
            sp = 0.0
        else:
            sp = sp + (target - sp) * self._km
        self._speed = sp
        if md > 0.0:
            slip = target - sp
            if slip < 0.0:
                slip = -slip
            aspd = sp if sp >= 0.0 else -sp
            im = p.motor_i_base_a + p.motor_i_speed_a * aspd + p.motor_i_drive_a * slip
        else:
            im = 0.0  # bridge off: the rotor coasts, no supply current
        self.motor_current_a = im
        self.motor_duty_delivered = md
        self.motor_speed = sp if sp >= 0.0 else -sp
        return im
