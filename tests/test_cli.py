"""The `cushion` CLI in-process: every command and every exit code.

Commands run against `sim://` (the real firmware on the simulator, in-process, fast); the
failure paths use what really happens where we can (a locked pty for "busy", socket servers
that hang up or never answer) and mocks where we cannot (permission denied as root, USB
enumeration).  Expected failures must give one line on stderr and no traceback.
"""

import csv
import json
import os
import socket
import threading
import time

import pytest
import serial
from serial.tools.list_ports_common import ListPortInfo

import host.cli as cli
from host import commands, ports
from host.client import CushionClient
from host.errors import EXIT_NO_CONNECTION, EXIT_OK, EXIT_REFUSED, EXIT_USAGE

SIM = "sim://?speed=200"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err, *words):
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("cushion: "), err
    for w in words:
        assert w in err, (w, err)


@pytest.fixture(autouse=True)
def no_env_port(monkeypatch):
    monkeypatch.delenv("CUSHION_PORT", raising=False)


@pytest.fixture
def shared(monkeypatch):
    """One simulated cushion kept across several CLI invocations (sim:// is per-open)."""
    client = CushionClient.connect(SIM, timeout=2.0)
    client.close = lambda: None          # the CLI closes after each command; keep it
    monkeypatch.setattr(commands, "connect", lambda args: client)
    try:
        yield client
    finally:
        CushionClient.close(client)


def fake_port(device, vid=None, pid=None, description="USB device"):
    p = ListPortInfo(device, skip_link_detection=True)
    p.vid, p.pid, p.description = vid, pid, description
    return p


def wait_for_fault(client, timeout_s=5.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        st = client.request("status")
        if st["fault"]:
            return st["fault"]
    raise AssertionError("no fault latched")


# -- every command, exit 0 -------------------------------------------------------------------

def test_status(capsys):
    code, out, err = run(capsys, "--port", SIM, "status")
    assert code == EXIT_OK and err == ""
    assert out.splitlines()[0].split() == ["state", "idle"]
    for words in ("heat", "pad sensor A", "set-point", "heater", "motor", "remaining",
                  "supply", "fault", "uptime"):
        assert words in out


def test_status_json_is_one_object_without_the_id(capsys):
    code, out, _ = run(capsys, "--port", SIM, "--json", "status")
    assert code == EXIT_OK
    obj = json.loads(out)
    assert obj["ok"] is True and "id" not in obj
    for field in ("state", "heat", "massage", "intensity", "temp_c", "temp2_c", "setpoint_c",
                  "heater_pct", "motor_pct", "remaining_s", "vin", "fault", "dose_cem43",
                  "uptime_ms"):
        assert field in obj


def test_global_options_also_work_after_the_command(capsys):
    code, out, _ = run(capsys, "status", "--port", SIM, "--json", "--timeout", "3")
    assert code == EXIT_OK and json.loads(out)["ok"] is True


def test_info(capsys):
    code, out, _ = run(capsys, "--port", SIM, "info")
    assert code == EXIT_OK
    import hal_sim  # noqa: F401  (the micropython shim the firmware needs)
    from cushion.limits import FW_VERSION
    assert out.splitlines()[0] == f"cushion {FW_VERSION} on sim"
    code, out, _ = run(capsys, "--port", SIM, "--json", "info")
    info = json.loads(out)
    assert (info["fw"], info["board"]) == ("cushion", "sim")


def test_heat_massage_stop_clear_faults_on_one_cushion(capsys, shared):
    assert run(capsys, "heat", "high") == (EXIT_OK, "ok: heat high\n", "")
    assert run(capsys, "massage", "knead", "--intensity", "3") == (
        EXIT_OK, "ok: massage knead, intensity 3\n", "")
    st = shared.request("status")
    assert (st["heat"], st["massage"], st["intensity"], st["state"]) == (
        "high", "knead", 3, "active")
    code, out, _ = run(capsys, "--json", "massage", "wave")
    assert code == EXIT_OK and json.loads(out) == {"ok": True, "massage": "wave",
                                                   "intensity": 3}
    assert run(capsys, "stop") == (EXIT_OK, "ok: stopped\n", "")
    st = shared.request("status")
    assert (st["heat"], st["massage"], st["state"]) == ("off", "off", "idle")
    assert run(capsys, "clear") == (EXIT_OK, "ok: faults cleared\n", "")
    code, out, _ = run(capsys, "faults")
    assert code == EXIT_OK and "active" in out and "log" in out
    code, out, _ = run(capsys, "--json", "faults")
    assert json.loads(out) == {"ok": True, "active": [], "log": []}


@pytest.mark.parametrize("level", ["off", "low", "medium", "high"])
def test_every_heat_level(capsys, level):
    code, out, _ = run(capsys, "--port", SIM, "--json", "heat", level)
    assert code == EXIT_OK and json.loads(out)["heat"] == level


@pytest.mark.parametrize("mode", ["off", "continuous", "pulse", "wave", "knead"])
def test_every_massage_mode(capsys, mode):
    code, out, _ = run(capsys, "--port", SIM, "--json", "massage", mode, "--intensity", "1")
    assert code == EXIT_OK and json.loads(out)["massage"] == mode


def test_ports_lists_and_marks_candidates(capsys, mocker):
    mocker.patch("serial.tools.list_ports.comports", return_value=[
        fake_port("/dev/ttyACM0", 0x2E8A, 0x0005, "Board in FS mode"),
        fake_port("/dev/ttyUSB0", 0x0403, 0x6001, "FT232R"),
        fake_port("/dev/ttyS0")])
    code, out, _ = run(capsys, "ports")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0].split() == ["PORT", "VID:PID", "DESCRIPTION"]
    lines = lines[1:]
    assert lines[0].startswith("/dev/ttyACM0") and "2E8A:0005" in lines[0]
    assert "Raspberry Pi Pico" in lines[0]
    assert "<-" not in lines[1] and "<-" not in lines[2]
    code, out, _ = run(capsys, "--json", "ports")
    listed = json.loads(out)["ports"]
    assert [p["board"] for p in listed] == ["Raspberry Pi Pico (MicroPython)", None, None]


