"""How `cushion` prints: one JSON object with --json, else readable lines.

The status layout follows cushion.schema.STATUS_FIELDS, the order the firmware sends them.
"""

import json
import sys

import hal_sim  # noqa: F401  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.schema import STATUS_FIELDS

STATUS_UNITS = {"setpoint_c": " C", "temp_c": " C", "temp2_c": " C", "heater_pct": " %",
                "motor_pct": " %", "remaining_s": " s", "vin": " V", "dose_cem43": " min"}
STATUS_LABELS = {"setpoint_c": "set-point", "temp_c": "pad sensor A", "temp2_c": "pad sensor B",
                 "heater_pct": "heater", "motor_pct": "motor", "remaining_s": "remaining",
                 "vin": "supply", "dose_cem43": "dose (CEM43)", "uptime_ms": "uptime",
                 "heat_state": "heater state", "supply_paused": "supply paused",
                 "dose_capped": "dose capped", "tx_dropped": "lines dropped"}


class Output:
    def __init__(self, as_json, stream=None):
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def obj(self, obj, human):
        """Print `obj` as one JSON object with --json, else the human text."""
        if self.as_json:
            self.line(json.dumps(obj, sort_keys=True))
        elif human:
            self.line(human)

    def line(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()


def clean(reply):
    out = dict(reply)
    out.pop("id", None)      # transport detail, changes every run
    return out


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value) or "none"
    if isinstance(value, dict):
        return " ".join(f"{k}={fmt(v)}" for k, v in sorted(value.items()))
    return str(value)


def format_status(reply):
    r = clean(reply)
    r.pop("ok", None)
    lines = []
    for key in STATUS_FIELDS + tuple(sorted(k for k in r if k not in STATUS_FIELDS)):
        if key not in r:
            continue
        value = r[key]
        if key == "uptime_ms" and isinstance(value, int):
            text = f"{value / 1000.0:.1f} s"
        elif key == "fault" and not value:
            text = "none"
        else:
            text = fmt(value) + (STATUS_UNITS.get(key, "") if value is not None else "")
        lines.append(f"{STATUS_LABELS.get(key, key):<14}{text}")
    return "\n".join(lines)


def format_generic(reply):
    r = clean(reply)
    r.pop("ok", None)
    lines = []
    for key in sorted(r):
        value = r[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines.extend("  " + fmt(v) for v in value)
        else:
            lines.append(f"{key:<14}{fmt(value)}")
    return "\n".join(lines)


def format_info(reply):
    head = "{} {} on {}".format(reply.get("fw", "?"), reply.get("version", "?"),
                                reply.get("board", "?"))
    extra = {k: v for k, v in clean(reply).items() if k not in ("ok", "fw", "version", "board")}
    return head + ("\n" + format_generic(extra) if extra else "")
