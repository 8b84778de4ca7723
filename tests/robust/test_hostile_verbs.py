"""SR-7, SR-14 and limits.py's promise: nothing sent over serial can raise the set-point
above the level table, disable a protection, or lengthen the auto-off.

Every verb is tried with hostile arguments; after each line the set-point must be one of the
table's (0, 38, 42, 45 C), every public constant of cushion.limits must be unchanged, and at
the end a heater fault must still be detected. `service` is left out of the bare-verb list
(it legitimately hands the port to the REPL); its hostile-argument forms are in.
"""

import json

import pytest

from cushion import limits
from hal_sim import Simulation
from tests.robust._common import SETPOINTS_C100, step_checked, tick_n

VERBS = ("status", "info", "heat", "massage", "stop", "clear", "faults", "telemetry",
         "service", "help", "HEAT", "Heat", "reboot", "set", "setpoint", "limit", "debug")
HOSTILE_ARGS = (
    "99", "-1", "1e9", "99999999999999999999999999", "45.5", "nan", "inf", "-inf", "0x7fffffff",
    "high 99", "high high", "high low", "medium*", "medium*00", "low*zz", "high*FF",
    "\\u0068igh", "h\\x69gh", "hi gh", "HIGH 1", "max", "turbo", "4", "3", "0",
    "continuous 9", "knead 0", "knead -1", "knead 3 3", "wave 1.5", "pulse 1e3",
    "on 1", "on 0", "on 99999999", "on -100", "on 100 100", "off 5", "on", "off",
    "setpoint 60", "auto_off 99999", "overheat 90", "limits", "=", "$(reboot)", "'; drop",
    "\t\thigh", "high\t", "a" * 100,
)
IDS = ("", "#1 ", "#999999 ", "#1000000 ", "#0 ", "#-1 ", "#00001 ", "#1e3 ", "# ", "##5 ",
       "#12345678901234567890 ")


def limits_snapshot():
    return {k: getattr(limits, k) for k in dir(limits) if not k.startswith("_")}


def hostile_lines():
    out = []
    for verb in VERBS:
        for arg in HOSTILE_ARGS:
            out.append("%s %s" % (verb, arg))
    for prefix in IDS:
        for verb in ("heat high 99", "telemetry on 1", "massage knead 9", "status x"):
            out.append(prefix + verb)
    # repeated and crossed arguments
    out += ["heat heat heat", "massage heat high", "heat massage knead", "telemetry heat high",
            "clear high", "stop high", "heat high\x00", "heat hig\u00e9".encode("utf-8"),
            b"heat \xff\xfe", b"\xef\xbb\xbfheat high", "heat high*" + "0" * 50]
    return out


def _send(sim, line):
    if isinstance(line, str):
        line = line.encode("utf-8")
    before = len(sim.replies)
    sim.serial_in(line + b"\n")
    for _ in range(tick_n(1)):
        step_checked(sim)
        if len(sim.replies) > before:
            break
    return sim.replies[before:]


@pytest.mark.parametrize("ambient", [22.0])
def test_no_serial_line_raises_the_setpoint_or_changes_a_limit(ambient):
    sim = Simulation(ambient_c=ambient)
    snap = limits_snapshot()
    assert sim.command("heat high")["ok"]
    lines = hostile_lines()
    replies = 0
    for line in lines:
        got = _send(sim, line)
        replies += len(got)
        assert len(got) <= 1
        assert sim.ctl is not None, "board left for the REPL on %r" % (line,)
        assert sim.ctl.heat.setpoint in SETPOINTS_C100, (line, sim.ctl.heat.setpoint)
        assert limits_snapshot() == snap, line
        assert not sim.resets, (line, sim.resets)
        period = sim.ctl.console.telemetry_ms
        if period:
            assert limits.TELEMETRY_MIN_MS <= period <= limits.TELEMETRY_MAX_MS
        # a valid heat request is the only way to change the level, and only to the table
        if not sim.ctl.session.active:
            sim.command("heat high")
    assert replies == len(lines)
    # the protections still work: a stuck MOSFET is found and cut off (while heating: with
    # the heat off the cut-off switch is open and a stuck MOSFET cannot heat at all)
    sim.command("stop")
    assert sim.command("heat low")["ok"]
    assert sim.run_until(lambda s: s.ctl.heat.state == 2, 600)
    sim.inject("heater_stuck_on")
    assert sim.run_until(lambda s: s.ctl.safety.fault is not None, 600)
    assert sim.ctl.safety.fault in ("heater_stuck_on", "overheat")
    sim.run(0.1)
    assert sim.heater_duty == 0.0 and sim.pad_c <= 52.0


