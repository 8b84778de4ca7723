"""The serial console (cushion.commands.Console): typing at the board, noise on the line, a
port that cannot take output (SR-14), the verb table and the wording of refusals.

Issue 13 item 15 and issue 11's "SR-14 for output as well"; the protocol details are in
tests/fw/test_protocol.py.
"""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cushion import commands, protocol
from cushion.controller import Controller
from cushion.safety import Supervisor
from cushion.schema import STATUS_FIELDS
from cushion.statusline import StatusLine
from hal_sim import Simulation

from .fakehal import POWER, TICK, Rig

RESYNC_TICKS = commands.RESYNC_MS // TICK


@pytest.fixture
def rig():
    return Rig(temp_c=30.0)


def replies(out):
    return [m for m in out if "ok" in m]


# -- typing at a terminal: backspace, control bytes ---------------------------------------

@pytest.mark.parametrize("typed, verb_reply", [
    (b"stax\x7ftus", ("state", "idle")),                 # DEL, what a backspace key sends
    (b"heat lox\x08w", ("heat", "low")),                 # BS (Ctrl-H)
    (b"\x7f\x7f\x08heat low", ("heat", "low")),          # nothing to erase: nothing happens
    (b"heat l\xc3\xa9\x7fow", ("heat", "low")),          # one DEL takes a whole UTF-8 "e"
    (b"heat medium\x7f\x7f\x7f\x7f\x7f\x7fhigh", ("heat", "high")),
])
def test_backspace_erases_the_last_character(rig, typed, verb_reply):
    r = rig.cmd(typed, ending=b"\r\n")
    key, value = verb_reply
    assert r["ok"] is True and r[key] == value


def test_a_stray_ctrl_c_does_not_spoil_the_request_behind_it(rig):
    # a terminal or mpremote connecting sends 0x03; the host then waits for id 104
    r = rig.cmd(b"\x03#104 status")
    assert (r["ok"], r["id"]) == (True, 104)
    r = rig.cmd(b"\x03\x03\x01\x02#105 heat low\x04")
    assert (r["ok"], r["id"], r["heat"]) == (True, 105, "low")


def test_only_control_bytes_on_a_line_get_no_reply(rig):
    assert replies(rig.send(b"\x03\x1b\x00\x7f")) == []
    assert rig.cmd("#2 status")["id"] == 2


# -- resync: a `#` starts a request, a silence drops a partial line that cannot be one ----

def test_a_hash_starts_a_new_request_after_noise(rig):
    out = rig.send(b"\xf3\x9cq}#7 status")
    assert [(m["ok"], m["id"]) for m in replies(out)] == [(True, 7)]


def test_a_hash_ends_an_overlong_line_without_an_error(rig):
    out = rig.send(b"x" * 300 + b"#8 status")
    assert [(m["ok"], m["id"]) for m in replies(out)] == [(True, 8)]


def _partial_then(rig, partial, quiet_ticks, line=b"status"):
    rig.hal.rx.extend(partial)
    while rig.hal.rx:  # a tick takes at most 64 bytes
        rig.tick()
    rig.tick(quiet_ticks)
    return replies(rig.send(line))


@pytest.mark.parametrize("partial", [b"\xff\xfe}", b"zz\x80", b"y" * 200, b"q}", b"#12x",
                                     b"#1234567", b"heat 45.", b"status*4G", b"status*123",
                                     b"sta\rt"])
def test_a_silence_drops_a_partial_line_that_cannot_be_a_request(rig, partial):
    (r,) = _partial_then(rig, partial, RESYNC_TICKS + 1)
    assert (r["ok"], r["state"]) == (True, "idle")


def test_a_short_pause_does_not_drop_a_line(rig):
    # the bytes of one line split across writes a few ticks apart stay one line
    (r,) = _partial_then(rig, b"\xff", RESYNC_TICKS - 1)
    assert r["error"] == "bad_encoding"


