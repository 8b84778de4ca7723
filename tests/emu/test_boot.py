"""Boot and serial on the real port: the boot event, `cushion` over the pty, kbd_intr."""

import json
import subprocess
import sys

import pytest

from host.flash import REPO_ROOT, expected_version

pytestmark = pytest.mark.emu


def test_power_on_boot_reports_power_on_and_the_shipped_version(emu):
    boots = [e for e in emu.events if e["event"] == "boot"]
    assert len(boots) == 1
    assert boots[0]["reset_cause"] == "power_on"
    assert boots[0]["version"] == expected_version(REPO_ROOT / "firmware")
    assert emu.now_s < 1.0  # emulated: main.py from .mpy is up well within a second
    assert not emu.heater_on and emu.pin_duty(emu.pins.motor_pwm) == 0  # SR-1


def test_stray_ctrl_c_does_not_stop_the_loop(emu):
    # 0x03 would raise KeyboardInterrupt in the loop without kbd_intr(-1); the line reader
    # drops it and answers the request behind it (issue 13: mpremote and terminals send it)
    emu.serial_in(b"\x03#7 info\n")
    emu.run(0.5)
    assert [(r["id"], r["ok"]) for r in emu.replies] == [(7, True)]
    feeds = len(emu.feeds)
    assert emu.command("info")["ok"] is True
    emu.run(1.0)
    assert len(emu.feeds) - feeds >= 15  # the loop still ticks (50 ms) and feeds its watchdog
    assert not emu.bad_lines  # no traceback, no REPL prompt: the firmware kept the port
    assert emu.resets == []


def _cushion(*args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "host.cli", *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def served_chip(chip_env):
    """`cushion sim --chip --pty`, as a user starts it; yields the pty path."""
    proc = subprocess.Popen([sys.executable, "-m", "host.cli", "sim", "--chip", "--pty"],
                            env=chip_env, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/"), proc.stderr.read() if proc.poll() is not None else path
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_info_and_status_through_cushion_over_the_pty(served_chip, chip_env):
    info = _cushion("--port", served_chip, "--json", "--timeout", "5", "info", env=chip_env)
    assert info.returncode == 0, info.stderr
    got = json.loads(info.stdout)
    assert (got["fw"], got["board"]) == ("cushion", "pico")
    status = _cushion("--port", served_chip, "--json", "--timeout", "5", "status", env=chip_env)
    assert status.returncode == 0, status.stderr
    st = json.loads(status.stdout)
    assert st["state"] == "idle" and st["heat"] == "off" and st["fault"] is None
    assert 15.0 < st["temp_c"] < 30.0  # the physics' room-temperature pad, through the ADC
