"""Loading and validating a scenario: the TOML file, or a dict shaped like it, becomes a
normalised scenario (defaults filled in, steps carry their index, times in float seconds).
Every check is described in docs/simulator.md, section "Scenarios"."""

from cushion.schema import (
    EVENT_FIELDS, FAULT_CODES, FAULT_KINDS, HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES,
    STATE_NAMES,
)
from hal_sim.double import TICKS_PERIOD
from hal_sim.faults import ARG_NAMES, validate_args
from hal_sim.scenario.fields import (
    ScenarioError, integer, match_value, number, one_kind, show, string, unknown, window,
)
from hal_sim.simulation import BUTTONS
from hal_sim.tomlfields import AMBIENT_RANGE, SUPPLY_RANGE, read_toml

STATES = STATE_NAMES + ("service",)  # "service": the board sits in its REPL
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
# the names a `state` expectation may qualify, with the values each takes
STATE_QUALIFIERS = (("heat_state", HEAT_STATE_NAMES), ("heat", LEVEL_NAMES),
                    ("massage", MODE_NAMES))

MAX_DURATION_S = 6 * 3600  # a trace row per tick is kept: 6 h is 432 000 rows
MAX_HOLD_S = 60.0
PRESS_SETTLE_S = 0.1  # Simulation.press lets the debounce settle this long after release


def load_scenario(path):
    """Read and validate a TOML file; returns the normalised scenario dict."""
    data = read_toml(path, ScenarioError, "scenario")
    return validate_scenario(data)