def test_ports_with_nothing_plugged_in(capsys, mocker):
    mocker.patch("serial.tools.list_ports.comports", return_value=[])
    code, out, _ = run(capsys, "ports")
    assert code == EXIT_OK and "no serial ports found" in out


# -- watch -----------------------------------------------------------------------------------

def test_watch_prints_readable_lines_and_writes_csv_and_plot(capsys, tmp_path):
    csv_path, png = tmp_path / "w.csv", tmp_path / "w.png"
    code, out, err = run(capsys, "--port", "sim://?speed=100", "watch", "--seconds", "0.6",
                         "--period", "1000", "--csv", str(csv_path), "--plot", str(png))
    assert code == EXIT_OK and "Traceback" not in err
    lines = [ln for ln in out.splitlines() if " pad " in ln]
    assert len(lines) >= 3                       # ~60 simulated seconds at 1 s (if not loaded)
    first = lines[0].split()
    assert first[:3] == ["0.0", "s", "pad"]
    for words in ("set", "heater", "motor", "idle"):
        assert words in lines[0]
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    from cushion.schema import STATUS_FIELDS
    assert tuple(rows[0]) == ("time_s",) + STATUS_FIELDS
    assert len(rows) >= len(lines)               # at most 10 printed a second, all in the CSV
    assert f"wrote {csv_path} ({len(rows)} samples)" in out and f"wrote {png}" in out
    assert float(rows[-1]["time_s"]) >= 2        # the device's clock: 1 s per sample
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_watch_json_lines_show_remaining_time_and_heater(capsys, shared):
    shared.request("heat high")
    code, out, _ = run(capsys, "--json", "watch", "--seconds", "0.4", "--period", "500")
    assert code == EXIT_OK
    events = [json.loads(ln) for ln in out.splitlines()]
    tele = [e for e in events if e["event"] == "telemetry"]
    assert tele and all("time_s" in e for e in tele)
    assert tele[-1]["heat"] == "high" and tele[-1]["heater_pct"] > 0
    assert 0 < tele[-1]["remaining_s"] <= 900
    assert shared.ser.simulation.ctl.console.telemetry_ms == 0      # switched off again after