VALID = ["status", "heat high", "massage knead 3", "telemetry on 1000", "clear", "HEAT\tLOW",
         "  massage   wave 2  "]


def _framings(line):
    body = "#4711 " + line
    yield line
    yield body
    yield body + "*%02X" % protocol.checksum(body.encode())
    yield line + "*%02x " % protocol.checksum(line.encode())


@pytest.mark.parametrize("line", [f for v in VALID for f in _framings(v)])
def test_a_silence_keeps_every_start_of_a_valid_request(line):
    data = line.encode() + b"\r"
    for cut in range(1, len(data) + 1):
        reader = protocol.LineReader()
        for b in data[:cut]:
            reader.push(b)
        reader.drop_unfinishable()  # a pause here, as a person typing makes
        got = [reader.push(b) for b in data[cut:] + b"\n"]
        assert got[-1] == line.encode(), (line, cut)


def test_a_person_typing_slowly_keeps_the_line(rig):
    # a clean partial line is kept whatever the pause: a person may be thinking
    for key in b"heat lo":
        rig.hal.rx.append(key)
        rig.tick(30)  # 1.5 s between keys
    r = rig.cmd("w")
    assert (r["ok"], r["heat"]) == (True, "low")


@pytest.mark.parametrize("seed", range(8))
def test_the_first_command_after_serial_noise_works(seed):
    sim = Simulation(seed=seed)
    sim.inject("serial_noise")
    sim.run(60)
    sim.repair("serial_noise")
    sim.run(1)
    # the host tool's request (an id and a checksum), as `cushion status` sends it
    body = b"#%d status" % (100 + seed)
    r = sim.command(body + b"*%02X" % protocol.checksum(body))
    assert (r["ok"], r["id"]) == (True, 100 + seed)
    assert sim.command("status")["ok"] is True


def test_a_plain_command_after_noise_that_left_garbage_works():
    sim = Simulation()
    sim.serial_in(bytes(random.Random(3).randrange(128, 256) for _ in range(40)))
    sim.run(1)
    assert sim.command("status")["ok"] is True


# -- output that cannot go out (SR-14): counted, and control goes on ----------------------

def test_dropped_lines_are_counted_and_control_goes_on(rig):
    rig.cmd("telemetry on 100")
    rig.cmd("heat high")
    hal = rig.hal
    real_write = hal.serial_write
    lost = []  # the host stopped reading: every line is dropped
    hal.serial_write = lambda data: lost.append(json.loads(bytes(data))) or False
    feeds = len(hal.feeds)
    rig.run_s(2)
    assert len(hal.feeds) - feeds == 40  # every tick fed the watchdog
    assert hal.heater > 0  # still heating
    hal.set_temp(51.0)  # and still safe: overheat cuts the heater on its second reading
    rig.tick(2)
    assert hal.heater == 0 and not hal.enabled
    hal.serial_write = real_write
    rig.cmd("telemetry off")
    st = rig.cmd("status")
    assert st["fault"] == "overheat"
    assert st["tx_dropped"] == len(lost)
    assert [m["event"] for m in lost].count("telemetry") >= 20
    assert [m.get("code") for m in lost if m["event"] == "fault"] == ["overheat"]


def test_the_drop_count_stays_a_small_int(rig):
    rig.ctl.console.tx_dropped = commands._COUNT_MAX  # noqa: SLF001
    rig.hal.serial_write = lambda data: False
    rig.ctl.send(b"{}\n")
    assert rig.ctl.console.tx_dropped == commands._COUNT_MAX  # noqa: SLF001


# -- the verb table, the wording of refusals ----------------------------------------------

def test_help_lists_the_table_in_order(rig):
    assert rig.cmd("help")["verbs"].split() == [v[0] for v in commands._VERBS]  # noqa: SLF001


def test_every_clear_refusal_of_the_supervisor_has_wire_words():
    problems = {v for k, v in vars(Supervisor).items() if k.isupper() and isinstance(v, int)}
    assert problems and set(commands._CLEAR_REFUSED) == problems  # noqa: SLF001
    for code, detail in commands._CLEAR_REFUSED.values():  # noqa: SLF001
        assert code in (protocol.FAULT_ACTIVE, protocol.NOT_COOL) and detail


