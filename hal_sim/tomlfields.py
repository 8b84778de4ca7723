"""What the two TOML files QA writes, scenarios (hal_sim/scenario) and campaign specs
(hal_sim/campaign/spec.py), check alike: reading the file, what counts as a number, how a
wrong value is shown in the message, and the room and supply a simulated run may have.
CPython only (tomllib).
"""

import datetime
import json
import math
import tomllib

AMBIENT_RANGE = (-20.0, 50.0)  # C: a room, a car in winter or summer
SUPPLY_RANGE = (5.0, 20.0)  # V at the adapter: every supply fault and more


def read_toml(path, error, what):
    """The parsed TOML file at `path`; `error` (the format's exception class) with a message
    that says why not. `what` names the format: "is a directory, not a <what> file"."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise error("no such file")
    except IsADirectoryError:
        raise error("is a directory, not a %s file" % what)
    except OSError as e:
        raise error("cannot read: %s" % (e.strerror or e))
    except tomllib.TOMLDecodeError as e:
        raise error("TOML syntax error: %s" % e)
    except UnicodeDecodeError:
        raise error("TOML syntax error: the file is not UTF-8")


def is_number(v):
    """A TOML integer or float, finite (not a boolean, not nan or inf)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def show(v):
    """A value as the TOML author wrote it, for messages."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "[%s]" % ", ".join(show(x) for x in v)
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    return repr(v)
