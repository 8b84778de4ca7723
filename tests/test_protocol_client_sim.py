"""The sim:// pyserial handler (host/protocol_sim.py) and the client against the real firmware.

Everything here runs the real firmware in hal_sim, in-process, at high speed.
"""

import json
import re
import time
from pathlib import Path

import pytest
import serial

import host  # noqa: F401  (registers sim:// with pyserial)
from host.client import CushionClient
from host.errors import DeviceRefused
from host.protocol_sim import SimURLError, parse_sim_url

FAST = "sim://?speed=200"


def read_json_line(ser, deadline_s=3.0):
    """A raw client's reader: the next JSON line the port sends."""
    buf = b""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        buf += ser.read(1)
        if buf.endswith(b"\n"):
            return json.loads(buf)
    raise AssertionError(f"no line within {deadline_s} s (got {buf!r})")


def reply_to(ser, text, deadline_s=3.0):
    ser.write(text.encode() + b"\n")
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        msg = read_json_line(ser, deadline_s)
        if "ok" in msg:
            return msg
    raise AssertionError("no reply")


@pytest.fixture
def port():
    ser = serial.serial_for_url(FAST, timeout=0.05)
    try:
        yield ser
    finally:
        ser.close()


@pytest.fixture
def client():
    c = CushionClient.connect(FAST, timeout=2.0)
    try:
        yield c
    finally:
        c.close()


# -- the URL ---------------------------------------------------------------------------------

def test_url_defaults_and_options():
    assert parse_sim_url("sim://") == {"speed": 1.0, "ambient_c": 22.0, "faults": [], "seed": 1,
                                       "session": [], "steps": []}
    opts = parse_sim_url("sim://?speed=20&ambient=5.5&fault=sensor_open@30"
                         "&fault=motor_stall@1.5&seed=7&heat=HIGH&massage=wave&intensity=3")
    assert opts == {"speed": 20.0, "ambient_c": 5.5, "seed": 7,
                    "faults": [("sensor_open", 30.0), ("motor_stall", 1.5)],
                    "session": ["heat high", "massage wave 3"], "steps": []}


@pytest.mark.parametrize("url, words", [
    ("sim://?speed=0", "speed must be above 0"),
    ("sim://?speed=fast", "speed must be a number"),
    ("sim://?ambient=hot", "ambient must be a number"),
    ("sim://?ambient=500", "ambient must be at most"),
    ("sim://?fault=sensor_open", "KIND@SECONDS"),
    ("sim://?fault=melt@3", "unknown fault 'melt'"),
    ("sim://?fault=sensor_open@-1", "fault time must be at least 0"),
    ("sim://?colour=red", "unknown option 'colour'"),
    ("sim://?heat=scorching", "heat must be one of off, low, medium, high"),
    ("sim://?massage=shake", "massage must be one of"),
    ("sim://?intensity=2", "intensity needs massage=MODE"),
    ("sim://?scenario=/nonexistent.toml", "scenario /nonexistent.toml"),
])
def test_bad_query_is_a_clear_error_that_is_both_valueerror_and_serialexception(url, words):
    with pytest.raises(SimURLError) as e:
        serial.serial_for_url(url)
    assert isinstance(e.value, ValueError) and isinstance(e.value, serial.SerialException)
    assert words in str(e.value)
    assert "sim://[?speed=X]" in str(e.value)          # shows the expected form


# -- the port --------------------------------------------------------------------------------

def test_raw_lines_get_firmware_replies(port):
    reply = reply_to(port, "status")
    assert reply["ok"] is True and reply["id"] is None
    assert reply["state"] == "idle" and reply["heat"] == "off"
    assert reply_to(port, "#12 info")["id"] == 12
    bad = reply_to(port, "#13 status*00")
    assert bad == {"ok": False, "id": 13, "error": "bad_checksum",
                   "detail": "checksum does not match"}


def test_the_cushion_keeps_running_at_speed_times_wall_clock(port):
    t0 = time.monotonic()
    up0 = reply_to(port, "status")["uptime_ms"]
    time.sleep(0.5)
    up1 = reply_to(port, "status")["uptime_ms"]
    wall = time.monotonic() - t0
    sim_s = (up1 - up0) / 1000
    # 200x: about 100 simulated seconds; loose bounds for a loaded CI machine, but clearly
    # faster than real time and never ahead of the accelerated clock
    assert 20 <= sim_s <= 200 * wall + 1, (sim_s, wall)


def test_each_open_powers_up_a_new_cushion():
    with serial.serial_for_url(FAST, timeout=0.05) as a:
        reply_to(a, "heat low")
        assert reply_to(a, "status")["heat"] == "low"
    with serial.serial_for_url(FAST, timeout=0.05) as b:
        assert reply_to(b, "status")["heat"] == "off"


def test_the_simulation_is_reachable_for_tests(port):
    reply_to(port, "heat high")
    sim = port.simulation
    assert sim.ctl.heat.level == 3
    assert 15 < sim.pad_c < 40


def test_closed_port_refuses_io():
    ser = serial.serial_for_url(FAST)
    ser.close()
    with pytest.raises(serial.PortNotOpenError):
        ser.read(1)
    with pytest.raises(serial.PortNotOpenError):
        ser.write(b"status\n")


