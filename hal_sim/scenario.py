"""Scenario files: a TOML script of steps for the simulated cushion, and what must come of it.

    python -m hal_sim run scenarios/sensor_detached_while_holding.toml --plot out.png
    cushion run FILE            (the same `main`, wired in host/cli.py)

    from hal_sim.scenario import run_scenario
    result = run_scenario("scenarios/x.toml")      # or a dict with the same shape
    assert result.passed, result.report()

The format, every check the validator makes and how each expectation is judged are in
docs/simulator.md, section "Scenarios". CPython only (tomllib): this module is a test and
CI tool and never runs in MicroPython.

Exit codes of `main`: 0 every expectation passed, 1 at least one failed, 2 the file (or the
command line) is bad; the reason goes to stderr.
"""

import argparse
import math
import sys
import time
import tomllib
from dataclasses import dataclass, field

from hal_sim.faults import ARG_NAMES, validate_args
from hal_sim.simulation import FAULTS, Simulation

from cushion.names import FAULT_CODES

BUTTON_NAMES = ("power", "heat", "massage")
STATES = ("idle", "active", "fault", "service")
HEAT_STATES = ("off", "warming", "holding", "fault")  # cushion.heat.STATE_NAMES
HEAT_LEVELS = ("off", "low", "medium", "high")  # cushion.limits.LEVEL_NAMES
MASSAGE_MODES = ("off", "continuous", "pulse", "wave", "knead")  # cushion.vibration.MODE_NAMES

# The events the firmware sends (DESIGN section 7 plus the firmware's own) and their fields:
# an unknown event name or field in an expectation is a typo that would make a `no_event`
# pass silently, so the validator rejects it. Keep in step with firmware/cushion.
STATUS_FIELDS = (
    "state", "heat", "heat_state", "massage", "intensity", "temp_c", "temp2_c", "setpoint_c",
    "heater_pct", "motor_pct", "remaining_s", "vin", "supply_paused", "fault", "dose_cem43",
    "dose_capped", "uptime_ms",
)
EVENT_FIELDS = {
    "boot": ("reset_cause", "fw", "version"),
    "fault": ("code", "temp_c", "temp2_c"),
    "cleared": (),
    "auto_off": ("session_s",),
    "auto_off_warning": ("remaining_s",),
    "dose_limit": ("dose_cem43", "capped_to"),
    "store_corrupt": ("file",),
    "crash": ("error",),
    "telemetry": STATUS_FIELDS,
}

TOP_KEYS = ("name", "description", "ambient_c", "duration_s", "supply_v", "seed",
            "start_ticks_ms", "steps", "expect")
STEP_KINDS = ("send", "press", "inject", "repair", "power_cycle")
STEP_KEYS = ("at_s",) + STEP_KINDS + ("hold_s",) + ARG_NAMES
EXPECT_KINDS = ("event", "no_event", "max_pad_c", "min_pad_c", "heater_off_after_s", "state")
# keys each kind takes besides its own (event/no_event also take match fields)
EXPECT_EXTRA = {
    "event": ("within_s",),
    "no_event": ("within_s",),
    "max_pad_c": ("after_s", "until_s"),
    "min_pad_c": ("after_s", "until_s"),
    "heater_off_after_s": ("until_s",),
    "state": ("at_s", "heat_state", "heat", "massage"),
}
RESERVED = set(EXPECT_KINDS) | {"within_s", "after_s", "until_s", "at_s", "sim_s", "event"}

AMBIENT_RANGE = (-20.0, 50.0)
SUPPLY_RANGE = (5.0, 20.0)
MAX_DURATION_S = 6 * 3600  # a trace row per tick is kept: 6 h is 432 000 rows
MAX_HOLD_S = 60.0
PRESS_SETTLE_S = 0.1  # Simulation.press lets the debounce settle this long after release
TICKS_PERIOD = 1 << 30


class ScenarioError(Exception):
    """A scenario file that cannot be run; the message names the place and the field."""


# -- loading and validation ---------------------------------------------------------------

