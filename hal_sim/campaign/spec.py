"""Campaign spec files: what a randomized fault-injection campaign draws its sessions from.

    spec = load_spec("campaigns/example.toml")     # SpecError names the field on any problem

A spec is validated into a normalised dict (every default filled in, "all" expanded), and
`spec_hash` of that dict identifies the campaign: a results directory belongs to one hash.
The format is in docs/campaigns.md. Value forms inside `faults.args` tables: a scalar is used
as is, an array is a choice of one, a table `{ lo = .., hi = .. }` is a uniform range.
"""

import hashlib
import json

from cushion.schema import FAULT_KINDS, LEVEL_NAMES, MODE_NAMES
from hal_sim import envelope
from hal_sim.physics import PadParams
from hal_sim.tomlfields import AMBIENT_RANGE, SUPPLY_RANGE, is_number, read_toml, show

TOP_KEYS = ("name", "description", "sessions", "seed", "pads", "session", "faults", "followup")
PAD_KEYS = ("corner_weight", "corners", "ranges")
SESSION_KEYS = ("levels", "massage", "intensity", "run_on_s", "settle_s")
FAULT_KEYS = ("kinds", "fault_free", "inject_s", "args")
FOLLOWUP_KEYS = ("power_cycle", "reset", "after_s", "reheat")
HEAT_LEVELS = LEVEL_NAMES[1:]  # a campaign session always heats
MAX_SESSIONS = 10**9  # session seeds are seed * 10**9 + index (hal_sim.campaign.session)
MAX_SESSION_S = 3600.0
# What a range in `pads.ranges` may span: the room and the supply as scenarios allow them
# (hal_sim/tomlfields.py), the user's back as a person's skin; any other PadParams field > 0.
RANGE_BOUNDS = {"ambient_c": AMBIENT_RANGE, "supply_v": SUPPLY_RANGE, "back_c": (20.0, 40.0)}

DEFAULTS = {
    "pads": {"corner_weight": 0.0, "corners": [], "ranges": {}},
    "session": {"levels": list(HEAT_LEVELS), "massage": list(MODE_NAMES), "intensity": [1, 3],
                "run_on_s": 330.0, "settle_s": 90.0},
    "faults": {"kinds": list(FAULT_KINDS), "fault_free": 0.1, "inject_s": [20.0, 300.0],
               "args": {}},
    "followup": {"power_cycle": 0.0, "reset": 0.0, "after_s": [5.0, 60.0], "reheat": True},
}


class SpecError(Exception):
    """A spec that cannot be run; the message starts with the field (`faults.inject_s`)."""


def _fail(field, what):
    raise SpecError("`%s`: %s" % (field, what))


