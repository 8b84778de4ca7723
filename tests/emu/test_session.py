"""A whole session on the chip, run by the physics: heat high with massage until auto-off."""

import pytest

import hal_sim  # noqa: F401 - first: its `micropython` stand-in lets the firmware import
from cushion.schema import LEVELS_C

pytestmark = [pytest.mark.emu, pytest.mark.slow]  # 960 s of emulated time: about 2 minutes

AUTO_OFF_S = 900  # SR-7
TICK_S = 0.050


def test_heat_high_with_massage_holds_the_set_point_then_auto_off(emu):
    setpoint = LEVELS_C["high"]
    t0 = emu.now_s
    assert emu.command("heat high")["ok"]
    start = emu.replies[-1]["sim_s"]  # the session starts with this request's tick
    emu.command("massage wave 2")
    samples = []  # (s since start, pad, sensor A, heater duty)
    while emu.now_s - t0 < AUTO_OFF_S + 60:
        emu.run(1.0)
        samples.append((emu.now_s - start, emu.pad_c, emu.sensor_c[0], emu.heater_duty))
    reached = [t for t, _pad, sensor, _d in samples if sensor >= setpoint - 0.5]
    assert reached and reached[0] < 400  # the reference pad: 180..300 s at full power
    holding = [sensor for t, _pad, sensor, _d in samples if 450 <= t <= AUTO_OFF_S - 5]
    assert min(holding) > setpoint - 1.0 and max(holding) < setpoint + 1.0
    assert max(pad for _t, pad, _s, _d in samples) < setpoint + 3.0
    offs = [e for e in emu.events if e["event"] == "auto_off"]
    assert len(offs) == 1
    step_s = emu.step_ms / 1000  # a line is seen at the end of the step it came in
    assert AUTO_OFF_S - step_s <= offs[0]["sim_s"] - start <= AUTO_OFF_S + TICK_S + step_s
    assert all(d == 0 for t, _p, _s, d in samples if t > AUTO_OFF_S + 1)
    assert emu.pin_duty(emu.pins.motor_pwm) == 0 and not emu.heater_on
    assert not [e for e in emu.events if e["event"] == "fault"]