def load_scenario(path):
    """Read and validate a TOML file; returns the normalised scenario dict."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ScenarioError("no such file")
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file")
    except OSError as e:
        raise ScenarioError("cannot read: %s" % (e.strerror or e))
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError("TOML syntax error: %s" % e)
    except UnicodeDecodeError:
        raise ScenarioError("TOML syntax error: the file is not UTF-8")
    return validate_scenario(data)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(where, key, v, lo=None, hi=None, lo_open=False):
    """Check one numeric field; returns it as given."""
    rng = ""
    if lo is not None and hi is not None:
        rng = " in %g..%g" % (lo, hi)
    elif lo is not None:
        rng = " %s %g" % (">" if lo_open else ">=", lo)
    ok = _is_number(v)
    if ok and lo is not None:
        ok = v > lo if lo_open else v >= lo
    if ok and hi is not None:
        ok = v <= hi
    if not ok:
        raise ScenarioError("%s`%s` must be a number%s, not %s" % (where, key, rng, _show(v)))
    return v


def _integer(where, key, v, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ScenarioError("%s`%s` must be an integer in %d..%d, not %s"
                            % (where, key, lo, hi, _show(v)))
    return v


def _string(where, key, v, choices=None, what=None):
    if not isinstance(v, str) or not v:
        raise ScenarioError("%s`%s` must be a non-empty string, not %s" % (where, key, _show(v)))
    if choices is not None and v not in choices:
        raise ScenarioError("%s%s `%s` = %s; expected one of %s"
                            % (where, "unknown " + what if what else "bad", key, _show(v),
                               ", ".join(choices)))
    return v


def _show(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"%s"' % v
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "an array" if v else "an empty array"
    return repr(v)


def _unknown(where, key, expected):
    return ScenarioError("%sunknown key `%s`; expected one of %s"
                         % (where, key, ", ".join(expected)))


def _window(where, key, v, duration):
    """A [start, end] pair of seconds."""
    if (not isinstance(v, list) or len(v) != 2 or not all(_is_number(x) for x in v)
            or v[0] < 0 or v[0] > v[1]):
        raise ScenarioError("%s`%s` must be [start, end] in seconds with 0 <= start <= end, "
                            "not %s" % (where, key, _show(v) if not isinstance(v, list) else v))
    if v[0] > duration:
        raise ScenarioError("%s`%s` starts at %g s, after the run ends (duration_s = %g)"
                            % (where, key, v[0], duration))
    return (float(v[0]), float(v[1]))


def validate_scenario(data):
    """Check a parsed scenario (a dict as tomllib gives it) and return a normalised copy:
    defaults filled in, steps carry their index, times in float seconds."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a table (TOML document), not %s" % _show(data))
    for key in data:
        if key not in TOP_KEYS:
            raise _unknown("", key, TOP_KEYS)
    for key in ("name", "ambient_c", "duration_s"):
        if key not in data:
            raise ScenarioError("missing `%s` (a scenario needs name, ambient_c, duration_s "
                                "and expect)" % key)
    sc = {
        "name": _string("", "name", data["name"]),
        "description": (_string("", "description", data["description"])
                        if "description" in data else ""),
        "ambient_c": float(_number("", "ambient_c", data["ambient_c"], *AMBIENT_RANGE)),
        "duration_s": float(_number("", "duration_s", data["duration_s"], 0, lo_open=True)),
        "supply_v": float(_number("", "supply_v", data.get("supply_v", 12.0), *SUPPLY_RANGE)),
        "seed": _integer("", "seed", data.get("seed", 1), 0, 2**32 - 1),
        "start_ticks_ms": _integer("", "start_ticks_ms", data.get("start_ticks_ms", 0),
                                   0, TICKS_PERIOD - 1),
    }
    if sc["duration_s"] > MAX_DURATION_S:
        raise ScenarioError("`duration_s` must be a number > 0 and at most %d (6 h), not %s"
                            % (MAX_DURATION_S, _show(data["duration_s"])))
    steps = data.get("steps", [])
    if not isinstance(steps, list):
        raise ScenarioError("`steps` must be an array of tables, not %s" % _show(steps))
    sc["steps"] = [_step(i, s, sc["duration_s"]) for i, s in enumerate(steps)]
    _check_overlaps(sc["steps"])
    if "expect" not in data:
        raise ScenarioError("missing `expect` (a scenario needs at least one expectation)")
    expect = data["expect"]
    if not isinstance(expect, list) or not expect:
        raise ScenarioError("`expect` must be a non-empty array of tables, not %s"
                            % _show(expect))
    sc["expect"] = [_expectation(i, e, sc["duration_s"]) for i, e in enumerate(expect)]
    return sc