def test_watch_ctrl_c_switches_telemetry_off_and_keeps_the_csv(capsys, shared, tmp_path,
                                                            monkeypatch):
    real_next = shared.next_event
    seen = []

    def next_event(timeout):
        if len(seen) >= 3:
            raise KeyboardInterrupt
        ev = real_next(timeout)
        if ev and ev.get("event") == "telemetry":
            seen.append(ev)
        return ev
    monkeypatch.setattr(shared, "next_event", next_event)
    csv_path = tmp_path / "c.csv"
    code, out, err = run(capsys, "watch", "--period", "100", "--csv", str(csv_path))
    assert code == 130 and err == "cushion: interrupted\n"     # the shell's 128 + SIGINT
    assert shared.ser.simulation.ctl.console.telemetry_ms == 0
    with open(csv_path) as f:
        assert len(f.read().splitlines()) == 1 + 3


def test_watch_reports_events_between_telemetry(capsys):
    # the fault comes 0.6 s (wall) after the open, well after the handshake: an event from
    # before the handshake would be dropped with the stale input, as on a real port
    code, out, _ = run(capsys, "--port", "sim://?speed=50&fault=sensor_open@30", "watch",
                       "--seconds", "1.5", "--period", "1000", "--max-lines", "1000")
    assert code == EXIT_OK
    assert "** fault" in out and "sensor_open" in out
    assert "FAULT sensor_open" in out


@pytest.mark.parametrize("opt", ["--csv", "--plot"])
def test_watch_to_an_unwritable_file_is_usage_not_a_traceback(capsys, tmp_path, opt):
    code, _, err = run(capsys, "--port", SIM, "watch", "--seconds", "0.2", opt,
                       str(tmp_path / "missing" / "f.png"))
    assert code == EXIT_USAGE
    assert_one_line_error(err, "cannot write")


def test_watch_period_out_of_range_is_usage(capsys):
    code, _, err = run(capsys, "--port", SIM, "watch", "--period", "10")
    assert code == EXIT_USAGE
    assert_one_line_error(err, "--period")


# -- run -------------------------------------------------------------------------------------

SCENARIO = """
name = "cli smoke"
ambient_c = 22.0
duration_s = 20
steps = [ { at_s = 0, send = "heat high" } ]
expect = [
  { state = "active", at_s = 5, heat = "high" },
  { max_pad_c = %s },
]
"""


def test_run_a_real_scenario(capsys, tmp_path):
    pytest.importorskip("hal_sim.scenario")     # written alongside; wired either way
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(SCENARIO % "50.0")
    bad.write_text(SCENARIO % "10.0")           # the pad starts at 22 C: must fail
    csv_path, png = tmp_path / "t.csv", tmp_path / "t.png"
    code, out, _ = run(capsys, "run", str(good), "--csv", str(csv_path), "--plot", str(png))
    assert code == EXIT_OK and "PASS" in out
    assert csv_path.stat().st_size > 0 and png.read_bytes()[:4] == b"\x89PNG"
    code, out, _ = run(capsys, "run", str(bad))
    assert code == EXIT_REFUSED and "FAIL" in out
    assert run(capsys, "run", str(tmp_path / "missing.toml"))[0] == EXIT_USAGE


# -- exit 1: the device refused --------------------------------------------------------------

def test_device_refusal_exits_1_with_the_devices_words(capsys, monkeypatch):
    client = CushionClient.connect("sim://?speed=200&fault=sensor_open@0", timeout=2.0)
    client.close = lambda: None
    monkeypatch.setattr(commands, "connect", lambda args: client)
    try:
        assert wait_for_fault(client) == "sensor_open"
        code, out, err = run(capsys, "heat", "high")
        assert code == EXIT_REFUSED and out == ""
        assert_one_line_error(err, "device refused 'heat high'", "fault_active")
        code, out, err = run(capsys, "--json", "heat", "high")
        obj = json.loads(out)
        assert code == EXIT_REFUSED
        assert obj["ok"] is False and obj["error"] == "fault_active" and obj["exit_code"] == 1
        assert obj["detail"] and obj["detail"] in err           # the firmware's own words
    finally:
        CushionClient.close(client)


def test_board_left_at_the_repl_times_out_with_a_hint(capsys, monkeypatch):
    client = CushionClient.connect(SIM, timeout=0.2)
    client.close = lambda: None
    monkeypatch.setattr(commands, "connect", lambda args: client)
    try:
        client.request("service", retry=False)       # what `flash` does first
        code, _, err = run(capsys, "status")
    finally:
        CushionClient.close(client)
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "no reply from", "REPL")


