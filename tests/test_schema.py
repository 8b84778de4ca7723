"""Every event kind and every reply kind, driven through the firmware on the simulator, has
exactly the keys that cushion.schema (STATUS_FIELDS, EVENT_FIELDS) says: a drift between the
firmware and the one schema the host tools read (like watch's old CSV_FIELDS) fails here."""

import pytest

from cushion import app, limits, store
from cushion.schema import EVENT_FIELDS, STATUS_FIELDS
from hal_sim import Simulation
from hal_sim.double import MemStorage
from tests.fw.fakehal import FakeHAL

ERROR_KEYS = {"ok", "id", "error", "detail"}
# Each verb's success reply besides ok and id: the protocol's contract (docs/protocol.md).
REPLY_KEYS = {
    "info": {"auto_off_s", "board", "fw", "levels_c", "line_max", "protocol", "version"},
    "heat high": {"capped", "heat"},
    "massage wave 2": {"intensity", "massage"},
    "stop": set(),
    "clear": set(),
    "faults": {"active", "log"},
    "telemetry on 500": {"period_ms", "telemetry"},
    "telemetry off": {"telemetry"},
    "help": {"verbs"},
    "service": {"service"},
}


def keys(msg):
    return set(msg) - {"sim_s"}


def event_keys_ok(ev):
    return keys(ev) == {"event"} | set(EVENT_FIELDS[ev["event"]])


def events(sim, name):
    return [e for e in sim.events if e["event"] == name]


def test_every_event_name_the_firmware_sent_is_in_the_schema():
    sim = Simulation()
    sim.command("telemetry on 100")
    sim.command("heat high")
    sim.run(5)
    sim.inject("sensor_open")
    sim.run(2)
    assert {e["event"] for e in sim.events} <= set(EVENT_FIELDS)
    assert {"boot", "telemetry", "fault"} <= {e["event"] for e in sim.events}


def test_status_reply_and_telemetry_carry_exactly_the_status_fields():
    sim = Simulation()
    assert keys(sim.command("status")) == {"ok", "id"} | set(STATUS_FIELDS)
    sim.command("telemetry on 100")
    sim.run(1)
    tele = events(sim, "telemetry")
    assert tele and all(keys(e) == {"event"} | set(STATUS_FIELDS) for e in tele)
    assert all(event_keys_ok(e) for e in tele)


def latch_sensor_open(sim):
    """Heat high, then sensor A opens: `sensor_open` latches within the second."""
    sim.command("heat high")
    sim.run(2)
    sim.inject("sensor_open")
    sim.run(1)


def test_boot_fault_and_cleared_events():
    sim = Simulation()
    latch_sensor_open(sim)
    sim.repair("sensor_open")
    sim.run(1)
    sim.press("power", hold_s=2.5)  # the long press clears a latched fault
    for name in ("boot", "fault", "cleared"):
        got = events(sim, name)
        assert got, name
        assert all(event_keys_ok(e) for e in got), got


def test_auto_off_warning_and_auto_off_events():
    sim = Simulation()
    sim.command("massage continuous")
    sim.run(limits.AUTO_OFF_MS / 1000 + 1)
    for name in ("auto_off_warning", "auto_off"):
        got = events(sim, name)
        assert len(got) == 1 and event_keys_ok(got[0]), got


def test_dose_limit_event_with_the_dose_preloaded_in_storage():
    settings = dict(store.DEFAULT_SETTINGS, dose_eq_ms=limits.DOSE_LIMIT_EQ_MS - 60000)
    storage = MemStorage({store.SETTINGS: store.encode(settings)})
    sim = Simulation(storage=storage)
    sim.command("heat high")
    sim.run(600)
    got = events(sim, "dose_limit")
    assert got and all(event_keys_ok(e) for e in got)


def test_store_corrupt_event_at_boot():
    sim = Simulation(storage=MemStorage({store.SETTINGS: b"garbage\n"}))
    got = events(sim, "store_corrupt")
    assert got and all(event_keys_ok(e) for e in got)


def test_crash_event():
    # the loop itself crashes: app.run turns the outputs off and reports it
    hal = FakeHAL()
    ctl = app.start(hal)

    def tick(now):
        raise ValueError("boom")
    ctl.tick = tick
    with pytest.raises(ValueError):
        app.run(hal, ctl)
    got = [m for _, m in hal.sent if m.get("event") == "crash"]
    assert got and all(event_keys_ok(e) for e in got)


@pytest.mark.parametrize("line", list(REPLY_KEYS))
def test_each_verbs_reply(line):
    sim = Simulation()
    reply = sim.command(line)
    assert reply["ok"] is True, reply
    assert keys(reply) == {"ok", "id"} | REPLY_KEYS[line]


@pytest.mark.parametrize("line, error", [
    (b"frobnicate", "unknown_command"),
    (b"heat warm", "bad_argument"),
    (b"status " + b"x" * 200, "line_too_long"),
    (b"\xff\xfe status", "bad_encoding"),
    (b"status*00", "bad_checksum"),
])
def test_each_error_reply(line, error):
    sim = Simulation()
    reply = sim.command(line)
    assert reply["ok"] is False and reply["error"] == error, reply
    assert keys(reply) == ERROR_KEYS


def test_fault_active_and_not_cool_error_replies():
    sim = Simulation()
    latch_sensor_open(sim)
    reply = sim.command("heat high")
    assert reply["error"] == "fault_active" and keys(reply) == ERROR_KEYS
    hot = Simulation(ambient_c=45.0)  # a pad above 40 C may not be cleared (SR-12)
    latch_sensor_open(hot)
    hot.repair("sensor_open")
    hot.run(1)
    reply = hot.command("clear")
    assert reply["error"] == "not_cool" and keys(reply) == ERROR_KEYS
