"""Checks of single scenario fields: each returns the value or raises ScenarioError with the
place (`steps[2]: `, `expect[0]: `) and the field in its message."""

from hal_sim.tomlfields import is_number, show


class ScenarioError(Exception):
    """A scenario file that cannot be run; the message names the place and the field."""


def number(where, key, v, lo=None, hi=None, lo_open=False):
    """Check one numeric field; returns it as given."""
    rng = ""
    if lo is not None and hi is not None:
        rng = " in %g..%g" % (lo, hi)
    elif lo is not None:
        rng = " %s %g" % (">" if lo_open else ">=", lo)
    ok = is_number(v)
    if ok and lo is not None:
        ok = v > lo if lo_open else v >= lo
    if ok and hi is not None:
        ok = v <= hi
    if not ok:
        raise ScenarioError("%s`%s` must be a number%s, not %s" % (where, key, rng, show(v)))
    return v


def integer(where, key, v, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ScenarioError("%s`%s` must be an integer in %d..%d, not %s"
                            % (where, key, lo, hi, show(v)))
    return v


def string(where, key, v, choices=None, what=None):
    if not isinstance(v, str) or not v:
        raise ScenarioError("%s`%s` must be a non-empty string, not %s" % (where, key, show(v)))
    if choices is not None and v not in choices:
        raise ScenarioError("%s%s `%s` = %s; expected one of %s"
                            % (where, "unknown " + what if what else "bad", key, show(v),
                               ", ".join(choices)))
    return v


def unknown(where, key, expected):
    return ScenarioError("%sunknown key `%s`; expected one of %s"
                         % (where, key, ", ".join(expected)))


def window(where, key, v, duration):
    """A [start, end] pair of seconds."""
    if (not isinstance(v, list) or len(v) != 2 or not all(is_number(x) for x in v)
            or v[0] < 0 or v[0] > v[1]):
        raise ScenarioError("%s`%s` must be [start, end] in seconds with 0 <= start <= end, "
                            "not %s" % (where, key, show(v)))
    if v[0] > duration:
        raise ScenarioError("%s`%s` starts at %g s, after the run ends (duration_s = %g)"
                            % (where, key, v[0], duration))
    return (float(v[0]), float(v[1]))


def match_value(where, key, v):
    """An event field to match: a value, or a [low, high] range of numbers."""
    if isinstance(v, (str, bool)) or is_number(v):
        return v
    if isinstance(v, list) and len(v) == 2 and all(is_number(x) for x in v) and v[0] <= v[1]:
        return (float(v[0]), float(v[1]))
    raise ScenarioError("%sfield `%s` must be a string, number, boolean or a [low, high] "
                        "number range, not %s" % (where, key, show(v)))


def one_kind(where, table, kinds, noun):
    """The one key of `kinds` that `table` has."""
    present = [k for k in kinds if k in table]
    if not present:
        raise ScenarioError("%sneeds one of %s" % (where, ", ".join("`%s`" % k for k in kinds)))
    if len(present) > 1:
        raise ScenarioError("%shas both `%s` and `%s`; %s is exactly one of %s"
                            % (where, present[0], present[1], noun, ", ".join(kinds)))
    return present[0]
