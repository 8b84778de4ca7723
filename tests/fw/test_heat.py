"""cushion.heat: the state machine (not its gains), alone and inside the Controller."""

import pytest

from cushion import limits
from cushion.heat import HELD_OFF, HOLDING, OFF, WARMING, HeatControl
from cushion.names import HEAT_STATE_NAMES

from .fakehal import TICK, Rig

SP_LOW, SP_MED, SP_HIGH = limits.LEVEL_SETPOINTS[1:]


def feed(h, c100, n=1):
    duty = None
    for _ in range(n):
        duty = h.update(c100, TICK)
    return duty


def test_starts_off_and_proposes_nothing():
    h = HeatControl()
    assert (h.state, h.level, h.setpoint) == (OFF, 0, 0)
    assert feed(h, 2000, 40) == 0


@pytest.mark.parametrize("level, sp", [(1, 3800), (2, 4200), (3, 4500)])
def test_levels_use_the_design_setpoints(level, sp):
    h = HeatControl()
    assert h.set_level(level) is True
    assert h.setpoint == sp and h.state == WARMING


@pytest.mark.parametrize("bad", [-1, 4, 45, 4500])
def test_anything_outside_the_table_is_refused(bad):
    h = HeatControl()
    h.set_level(2)
    assert h.set_level(bad) is False
    assert (h.level, h.setpoint) == (2, SP_MED)


def test_off_warming_holding():
    h = HeatControl()
    h.set_level(3)
    assert feed(h, 2500, 5) == 1000  # far below: full power
    assert h.state == WARMING
    feed(h, SP_HIGH - 1000, 5)
    assert h.state == WARMING
    feed(h, SP_HIGH - 30)
    assert h.state == HOLDING


def test_holding_backs_off_when_well_above_the_setpoint():
    h = HeatControl()
    h.set_level(2)
    feed(h, SP_MED, 40)
    assert h.state == HOLDING
    assert feed(h, SP_MED + 500, 200) == 0


def test_holding_pad_that_falls_far_below_gets_full_power_again():
    h = HeatControl()
    h.set_level(2)
    feed(h, SP_MED, 40)
    assert h.state == HOLDING
    assert feed(h, SP_MED - 1000, 100) == 1000
    assert h.state in (HOLDING, WARMING)


def test_level_up_inside_a_session_goes_back_to_warming():
    h = HeatControl()
    h.set_level(1)
    feed(h, SP_LOW, 20)
    assert h.state == HOLDING
    h.set_level(3)
    assert (h.state, h.setpoint) == (WARMING, SP_HIGH)
    assert feed(h, SP_LOW, 2) == 1000


def test_level_down_inside_a_session_keeps_holding():
    h = HeatControl()
    h.set_level(3)
    feed(h, SP_HIGH, 20)
    assert h.state == HOLDING
    h.set_level(1)
    assert (h.state, h.setpoint, h.level) == (HOLDING, SP_LOW, 1)
    assert feed(h, SP_HIGH, 200) == 0  # 7 C above the new set-point: no heat


def test_set_level_off():
    h = HeatControl()
    h.set_level(2)
    feed(h, 2500, 3)
    assert h.set_level(0) is True
    assert (h.state, h.duty, h.setpoint) == (OFF, 0, 0)
    assert feed(h, 2500, 10) == 0


def test_hold_off_stops_the_heat_and_stays_off():
    h = HeatControl()
    h.set_level(3)
    feed(h, 2500, 3)
    h.hold_off()
    assert (h.state, h.level, h.setpoint, h.duty) == (HELD_OFF, 0, 0, 0)
    assert feed(h, 2000, 100) == 0
    assert h.state == HELD_OFF
    assert HEAT_STATE_NAMES[h.state] == "fault"


def test_off_after_hold_off_does_not_heat():
    h = HeatControl()
    h.set_level(3)
    h.hold_off()
    h.off()
    assert h.state == OFF
    assert feed(h, 2000, 100) == 0


def test_integers_only():
    h = HeatControl()
    h.set_level(2)
    for c in range(2500, 4600, 7):
        d = h.update(c, TICK)
        assert isinstance(d, int) and 0 <= d <= 1000


# -- inside the Controller -----------------------------------------------------------------

def status(rig):
    return rig.cmd("status")


def test_controller_heat_states_reported_in_status():
    rig = Rig(temp_c=30.0)
    assert status(rig)["heat_state"] == "off"
    rig.cmd("heat high")
    rig.tick(5)  # after the switch self-test (SR-17)
    st = status(rig)
    assert (st["heat"], st["heat_state"], st["setpoint_c"]) == ("high", "warming", 45.0)
    assert rig.hal.heater == 1000 and rig.hal.enabled
    rig.hal.set_temp(44.8)
    rig.tick(2)
    assert status(rig)["heat_state"] == "holding"


def test_controller_level_change_up_and_down():
    rig = Rig(temp_c=38.0)
    rig.cmd("heat low")
    rig.tick(3)
    assert status(rig)["heat_state"] == "holding"
    rig.cmd("heat high")
    st = status(rig)
    assert (st["heat"], st["heat_state"], st["setpoint_c"]) == ("high", "warming", 45.0)
    rig.cmd("heat medium")
    st = status(rig)
    assert (st["heat"], st["setpoint_c"]) == ("medium", 42.0)


def test_controller_fault_holds_heat_off_and_clear_never_restarts_it():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat high")
    rig.tick(2)
    assert rig.hal.heater == 1000
    rig.hal.set_temp(51.0)
    rig.tick()
    st = status(rig)
    assert (st["heat"], st["heat_state"], st["fault"]) == ("off", "fault", "overheat")
    rig.hal.set_temp(30.0)
    rig.tick(5)
    assert rig.hal.heater == 0
    assert rig.cmd("clear")["ok"] is True
    since = rig.hal.elapsed
    rig.tick(200)
    st = status(rig)
    assert (st["heat"], st["heat_state"], st["fault"]) == ("off", "off", None)
    assert all(c.args[0] == 0 for c in rig.hal.calls("heater_pwm", since))
