"""Faults on the emulated chip take hal_sim's kinds and keyword arguments (one injector)."""

import pytest

from hal_emu.board import EmulatorError

pytestmark = pytest.mark.emu


def test_a_sensor_offset_on_both_sensors_moves_both_readings(emu):
    before = emu.command("status")
    emu.inject("sensor_offset", sensor="both", value_c=-3.0)
    emu.run(0.5)
    after = emu.command("status")
    for key in ("temp_c", "temp2_c"):
        assert after[key] - before[key] == pytest.approx(-3.0, abs=0.5)
    emu.repair("sensor_offset")  # every sensor, as on hal_sim
    emu.run(0.5)
    assert emu.command("status")["temp_c"] == pytest.approx(before["temp_c"], abs=0.5)


def test_a_serial_block_for_some_seconds_ends_by_itself(emu):
    emu.inject("serial_block", seconds=1.0)
    with pytest.raises(EmulatorError):
        emu.command("status", timeout_s=0.5)  # the host reads nothing
    emu.run(1.0)
    assert emu.command("status")["ok"] is True


def test_bad_arguments_are_refused_and_change_nothing(emu):
    with pytest.raises(ValueError, match="fraction must be a number from 0.0 to 1.0"):
        emu.inject("mosfet_leak", fraction=2.0)
    with pytest.raises(ValueError, match="clock_freeze takes no arguments"):
        emu.inject("clock_freeze", seconds=1)
    emu.run(0.5)
    assert emu.heater_duty == 0 and emu.command("status")["fault"] is None


def test_serial_noise_reaches_the_firmware_and_the_loop_runs_on(emu):
    """SR-14 on the chip: hal_sim's noise bytes on the USB input draw error replies; the
    loop neither crashes nor stalls (watchdog fed, no reset) and keeps heating."""
    emu.command("heat high")
    emu.run(0.5)
    feeds = len(emu.feeds)
    emu.inject("serial_noise")
    emu.run(3.0)
    emu.repair("serial_noise")
    emu.run(0.2)
    assert any(r.get("ok") is False for r in emu.replies), "no noise reached the firmware"
    assert not emu.resets and len(emu.feeds) - feeds >= 3.0 / 0.05 - 2
    assert emu.heater_on
    status = emu.command("status")
    assert status["state"] == "active" and status["heat"] == "high" and status["fault"] is None
