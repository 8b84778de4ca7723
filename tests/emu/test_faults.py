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


def test_bad_arguments_and_faults_the_chip_cannot_inject_are_refused(emu):
    with pytest.raises(ValueError, match="fraction must be a number from 0.0 to 1.0"):
        emu.inject("mosfet_leak", fraction=2.0)
    with pytest.raises(ValueError, match="clock_freeze on the emulated chip: the harness"):
        emu.inject("clock_freeze")
    emu.run(0.5)
    assert emu.heater_duty == 0 and emu.command("status")["fault"] is None
