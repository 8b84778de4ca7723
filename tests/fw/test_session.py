"""cushion.session and SR-7 through the Controller: auto-off at 900 s, the warning at 840 s,
what does not move the clock, and that a new session needs a new user action."""

import pytest

from cushion import limits
from cushion.session import AUTO_OFF, NOTHING, WARNING, SessionTimer

from .fakehal import POWER, TICK, FakeHAL, Rig

WRAP = 1 << 30


# -- SessionTimer alone --------------------------------------------------------------------

@pytest.mark.parametrize("start", [0, 123456, WRAP - 5000, WRAP - 1])
def test_timer_warns_at_840_s_and_expires_at_900_s(start):
    hal = FakeHAL(start_ms=start)
    s = SessionTimer(hal)
    t0 = hal.ticks_ms()
    s.start(t0)
    at = lambda ms: hal.ticks_add(t0, ms)  # noqa: E731
    assert s.update(at(839999)) == NOTHING
    assert s.remaining_ms(at(839999)) == 60001
    assert s.update(at(840000)) == WARNING
    assert s.update(at(840050)) == NOTHING  # the warning comes once
    assert s.update(at(899999)) == NOTHING
    assert s.update(at(900000)) == AUTO_OFF
    assert not s.active
    assert s.update(at(900050)) == NOTHING
    assert s.remaining_ms(at(900050)) == 0


def test_timer_inactive_reports_nothing():
    hal = FakeHAL()
    s = SessionTimer(hal)
    assert s.update(10**6) == NOTHING
    assert s.remaining_ms(10**6) == 0


def test_timer_restart_resets_the_warning():
    hal = FakeHAL()
    s = SessionTimer(hal)
    s.start(0)
    assert s.update(840000) == WARNING
    s.end()
    s.start(1000000)
    assert s.update(1840000) == WARNING


# -- through the Controller ----------------------------------------------------------------

def start_session(rig, line="heat low"):
    assert rig.cmd(line)["ok"] is True
    return rig.hal.elapsed  # the tick that took the command


def test_auto_off_at_900_s_within_one_tick():
    rig = Rig(temp_c=38.0)
    rig.hal.recording = False
    t0 = start_session(rig)
    rig.cmd("massage pulse 2")
    rig.run_s(905)
    (t_off,) = rig.event_times("auto_off")
    assert abs(t_off - t0 - 900000) <= TICK
    (t_warn,) = rig.event_times("auto_off_warning")
    assert abs(t_warn - t0 - 840000) <= TICK
    assert rig.events("auto_off_warning")[0]["remaining_s"] == 60
    assert rig.events("auto_off")[0]["session_s"] == 900


def test_the_warning_counts_the_minute_left_whatever_the_tick_phase():
    """On the chip the loop's ticks do not fall on the session's whole milliseconds: the
    warning's tick comes a few ms after 840 s, with 59.99x s left. It says 60, as `status`
    would (whole seconds rounded up), not 59."""
    rig = Rig(temp_c=38.0)
    rig.hal.recording = False
    start_session(rig)
    rig.hal.advance(7)  # every later tick 7 ms after the session's own 50 ms grid
    rig.run_s(845)
    (warning,) = rig.events("auto_off_warning")
    assert warning["remaining_s"] == 60


def test_auto_off_turns_heater_and_motor_off_on_the_same_tick():
    rig = Rig(temp_c=38.0)
    rig.hal.recording = False
    t0 = start_session(rig, "massage continuous 3")
    rig.cmd("heat low")
    rig.run_s(899.5)
    assert rig.hal.motor_duty == 1000 and rig.hal.heater > 0
    rig.hal.recording = True
    rig.run_until(lambda: rig.events("auto_off"), 2)
    (t_off,) = rig.event_times("auto_off")
    assert abs(t_off - t0 - 900000) <= TICK
    last = {c.name: c.args for c in rig.hal.log if c.t == t_off}
    assert last["heater_pwm"] == (0,)
    assert last["motor"][0] == 0
    st = rig.cmd("status")
    assert (st["state"], st["heat"], st["massage"], st["remaining_s"]) == ("idle", "off", "off", 0)


