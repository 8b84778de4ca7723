"""`cushion sim --chip --fault KIND@SECONDS --speed X`: the HAL-level sim's options on the
emulated chip. A fault comes at its emulated second; a speed the emulator cannot reach is
warned about, and the speed achieved is reported at the end (host/simclock.py's words)."""

import json
import signal
import subprocess
import sys
import time

import pytest
import serial

from host.flash import REPO_ROOT

pytestmark = pytest.mark.emu


def _status(port):
    port.reset_input_buffer()
    port.write(b"#5 status\n")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = port.readline()
        if line.startswith(b"{") and b'"id": 5' in line:
            return json.loads(line)
    raise AssertionError("no status reply")


def test_a_scheduled_fault_and_an_unreachable_speed(chip_env):
    proc = subprocess.Popen(
        [sys.executable, "-m", "host.cli", "sim", "--chip", "--pty", "--speed", "1000",
         "--fault", "sensor_short@1.5"], env=chip_env, cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/"), proc.stderr.read() if proc.poll() is not None else path
        with serial.Serial(path, 115200, timeout=1) as port:
            first = _status(port)
            time.sleep(4)  # the speed check comes after 3 s of wall time
            later = _status(port)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert first["fault"] is None and first["uptime_ms"] < 1500
    assert later["fault"] == "sensor_short" and later["state"] == "fault"
    assert "warning: speed 1000 is more than this computer can run the simulator at" in err
    assert "the simulator ran at" in err and "(asked for 1000x)" in err
    assert proc.returncode == 0


def test_a_bad_fault_is_a_usage_error(chip_env):
    res = subprocess.run([sys.executable, "-m", "host.cli", "sim", "--chip", "--fault",
                          "sensor_melted@3"], env=chip_env, cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "unknown fault 'sensor_melted'" in res.stderr
