"""The Pico's pin map, read from the board module itself (firmware/boards/pico.py).

That module imports ``machine``, so it cannot be imported here; its ``NAME = const(N)``
lines are the one source of the GPIO numbers and PWM frequencies, and are read with ``ast``.
"""

import ast
from pathlib import Path

from hal_emu import hostpkg

PICO_MODULE = hostpkg.module("mpybuild").FIRMWARE_ROOT / "boards" / "pico.py"
# The second select line of the 4-way analog switch (the contract's GP14) and the source
# order on ADC2: 0 supply divider, 1 motor current, 2 heater current, 3 reference.
DEFAULT_SELECT1_PIN = 14
ADC_SWITCH_SOURCES = ("vin", "motor_current", "heater_current", "ref")


def board_constants(path=PICO_MODULE):
    """{NAME: int} of every module-level ``NAME = const(int)`` in a board module."""
    tree = ast.parse(Path(path).read_text())
    out = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", "") == "const" and node.value.args):
            continue
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value.args[0])
        except ValueError:
            pass
    return out


class PicoPins:
    """The GPIOs the emulated board's circuit is wired to."""

    def __init__(self, path=PICO_MODULE):
        c = board_constants(path)
        self.heater_pwm = c["HEATER_PWM_PIN"]
        self.cutoff = c["HEATER_CUTOFF_PIN"]
        self.motor_pwm = c["MOTOR_PWM_PIN"]
        self.motor_dir = c["MOTOR_DIR_PIN"]
        self.buttons = {"power": c["BUTTON_POWER_PIN"], "heat": c["BUTTON_HEAT_PIN"],
                        "massage": c["BUTTON_MASSAGE_PIN"]}
        self.select = (c["ANALOG_SELECT_PIN"], c.get("ANALOG_SELECT1_PIN", DEFAULT_SELECT1_PIN))
        self.therm_adc = (c["THERM_A_PIN"] - 26, c["THERM_B_PIN"] - 26)
        self.leds = tuple(c[k] for k in ("LED_SESSION_PIN", "LED_HEAT_LOW_PIN",
                                         "LED_HEAT_MEDIUM_PIN", "LED_HEAT_HIGH_PIN",
                                         "LED_MASSAGE_PIN", "LED_FAULT_PIN"))
        self.heater_hz = c["HEATER_PWM_HZ"]
        self.motor_hz = c["MOTOR_PWM_HZ"]
        # what the harness reports every step, in this order
        self.watched = (self.heater_pwm, self.cutoff, self.motor_pwm, self.motor_dir) + self.leds

    @staticmethod
    def slice_of(gpio):
        """RP2040: GPIO 2n and 2n+1 are channels A and B of PWM slice n & 7."""
        return (gpio >> 1) & 7