def test_level_changes_do_not_restart_the_clock():
    rig = Rig(temp_c=38.0)
    rig.hal.recording = False
    t0 = start_session(rig)
    rig.run_s(300)
    rig.cmd("heat medium")
    rig.hal.set_temp(42.0)
    rig.run_s(200)
    rig.cmd("massage wave 1")
    rig.cmd("heat low")
    rig.hal.set_temp(38.0)
    rig.run_s(100)
    rig.cmd("massage knead 3")
    rig.cmd("massage off")
    assert rig.cmd("status")["remaining_s"] == pytest.approx(300, abs=1)
    rig.run_s(310)
    (t_off,) = rig.event_times("auto_off")
    assert abs(t_off - t0 - 900000) <= TICK


def test_serial_traffic_does_not_move_the_clock():
    rig = Rig(temp_c=38.0)
    rig.hal.recording = False
    t0 = start_session(rig)
    rig.cmd("telemetry on 100")
    for _ in range(90):
        rig.cmd("status")
        rig.cmd("heat low")  # the same level again
        rig.send(b"\xff\x00garbage")
        rig.send("x" * 200)
        rig.run_s(9.5)
    rig.run_s(60)
    (t_off,) = rig.event_times("auto_off")
    assert abs(t_off - t0 - 900000) <= TICK


def test_a_new_session_needs_a_new_user_action():
    rig = Rig(temp_c=38.0)
    rig.hal.recording = False
    start_session(rig)
    rig.run_s(901)
    assert rig.events("auto_off")
    rig.hal.recording = True
    since = rig.hal.elapsed
    rig.run_s(120)
    assert all(c.args == (0,) for c in rig.hal.calls("heater_pwm", since))
    assert all(c.args[0] == 0 for c in rig.hal.calls("motor", since))
    assert len(rig.events("auto_off")) == 1
    assert rig.cmd("status")["state"] == "idle"
    start_session(rig, "heat low")
    assert rig.cmd("status")["remaining_s"] == 900
    rig.tick(6)  # after the switch self-test (SR-17)
    assert rig.hal.heater > 0


def test_stop_ends_the_session():
    rig = Rig(temp_c=38.0)
    start_session(rig)
    rig.cmd("massage continuous")
    rig.tick(10)
    assert rig.cmd("stop")["ok"] is True
    rig.tick()
    st = rig.cmd("status")
    assert (st["state"], st["heat"], st["massage"]) == ("idle", "off", "off")
    assert rig.hal.heater == 0 and rig.hal.motor_duty == 0


def test_turning_everything_off_ends_the_session_and_the_next_start_is_a_new_one():
    rig = Rig(temp_c=38.0)
    start_session(rig)
    rig.run_s(100)
    rig.cmd("heat off")
    assert rig.cmd("status")["state"] == "idle"
    rig.cmd("massage pulse")
    assert rig.cmd("status")["remaining_s"] == 900


def test_power_button_starts_and_ends_a_session():
    rig = Rig(temp_c=38.0)
    rig.hal.press(POWER)
    rig.tick(4)
    rig.hal.release(POWER)
    rig.tick(4)
    st = rig.cmd("status")
    # the remembered preferences (defaults: heat low, massage continuous)
    assert (st["state"], st["heat"], st["massage"]) == ("active", "low", "continuous")
    rig.hal.press(POWER)
    rig.tick(4)
    rig.hal.release(POWER)
    rig.tick(4)
    st = rig.cmd("status")
    assert (st["state"], st["heat"], st["massage"]) == ("idle", "off", "off")


def test_auto_off_constants_are_the_design_values():
    assert limits.AUTO_OFF_MS == 900000
    assert limits.AUTO_OFF_MS - limits.AUTO_OFF_WARN_MS == 60000
