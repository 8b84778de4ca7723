"""SR-19 on the chip: the RP2040's TIMER stops (hal_emu/peripherals.mjs holds its counter and
alarms). Judged by the pins and the physics: the heater gets no power within 1 s and stays
off, also when the frozen clock outlives a reboot."""

import pytest

pytestmark = pytest.mark.emu

CUT_WITHIN_S = 1.0  # scenarios/clock_freeze_auto_off.toml: heater off 1 s after the freeze


def _heating(emu):
    emu.command("heat high")
    emu.run(0.5)
    assert emu.heater_on and emu.heater_duty > 0


def _max_duty(emu, seconds):
    worst = 0.0
    for _ in range(int(seconds * 1000) // emu.step_ms):
        emu.step()
        worst = max(worst, emu.heater_duty)
    return worst


def test_a_frozen_timer_cuts_the_heater_within_1_s_and_latches_clock_fault(emu):
    _heating(emu)
    t0 = emu.now_s
    emu.inject("clock_freeze")
    assert emu.run_until(lambda b: b.heater_duty == 0 and not b.heater_on, CUT_WITHIN_S)
    cut_s = emu.now_s - t0
    assert _max_duty(emu, 3.0) == 0  # and it stays off
    assert emu.pad_c <= 52.0
    codes = [e.get("code") for e in emu.events if e["event"] == "fault"]
    assert codes == ["clock_fault"], codes
    assert not emu.resets  # the loop ran on at its period: the watchdog was fed
    assert cut_s <= CUT_WITHIN_S


def test_a_short_freeze_resumes_from_the_held_count(emu):
    """Released within CLOCK_STALL_TICKS passes nothing latches, and ticks_ms counts on from
    where it stood (a paused TIMER), so the board's uptime now lags the emulated time."""
    before = emu.command("status")
    emu.inject("clock_freeze")
    emu.run(0.3)
    emu.repair("clock_freeze")
    emu.run(0.2)
    after = emu.command("status")
    lag_ms = (after["sim_s"] - before["sim_s"]) * 1000 - (after["uptime_ms"] - before["uptime_ms"])
    assert 250 <= lag_ms <= 350
    assert after["fault"] is None


def test_the_heater_stays_off_when_the_frozen_timer_outlives_a_watchdog_reset(emu):
    _heating(emu)
    emu.inject("clock_freeze")
    emu.inject("loop_hang")  # the core stops too: only the watchdog ends this
    assert emu.run_until(lambda b: b.resets, 2.5)
    assert emu.resets[0][1] == "watchdog"
    assert _max_duty(emu, 3.0) == 0  # the reboot, with the TIMER still stopped
    assert emu.pin_duty(emu.pins.motor_pwm) == 0 and emu.pad_c <= 52.0