def test_domain_methods_answer_with_their_own_constants(rig):
    ctl = rig.ctl
    rig.cmd("heat high")
    rig.hal.set_temp(50.5)
    rig.tick(2)  # SR-2 confirms on the second reading
    assert ctl.set_heat(rig.now, 1) == Controller.FAULT_LATCHED
    assert ctl.try_clear() == Supervisor.PAD_TOO_WARM
    rig.hal.set_temp_counts(0, 4095)
    rig.tick()
    assert ctl.try_clear() == Supervisor.SENSOR_OUT_OF_RANGE


def test_serial_clear_and_long_press_both_send_cleared():
    def latched_then_cool():
        rig = Rig(temp_c=30.0)
        rig.cmd("heat high")
        rig.hal.set_temp(50.5)
        rig.tick(2)  # SR-2 confirms on the second reading
        rig.hal.set_temp(35.0)
        rig.tick()
        return rig

    by_serial = latched_then_cool()
    assert by_serial.cmd("clear")["ok"] is True
    by_press = latched_then_cool()
    by_press.hal.press(POWER)
    by_press.tick(2500 // TICK)
    by_press.hal.release()
    by_press.tick(2)
    assert len(by_serial.events("cleared")) == len(by_press.events("cleared")) == 1
    assert by_serial.cmd("clear")["ok"] is True  # nothing latched: ok, and no second event
    assert len(by_serial.events("cleared")) == 1


# -- the status line, written in place ------------------------------------------------------

def test_status_reply_and_telemetry_have_the_schema_fields_in_order(rig):
    rig.cmd("telemetry on 100")
    rig.tick(2)
    assert list(rig.events("telemetry")[-1]) == ["event", *STATUS_FIELDS]
    assert list(rig.cmd("#9 status")) == ["ok", "id", *STATUS_FIELDS]


def _expected_number(v):
    return json.loads("%s%d.%02d" % ("-" if v < 0 else "", abs(v) // 100, abs(v) % 100))


@settings(max_examples=200, deadline=None)
@given(ta=st.integers(-99999, 99999), tb=st.integers(-99999, 99999),
       vin=st.integers(0, 99999), uptime=st.integers(0, 10**12),
       dropped=st.integers(0, commands._COUNT_MAX))  # noqa: SLF001
def test_status_numbers_are_written_exactly(ta, tb, vin, uptime, dropped):
    rig = Rig(temp_c=30.0)
    ctl = rig.ctl
    r = ctl.readings
    r.ta, r.tb, r.vin_mv = ta, tb, vin
    ctl.uptime_ms = lambda: uptime
    line = bytes(StatusLine().reply(ctl, rig.now, 999999, dropped))
    assert line.endswith(b"}\n") and line.count(b"\n") == 1
    r = json.loads(line)
    assert r["temp_c"] == _expected_number(ta) and r["temp2_c"] == _expected_number(tb)
    assert r["vin"] == _expected_number(vin // 10)
    assert (r["uptime_ms"], r["tx_dropped"], r["id"]) == (uptime, dropped, 999999)


def test_the_longest_status_line_fits_its_buffer(rig):
    ctl = rig.ctl
    rig.cmd("heat medium")
    rig.cmd("massage continuous 3")
    rig.hal.set_temp(-40.0)
    rig.tick()
    assert ctl.safety.active_fault() is not None
    ctl.readings.ta = ctl.readings.tb = -99999
    ctl.readings.vin_mv = 99999
    ctl.uptime_ms = lambda: 10**11 - 1  # three years
    line = StatusLine().reply(ctl, rig.now, 999999, commands._COUNT_MAX)  # noqa: SLF001
    assert len(line) <= 512 - 64  # 393 today: room for longer fault names and ids
    json.loads(bytes(line))