def _one_kind(where, table, kinds, noun):
    present = [k for k in kinds if k in table]
    if not present:
        raise ScenarioError("%sneeds one of %s" % (where, ", ".join("`%s`" % k for k in kinds)))
    if len(present) > 1:
        raise ScenarioError("%shas both `%s` and `%s`; %s is exactly one of %s"
                            % (where, present[0], present[1], noun, ", ".join(kinds)))
    return present[0]


def _step(i, s, duration):
    where = "steps[%d]: " % i
    if not isinstance(s, dict):
        raise ScenarioError("%sa step is a table like { at_s = 0, send = \"heat high\" }, "
                            "not %s" % (where, _show(s)))
    for key in s:
        if key not in STEP_KEYS:
            raise _unknown(where, key, STEP_KEYS)
    if "at_s" not in s:
        raise ScenarioError("%smissing `at_s`" % where)
    at = float(_number(where, "at_s", s["at_s"], 0))
    if at > duration:
        raise ScenarioError("%s`at_s` = %g is after the run ends (duration_s = %g)"
                            % (where, at, duration))
    kind = _one_kind(where, s, STEP_KINDS, "a step")
    v = s[kind]
    step = {"index": i, "at_s": at, "kind": kind, "value": v}
    if "hold_s" in s and kind != "press":
        raise ScenarioError("%s`hold_s` goes only with `press`" % where)
    if kind == "send":
        if not isinstance(v, str) or not v:
            raise ScenarioError("%s`send` must be a non-empty string (one request line), not %s"
                                % (where, _show(v)))
        if "\n" in v.rstrip("\r\n"):
            raise ScenarioError("%s`send` is one line; use one step per request" % where)
    elif kind == "press":
        _string(where, "press", v, BUTTON_NAMES, "button")
        step["hold_s"] = float(_number(where, "hold_s", s.get("hold_s", 0.1), 0, MAX_HOLD_S))
        if at + step["hold_s"] + PRESS_SETTLE_S > duration + 1e-9:
            raise ScenarioError("%sthe press (at %g s, held %g s, +%g s to settle) ends after "
                                "the run (duration_s = %g)"
                                % (where, at, step["hold_s"], PRESS_SETTLE_S, duration))
    elif kind in ("inject", "repair"):
        _string(where, kind, v, FAULTS, "fault")
        args = {k: s[k] for k in ARG_NAMES if k in s}
        if kind == "repair" and set(args) - {"sensor"}:
            raise ScenarioError("%s`repair` takes only `sensor`" % where)
        err = validate_args(v, args)
        if err:
            raise ScenarioError(where + err)
        step["args"] = args
    elif kind == "power_cycle":
        if v is not True:
            raise ScenarioError("%s`power_cycle` must be true, not %s" % (where, _show(v)))
    if kind not in ("inject", "repair"):
        for k in ARG_NAMES:
            if k in s:
                raise ScenarioError("%s`%s` goes only with `inject` or `repair`" % (where, k))
    return step


def _check_overlaps(steps):
    """A press takes simulated time (hold + settle); a step inside it would run late."""
    busy_until = -1.0
    busy_by = None
    for st in sorted(steps, key=lambda st: st["at_s"]):
        if st["at_s"] < busy_until - 1e-9:
            raise ScenarioError(
                "steps[%d]: at %g s, but steps[%d] (press %s, held %g s) is still going until "
                "%g s; a press takes hold_s + %g s of simulated time"
                % (st["index"], st["at_s"], busy_by["index"], busy_by["value"],
                   busy_by["hold_s"], busy_until, PRESS_SETTLE_S))
        if st["kind"] == "press":
            end = st["at_s"] + st["hold_s"] + PRESS_SETTLE_S
            if end > busy_until:
                busy_until, busy_by = end, st


def _match_value(where, key, v):
    if isinstance(v, (str, bool)) or _is_number(v):
        return v
    if isinstance(v, list) and len(v) == 2 and all(_is_number(x) for x in v) and v[0] <= v[1]:
        return (float(v[0]), float(v[1]))
    raise ScenarioError("%sfield `%s` must be a string, number, boolean or a [low, high] "
                        "number range, not %s" % (where, key, _show(v)))


