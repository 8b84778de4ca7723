"""The output gate: the one place in a tick that writes the heater, the cut-off, the motor and
the LEDs, after the supervisor has had its say (DESIGN section 3).

Control proposes a heater duty and a motor duty; the gate applies the supervisor's verdict
(a latched heater fault or a supply pause forces the heater off, a motor fault the motor) and
remembers what really went out, which is what the supervisor judges on the next tick.
"""


class OutputGate:
    def __init__(self, hal, safety):
        self._hal = hal
        self._safety = safety
        self.heater = 0  # per-mille the heater really got this tick
        self.motor = 0  # per-mille the motor really got this tick

    def apply(self, heater, heat_wanted, motor, direction, leds):
        hal = self._hal
        safety = self._safety
        allowed = safety.heater_allowed()
        if not allowed:
            heater = 0
        if safety.motor_fault is not None:
            motor = 0
        # The cut-off switch closes only while heat is wanted: with heat off, a MOSFET that
        # failed short still cannot warm the pad (SR-1), and a latched fault keeps it open.
        hal.heater_enable(allowed and heat_wanted)
        hal.heater_pwm(heater)
        hal.motor(motor, direction)
        self.heater = heater
        self.motor = motor
        hal.leds(leds)

    def off(self):
        """Every power output off now (the HAL's outputs_off), outside the tick's order."""
        self._hal.outputs_off()
        self.heater = 0
        self.motor = 0
