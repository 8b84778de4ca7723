"""The output gate: the one place in a tick that writes the heater, the cut-off, the motor and
the LEDs, after the supervisor has had its say (DESIGN section 3).

Control proposes a heater duty and a motor duty; the gate applies the supervisor's verdict
(a latched heater fault or a supply pause forces the heater off, a motor fault the motor) and
remembers what really went out, which is what the supervisor judges on the next tick.
Before any heating, the switch self-test (SR-17, cushion/selftest.py) drives the switches
instead of the heat loop.
"""

from cushion.selftest import SwitchTest


class OutputGate:
    def __init__(self, hal, safety):
        self._hal = hal
        self._safety = safety
        self.heater = 0  # per-mille the MOSFET was told this tick
        self.enabled = False  # whether the cut-off was told to close this tick
        self.motor = 0  # per-mille the motor really got this tick
        self.selftest = SwitchTest()

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
        enable = allowed and heat_wanted
        test = self.selftest
        if not heat_wanted or safety.fault is not None:
            test.reset()
        elif enable and not test.passed and not test.step():
            heater = test.pwm  # SR-17: the switches' test, not heat
            enable = test.enable
        hal.heater_enable(enable)
        hal.heater_pwm(heater)
        hal.motor(motor, direction)
        self.heater = heater
        self.enabled = enable
        self.motor = motor
        hal.leds(leds)

    def off(self):
        """Every power output off now (the HAL's outputs_off), outside the tick's order."""
        self._hal.outputs_off()
        self.heater = 0
        self.enabled = False
        self.motor = 0