def _expectation(i, e, duration):
    where = "expect[%d]: " % i
    if not isinstance(e, dict):
        raise ScenarioError("%san expectation is a table like { max_pad_c = 52.0 }, not %s"
                            % (where, _show(e)))
    if not any(k in e for k in EXPECT_KINDS):
        known = set(EXPECT_KINDS).union(*EXPECT_EXTRA.values())
        for key in e:
            if key not in known:  # most likely a misspelt kind: `max_pad`, `events`
                raise _unknown(where, key, EXPECT_KINDS)
    if ("event" in e) != ("no_event" in e):
        # an event's own fields may share a name with a kind (telemetry has `state`)
        kind = "event" if "event" in e else "no_event"
        name = e[kind]
        fields = EVENT_FIELDS.get(name, ()) if isinstance(name, str) else ()
        others = [k for k in EXPECT_KINDS if k in e and k != kind and k not in fields]
        if others:
            raise ScenarioError("%shas both `%s` and `%s`; an expectation is exactly one of %s"
                                % (where, kind, others[0], ", ".join(EXPECT_KINDS)))
    else:
        kind = _one_kind(where, e, EXPECT_KINDS, "an expectation")
    extra = EXPECT_EXTRA[kind]
    ex = {"index": i, "kind": kind}
    if kind in ("event", "no_event"):
        name = _string(where, kind, e[kind], tuple(EVENT_FIELDS), "event")
        ex["event"] = name
        fields = {}
        for key in e:
            if key == kind or key in extra:
                continue
            if key in RESERVED and key not in EVENT_FIELDS[name]:
                raise ScenarioError("%s`%s` does not go with `%s`; it takes %s and the event's "
                                    "fields" % (where, key, kind, ", ".join(extra)))
            if key not in EVENT_FIELDS[name]:
                raise ScenarioError(
                    "%sunknown key `%s` for a `%s` event; expected within_s or one of its "
                    "fields: %s" % (where, key, name, ", ".join(EVENT_FIELDS[name]) or "(none)"))
            fields[key] = _match_value(where, key, e[key])
        if name == "fault" and isinstance(fields.get("code"), str) and FAULT_CODES \
                and fields["code"] not in FAULT_CODES:
            raise ScenarioError("%sunknown fault code `%s`; the firmware's codes are %s"
                                % (where, fields["code"], ", ".join(FAULT_CODES)))
        ex["fields"] = fields
        ex["within"] = _window(where, "within_s", e["within_s"], duration) \
            if "within_s" in e else None
        return ex
    for key in e:
        if key != kind and key not in extra:
            raise _unknown(where, key, (kind,) + extra)
    if kind in ("max_pad_c", "min_pad_c"):
        ex["limit"] = float(_number(where, kind, e[kind], -40, 150))
        ex["after_s"] = float(_number(where, "after_s", e.get("after_s", 0), 0))
        ex["until_s"] = float(_number(where, "until_s", e.get("until_s", duration), 0))
        if ex["after_s"] > duration:
            raise ScenarioError("%s`after_s` = %g is after the run ends (duration_s = %g)"
                                % (where, ex["after_s"], duration))
        if ex["until_s"] < ex["after_s"]:
            raise ScenarioError("%s`until_s` = %g is before `after_s` = %g"
                                % (where, ex["until_s"], ex["after_s"]))
    elif kind == "heater_off_after_s":
        ex["after_s"] = float(_number(where, kind, e[kind], 0))
        if ex["after_s"] > duration:
            raise ScenarioError("%s`heater_off_after_s` = %g is after the run ends "
                                "(duration_s = %g)" % (where, ex["after_s"], duration))
        ex["until_s"] = float(_number(where, "until_s", e.get("until_s", duration), 0))
        if ex["until_s"] < ex["after_s"]:
            raise ScenarioError("%s`until_s` = %g is before `heater_off_after_s` = %g"
                                % (where, ex["until_s"], ex["after_s"]))
    elif kind == "state":
        ex["state"] = _string(where, "state", e["state"], STATES, "state")
        if "at_s" not in e:
            raise ScenarioError("%s`state` needs `at_s` (when to look)" % where)
        ex["at_s"] = float(_number(where, "at_s", e["at_s"], 0, duration))
        for key, choices in (("heat_state", HEAT_STATES), ("heat", HEAT_LEVELS),
                             ("massage", MASSAGE_MODES)):
            if key in e:
                ex[key] = _string(where, key, e[key], choices, key)
    return ex