# -- exit 2: usage ---------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["heat", "scorching"],
    ["heat"],
    ["massage", "knead", "--intensity", "4"],
    ["--timeout", "0", "status"],
    ["--timeout", "soon", "status"],
    ["sim", "--speed", "-1"],
    ["sim", "--fault", "melt@3"],
    ["sim", "--listen", "nowhere"],
    ["watch", "--seconds", "-2"],
])
def test_bad_command_lines_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE and out == ""
    assert_one_line_error(err)


@pytest.mark.parametrize("url, words", [
    ("sim://?speed=0", "speed must be above 0"),
    ("sim://?fault=melt@3", "unknown fault 'melt'"),
    ("gopher://x", "protocol 'gopher' not known"),
])
def test_bad_port_urls_exit_2(capsys, url, words):
    code, _, err = run(capsys, "--port", url, "status")
    assert code == EXIT_USAGE
    assert_one_line_error(err, words)


def test_several_candidate_boards_are_listed_not_guessed(capsys, mocker):
    mocker.patch("serial.tools.list_ports.comports", return_value=[
        fake_port("/dev/ttyACM0", 0x2E8A, 0x0005), fake_port("/dev/ttyUSB3", 0x10C4, 0xEA60),
        fake_port("/dev/ttyUSB4", 0x0403, 0x6001)])
    code, _, err = run(capsys, "status")
    assert code == EXIT_USAGE
    assert_one_line_error(err, "several possible cushions", "/dev/ttyACM0", "/dev/ttyUSB3",
                          "--port")
    assert "/dev/ttyUSB4" not in err


# -- port resolution -------------------------------------------------------------------------

def test_resolution_order_port_then_env_then_usb(mocker):
    pico = [fake_port("/dev/ttyACM3", 0x2E8A, 0x0005)]
    assert ports.resolve_port("COM7", {"CUSHION_PORT": "sim://"}, lambda: pico)[0] == "COM7"
    assert ports.resolve_port(None, {"CUSHION_PORT": "sim://"}, lambda: pico)[0] == "sim://"
    assert ports.resolve_port(None, {"CUSHION_PORT": ""}, lambda: pico) == (
        "/dev/ttyACM3", "auto-detected Raspberry Pi Pico (MicroPython)")


@pytest.mark.parametrize("vid, pid", [(0x10C4, 0xEA60), (0x1A86, 0x7523), (0x303A, 0x1001)])
def test_esp32_bridges_are_detected(vid, pid):
    found = ports.resolve_port(None, {}, lambda: [fake_port("/dev/ttyUSB0", vid, pid),
                                                  fake_port("/dev/ttyS0")])
    assert found[0] == "/dev/ttyUSB0"


def test_env_port_is_used(capsys, monkeypatch):
    monkeypatch.setenv("CUSHION_PORT", SIM)
    code, out, _ = run(capsys, "--json", "info")
    assert code == EXIT_OK and json.loads(out)["fw"] == "cushion"


def test_port_option_beats_env(capsys, monkeypatch):
    monkeypatch.setenv("CUSHION_PORT", "gopher://nothing")
    assert run(capsys, "--port", SIM, "info")[0] == EXIT_OK


# -- exit 3: no connection -------------------------------------------------------------------

def test_no_port_at_all(capsys, mocker):
    mocker.patch("serial.tools.list_ports.comports",
                 return_value=[fake_port("/dev/ttyS0"), fake_port("/dev/ttyUSB0", 0x0403, 1)])
    code, out, err = run(capsys, "status")
    assert code == EXIT_NO_CONNECTION and out == ""
    assert_one_line_error(err, "no cushion found", "2E8A:0005", "--port", "CUSHION_PORT")


def test_no_port_json_puts_the_error_on_stdout(capsys, mocker):
    mocker.patch("serial.tools.list_ports.comports", return_value=[])
    code, out, err = run(capsys, "--json", "status")
    assert code == EXIT_NO_CONNECTION
    assert json.loads(out)["error"] == "no_port"
    assert_one_line_error(err)


def test_missing_device_path(capsys, tmp_path):
    code, _, err = run(capsys, "--port", str(tmp_path / "ttyACM9"), "status")
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "no such port", "ttyACM9")


