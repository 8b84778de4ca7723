"""`cushion sim` as a separate process, reached over socket:// and over a raw pty.

The server is started the way a developer would (`python -m host.cli sim ...`), its URL read
from the first line it prints, and it is always killed in a `finally`.  The CLI commands are
run as subprocesses too, so exit codes and stderr are the real ones.
"""

import json
import os
import signal
import subprocess
import sys
import termios
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import serial

import host  # noqa: F401  (sim:// and friends registered)
from host.errors import EXIT_NO_CONNECTION, EXIT_OK, EXIT_REFUSED, EXIT_USAGE

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
ENV.pop("CUSHION_PORT", None)


@contextmanager
def sim_server(*args):
    """Start `cushion sim ARGS`; yield (process, [urls printed])."""
    proc = subprocess.Popen([sys.executable, "-m", "host.cli", "sim", *args],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        urls = [proc.stdout.readline().strip()]
        if "--listen" in args and "--pty" in args:
            urls.append(proc.stdout.readline().strip())
        assert all(urls), f"server printed nothing; stderr: {proc.stderr.read()}"
        yield proc, urls
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def cushion(port, *args, timeout=30):
    res = subprocess.run([sys.executable, "-m", "host.cli", "--port", port, *args],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in res.stderr, res.stderr
    return res


def open_raw(url):
    ser = serial.serial_for_url(url, timeout=0.05)
    ser.reset_input_buffer()
    return ser


def raw_reply(ser, text, deadline_s=5.0):
    """A hand-written client: write one line, read lines until its reply comes.

    The server passes every reply to every client attached (like one shared line), so drop
    what arrived before, and with an id, skip replies to other clients' requests.
    """
    want = int(text[1:text.index(" ")]) if text.startswith("#") else None
    ser.reset_input_buffer()
    ser.write(text.encode() + b"\n")
    buf = b""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        buf += ser.read(max(1, ser.in_waiting))
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            msg = json.loads(raw)
            if "ok" in msg and (want is None or msg["id"] == want):
                return msg
    raise AssertionError(f"no reply to {text!r}")


def wait_until(pred, timeout_s=10.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met")


@pytest.fixture(scope="module")
def tcp():
    with sim_server("--listen", "127.0.0.1:0", "--speed", "50") as (proc, urls):
        yield urls[0]


# -- the server's first line -----------------------------------------------------------------

def test_first_line_is_the_socket_url(tcp):
    assert tcp.startswith("socket://127.0.0.1:")
    assert int(tcp.rsplit(":", 1)[1]) > 0             # port 0 became a real port


def test_both_urls_each_on_its_own_line():
    with sim_server("--listen", "127.0.0.1:0", "--pty", "--speed", "50") as (proc, urls):
        assert urls[0].startswith("socket://127.0.0.1:")
        assert urls[1].startswith("/dev/") and os.path.exists(urls[1])
        assert cushion(urls[0], "info").returncode == EXIT_OK
        assert cushion(urls[1], "info").returncode == EXIT_OK


def test_sigterm_and_sigint_end_the_server_cleanly():
    for sig in (signal.SIGTERM, signal.SIGINT):
        with sim_server("--listen", "127.0.0.1:0", "--speed", "50") as (proc, urls):
            proc.send_signal(sig)
            assert proc.wait(timeout=10) == 0
            assert "Traceback" not in proc.stderr.read()


# -- every command over socket:// ------------------------------------------------------------

def test_every_command_over_socket(tcp, tmp_path):
    res = cushion(tcp, "info")
    assert res.returncode == EXIT_OK and res.stdout.startswith("cushion ")
    assert cushion(tcp, "heat", "medium").stdout == "ok: heat medium\n"
    assert cushion(tcp, "massage", "pulse", "--intensity", "2").stdout == \
        "ok: massage pulse, intensity 2\n"
    st = json.loads(cushion(tcp, "--json", "status").stdout)
    assert (st["heat"], st["setpoint_c"], st["massage"], st["intensity"]) == (
        "medium", 42.0, "pulse", 2)
    res = cushion(tcp, "watch", "--seconds", "1", "--period", "500",
                  "--csv", str(tmp_path / "t.csv"))
    assert res.returncode == EXIT_OK
    assert sum(" pad " in ln for ln in res.stdout.splitlines()) >= 5
    assert (tmp_path / "t.csv").read_text().startswith("time_s,state,")
    assert cushion(tcp, "stop").stdout == "ok: stopped\n"
    assert json.loads(cushion(tcp, "--json", "status").stdout)["state"] == "idle"
    assert cushion(tcp, "clear").returncode == EXIT_OK
    assert json.loads(cushion(tcp, "--json", "faults").stdout)["active"] == []


def test_watch_json_lines_over_socket(tcp):
    res = cushion(tcp, "--json", "watch", "--seconds", "0.8", "--period", "200")
    assert res.returncode == EXIT_OK
    lines = [json.loads(ln) for ln in res.stdout.splitlines()]
    assert len(lines) >= 5 and all(ln["event"] == "telemetry" for ln in lines)
    # telemetry is off again: a raw client hears nothing but its own reply
    with open_raw(tcp) as ser:
        time.sleep(0.3)
        assert ser.read(4096) == b""


def test_exit_codes_1_2_3_over_socket_and_pty():
    with sim_server("--listen", "127.0.0.1:0", "--pty", "--speed", "50",
                    "--fault", "sensor_open@0") as (proc, urls):
        wait_until(lambda: json.loads(cushion(urls[0], "--json", "status").stdout)["fault"])
        for url in urls:
            res = cushion(url, "heat", "high")
            assert res.returncode == EXIT_REFUSED
            assert res.stderr.startswith("cushion: device refused 'heat high': fault_active: ")
            assert res.stderr.count("\n") == 1
            res = cushion(url, "clear")
            assert res.returncode == EXIT_REFUSED and "out of range" in res.stderr
            assert cushion(url, "heat", "scorching").returncode == EXIT_USAGE
        proc.send_signal(signal.SIGSTOP)                 # the board hangs
        try:
            for url in urls:
                res = cushion(url, "--timeout", "0.3", "status")
                assert res.returncode == EXIT_NO_CONNECTION
                assert res.stderr.startswith("cushion: no reply from ")
                assert res.stderr.count("\n") == 1
        finally:
            proc.send_signal(signal.SIGCONT)


# -- a raw pyserial client sees what the CLI shows -------------------------------------------

def test_raw_client_gets_the_same_replies_as_the_cli(tcp):
    cli_info = json.loads(cushion(tcp, "--json", "info").stdout)
    with open_raw(tcp) as ser:
        raw_info = raw_reply(ser, "#77 info")
        assert raw_info.pop("id") == 77
        assert raw_info == cli_info

        cli_heat = json.loads(cushion(tcp, "--json", "heat", "low").stdout)
        raw_heat = raw_reply(ser, "heat low")          # no id, no checksum: a person typing
        assert raw_heat.pop("id") is None
        assert raw_heat == cli_heat

        cli_st = json.loads(cushion(tcp, "--json", "status").stdout)
        raw_st = raw_reply(ser, "status")
        raw_st.pop("id")
        assert set(raw_st) == set(cli_st)
        steady = ("state", "heat", "massage", "intensity", "setpoint_c", "fault")
        assert {k: raw_st[k] for k in steady} == {k: cli_st[k] for k in steady}

        # and the CLI's own framing, typed by hand, is accepted
        from host.client import frame
        ser.write(frame(5, "stop"))
        assert raw_reply(ser, "#6 status")["state"] == "idle"
        refused = raw_reply(ser, "#8 heat high*00")
        assert refused == {"ok": False, "id": 8, "error": "bad_checksum",
                           "detail": "checksum does not match"}


def test_socket_client_may_leave_and_come_back_and_two_may_share(tcp):
    a = open_raw(tcp)
    assert raw_reply(a, "#1 info")["fw"] == "cushion"
    a.close()
    b = open_raw(tcp)
    c = open_raw(tcp)
    try:
        assert raw_reply(b, "#2 heat off")["ok"] is True
        assert raw_reply(c, "#3 info")["id"] == 3
        assert raw_reply(b, "#4 status")["id"] == 4
    finally:
        b.close()
        c.close()
    assert cushion(tcp, "info").returncode == EXIT_OK


# -- the pty ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pty_url():
    with sim_server("--pty", "--speed", "50") as (proc, urls):
        yield urls[0]


def test_pty_is_raw_from_the_start():
    # A fresh server, opened with plain os.open (no client has set anything): the line
    # discipline must already be raw, i.e. no echo of what we write and no \n -> \r\n.
    with sim_server("--pty", "--speed", "50") as (proc, urls):
        check_raw_pty(urls[0])


def check_raw_pty(pty_url):
    fd = os.open(pty_url, os.O_RDWR | os.O_NOCTTY)
    try:
        attrs = termios.tcgetattr(fd)
        lflag, oflag = attrs[3], attrs[1]
        assert not lflag & termios.ECHO and not lflag & termios.ICANON
        assert not oflag & termios.OPOST
        termios.tcflush(fd, termios.TCIFLUSH)
        os.write(fd, b"#9 info\n")
        buf = b""
        end = time.monotonic() + 5
        while b'"id": 9' not in buf and time.monotonic() < end:
            try:
                buf += os.read(fd, 4096)
            except BlockingIOError:
                time.sleep(0.01)
        assert b"#9 info" not in buf                  # no echo
        assert b"\r\n" not in buf                     # no newline translation
        assert b'"fw": "cushion"' in buf
    finally:
        os.close(fd)


def test_every_command_over_the_pty(pty_url):
    assert cushion(pty_url, "info").returncode == EXIT_OK
    assert cushion(pty_url, "heat", "low").stdout == "ok: heat low\n"
    assert cushion(pty_url, "massage", "wave").returncode == EXIT_OK
    st = json.loads(cushion(pty_url, "--json", "status").stdout)
    assert (st["heat"], st["massage"]) == ("low", "wave")
    res = cushion(pty_url, "--json", "watch", "--seconds", "0.6", "--period", "200")
    assert res.returncode == EXIT_OK and res.stdout.count('"telemetry"') >= 3
    assert cushion(pty_url, "stop").returncode == EXIT_OK
    assert cushion(pty_url, "clear").returncode == EXIT_OK
    assert cushion(pty_url, "faults").returncode == EXIT_OK


def test_pty_client_leaves_and_comes_back(pty_url):
    first = open_raw(pty_url)
    assert raw_reply(first, "#21 heat medium")["ok"] is True
    first.close()
    time.sleep(0.5)          # the board keeps talking to nobody meanwhile (telemetry-free)
    again = open_raw(pty_url)
    try:
        st = raw_reply(again, "#22 status")
        assert st["id"] == 22 and st["heat"] == "medium"
    finally:
        again.close()
    # a CLI in between and after works as well
    assert json.loads(cushion(pty_url, "--json", "status").stdout)["heat"] == "medium"
    cushion(pty_url, "stop")


def test_pty_survives_a_client_that_leaves_with_telemetry_on(pty_url):
    ser = open_raw(pty_url)
    raw_reply(ser, "telemetry on 100")
    ser.close()                          # left without switching it off
    time.sleep(1.0)                      # the pty buffer fills while nobody reads
    ser = open_raw(pty_url)
    try:
        assert raw_reply(ser, "#31 telemetry off")["id"] == 31
    finally:
        ser.close()
    assert cushion(pty_url, "info").returncode == EXIT_OK