# -- running ------------------------------------------------------------------------------

@dataclass
class Outcome:
    """One expectation's verdict: `line` is what `main` prints."""
    index: int
    kind: str
    passed: bool
    text: str  # the expectation in words: "event fault code=overheat within [0, 60] s"
    measured: str  # what was seen: "first at 331.20 s"

    @property
    def line(self):
        return "%s expect[%d] %s: %s" % ("PASS" if self.passed else "FAIL", self.index,
                                         self.text, self.measured)


@dataclass
class StepLog:
    index: int
    at_s: float  # when the scenario asked for it
    applied_s: float  # the tick boundary it was applied on
    text: str
    reply: dict = None  # for `send`: the first reply that came back after it, if any


@dataclass
class ScenarioResult:
    scenario: dict
    sim: Simulation
    outcomes: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def name(self):
        return self.scenario["name"]

    @property
    def passed(self):
        return all(o.passed for o in self.outcomes)

    @property
    def failed(self):
        return [o for o in self.outcomes if not o.passed]

    @property
    def exit_code(self):
        return 0 if self.passed else 1

    def report(self):
        return "\n".join(o.line for o in self.outcomes)


def run_scenario(scenario):
    """Run a scenario (a path, or a dict shaped like the TOML) and judge it.

    Raises ScenarioError for a bad scenario; returns a ScenarioResult (with the Simulation,
    its trace and events, in `.sim`)."""
    if isinstance(scenario, dict):
        sc = validate_scenario(scenario)
    else:
        sc = load_scenario(scenario)
    t0 = time.perf_counter()
    sim = Simulation(ambient_c=sc["ambient_c"], start_ticks_ms=sc["start_ticks_ms"],
                     record=True, seed=sc["seed"], supply_v=sc["supply_v"])
    result = ScenarioResult(sc, sim)
    initial = _snapshot(sim)
    pending = []  # (StepLog, replies before) for send steps
    for st in sorted(sc["steps"], key=lambda st: st["at_s"]):  # sorted() is stable
        _advance_to(sim, st["at_s"])
        log = StepLog(st["index"], st["at_s"], sim.now_s, _step_text(st))
        kind, v = st["kind"], st["value"]
        if kind == "send":
            # Straight onto the serial line (no waiting for the reply): the step happens at
            # its time and takes none, whatever the firmware makes of the bytes.
            pending.append((log, len(sim.replies) + sum(1 for p in pending
                                                        if p[0].applied_s == sim.now_s)))
            sim.serial_in(v.encode("utf-8").rstrip(b"\r\n") + b"\n")
        elif kind == "press":
            sim.press(v, hold_s=st["hold_s"])
        elif kind == "inject":
            sim.inject(v, **st["args"])
        elif kind == "repair":
            sim.repair(v, **st["args"])
        elif kind == "power_cycle":
            sim.power_cycle()
        result.steps.append(log)
    _advance_to(sim, sc["duration_s"])
    for log, before in pending:
        if before < len(sim.replies):
            log.reply = sim.replies[before]
    result.steps.sort(key=lambda lg: lg.index)
    for ex in sc["expect"]:
        result.outcomes.append(_judge(ex, sim, initial))
    result.wall_s = time.perf_counter() - t0
    return result


def _advance_to(sim, t_s):
    """Step to the first tick boundary at or after t_s."""
    target_ms = int(round(t_s * 1000))
    while sim.now_ms < target_ms:
        sim.step()


def _step_text(st):
    kind, v = st["kind"], st["value"]
    if kind == "send":
        return "send %r" % v
    if kind == "press":
        return "press %s (%g s)" % (v, st["hold_s"])
    if kind == "power_cycle":
        return "power_cycle"
    args = "".join(" %s=%s" % (k, st["args"][k]) for k in sorted(st.get("args", ())))
    return "%s %s%s" % (kind, v, args)


def _snapshot(sim):
    """The state expectations look at, from a trace row or (before any tick) the sim."""
    ctl = sim.ctl
    if ctl is None:
        return {"t_ms": sim.now_ms, "fault": "service", "session": 0, "heat_state": 0,
                "heat": 0, "massage": 0}
    return {"t_ms": sim.now_ms, "fault": ctl.safety.fault or ctl.safety.motor_fault or "",
            "session": 1 if ctl.session.active else 0, "heat_state": ctl.heat.state,
            "heat": ctl.heat.level, "massage": ctl.vib.mode}