def test_a_raw_client_sees_the_boot_event_first(port):
    import hal_sim  # noqa: F401  (the micropython shim the firmware needs)
    from cushion.limits import FW_VERSION
    assert read_json_line(port) == {"event": "boot", "reset_cause": "power_on",
                                    "fw": "cushion", "version": FW_VERSION, "uptime_ms": 0}


def test_read_honours_the_timeout():
    with serial.serial_for_url("sim://?speed=1", timeout=0.2) as ser:
        ser.reset_input_buffer()
        time.sleep(0.06)
        ser.reset_input_buffer()          # drop the boot event
        t0 = time.monotonic()
        assert ser.read(1) == b""
        assert 0.15 < time.monotonic() - t0 < 2.0


def test_scheduled_fault_is_injected_at_its_simulated_second():
    with serial.serial_for_url("sim://?speed=200&fault=sensor_open@5", timeout=0.05) as ser:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            st = reply_to(ser, "status")
            if st["fault"]:
                break
        assert st["fault"] == "sensor_open"
        assert ser.simulation.active_faults == ["sensor_open"]
        # judged on the simulation's own clock, not on how fast this machine is
        faults = [e for e in ser.simulation.events if e["event"] == "fault"]
        assert 5.0 <= faults[0]["sim_s"] <= 5.2, faults


def test_ambient_sets_the_room(port):
    with serial.serial_for_url("sim://?speed=200&ambient=5", timeout=0.05) as ser:
        assert reply_to(ser, "status")["temp_c"] < 10


def test_service_hands_the_port_to_a_repl_that_the_client_recognises():
    c = CushionClient.connect(FAST, timeout=0.3)
    try:
        assert c.request("service", retry=False)["ok"] is True
        with pytest.raises(Exception) as e:
            c.request("status")
        assert "REPL" in str(e.value)
    finally:
        c.close()


# -- the client on the real firmware ---------------------------------------------------------

def test_client_handshake_and_commands(client):
    assert client.info["fw"] == "cushion" and client.info["board"] == "sim"
    assert client.request("heat medium") == {"ok": True, "id": client._next_id - 1,
                                             "heat": "medium", "capped": False}
    assert client.request("status")["setpoint_c"] == 42.0
    client.request("massage pulse 1")
    st = client.request("status")
    assert (st["massage"], st["intensity"]) == ("pulse", 1)
    client.request("stop")
    assert client.request("status")["state"] == "idle"
    assert client.request("faults") == {"ok": True, "id": client._next_id - 1,
                                        "active": [], "log": []}


def test_client_collects_telemetry_events_while_waiting(client):
    client.request("telemetry on 100")
    time.sleep(0.2)
    client.request("status")
    ev = client.next_event(2.0)
    assert ev["event"] == "telemetry" and "temp_c" in ev    # the boot event was before open
    client.request("telemetry off")


def test_device_refusal_on_the_real_firmware():
    c = CushionClient.connect("sim://?speed=200&fault=sensor_open@0", timeout=2.0)
    try:
        end = time.monotonic() + 5
        while c.request("status")["fault"] is None and time.monotonic() < end:
            pass
        with pytest.raises(DeviceRefused) as e:
            c.request("heat high")
        assert e.value.code == "fault_active"
        assert e.value.detail                       # the firmware's own words
        assert e.value.detail in e.value.message
    finally:
        c.close()


# -- docs/protocol.md is checked against the firmware ----------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
EXAMPLE = re.compile(r"^(#\d+ [^>]*?)\s+-> (\{.*)$")


def doc_examples():
    """Every `request -> reply` example in the doc (replies may span several lines)."""
    lines = DOC.read_text().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = EXAMPLE.match(lines[i].strip())
        i += 1
        if not m:
            continue
        text = m.group(2)
        while True:
            try:
                out.append((m.group(1).strip(), json.loads(text)))
                break
            except ValueError:
                text += " " + lines[i].strip()
                i += 1
    return out


def test_the_doc_has_examples_of_every_verb():
    verbs = {req.split()[1].split("*")[0].lower() for req, _ in doc_examples()}
    assert verbs >= {"status", "info", "heat", "massage", "stop", "clear", "faults",
                     "telemetry", "service", "help"}


@pytest.mark.parametrize("request_line, documented", doc_examples(),
                         ids=[r for r, _ in doc_examples()])
def test_doc_example_matches_the_firmware(request_line, documented):
    from hal_sim import Simulation
    sim = Simulation()
    if documented.get("error") == "fault_active":       # the doc's refusals: sensor_open
        sim.inject("sensor_open")
        sim.run(1)
    assert documented.get("error") not in ("not_cool", "storage_error"), "add a setup"
    got = sim.command(request_line)
    got.pop("sim_s", None)                  # added by the simulator, not sent by the board
    assert set(got) == set(documented)
    for key in ("ok", "id", "error", "detail", "heat", "massage", "intensity", "telemetry",
                "period_ms", "fw", "protocol", "levels_c", "auto_off_s",
                "line_max", "verbs", "service", "capped", "state"):
        if key in documented:
            assert got[key] == documented[key], key


def test_doc_checksum_examples():
    from host.client import checksum
    text = DOC.read_text()
    for body, check in re.findall(r"(#\d+ [a-z ]+)\*([0-9A-F]{2})\b", text):
        if check != "00":                                  # 00 is the deliberately bad one
            assert checksum(body.encode()) == check, body