def test_ids_at_the_edges_are_echoed_or_refused():
    sim = Simulation()
    assert sim.command("#1 status")["id"] == 1
    assert sim.command("#999999 status")["id"] == 999999
    for bad in ("#0 status", "#1000000 status", "#-1 status", "#1e3 status", "# status"):
        (r,) = _send(sim, bad)
        assert r["ok"] is False and r["id"] is None, (bad, r)
    r = sim.command("#7 heat high 99")
    assert r["ok"] is False and r["id"] == 7 and r["error"] == "bad_argument"


def test_protections_still_trip_after_a_hostile_flood():
    sim = Simulation()
    sim.command("heat high")
    flood = b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n"
                     for ln in hostile_lines() if "service" not in str(ln))
    sim.serial_in(flood * 3)
    sim.run(60)
    assert not sim.resets and not sim.bad_lines
    sim.inject("sensor_short")
    sim.run(0.1)
    assert sim.ctl.safety.fault == "sensor_short"
    sim.run(0.05)
    assert sim.heater_duty == 0.0


@pytest.mark.parametrize("start_ticks_ms", [0, (1 << 30) - 300_000])
def test_auto_off_stays_at_900_s_whatever_is_sent(start_ticks_ms):
    """Level and massage changes, telemetry and hostile lines every 10 s for 960 s: no
    output runs more than 900 s (+ one tick) after the last session start (tracked through
    sim.ctl.session), and each auto_off comes 900 s after its session's start (SR-7), across a
    ticks_ms wrap too."""
    sim = Simulation(start_ticks_ms=start_ticks_ms)
    script = ["heat high", "massage knead 3", "heat medium", "telemetry on 100", "heat low",
              "massage wave", "heat high 99", "heat off", "heat high", "massage continuous 2",
              "massage pulse 1", "telemetry off", "clear", "status", "heat HIGH"]
    last_start = None
    state = (None, False, None)
    i = 0
    n_auto = 0
    while sim.now_s < 960:
        if i % 200 == 0:
            sim.serial_in(("heat low" if i == 0 else script[(i // 200) % len(script)]).encode()
                          + b"\n")
        i += 1
        step_checked(sim)
        # the auto-off first: a request read on the same tick may start the next session
        autos = [e for e in sim.events if e.get("event") == "auto_off"]
        if len(autos) > n_auto:
            n_auto = len(autos)
            assert abs(autos[-1]["sim_s"] - (last_start + 900.0)) <= 0.1, (autos, last_start)
        if sim.heater_duty > 0 or sim.motor_duty > 0:
            assert last_start is not None
            assert sim.now_s - last_start <= 900.0 + 0.1, (sim.now_s, last_start)
        ses = sim.ctl.session
        now_state = (sim.ctl, ses.active, ses.start_ms)
        if ses.active and now_state != state:
            last_start = sim.now_s
        state = now_state
    assert n_auto >= 1


def test_every_reply_is_json_with_the_request_id():
    sim = Simulation()
    for n, line in enumerate(hostile_lines()[:200], start=1):
        if isinstance(line, bytes) or line.startswith("#") or line.startswith("service "):
            continue
        got = _send(sim, "#%d %s" % (n, line))
        assert len(got) == 1 and got[0]["id"] == n, (line, got)
        json.dumps(got[0])
