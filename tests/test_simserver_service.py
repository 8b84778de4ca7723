"""A served sim is handled like a board (issue 13, defects 9 and 10): it leaves service mode
the way a board does, and the faults injected into it can be repaired."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.simserved import Lines, cushion, open_raw, served

MPREMOTE = Path(sys.executable).with_name("mpremote")


def status(url):
    res = cushion("--json", "status", port=url)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def enter_service(url):
    s = Lines(open_raw(url))
    assert s.reply("#40 service")["service"] == "resetting into the REPL"
    text = s.buf                         # the banner may have come with the reply
    end = time.monotonic() + 5
    while b">>> " not in text and time.monotonic() < end:
        text += s.ser.read(4096)
    assert b">>> " in text
    return s


def test_ctrl_d_at_the_repl_soft_reboots_into_the_firmware():
    with served("--listen", "127.0.0.1:0", "--speed", "20") as (proc, urls, _ctl):
        s = enter_service(urls[0])
        try:
            assert cushion("--timeout", "0.5", "status", port=urls[0]).returncode == 3
            s.ser.write(b"print(1)\r")              # no Python here: a hint, not a hang
            time.sleep(0.3)
            assert b"Ctrl-D" in s.ser.read(4096)
            s.ser.write(b"\x04")
            boot = [json.loads(ln) for ln in s.read(1.5) if ln.startswith(b"{")]
            assert boot and boot[0]["event"] == "boot"
        finally:
            s.ser.close()
        assert status(urls[0])["state"] == "idle"


def mpremote(url, *args):
    res = subprocess.run([str(MPREMOTE), "connect", url, *args], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.skipif(not MPREMOTE.exists(), reason="mpremote is installed by `make setup`")
def test_mpremote_reset_over_the_pty_leaves_service_mode():
    with served("--pty", "--speed", "20") as (proc, urls, _ctl):
        enter_service(urls[0]).ser.close()
        mpremote(urls[0], "reset")
        time.sleep(0.3)
        assert status(urls[0])["state"] == "idle"


def test_sim_control_reset_leaves_service_mode():
    with served("--listen", "127.0.0.1:0", "--speed", "20") as (proc, urls, ctl):
        enter_service(urls[0]).ser.close()
        assert cushion("sim-control", ctl, "reset").returncode == 0
        time.sleep(0.3)
        assert status(urls[0])["state"] == "idle"


def test_an_injected_fault_can_be_repaired_and_then_cleared():
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, ctl):
        res = cushion("sim-control", ctl, "inject", "sensor_open", "sensor=1")
        assert res.returncode == 0, res.stderr
        assert "fault=sensor_open" in res.stdout and "sensor=1" in res.stdout
        time.sleep(0.3)
        assert status(urls[0])["fault"] == "sensor_open"
        assert cushion("clear", port=urls[1]).returncode == 1      # still broken
        res = cushion("--json", "sim-control", ctl, "repair", "sensor_open", "sensor=1")
        assert json.loads(res.stdout)["faults"] == []
        time.sleep(0.3)
        assert cushion("clear", port=urls[1]).returncode == 0
        assert status(urls[0])["fault"] is None


def test_a_power_cycle_and_a_button_press_through_the_control_channel():
    with served("--listen", "127.0.0.1:0", "--speed", "20") as (proc, urls, ctl):
        assert cushion("sim-control", ctl, "press", "heat").returncode == 0
        time.sleep(0.5)
        assert status(urls[0])["heat"] == "low"
        assert cushion("sim-control", ctl, "power-cycle").returncode == 0
        time.sleep(0.2)
        st = status(urls[0])
        assert (st["heat"], st["state"]) == ("off", "idle")      # SR-1: boot safe


@pytest.mark.skipif(not MPREMOTE.exists(), reason="mpremote is installed by `make setup`")
def test_mpremote_soft_reset_stays_at_the_repl_as_the_rp2_port_does_and_says_how_out():
    """`mpremote soft-reset` is Ctrl-D in the raw REPL: MicroPython's rp2 port reboots without
    running main.py there (checked on the real port in the emulated RP2040: after `service`
    and `mpremote soft-reset` it answers `>>>`, not the firmware).  The served sim does the
    same, and what the user then reads names the ways out, which all work."""
    with served("--pty", "--speed", "20") as (proc, urls, ctl):
        enter_service(urls[0]).ser.close()
        mpremote(urls[0], "soft-reset")
        res = cushion("--timeout", "0.5", "status", port=urls[0])
        assert res.returncode == 3
        assert "the simulated board is at its REPL (service mode)" in res.stderr
        assert "`cushion flash`" not in res.stderr              # no advice that loops
        res = cushion("--timeout", "0.5", "flash", port=urls[0])
        assert res.returncode == 3 and "simulated board is at its REPL" in res.stderr
        mpremote(urls[0], "reset")
        time.sleep(0.3)
        assert status(urls[0])["state"] == "idle"


def test_ctrl_d_at_the_raw_repl_soft_reboots_back_into_the_raw_repl():
    with served("--listen", "127.0.0.1:0", "--speed", "20") as (proc, urls, _ctl):
        s = enter_service(urls[0])
        try:
            s.ser.write(b"\r\x01")                   # raw REPL, as mpremote enters it
            time.sleep(0.3)
            assert s.ser.read(4096).endswith(b"raw REPL; CTRL-B to exit\r\n>")
            s.ser.write(b"\x04")
            time.sleep(0.3)
            assert s.ser.read(4096) == b"MPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>"
            s.ser.write(b"\x02\x04")                 # friendly REPL, then its Ctrl-D
            boot = [json.loads(ln) for ln in s.read(1.5) if ln.startswith(b"{")]
            assert boot and boot[0]["event"] == "boot"
        finally:
            s.ser.close()