def row_state(row):
    """The status `state` (idle/active/fault) a trace row stands for, as the firmware's
    status reply would give it; "service" while the board sits in its REPL."""
    if row["fault"] == "service":
        return "service"
    if row["fault"]:
        return "fault"
    return "active" if row["session"] else "idle"


def _fmt_fields(fields):
    parts = []
    for k, v in fields.items():
        if isinstance(v, tuple):
            parts.append("%s=[%g, %g]" % (k, v[0], v[1]))
        elif isinstance(v, bool):
            parts.append("%s=%s" % (k, "true" if v else "false"))
        elif isinstance(v, float):
            parts.append("%s=%g" % (k, v))
        else:
            parts.append("%s=%s" % (k, v))
    return " ".join(parts)


def event_matches(ev, name, fields):
    if ev.get("event") != name:
        return False
    for k, want in fields.items():
        if k not in ev:
            return False
        got = ev[k]
        if isinstance(want, tuple):
            if not _is_number(got) or not want[0] <= got <= want[1]:
                return False
        elif isinstance(want, bool) or isinstance(got, bool):
            if got is not want:
                return False
        elif got != want:
            return False
    return True


def _judge(ex, sim, initial):
    kind = ex["kind"]
    i = ex["index"]
    trace = sim.trace
    if kind in ("event", "no_event"):
        text = "%s %s" % (kind, ex["event"])
        if ex["fields"]:
            text += " " + _fmt_fields(ex["fields"])
        w = ex["within"]
        if w is not None:
            text += " within [%g, %g] s" % w
        matches = [e for e in sim.events if event_matches(e, ex["event"], ex["fields"])]
        inside = [e for e in matches if w is None or w[0] - 1e-9 <= e["sim_s"] <= w[1] + 1e-9]
        if kind == "event":
            if inside:
                return Outcome(i, kind, True, text, "first at %.2f s" % inside[0]["sim_s"])
            if matches:
                return Outcome(i, kind, False, text, "first at %.2f s" % matches[0]["sim_s"])
            same = [e for e in sim.events if e.get("event") == ex["event"]]
            seen = "none"
            if same and ex["fields"]:
                seen = "none matching; first `%s` at %.2f s was %s" % (
                    ex["event"], same[0]["sim_s"],
                    _fmt_fields({k: same[0].get(k) for k in ex["fields"]}))
            return Outcome(i, kind, False, text, seen)
        if inside:
            return Outcome(i, kind, False, text, "first at %.2f s (%d in all)"
                           % (inside[0]["sim_s"], len(inside)))
        return Outcome(i, kind, True, text, "none")
    if kind in ("max_pad_c", "min_pad_c"):
        a_ms, b_ms = ex["after_s"] * 1000 - 1e-6, ex["until_s"] * 1000 + 1e-6
        rows = [r for r in trace if a_ms <= r["t_ms"] <= b_ms]
        is_max = kind == "max_pad_c"
        text = "%s %.2f C" % ("max_pad_c" if is_max else "min_pad_c", ex["limit"])
        if ex["after_s"] > 0 or ex["until_s"] < sim.now_s:
            text += " over [%g, %g] s" % (ex["after_s"], ex["until_s"])
        if not rows:
            return Outcome(i, kind, False, text, "no trace rows in that span")
        pick = max(rows, key=lambda r: r["pad_c"]) if is_max \
            else min(rows, key=lambda r: r["pad_c"])
        v = pick["pad_c"]
        ok = v <= ex["limit"] if is_max else v >= ex["limit"]
        return Outcome(i, kind, ok, text, "%s %.2f C at %.2f s"
                       % ("max" if is_max else "min", v, pick["t_ms"] / 1000))
    if kind == "heater_off_after_s":
        # a row holds the power delivered over the tick that ended at t_ms, so the rows
        # that say anything about the time after T are those with t_ms > T
        a_ms, b_ms = ex["after_s"] * 1000 + 1e-6, ex["until_s"] * 1000 + 1e-6
        text = "heater_off_after_s %g" % ex["after_s"]
        if ex["until_s"] < sim.now_s:
            text += " until %g s" % ex["until_s"]
        on = [r for r in trace if a_ms <= r["t_ms"] <= b_ms and r["heater_duty"] > 0]
        last_on = [r for r in trace if r["t_ms"] <= b_ms and r["heater_duty"] > 0]
        if not on:
            since = ("off since %.2f s" % (last_on[-1]["t_ms"] / 1000 + sim.tick_ms / 1000)
                     if last_on else "never on")
            return Outcome(i, kind, True, text, since)
        return Outcome(i, kind, False, text, "on at %.2f s (%.0f %%), last on at %.2f s"
                       % (on[0]["t_ms"] / 1000, on[0]["heater_duty"] * 100,
                          on[-1]["t_ms"] / 1000))
    if kind == "state":
        t_ms = ex["at_s"] * 1000 + 1e-6
        row = initial
        for r in trace:  # the last row at or before at_s (rows are in time order)
            if r["t_ms"] > t_ms:
                break
            row = r
        want = {"state": ex["state"]}
        got = {"state": row_state(row)}
        for key, names in (("heat_state", HEAT_STATES), ("heat", HEAT_LEVELS),
                           ("massage", MASSAGE_MODES)):
            if key in ex:
                want[key] = ex[key]
                n = row[key]
                got[key] = names[n] if 0 <= n < len(names) else str(n)
        text = "state %s at %g s" % (ex["state"], ex["at_s"])
        quals = " ".join("%s=%s" % (k, v) for k, v in want.items() if k != "state")
        if quals:
            text += " with " + quals
        ok = want == got
        seen = " ".join("%s=%s" % (k, v) for k, v in got.items())
        return Outcome(i, kind, ok, text, "%s (at %.2f s)" % (seen, row["t_ms"] / 1000))
    raise AssertionError(kind)  # pragma: no cover - the validator admits no other kind


