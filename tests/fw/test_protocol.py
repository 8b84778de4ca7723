"""SR-14 and DESIGN section 7: the line reader, the parser and every verb through the
Controller (error codes, ids, checksums, line endings, status fields, telemetry, service)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cushion import limits, protocol, store
from cushion.protocol import LineReader, ProtocolError, parse
from cushion.schema import STATUS_FIELDS

from .fakehal import TICK, Rig


def ck(text, upper=True):
    x = 0
    for b in text.encode():
        x ^= b
    return "%s*%s" % (text, ("%02X" if upper else "%02x") % x)


# -- LineReader ----------------------------------------------------------------------------

def push_all(reader, data):
    out = []
    for b in data:
        r = reader.push(b)
        if r is not None:
            out.append(r)
    return out


def test_reader_splits_lines_and_strips_crlf():
    r = LineReader()
    assert push_all(r, b"status\nheat low\r\ninfo\n") == [b"status", b"heat low", b"info"]


def test_reader_ignores_empty_lines():
    r = LineReader()
    assert push_all(r, b"\n\r\n\n\r\nstatus\n\n") == [b"status"]


def test_reader_128_bytes_fit_129_do_not_and_the_next_line_works():
    r = LineReader()
    ok = b"a" * limits.LINE_MAX
    assert push_all(r, ok + b"\n") == [ok]
    assert push_all(r, ok + b"\r\n") == [ok]
    got = push_all(r, b"b" * (limits.LINE_MAX + 1) + b"\nstatus\n")
    assert got == [LineReader.TOO_LONG, b"status"]
    assert got[0] is LineReader.TOO_LONG
    # the slot kept for a final CR does not let a 129th ordinary byte in
    assert push_all(r, ok + b"\rx\n") == [LineReader.TOO_LONG]
    assert push_all(r, ok + b"\r\r\n") == [LineReader.TOO_LONG]
    assert push_all(r, ok + b"x\r\n") == [LineReader.TOO_LONG]


def test_reader_very_long_line_reported_once():
    r = LineReader()
    got = push_all(r, b"x" * 5000 + b"\r\nhelp\n")
    assert got == [LineReader.TOO_LONG, b"help"]


def test_reader_partial_line_waits():
    r = LineReader()
    assert push_all(r, b"sta") == []
    assert push_all(r, b"tus\n") == [b"status"]


# -- parse ---------------------------------------------------------------------------------

def test_parse_plain_and_with_id_and_checksum():
    assert parse(b"status") == (None, "status", [])
    assert parse(b"#7 heat high") == (7, "heat", ["high"])
    assert parse(ck("#12 massage wave 2").encode()) == (12, "massage", ["wave", "2"])
    assert parse(ck("info", upper=False).encode()) == (None, "info", [])
    assert parse(b"STATUS") == (None, "status", [])
    assert parse(b"  heat\tlow  ") == (None, "heat", ["low"])


@pytest.mark.parametrize("line, code", [
    (b"\xff\xfestatus", "bad_encoding"),
    (b"stat\x00us", "bad_encoding"),
    (b"status\x1b", "bad_encoding"),
    (b"\x03", "bad_encoding"),
    (b"sta\rtus", "bad_encoding"),
    ("h\u00e9at low".encode(), "bad_encoding"),
    (b"status\x7f", "bad_encoding"),
    (b"status*00", "bad_checksum"),
    (b"status*", "bad_checksum"),
    (b"status*G1", "bad_checksum"),
    (b"status*1", "bad_checksum"),
    (b"status*123", "bad_checksum"),
    (b"#0 status", "bad_id"),
    (b"#1000000 status", "bad_id"),
    (b"#abc status", "bad_id"),
    (b"# status", "bad_id"),
    (b"#-1 status", "bad_id"),
    (b"#1.5 status", "bad_id"),
    (b"#7", "unknown_command"),
    (b"*00", "unknown_command"),
])
def test_parse_errors(line, code):
    with pytest.raises(ProtocolError) as e:
        parse(line)
    assert e.value.code == code


def test_parse_error_keeps_a_good_id():
    with pytest.raises(ProtocolError) as e:
        parse(b"#42 status*00")
    assert (e.value.code, e.value.req_id) == ("bad_checksum", 42)
    with pytest.raises(ProtocolError) as e:
        parse(b"#0 status")
    assert e.value.req_id is None


def test_checksum_is_xor_of_the_bytes_before_the_star():
    assert protocol.checksum(b"") == 0
    assert protocol.checksum(b"AB") == 0x41 ^ 0x42
    line = ck("#5 heat low")
    assert line.endswith("*%02X" % protocol.checksum(b"#5 heat low"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=140))
def test_parse_never_raises_anything_but_protocol_error(data):
    line = data.replace(b"\n", b"")
    try:
        req_id, verb, args = parse(line)
    except ProtocolError as e:
        assert e.code in ("bad_encoding", "bad_checksum", "bad_id", "unknown_command")
        return
    assert req_id is None or 1 <= req_id <= 999999
    assert isinstance(verb, str) and verb


def test_output_lines_are_json():
    assert json.loads(protocol.ok(3, '"a": 1')) == {"ok": True, "id": 3, "a": 1}
    assert json.loads(protocol.ok(None)) == {"ok": True, "id": None}
    e = json.loads(protocol.error(None, "bad_argument", 'quote " and \\ back'))
    assert e["detail"] == 'quote " and \\ back'
    assert json.loads(protocol.event("boot")) == {"event": "boot"}
    for v in (0, 5, -5, 4500, -8999, 123456):
        assert json.loads(protocol.c100_text(v)) == pytest.approx(v / 100)


# -- through the Controller: error codes, ids, checksums, endings -------------------------

@pytest.fixture
def rig():
    return Rig(temp_c=30.0)


def error_of(rig, line, **kw):
    r = rig.cmd(line, **kw)
    assert r["ok"] is False and isinstance(r["detail"], str) and r["detail"]
    return r["error"]


@pytest.mark.parametrize("line", ["foo", "dance now", "statusx", "#5 reboot", "heats high"])
def test_unknown_command(rig, line):
    assert error_of(rig, line) == "unknown_command"


@pytest.mark.parametrize("line", [
    "heat", "heat warm", "heat low high", "heat 3", "massage", "massage fast",
    "massage pulse 4", "massage pulse 0", "massage pulse x", "massage pulse 12",
    "massage pulse 1 2", "telemetry", "telemetry maybe", "telemetry on 99",
    "telemetry on 60001", "telemetry on abc", "telemetry on -5", "telemetry off 100",
    "telemetry on 100 7", "telemetry on 1000000", "status now", "info x", "stop now",
    "clear all", "faults x", "service now", "help me"])
def test_bad_argument(rig, line):
    assert error_of(rig, line) == "bad_argument"


def test_bad_arguments_change_nothing(rig):
    rig.cmd("heat low")
    rig.cmd("massage pulse 2")
    for line in ("heat warm", "massage pulse 4", "telemetry on 5"):
        error_of(rig, line)
    st = rig.cmd("status")
    assert (st["heat"], st["massage"], st["intensity"]) == ("low", "pulse", 2)
    assert rig.ctl.console.telemetry_ms == 0


@pytest.mark.parametrize("line", [b"\xff\xfe", b"status\x80", "m\u00e4ssage".encode(),
                                  b"sta\rtus"])
def test_bad_encoding(rig, line):
    assert error_of(rig, line) == "bad_encoding"


@pytest.mark.parametrize("line", [b"sta\x00tus", b"status\x01", b"\x03status", b"\x1bstatus"])
def test_control_bytes_are_dropped_and_the_request_answered(rig, line):
    assert rig.cmd(line)["state"] == "idle"


@pytest.mark.parametrize("line", ["status*00", "status*zz", "status*", "status*0", "status*abc"])
def test_bad_checksum(rig, line):
    assert error_of(rig, line) == "bad_checksum"


def test_bad_checksum_changes_nothing_and_echoes_the_id(rig):
    good = ck("#77 heat high")
    bad = good[:-2] + ("00" if good[-2:] != "00" else "01")
    r = rig.cmd(bad)
    assert (r["ok"], r["id"], r["error"]) == (False, 77, "bad_checksum")
    assert rig.cmd("status")["heat"] == "off"


@pytest.mark.parametrize("upper", [True, False])
def test_checksum_accepted_in_either_case(rig, upper):
    line = ck("#8 heat medium", upper=upper)
    r = rig.cmd(line)
    assert (r["ok"], r["id"], r["heat"]) == (True, 8, "medium")


def test_checksum_with_hex_letters_either_case(rig):
    # find a request whose checksum has a letter digit, then send it both ways
    for n in range(1, 200):
        line = ck("#%d status" % n)
        if any(c in "ABCDEF" for c in line[-2:]):
            break
    assert rig.cmd(line)["ok"] is True
    assert rig.cmd(line[:-2] + line[-2:].lower())["ok"] is True


@pytest.mark.parametrize("req_id", [1, 42, 999999])
def test_ids_echoed(rig, req_id):
    r = rig.cmd("#%d status" % req_id)
    assert (r["ok"], r["id"]) == (True, req_id)
    r = rig.cmd("#%d nope" % req_id)
    assert (r["ok"], r["id"], r["error"]) == (False, req_id, "unknown_command")


@pytest.mark.parametrize("line", ["#0 status", "#1000000 status", "#x status", "#1234567 status"])
def test_bad_id(rig, line):
    r = rig.cmd(line)
    assert (r["ok"], r["id"], r["error"]) == (False, None, "bad_id")


def test_no_id_replies_null(rig):
    assert rig.cmd("status")["id"] is None


def test_crlf_endings(rig):
    r = rig.cmd("#3 heat low", ending=b"\r\n")
    assert (r["ok"], r["id"], r["heat"]) == (True, 3, "low")
    assert rig.cmd(ck("#4 status"), ending=b"\r\n")["ok"] is True


def test_empty_lines_are_ignored(rig):
    out = rig.send(b"\n\r\n\n\r\n", ending=b"")
    assert out == []
    out = rig.send(b"\n\n#2 status\r\n\n", ending=b"")
    assert [m["id"] for m in out] == [2]


def test_line_too_long_then_the_next_line_works(rig):
    long_line = "status " + "x" * (limits.LINE_MAX + 1 - 7)
    assert len(long_line) == 129
    out = rig.send(long_line + "\n#5 status")
    replies = [m for m in out if "ok" in m]
    assert replies[0]["error"] == "line_too_long" and replies[0]["id"] is None
    assert replies[1]["ok"] is True and replies[1]["id"] == 5
    assert len(replies) == 2


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_128_byte_line_is_accepted(rig, ending):
    line = "#6 status" + " " * (limits.LINE_MAX - 9)
    assert len(line) == 128
    r = rig.cmd(line, ending=ending)
    assert (r["ok"], r["id"]) == (True, 6)


def test_huge_line_one_error(rig):
    out = rig.send("heat high " * 500, max_ticks=200)
    assert [m["error"] for m in out if "ok" in m] == ["line_too_long"]
    assert rig.cmd("status")["heat"] == "off"


def test_several_lines_in_one_write(rig):
    out = rig.send("#1 heat low\n#2 massage pulse\n#3 status")
    assert [m["id"] for m in out if "ok" in m] == [1, 2, 3]


def test_verbs_are_case_insensitive(rig):
    assert rig.cmd("HEAT HIGH")["heat"] == "high"
    assert rig.cmd("Massage Knead 3")["massage"] == "knead"


# -- every verb ----------------------------------------------------------------------------

def test_status_has_every_design_field(rig):
    rig.cmd("heat medium")
    rig.cmd("massage pulse 3")
    rig.tick(20)
    r = rig.cmd("#11 status")
    assert r["ok"] is True and r["id"] == 11
    assert list(r) == ["ok", "id", *STATUS_FIELDS]  # every field, in the schema's order
    assert r["state"] == "active" and r["heat"] == "medium" and r["massage"] == "pulse"
    assert r["intensity"] == 3
    assert r["temp_c"] == pytest.approx(30.0, abs=0.1)
    assert r["temp2_c"] == pytest.approx(30.0, abs=0.1)
    assert r["setpoint_c"] == 42.0
    assert 0 <= r["heater_pct"] <= 100 and 0 <= r["motor_pct"] <= 100
    assert r["heater_pct"] == 100
    assert r["remaining_s"] == pytest.approx(899, abs=2)
    assert r["vin"] == pytest.approx(12.0, abs=0.05)
    assert r["fault"] is None
    assert r["dose_cem43"] == 0.0
    assert isinstance(r["uptime_ms"], int) and r["uptime_ms"] >= 20 * TICK


def test_status_uptime_counts(rig):
    a = rig.cmd("status")["uptime_ms"]
    rig.run_s(3)
    b = rig.cmd("status")["uptime_ms"]
    assert b - a == 3000 + TICK  # the 3 s plus the tick that took the request


def test_status_idle(rig):
    r = rig.cmd("status")
    assert (r["state"], r["heat"], r["massage"], r["remaining_s"], r["setpoint_c"]) == (
        "idle", "off", "off", 0, 0.0)


def test_info(rig):
    r = rig.cmd("#2 info")
    assert r["ok"] is True and r["id"] == 2
    assert r["fw"] == "cushion" and r["version"] == limits.FW_VERSION
    assert r["levels_c"] == {"low": 38.0, "medium": 42.0, "high": 45.0}
    assert r["auto_off_s"] == 900 and r["line_max"] == 128


@pytest.mark.parametrize("level", ["off", "low", "medium", "high"])
def test_heat_levels(rig, level):
    r = rig.cmd("heat " + level)
    assert (r["ok"], r["heat"], r["capped"]) == (True, level, False)
    assert rig.cmd("status")["heat"] == level


def test_massage_with_and_without_intensity(rig):
    r = rig.cmd("massage wave")
    assert (r["massage"], r["intensity"]) == ("wave", 2)  # the default preference
    r = rig.cmd("massage knead 1")
    assert (r["massage"], r["intensity"]) == ("knead", 1)
    r = rig.cmd("massage pulse")
    assert (r["massage"], r["intensity"]) == ("pulse", 1)  # keeps the last intensity
    r = rig.cmd("massage off")
    assert r["massage"] == "off"
    r = rig.cmd("massage continuous 3")
    assert (r["massage"], r["intensity"]) == ("continuous", 3)


def test_stop(rig):
    rig.cmd("heat high")
    rig.cmd("massage wave 3")
    rig.tick(5)
    r = rig.cmd("#4 stop")
    assert (r["ok"], r["id"]) == (True, 4)
    rig.tick()
    assert rig.hal.heater == 0 and rig.hal.motor_duty == 0
    assert rig.cmd("status")["state"] == "idle"


def test_clear_and_faults(rig):
    r = rig.cmd("faults")
    assert r["ok"] is True and r["active"] == [] and r["log"] == []
    assert rig.cmd("clear")["ok"] is True
    rig.cmd("heat high")
    rig.hal.set_temp(51.0)
    rig.tick()
    r = rig.cmd("faults")
    assert r["active"] == ["overheat"]
    assert r["log"][-1]["code"] == "overheat" and r["log"][-1]["temp_c"] >= 50.0
    assert error_of(rig, "clear") == "not_cool"
    rig.hal.set_temp(30.0)
    rig.tick()
    assert rig.cmd("clear")["ok"] is True
    r = rig.cmd("faults")
    assert r["active"] == [] and len(r["log"]) == 1


def test_fault_active_and_not_cool_codes(rig):
    rig.cmd("heat high")
    rig.hal.set_temp(50.0)
    rig.tick()
    assert error_of(rig, "heat medium") == "fault_active"
    assert error_of(rig, "clear") == "not_cool"
    rig.hal.set_temp_counts(0, 4095)
    rig.tick()
    assert error_of(rig, "clear") == "fault_active"


def test_help_lists_every_verb(rig):
    r = rig.cmd("help")
    for verb in ("status", "info", "heat", "massage", "stop", "clear", "faults",
                 "telemetry", "service", "help"):
        assert verb in r["verbs"]


# -- telemetry -----------------------------------------------------------------------------

def telemetry_times(rig):
    return rig.event_times("telemetry")


def test_telemetry_on_at_the_period_and_off(rig):
    r = rig.cmd("telemetry on 200")
    assert (r["telemetry"], r["period_ms"]) == ("on", 200)
    rig.run_s(2)
    times = telemetry_times(rig)
    assert len(times) == 11
    assert all(b - a == 200 for a, b in zip(times, times[1:]))
    ev = rig.events("telemetry")[-1]
    assert list(ev) == ["event", *STATUS_FIELDS]
    assert rig.cmd("telemetry off")["telemetry"] == "off"
    n = len(telemetry_times(rig))
    rig.run_s(3)
    assert len(telemetry_times(rig)) == n


def test_telemetry_default_period_is_1_s(rig):
    assert rig.cmd("telemetry on")["period_ms"] == 1000
    rig.run_s(5)
    times = telemetry_times(rig)
    assert len(times) == 6 and all(b - a == 1000 for a, b in zip(times, times[1:]))


@pytest.mark.parametrize("period", [limits.TELEMETRY_MIN_MS, limits.TELEMETRY_MAX_MS])
def test_telemetry_period_bounds_accepted(rig, period):
    assert (limits.TELEMETRY_MIN_MS, limits.TELEMETRY_MAX_MS) == (100, 60000)
    assert rig.cmd("telemetry on %d" % period)["period_ms"] == period


def test_telemetry_period_not_a_multiple_of_the_tick(rig):
    rig.cmd("telemetry on 130")
    rig.run_s(5)
    times = telemetry_times(rig)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g in (150, 200) for g in gaps)  # the next tick at or after the period


# -- service -------------------------------------------------------------------------------

def test_service_writes_the_flag_turns_outputs_off_and_asks_for_reset(rig):
    rig.cmd("heat high")
    rig.cmd("massage continuous 3")
    rig.tick(10)
    feeds = len(rig.hal.feeds)
    out = rig.send("#9 service")
    (r,) = [m for m in out if "ok" in m]
    assert (r["ok"], r["id"]) == (True, 9)
    assert rig.ctl.console.service_requested is True
    assert rig.hal.storage.read(store.SERVICE_FLAG) is not None
    assert rig.hal.heater == 0 and not rig.hal.enabled and rig.hal.motor_duty == 0
    assert len(rig.hal.feeds) == feeds  # the reset must not be delayed by feeding
    assert store.Store(rig.hal.storage).take_service_flag() is True


def test_service_storage_error_is_an_error_reply(rig):
    rig.hal.storage.fail_writes = True
    r = rig.cmd("service")
    assert r["ok"] is False and r["error"] == "storage_error"
    assert rig.ctl.console.service_requested is False


# -- floods and noise (SR-14) --------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=0, max_size=200), max_size=8))
def test_noise_never_crashes_and_every_reply_is_json(chunks):
    rig = Rig(temp_c=30.0)
    for c in chunks:
        rig.hal.rx.extend(c + b"\n")
    feeds = len(rig.hal.feeds)
    rig.tick(60)
    assert not rig.hal.bad_lines
    assert len(rig.hal.feeds) - feeds == 60
    assert not rig.hal.rx
    assert rig.cmd("#1 status")["id"] == 1


def test_flood_is_bounded_per_tick_and_drained():
    rig = Rig(temp_c=30.0)
    rig.hal.rx.extend(b"status\n" * 2000)
    rig.tick()
    assert len(rig.hal.rx) > 13000  # a tick takes a bounded chunk
    rig.tick(400)
    assert not rig.hal.rx
    replies = [m for _, m in rig.hal.sent if "ok" in m]
    assert len(replies) == 2000 and all(m["ok"] for m in replies)
