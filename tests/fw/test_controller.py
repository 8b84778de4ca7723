"""The Controller's tick (DESIGN section 3): the order of HAL calls, integers only, LEDs, the
boot event, and the input conversions."""

import pytest

from cushion import limits
from cushion.names import FAULT_CODES

from .fakehal import TICK, Rig


def calls_of_last_tick(rig):
    t = rig.hal.elapsed
    return [c for c in rig.hal.log if c.t == t]


def test_tick_order_reads_then_outputs_then_serial_then_watchdog():
    rig = Rig(temp_c=38.0)
    rig.cmd("heat low")
    rig.cmd("massage pulse")
    rig.hal.rx.extend(b"status\n")
    rig.tick()
    names = [c.name for c in calls_of_last_tick(rig)]
    reads = [i for i, n in enumerate(names) if n.startswith("read_")]
    outs = [names.index(n) for n in ("heater_enable", "heater_pwm", "motor", "leds")]
    assert names.count("read_temp") == 2 and "read_vin" in names
    assert "read_motor_current" in names and "buttons" in names
    assert max(reads) < min(outs)
    assert max(outs) < names.index("serial_write") < names.index("wdt_feed")
    assert names[-1] == "wdt_feed"


def test_one_call_of_each_output_per_steady_tick():
    rig = Rig(temp_c=38.0)
    rig.cmd("heat low")
    rig.tick(3)
    names = [c.name for c in calls_of_last_tick(rig)]
    for n in ("heater_pwm", "heater_enable", "motor", "leds", "wdt_feed"):
        assert names.count(n) == 1, n
    assert "serial_write" not in names  # nothing to say in a steady tick


def test_integers_everywhere_in_a_tick():
    rig = Rig(temp_c=41.3)
    rig.cmd("heat high")
    rig.cmd("massage wave 3")
    rig.hal.set_vin(11.7)
    rig.hal.set_motor_ma(400)
    rig.run_s(5)
    ctl = rig.ctl
    r = ctl.readings
    for v in (r.ta, r.tb, r.c12a, r.c12b, r.hot, r.vin_mv, r.motor_ma, ctl.out.heater,
              ctl.out.motor, ctl.heat.duty, ctl.vib.duty, ctl.dose.total_eq_ms,
              ctl.heat.trend.rate, ctl.heat.setpoint):
        assert type(v) is int, v
    for c in rig.hal.log:
        if c.name in ("heater_pwm", "motor", "leds"):
            assert all(type(a) is int for a in c.args)


def test_input_conversions():
    rig = Rig(temp_c=45.0, vin_v=12.0)
    rig.hal.set_motor_ma(825)
    rig.tick()
    r = rig.ctl.readings
    assert abs(r.ta - 4500) <= 10 and abs(r.tb - 4500) <= 10
    assert abs(r.vin_mv - 12000) <= 10
    assert abs(r.motor_ma - 825) <= 2
    rig.hal.set_temp(30.0, 40.0)
    rig.tick()
    assert r.hot == r.tb and abs(r.tb - 4000) <= 10


def test_boot_event():
    rig = Rig()
    first = rig.hal.sent[0][1]
    assert first["event"] == "boot"
    assert first["version"] == limits.FW_VERSION and first["reset_cause"] == "power_on"


def test_the_hotter_sensor_drives_control():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat low")
    rig.hal.set_temp(30.0, 38.5)  # one sensor at the set-point: the heat must back off
    rig.run_s(3)
    assert rig.hal.heater < 1000


# -- LEDs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("level, bit", [("low", 2), ("medium", 4), ("high", 8)])
def test_leds_session_heat_level_and_massage(level, bit):
    rig = Rig(temp_c=30.0)
    rig.tick()
    assert rig.hal.led_mask == 0
    rig.cmd("heat " + level)
    rig.tick()
    assert rig.hal.led_mask == 1 | bit
    rig.cmd("massage pulse")
    rig.tick()
    assert rig.hal.led_mask == 1 | bit | 16
    rig.cmd("stop")
    rig.tick()
    assert rig.hal.led_mask == 0


@pytest.mark.parametrize("code, make", [
    ("overheat", lambda h: h.set_temp(51.0)),
    ("sensor_open", lambda h: h.set_temp_counts(0, 4095)),
    ("sensor_short", lambda h: h.set_temp_counts(1, 0)),
])
def test_fault_led_blinks_the_fault_number(code, make):
    rig = Rig(temp_c=30.0)
    rig.cmd("heat high")
    make(rig.hal)
    rig.run_until(rig.faults, 0.1)  # SR-2 judges two readings, SR-3 one
    assert rig.faults() == [code]
    since = rig.hal.elapsed
    rig.run_s(3)
    masks = [c.args[0] for c in rig.hal.calls("leds", since) if c.t < since + 3000]
    lit = [bool(m & 32) for m in masks]
    blinks = sum(1 for a, b in zip([False] + lit, lit) if b and not a)
    assert blinks == FAULT_CODES.index(code) + 1


def test_uptime_and_dt_clamp_after_a_long_stall():
    rig = Rig()
    a = rig.cmd("status")["uptime_ms"]
    rig.hal.advance(5000)  # a tick came 5 s late
    rig.tick()
    b = rig.cmd("status")["uptime_ms"]
    assert b - a == 1000 + TICK  # the late tick counts at most 1 s, then the status tick