# -- command line -------------------------------------------------------------------------

def _parser():
    p = argparse.ArgumentParser(
        prog="python -m hal_sim run",
        description="Run a scenario file on the simulated cushion and check its expectations."
                    " Exit 0 all passed, 1 some failed, 2 bad file or arguments.")
    p.add_argument("file", metavar="FILE", help="scenario TOML file")
    p.add_argument("--plot", metavar="F.png", help="write a plot of the run (PNG)")
    p.add_argument("--csv", metavar="F.csv", help="write the trace, one row per tick")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also list the steps as applied, with the replies to `send`")
    return p


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse printed the usage; its code is 2 (0 for --help)
        return e.code if isinstance(e.code, int) else 2
    try:
        result = run_scenario(args.file)
    except ScenarioError as e:
        print("%s: %s" % (args.file, e), file=err)
        return 2
    sc = result.scenario
    sim = result.sim
    print("scenario: %s (%s)" % (sc["name"], args.file), file=out)
    if sc["description"]:
        print("  " + sc["description"].strip().replace("\n", "\n  "), file=out)
    if args.verbose:
        for lg in result.steps:
            late = "" if abs(lg.applied_s - lg.at_s) < 1e-9 else " (at %.2f s)" % lg.applied_s
            reply = ""
            if lg.reply is not None:
                r = lg.reply
                reply = " -> ok" if r.get("ok") else " -> error %s: %s" % (
                    r.get("error"), r.get("detail"))
            print("  steps[%d] %g s%s: %s%s" % (lg.index, lg.at_s, late, lg.text, reply),
                  file=out)
    for o in result.outcomes:
        print(o.line, file=out)
    if sim.bad_lines:
        print("note: the firmware sent %d line(s) that are not JSON objects, first %r"
              % (len(sim.bad_lines), sim.bad_lines[0]), file=out)
    code = result.exit_code
    try:
        if args.csv:
            from hal_sim.plot import write_csv
            write_csv(sim.trace, args.csv)
        if args.plot:
            from hal_sim.plot import plot_run
            plot_run(sim.trace, sim.events, args.plot, title=sc["name"])
    except OSError as e:
        print("%s: cannot write: %s" % (e.filename or "output", e.strerror or e), file=err)
        return 2
    n_fail = len(result.failed)
    print("%s: %d of %d expectations passed (%g s simulated in %.1f s)"
          % ("PASS" if code == 0 else "FAIL", len(result.outcomes) - n_fail,
             len(result.outcomes), sim.now_s, result.wall_s), file=out)
    return code


if __name__ == "__main__":
    sys.exit(main())
