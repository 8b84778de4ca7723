"""The cushion's own panel (DESIGN section 5): three buttons to controller actions, and what
the LEDs show.

Buttons: power (short: start or end the session; long: clear a fault), heat (cycles
off-low-medium-high-off), massage (cycles off-continuous-pulse-wave-knead-off; long: next
intensity). They act through the controller's own methods, the same ones serial uses. LEDs:
session, heat level, massage, and a blink code for a latched fault.
"""

from micropython import const

from cushion import limits
from cushion.buttons import HEAT, MASSAGE, POWER
from cushion.names import FAULT_CODES
from cushion.vibration import MODE_KNEAD, MODE_OFF

_LED_SESSION = const(1)
_LED_HEAT = (0, 2, 4, 8)
_LED_MASSAGE = const(16)
_LED_FAULT = const(32)


def on_buttons(ctl, now):
    """Act on the presses ctl.buttons reported this tick."""
    b = ctl.buttons
    short = b.short
    long = b.long
    if long & POWER:
        ctl.try_clear()
    if short & POWER:
        if ctl.idle():
            # a power press starts a session with the remembered preferences
            ctl.set_heat(now, ctl.settings["heat"])
            if ctl.vib.mode == MODE_OFF:
                ctl.set_massage(now, ctl.settings["massage"], ctl.vib.intensity)
        else:
            ctl.end_session()
    if short & HEAT:
        nxt = ctl.heat.level + 1
        if nxt > limits.HEAT_HIGH or (ctl.dose.capped and nxt > limits.HEAT_LOW):
            nxt = 0
        ctl.set_heat(now, nxt)
    if short & MASSAGE:
        nxt = ctl.vib.mode + 1
        if nxt > MODE_KNEAD:
            nxt = 0
        ctl.set_massage(now, nxt, ctl.vib.intensity)
    if long & MASSAGE:
        nxt = ctl.vib.intensity + 1
        if nxt > 3:
            nxt = 1
        ctl.vib.intensity = nxt
        ctl.save_settings()


def leds(ctl, now):
    """The LED mask for this tick."""
    mask = 0
    if ctl.session.active:
        mask |= _LED_SESSION
    mask |= _LED_HEAT[ctl.heat.level]
    if ctl.vib.mode != MODE_OFF:
        mask |= _LED_MASSAGE
    code = ctl.safety.active_fault()
    if code is not None:
        # blink code: N short blinks every 3 s, N = the fault's number
        n = 1
        for i in range(len(FAULT_CODES)):
            if FAULT_CODES[i] == code:
                n = i + 1
        phase = ctl.hal.ticks_diff(now, ctl.fault_at) % 3000
        if phase < n * 300 and phase % 300 < 150:
            mask |= _LED_FAULT
    return mask