class RefusingPort:
    """What serial_for_url returns for a port that cannot be opened."""

    def __init__(self, exc):
        self.exc = exc

    def open(self):
        raise self.exc


@pytest.mark.parametrize("exc", [
    serial.SerialException(13, "could not open port /dev/ttyACM0: [Errno 13] Permission "
                               "denied: '/dev/ttyACM0'"),
    PermissionError(13, "Permission denied"),
])
def test_permission_denied_hints_at_dialout(capsys, mocker, exc):
    mocker.patch("serial.serial_for_url", return_value=RefusingPort(exc))
    code, _, err = run(capsys, "--port", "/dev/ttyACM0", "status")
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "permission denied", "/dev/ttyACM0", "dialout")


@pytest.mark.parametrize("exc", [
    serial.SerialException(16, "could not open port /dev/ttyACM0: [Errno 16] Device or "
                               "resource busy: '/dev/ttyACM0'"),
    serial.SerialException(11, "Could not exclusively lock port /dev/ttyACM0: [Errno 11] "
                               "Resource temporarily unavailable"),
])
def test_busy_port_mocked(capsys, mocker, exc):
    mocker.patch("serial.serial_for_url", return_value=RefusingPort(exc))
    code, _, err = run(capsys, "--port", "/dev/ttyACM0", "status")
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "busy", "/dev/ttyACM0")


def test_busy_port_for_real_when_another_program_holds_it(capsys):
    master, slave = os.openpty()
    path = os.ttyname(slave)
    holder = serial.Serial(path, exclusive=True)       # like mpremote or a terminal
    try:
        code, _, err = run(capsys, "--port", path, "status")
        assert code == EXIT_NO_CONNECTION
        assert_one_line_error(err, "busy", path)
    finally:
        holder.close()
        os.close(master)
        os.close(slave)


class ScriptedServer:
    """A TCP 'board': answers `info` like a cushion, then does `then` on the next request."""

    def __init__(self, then):
        self.then = then
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = "socket://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            buf = b""
            while True:
                data = conn.recv(1024)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    if not raw.strip():
                        continue
                    rid = int(raw[1:raw.index(b" ")])
                    if b" info*" in raw:
                        conn.sendall(b'{"ok": true, "id": %d, "fw": "cushion", '
                                     b'"version": "1.0.0", "board": "tcp"}\n' % rid)
                    elif self.then == "hang_up":
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                    # "silent": never answer anything else

    def close(self):
        self.sock.close()


def test_unplugged_mid_command(capsys):
    server = ScriptedServer("hang_up")
    try:
        code, _, err = run(capsys, "--port", server.url, "heat", "high")
    finally:
        server.close()
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "lost", "heat high", "unplugged")


def test_unplugged_mid_command_on_a_device_path(capsys, mocker):
    """The posix port's own error when the USB device vanishes during a read."""
    client = CushionClient.connect(SIM, timeout=1.0)
    client.close = lambda: None

    def gone(*a):
        raise serial.SerialException("device reports readiness to read but returned no data "
                                     "(device disconnected or multiple access on port?)")
    mocker.patch.object(client.ser, "read", gone)
    mocker.patch.object(commands, "connect", lambda args: client)
    try:
        code, _, err = run(capsys, "status")
    finally:
        CushionClient.close(client)
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "lost", "status", "device disconnected")


def test_timeout_when_the_other_end_never_answers(capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)                      # the kernel accepts; nobody ever reads or answers
    url = "socket://127.0.0.1:%d" % sock.getsockname()[1]
    try:
        t0 = time.monotonic()
        code, _, err = run(capsys, "--port", url, "--timeout", "0.3", "status")
        took = time.monotonic() - t0
    finally:
        sock.close()
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "no reply from", "to `cushion status`", "0.3 s")
    assert took < 3


def test_timeout_on_a_request_that_is_not_retried(capsys):
    server = ScriptedServer("silent")
    try:
        code, _, err = run(capsys, "--port", server.url, "--timeout", "0.3", "clear")
    finally:
        server.close()
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "no reply from", "'clear'")
    assert "tries" not in err


def test_connection_refused(capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()                         # nothing listens there now
    code, _, err = run(capsys, "--port", "socket://127.0.0.1:%d" % port, "status")
    assert code == EXIT_NO_CONNECTION
    assert_one_line_error(err, "could not open")