def integer(field, v, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        _fail(field, "must be an integer in %d..%d, not %s" % (lo, hi, show(v)))
    return v


def _number(field, v, lo, hi):
    if not is_number(v) or not lo <= v <= hi:
        _fail(field, "must be a number in %g..%g, not %s" % (lo, hi, show(v)))
    return float(v)


def _range(field, v, lo, hi, integer=False):
    """[lo, hi] inside lo..hi, lo <= hi."""
    kind = "integers" if integer else "numbers"
    ok = isinstance(v, list) and len(v) == 2 and all(is_number(x) for x in v)
    ok = ok and (not integer or all(isinstance(x, int) for x in v))
    if not ok or not lo <= v[0] <= v[1] <= hi:
        _fail(field, "must be [lo, hi], two %s with %g <= lo <= hi <= %g, not %s"
              % (kind, lo, hi, show(v)))
    return [int(x) for x in v] if integer else [float(x) for x in v]


def _choices(field, v, allowed):
    if v == "all":
        return list(allowed)
    if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
        _fail(field, 'must be "all" or a non-empty array of names, not %s' % show(v))
    for x in v:
        if x not in allowed:
            _fail(field, "unknown name %s; expected one of %s" % (show(x), ", ".join(allowed)))
    return list(dict.fromkeys(v))


def _table(field, v, keys):
    if not isinstance(v, dict):
        _fail(field, "must be a table, not %s" % show(v))
    for k in v:
        if keys is not None and k not in keys:
            _fail("%s.%s" % (field, k) if field else k,
                  "unknown key; expected one of %s" % ", ".join(keys))
    return v


def load_spec(path):
    """Read and validate a TOML spec file; returns the normalised spec."""
    data = read_toml(path, SpecError, "campaign spec")
    return validate_spec(data)


def validate_spec(data):
    """Check a parsed spec (a dict as tomllib gives it); returns the normalised copy."""
    _table("", data, TOP_KEYS)
    spec = {"name": data.get("name", "campaign"), "description": data.get("description", "")}
    for k in ("name", "description"):
        if not isinstance(spec[k], str):
            _fail(k, "must be a string, not %s" % show(spec[k]))
    spec["sessions"] = integer("sessions", data.get("sessions", 1000), 1, MAX_SESSIONS)
    spec["seed"] = integer("seed", data.get("seed", 1), 0, 2**31 - 1)
    sections = {}
    for name, keys in (("pads", PAD_KEYS), ("session", SESSION_KEYS), ("faults", FAULT_KEYS),
                       ("followup", FOLLOWUP_KEYS)):
        given = _table(name, data.get(name, {}), keys)
        sections[name] = dict(DEFAULTS[name], **given)
    spec["pads"] = _pads(sections["pads"])
    spec["session"] = _session(sections["session"])
    spec["faults"] = _faults(sections["faults"])
    spec["followup"] = _followup(sections["followup"])
    fu = spec["followup"]
    if fu["power_cycle"] + fu["reset"] > 0 and fu["after_s"][1] >= spec["session"]["run_on_s"]:
        _fail("followup.after_s", "must end before session.run_on_s (%g s), not at %g s"
              % (spec["session"]["run_on_s"], spec["followup"]["after_s"][1]))
    return spec


def _pads(p):
    out = {"corner_weight": _number("pads.corner_weight", p["corner_weight"], 0.0, 1.0),
           "corners": [] if p["corners"] == [] else
           _choices("pads.corners", p["corners"], list(envelope.CORNERS))}
    if out["corner_weight"] > 0 and not out["corners"]:
        _fail("pads.corners", "must name at least one corner when pads.corner_weight > 0")
    ranges = _table("pads.ranges", p["ranges"], _range_fields())
    out["ranges"] = {k: _range("pads.ranges." + k, ranges[k], *RANGE_BOUNDS.get(k, (1e-9, 1e6)))
                     for k in sorted(ranges)}
    return out


def _range_fields():
    """Fields a spec may give a range for: the room, the supply and any numeric PadParams
    field (a per-sensor list gets each element drawn)."""
    pad = PadParams()
    return ["ambient_c", "supply_v"] + [
        k for k, v in vars(pad).items()
        if is_number(v) or (isinstance(v, list) and v and all(is_number(x) for x in v))]


def _session(s):
    out = {"levels": _choices("session.levels", s["levels"], HEAT_LEVELS),
           "massage": _choices("session.massage", s["massage"], MODE_NAMES),
           "intensity": _range("session.intensity", s["intensity"], 1, 3, integer=True),
           "run_on_s": _number("session.run_on_s", s["run_on_s"], 1.0, MAX_SESSION_S),
           "settle_s": _number("session.settle_s", s["settle_s"], 0.0, MAX_SESSION_S)}
    return out


def _faults(f):
    out = {"kinds": _choices("faults.kinds", f["kinds"], FAULT_KINDS),
           "fault_free": _number("faults.fault_free", f["fault_free"], 0.0, 1.0),
           "inject_s": _range("faults.inject_s", f["inject_s"], 0.0, MAX_SESSION_S)}
    args = _table("faults.args", f["args"], FAULT_KINDS)
    out["args"] = {}
    for kind in sorted(args):
        field = "faults.args." + kind
        table = _table(field, args[kind], None)
        out["args"][kind] = {k: _arg_value("%s.%s" % (field, k), table[k]) for k in sorted(table)}
        _try_inject(field, kind, out["args"][kind])
    return out


def _arg_value(field, v):
    if isinstance(v, dict):
        _table(field, v, ("lo", "hi"))
        if "lo" not in v or "hi" not in v:
            _fail(field, "a range is a table { lo = .., hi = .. } with both")
        return {"lo": _number(field + ".lo", v["lo"], -1e9, 1e9),
                "hi": _number(field + ".hi", v["hi"], v["lo"], 1e9)}
    if isinstance(v, list):
        if not v or not all(isinstance(x, (int, float, str, bool)) for x in v):
            _fail(field, "a choice is a non-empty array of numbers or strings, not %s"
                  % show(v))
        return list(v)
    if not isinstance(v, (int, float, str, bool)):
        _fail(field, "must be a number, string, array (a choice) or { lo, hi }, not %s"
              % show(v))
    return v


def _try_inject(field, kind, args):
    """Ask the simulator itself whether it takes these arguments: inject each extreme of each
    argument (others at their first value) into a fresh Simulation."""
    from hal_sim.simulation import Simulation

    def values(v):
        if isinstance(v, dict):
            return [v["lo"], v["hi"]]
        return v if isinstance(v, list) else [v]

    first = {k: values(v)[0] for k, v in args.items()}
    trials = [dict(first)] + [dict(first, **{k: x}) for k, v in args.items() for x in values(v)]
    sim = Simulation()
    for kw in trials:
        try:
            sim.inject(kind, **kw)
            sim.repair(kind)
        except (TypeError, ValueError) as e:
            _fail(field, "the simulator refuses inject(%r, %s): %s"
                  % (kind, ", ".join("%s=%r" % i for i in kw.items()), e))


def _followup(f):
    out = {"power_cycle": _number("followup.power_cycle", f["power_cycle"], 0.0, 1.0),
           "reset": _number("followup.reset", f["reset"], 0.0, 1.0),
           "after_s": _range("followup.after_s", f["after_s"], 0.0, MAX_SESSION_S)}
    if out["power_cycle"] + out["reset"] > 1.0:
        _fail("followup", "power_cycle + reset is a probability: at most 1, not %g"
              % (out["power_cycle"] + out["reset"]))
    if not isinstance(f["reheat"], bool):
        _fail("followup.reheat", "must be true or false, not %s" % show(f["reheat"]))
    out["reheat"] = f["reheat"]
    return out


def spec_hash(spec):
    """Identity of a normalised spec: a results directory holds sessions of one hash."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
