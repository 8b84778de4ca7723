"""Settings and the fault log on the real port's littlefs, across resets and power loss."""

import json

import pytest

from hal_emu.image import read_littlefs

pytestmark = pytest.mark.emu


def _latch_sensor_open(emu):
    emu.command("heat low")
    emu.run(0.3)
    emu.inject("sensor_open", sensor=0)
    emu.run(0.5)
    assert emu.command("status")["fault"] == "sensor_open"
    emu.repair("sensor_open", sensor=0)


def _reboot(emu, how):
    boots = sum(e["event"] == "boot" for e in emu.events)
    how()
    assert emu.run_until(lambda b: sum(e["event"] == "boot" for e in b.events) > boots, 5.0)


@pytest.mark.parametrize("how", ["power_cycle", "reset"])
def test_settings_and_fault_log_survive_a_reset(emu, how):
    emu.command("massage pulse 3")
    emu.command("stop")  # the session ends: settings saved
    _latch_sensor_open(emu)
    files = read_littlefs(emu.flash_contents())
    assert "/data/settings.json" in files and "/data/faults.json" in files  # on littlefs
    _reboot(emu, getattr(emu, how))
    assert emu.command("status")["intensity"] == 3
    log = emu.command("faults")
    assert "sensor_open" in json.dumps(log)


@pytest.mark.parametrize("how", ["power_cycle", "reset"])
def test_a_latched_fault_survives_a_reset(emu, how):
    # SR-12 across a reboot: power lost, or machine.reset() (forced through the watchdog)
    _latch_sensor_open(emu)
    _reboot(emu, getattr(emu, how))
    assert emu.command("status")["fault"] == "sensor_open"
    assert emu.pin_level(emu.pins.cutoff) == 0 and emu.heater_duty == 0
