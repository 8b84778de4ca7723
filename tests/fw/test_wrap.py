"""Timers that start just before ticks_ms wraps at 2**30 (the clock starts 5 s before it):
auto-off, debounce and long press, the mismatch timer, telemetry, stall and uptime."""

import pytest

from cushion import limits

from .fakehal import HEAT, POWER, TICK, Rig

WRAP = 1 << 30
START = WRAP - 5000


def wrapped(rig):
    return rig.hal.ticks_ms() < START  # the wrapping clock went past 2**30


@pytest.mark.parametrize("start", [START, WRAP - 840000 + 1000])
def test_auto_off_across_the_wrap(start):
    rig = Rig(start_ms=start, temp_c=38.0)
    rig.hal.recording = False
    rig.cmd("heat low")
    t0 = rig.hal.elapsed
    rig.run_s(905)
    assert wrapped(rig)
    (t_off,) = rig.event_times("auto_off")
    (t_warn,) = rig.event_times("auto_off_warning")
    assert abs(t_off - t0 - 900000) <= TICK
    assert abs(t_warn - t0 - 840000) <= TICK
    assert rig.hal.heater == 0


def test_remaining_time_across_the_wrap():
    rig = Rig(start_ms=START, temp_c=38.0)
    rig.cmd("heat low")
    rig.run_s(10)
    assert wrapped(rig)
    assert rig.cmd("status")["remaining_s"] == 890


def test_short_press_across_the_wrap():
    rig = Rig(start_ms=WRAP - 300, temp_c=30.0)
    rig.hal.press(HEAT)
    rig.tick(10)  # held across the wrap
    rig.hal.release(HEAT)
    rig.tick(4)
    assert wrapped(rig)
    assert rig.cmd("status")["heat"] == "low"


def test_long_press_across_the_wrap_clears_once():
    rig = Rig(start_ms=START, temp_c=30.0)
    rig.cmd("heat high")
    rig.hal.set_temp(50.5)
    rig.tick(2)  # SR-2 judges two readings
    rig.hal.set_temp(30.0)
    rig.run_s(3)  # 1.8 s before the wrap
    rig.hal.press(POWER)
    rig.run_s(1.5)
    assert rig.events("cleared") == []  # not early
    rig.run_s(2.5)
    rig.hal.release(POWER)
    rig.tick(4)
    assert wrapped(rig)
    assert len(rig.events("cleared")) == 1
    st = rig.cmd("status")
    assert (st["fault"], st["state"]) == (None, "idle")  # no short press after the long one


def test_mismatch_timer_across_the_wrap():
    rig = Rig(start_ms=START, temp_c=35.0)
    rig.cmd("heat high")
    rig.run_s(2)
    rig.hal.set_temp(35.0, 42.0)  # more than MISMATCH_C100 apart
    rig.tick()
    t0 = rig.hal.elapsed
    rig.run_until(lambda: rig.faults(), 10)
    assert wrapped(rig)
    assert rig.faults() == ["sensor_mismatch"]
    assert rig.event_times("fault")[0] - t0 == limits.MISMATCH_MS


def test_telemetry_period_across_the_wrap():
    rig = Rig(start_ms=START)
    rig.cmd("telemetry on 250")
    rig.run_s(10)
    assert wrapped(rig)
    times = rig.event_times("telemetry")
    assert len(times) == 41
    assert all(b - a == 250 for a, b in zip(times, times[1:]))


def test_motor_stall_timer_across_the_wrap():
    rig = Rig(start_ms=WRAP - 500)
    rig.cmd("massage continuous 3")
    rig.tick(5)
    rig.hal.set_motor_ma(1300)
    t0 = rig.hal.elapsed
    rig.run_until(lambda: rig.faults(), 3)
    assert wrapped(rig)
    assert rig.faults() == ["motor_stall"]
    took = rig.event_times("fault")[0] - t0
    assert limits.MOTOR_STALL_MS <= took <= limits.MOTOR_STALL_MS + 2 * TICK


def test_no_heat_rise_window_across_the_wrap():
    rig = Rig(start_ms=WRAP - 30000, temp_c=25.0, vin_v=10.8)
    rig.hal.element_ohm = 10.0  # weak: the energy check's window is longer than SR-4's
    rig.hal.recording = False
    rig.cmd("heat high")
    t0 = rig.hal.elapsed
    rig.run_until(lambda: rig.faults(), 200)
    assert rig.faults() == ["no_heat_rise"]
    took = rig.event_times("fault")[0] - t0
    assert limits.NO_RISE_WINDOW_MS <= took <= limits.NO_RISE_WINDOW_MS + 7 * TICK


def test_uptime_keeps_counting_across_the_wrap():
    rig = Rig(start_ms=START)
    a = rig.cmd("status")["uptime_ms"]
    rig.run_s(10)
    assert wrapped(rig)
    assert rig.cmd("status")["uptime_ms"] - a == 10000 + TICK
