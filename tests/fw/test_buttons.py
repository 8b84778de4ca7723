"""cushion.buttons (debounce, short on release, long once at 2 s) and what each press does
in the Controller."""

import pytest

from cushion import limits
from cushion.buttons import HEAT, MASSAGE, POWER, Buttons

from .fakehal import TICK, FakeHAL, Rig

WRAP = 1 << 30


class Pad:
    """Buttons on the fake clock, sampled every `step` ms; collects what they report."""

    def __init__(self, start_ms=0, step=10):
        self.hal = FakeHAL(start_ms=start_ms)
        self.b = Buttons(self.hal)
        self.step = step
        self.t = 0
        self.got = []  # (t, "short" | "long", mask)

    def hold(self, mask, ms):
        for _ in range(ms // self.step):
            self.hal.advance(self.step)
            self.t += self.step
            self.b.update(self.hal.ticks_ms(), mask)
            if self.b.short:
                self.got.append((self.t, "short", self.b.short))
            if self.b.long:
                self.got.append((self.t, "long", self.b.long))
        return self


def kinds(p):
    return [(k, m) for _, k, m in p.got]


@pytest.mark.parametrize("start", [0, WRAP - 5000])
def test_10_ms_glitch_is_rejected(start):
    p = Pad(start).hold(0, 100).hold(POWER, 10).hold(0, 500)
    assert p.got == []
    p = Pad(start, step=5).hold(0, 100).hold(HEAT, 10).hold(0, 500)
    assert p.got == []


def test_bouncing_contact_gives_one_press():
    p = Pad(step=5).hold(0, 50)
    for _ in range(4):
        p.hold(MASSAGE, 5).hold(0, 5)
    p.hold(MASSAGE, 200)
    for _ in range(3):
        p.hold(0, 5).hold(MASSAGE, 5)
    p.hold(0, 200)
    assert kinds(p) == [("short", MASSAGE)]


@pytest.mark.parametrize("start", [0, WRAP - 5000, WRAP - 100])
def test_short_press_reported_on_release_only(start):
    p = Pad(start).hold(0, 50).hold(HEAT, 300)
    assert p.got == []  # nothing while held
    p.hold(0, 100)
    assert kinds(p) == [("short", HEAT)]
    t_short = p.got[0][0]
    assert 350 + limits.DEBOUNCE_MS <= t_short <= 350 + limits.DEBOUNCE_MS + 20


@pytest.mark.parametrize("start", [0, WRAP - 5000, WRAP - 2000])
def test_long_press_once_at_2_s_and_no_short_after_it(start):
    p = Pad(start).hold(0, 50).hold(POWER, 6000).hold(0, 300)
    assert kinds(p) == [("long", POWER)]
    t_long = p.got[0][0] - 50  # since the press
    assert limits.LONG_PRESS_MS <= t_long <= limits.LONG_PRESS_MS + limits.DEBOUNCE_MS + 20


def test_just_under_long_is_short():
    p = Pad().hold(0, 50).hold(MASSAGE, limits.LONG_PRESS_MS - 100).hold(0, 100)
    assert kinds(p) == [("short", MASSAGE)]


def test_two_buttons_independent():
    p = Pad().hold(0, 50).hold(MASSAGE, 500).hold(HEAT | MASSAGE, 300).hold(MASSAGE, 2000)
    p.hold(0, 100)
    assert kinds(p) == [("short", HEAT), ("long", MASSAGE)]


def test_second_long_press_after_release_is_reported_again():
    p = Pad().hold(0, 50).hold(POWER, 2500).hold(0, 200).hold(POWER, 2500).hold(0, 100)
    assert kinds(p) == [("long", POWER), ("long", POWER)]


def test_long_press_at_50_ms_ticks():
    p = Pad(step=TICK).hold(0, 100).hold(POWER, 3000).hold(0, 200)
    assert kinds(p) == [("long", POWER)]


# -- in the Controller ---------------------------------------------------------------------

def press(rig, mask, ms=200):
    rig.hal.press(mask)
    rig.tick(ms // TICK)
    rig.hal.release(mask)
    rig.tick(4)


def status(rig):
    return rig.cmd("status")


def test_one_tick_glitch_does_nothing_in_the_controller():
    rig = Rig()
    rig.hal.press(POWER)
    rig.tick()
    rig.hal.release(POWER)
    rig.tick(20)
    assert status(rig)["state"] == "idle"


def test_heat_button_cycles_off_low_medium_high_off():
    rig = Rig(temp_c=30.0)
    seen = []
    for _ in range(5):
        press(rig, HEAT)
        st = status(rig)
        seen.append((st["heat"], st["setpoint_c"]))
    assert seen == [("low", 38.0), ("medium", 42.0), ("high", 45.0), ("off", 0.0), ("low", 38.0)]


def test_massage_button_cycles_the_modes():
    rig = Rig()
    seen = []
    for _ in range(6):
        press(rig, MASSAGE)
        seen.append(status(rig)["massage"])
    assert seen == ["continuous", "pulse", "wave", "knead", "off", "continuous"]


def test_massage_long_press_is_next_intensity_and_keeps_the_mode():
    rig = Rig()
    press(rig, MASSAGE)
    assert (status(rig)["massage"], status(rig)["intensity"]) == ("continuous", 2)
    seen = []
    for _ in range(3):
        press(rig, MASSAGE, 2500)
        st = status(rig)
        seen.append((st["massage"], st["intensity"]))
    assert seen == [("continuous", 3), ("continuous", 1), ("continuous", 2)]
    rig.tick(20)
    assert rig.hal.motor_duty == 700


def test_power_long_press_clears_a_fault_and_starts_nothing():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat high")
    rig.hal.set_temp(50.5)
    rig.tick()
    assert status(rig)["fault"] == "overheat"
    rig.hal.set_temp(35.0)
    rig.tick()
    press(rig, POWER, 2500)
    assert rig.events("cleared")
    st = status(rig)
    assert (st["fault"], st["heat"], st["state"]) == (None, "off", "idle")
    rig.tick(40)
    assert rig.hal.heater == 0


def test_power_long_press_refused_while_hot():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat high")
    rig.hal.set_temp(50.5)
    rig.tick(2)  # SR-2 judges two readings
    rig.hal.set_temp(45.0)
    rig.tick()
    press(rig, POWER, 2500)
    assert rig.events("cleared") == []
    assert status(rig)["fault"] == "overheat"


def test_power_short_press_while_heat_fault_latched_does_not_heat():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat high")
    rig.hal.set_temp(50.5)
    rig.tick()
    rig.cmd("stop")
    press(rig, POWER)
    rig.tick(20)
    assert rig.hal.heater == 0 and not rig.hal.enabled
    assert status(rig)["heat"] == "off"