def validate_scenario(data):
    """Check a parsed scenario (a dict as tomllib gives it) and return a normalised copy."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a table (TOML document), not %s" % show(data))
    for key in data:
        if key not in TOP_KEYS:
            raise unknown("", key, TOP_KEYS)
    for key in ("name", "ambient_c", "duration_s"):
        if key not in data:
            raise ScenarioError("missing `%s` (a scenario needs name, ambient_c, duration_s "
                                "and expect)" % key)
    sc = {
        "name": string("", "name", data["name"]),
        "description": (string("", "description", data["description"])
                        if "description" in data else ""),
        "ambient_c": float(number("", "ambient_c", data["ambient_c"], *AMBIENT_RANGE)),
        "duration_s": float(number("", "duration_s", data["duration_s"], 0, lo_open=True)),
        "supply_v": float(number("", "supply_v", data.get("supply_v", 12.0), *SUPPLY_RANGE)),
        "seed": integer("", "seed", data.get("seed", 1), 0, 2**32 - 1),
        "start_ticks_ms": integer("", "start_ticks_ms", data.get("start_ticks_ms", 0),
                                  0, TICKS_PERIOD - 1),
    }
    if sc["duration_s"] > MAX_DURATION_S:
        raise ScenarioError("`duration_s` must be a number > 0 and at most %d (6 h), not %s"
                            % (MAX_DURATION_S, show(data["duration_s"])))
    steps = data.get("steps", [])
    if not isinstance(steps, list):
        raise ScenarioError("`steps` must be an array of tables, not %s" % show(steps))
    sc["steps"] = [_step(i, s, sc["duration_s"]) for i, s in enumerate(steps)]
    _check_overlaps(sc["steps"])
    if "expect" not in data:
        raise ScenarioError("missing `expect` (a scenario needs at least one expectation)")
    expect = data["expect"]
    if not isinstance(expect, list) or not expect:
        raise ScenarioError("`expect` must be a non-empty array of tables, not %s"
                            % show(expect))
    sc["expect"] = [_expectation(i, e, sc["duration_s"]) for i, e in enumerate(expect)]
    return sc


def _step(i, s, duration):
    where = "steps[%d]: " % i
    if not isinstance(s, dict):
        raise ScenarioError("%sa step is a table like { at_s = 0, send = \"heat high\" }, "
                            "not %s" % (where, show(s)))
    for key in s:
        if key not in STEP_KEYS:
            raise unknown(where, key, STEP_KEYS)
    if "at_s" not in s:
        raise ScenarioError("%smissing `at_s`" % where)
    at = float(number(where, "at_s", s["at_s"], 0))
    if at > duration:
        raise ScenarioError("%s`at_s` = %g is after the run ends (duration_s = %g)"
                            % (where, at, duration))
    kind = one_kind(where, s, STEP_KINDS, "a step")
    v = s[kind]
    step = {"index": i, "at_s": at, "kind": kind, "value": v}
    if "hold_s" in s and kind != "press":
        raise ScenarioError("%s`hold_s` goes only with `press`" % where)
    if kind == "send":
        if not isinstance(v, str) or not v:
            raise ScenarioError("%s`send` must be a non-empty string (one request line), not %s"
                                % (where, show(v)))
        if "\n" in v.rstrip("\r\n"):
            raise ScenarioError("%s`send` is one line; use one step per request" % where)
    elif kind == "press":
        string(where, "press", v, tuple(BUTTONS), "button")
        step["hold_s"] = float(number(where, "hold_s", s.get("hold_s", 0.1), 0, MAX_HOLD_S))
        if at + step["hold_s"] + PRESS_SETTLE_S > duration + 1e-9:
            raise ScenarioError("%sthe press (at %g s, held %g s, +%g s to settle) ends after "
                                "the run (duration_s = %g)"
                                % (where, at, step["hold_s"], PRESS_SETTLE_S, duration))
    elif kind in ("inject", "repair"):
        string(where, kind, v, FAULT_KINDS, "fault")
        args = {k: s[k] for k in ARG_NAMES if k in s}
        if kind == "repair" and set(args) - {"sensor"}:
            raise ScenarioError("%s`repair` takes only `sensor`" % where)
        err = validate_args(v, args)
        if err:
            raise ScenarioError(where + err)
        step["args"] = args
    elif kind == "power_cycle":
        if v is not True:
            raise ScenarioError("%s`power_cycle` must be true, not %s" % (where, show(v)))
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
        if busy_by is not None and st["at_s"] < busy_until - 1e-9:
            raise ScenarioError(
                "steps[%d]: at %g s, but steps[%d] (press %s, held %g s) is still going until "
                "%g s; a press takes hold_s + %g s of simulated time"
                % (st["index"], st["at_s"], busy_by["index"], busy_by["value"],
                   busy_by["hold_s"], busy_until, PRESS_SETTLE_S))
        if st["kind"] == "press":
            end = st["at_s"] + st["hold_s"] + PRESS_SETTLE_S
            if end > busy_until:
                busy_until, busy_by = end, st


def _expectation_kind(where, e):
    if not any(k in e for k in EXPECT_KINDS):
        known = set(EXPECT_KINDS).union(*EXPECT_EXTRA.values())
        for key in e:
            if key not in known:  # most likely a misspelt kind: `max_pad`, `events`
                raise unknown(where, key, EXPECT_KINDS)
    if ("event" in e) != ("no_event" in e):
        # an event's own fields may share a name with a kind (telemetry has `state`)
        kind = "event" if "event" in e else "no_event"
        name = e[kind]
        fields = EVENT_FIELDS.get(name, ()) if isinstance(name, str) else ()
        others = [k for k in EXPECT_KINDS if k in e and k != kind and k not in fields]
        if others:
            raise ScenarioError("%shas both `%s` and `%s`; an expectation is exactly one of %s"
                                % (where, kind, others[0], ", ".join(EXPECT_KINDS)))
        return kind
    return one_kind(where, e, EXPECT_KINDS, "an expectation")


def _expectation(i, e, duration):
    where = "expect[%d]: " % i
    if not isinstance(e, dict):
        raise ScenarioError("%san expectation is a table like { max_pad_c = 52.0 }, not %s"
                            % (where, show(e)))
    kind = _expectation_kind(where, e)
    ex = {"index": i, "kind": kind}
    if kind in ("event", "no_event"):
        return _event_expectation(where, e, ex, duration)
    extra = EXPECT_EXTRA[kind]
    for key in e:
        if key != kind and key not in extra:
            raise unknown(where, key, (kind,) + extra)
    if kind in ("max_pad_c", "min_pad_c"):
        ex["limit"] = float(number(where, kind, e[kind], -40, 150))
        ex["after_s"] = float(number(where, "after_s", e.get("after_s", 0), 0))
        ex["until_s"] = float(number(where, "until_s", e.get("until_s", duration), 0))
        if ex["after_s"] > duration:
            raise ScenarioError("%s`after_s` = %g is after the run ends (duration_s = %g)"
                                % (where, ex["after_s"], duration))
        if ex["until_s"] < ex["after_s"]:
            raise ScenarioError("%s`until_s` = %g is before `after_s` = %g"
                                % (where, ex["until_s"], ex["after_s"]))
    elif kind == "heater_off_after_s":
        ex["after_s"] = float(number(where, kind, e[kind], 0))
        if ex["after_s"] > duration:
            raise ScenarioError("%s`heater_off_after_s` = %g is after the run ends "
                                "(duration_s = %g)" % (where, ex["after_s"], duration))
        ex["until_s"] = float(number(where, "until_s", e.get("until_s", duration), 0))
        if ex["until_s"] < ex["after_s"]:
            raise ScenarioError("%s`until_s` = %g is before `heater_off_after_s` = %g"
                                % (where, ex["until_s"], ex["after_s"]))
    elif kind == "state":
        ex["state"] = string(where, "state", e["state"], STATES, "state")
        if "at_s" not in e:
            raise ScenarioError("%s`state` needs `at_s` (when to look)" % where)
        ex["at_s"] = float(number(where, "at_s", e["at_s"], 0, duration))
        for key, choices in STATE_QUALIFIERS:
            if key in e:
                ex[key] = string(where, key, e[key], choices, key)
    return ex


def _event_expectation(where, e, ex, duration):
    kind = ex["kind"]
    extra = EXPECT_EXTRA[kind]
    name = string(where, kind, e[kind], tuple(EVENT_FIELDS), "event")
    known = EVENT_FIELDS[name]
    ex["event"] = name
    fields = {}
    for key in e:
        if key == kind or key in extra:
            continue
        if key in RESERVED and key not in known:
            raise ScenarioError("%s`%s` does not go with `%s`; it takes %s and the event's "
                                "fields" % (where, key, kind, ", ".join(extra)))
        if key not in known:
            raise ScenarioError(
                "%sunknown key `%s` for a `%s` event; expected within_s or one of its "
                "fields: %s" % (where, key, name, ", ".join(known)))
        fields[key] = match_value(where, key, e[key])
    code = fields.get("code")
    if name == "fault" and isinstance(code, str) and code not in FAULT_CODES:
        raise ScenarioError("%sunknown fault code `%s`; the firmware's codes are %s"
                            % (where, code, ", ".join(FAULT_CODES)))
    ex["fields"] = fields
    ex["within"] = window(where, "within_s", e["within_s"], duration) \
        if "within_s" in e else None
    return ex
