"""What a run's plot shows, as numbers: `sim.trace` cut to plot points, the heat-state
spans, the temperature axis, the labels of events and steps. No matplotlib here:
hal_sim/plot.py draws what these return. CPython only.
"""

import math

from cushion.limits import OVERHEAT_C100, SUPPLY_HIGH_MV, SUPPLY_LOW_MV

OVERHEAT_C = OVERHEAT_C100 / 100  # the SR-2 trip line
SUPPLY_WINDOW_V = (SUPPLY_LOW_MV / 1000, SUPPLY_HIGH_MV / 1000)  # SR-9
MAX_POINTS = 12000  # more than ~1 point per second for runs over 3 h 20 min
PLAUSIBLE_C = (-30.0, 120.0)  # firmware readings outside this run off the axes, with a note


def rows_per_point(n_rows, tick_ms):
    """Rows per plot point: about one point per simulated second, at most MAX_POINTS."""
    per_s = max(1, round(1000 / tick_ms)) if tick_ms > 0 else 1
    return max(per_s, math.ceil(n_rows / MAX_POINTS))


def decimate(trace, k):
    """Per bucket of k rows: time of its last row; mean/min/max of the fast signals and
    the last value of the slow ones."""
    out = {key: [] for key in ("t", "pad", "sa", "sb", "fa", "fb", "sp", "hd", "hd_lo",
                               "hd_hi", "hc", "md", "md_lo", "md_hi")}
    for i in range(0, len(trace), k):
        chunk = trace[i:i + k]
        last = chunk[-1]
        out["t"].append(last["t_ms"] / 1000)
        out["pad"].append(last["pad_c"])
        out["sa"].append(last["sensor_a_c"])
        out["sb"].append(last["sensor_b_c"])
        out["fa"].append(last["temp_c100"] / 100 if last["fault"] != "service" else math.nan)
        out["fb"].append(last["temp2_c100"] / 100 if last["fault"] != "service" else math.nan)
        sp = last["setpoint_c100"]
        out["sp"].append(sp / 100 if sp else math.nan)
        hd = [r["heater_duty"] * 100 for r in chunk]
        md = [r["motor_duty"] * 100 for r in chunk]
        out["hd"].append(sum(hd) / len(hd))
        out["hd_lo"].append(min(hd))
        out["hd_hi"].append(max(hd))
        out["hc"].append(sum(r["heater_permille"] for r in chunk) / len(chunk) / 10)
        out["md"].append(sum(md) / len(md))
        out["md_lo"].append(min(md))
        out["md_hi"].append(max(md))
    return out


def state_spans(trace, tick_ms=50):
    """[(start_s, end_s, code)] runs of the heat state from full-resolution rows; code is
    the heat_state (0 off .. 3 fault) or "service" while the board sits in its REPL."""
    spans = []
    cur = None
    start = 0.0
    prev_t = 0.0
    for r in trace:
        code = "service" if r["fault"] == "service" else r["heat_state"]
        t = r["t_ms"] / 1000
        if code != cur:
            if cur is not None:
                spans.append((start, prev_t, cur))
            cur = code
            start = t - tick_ms / 1000  # the row covers the tick that ended at t
        prev_t = t
    if cur is not None:
        spans.append((start, prev_t, cur))
    return spans


def temperature_axis(d):
    """(low, high) of the temperature panel and the firmware readings off it, from the
    decimated points `d`. The range comes from the physics and the set-point: readings of a
    broken sensor (about -90 C open, +500 C short) would flatten everything else, so they
    run off the axes (a note on the plot says how far)."""
    phys = [v for v in d["pad"] + d["sa"] + d["sb"] if not math.isnan(v)]
    phys += [v for v in d["sp"] if not math.isnan(v)]
    phys += [v for v in d["fa"] + d["fb"] if PLAUSIBLE_C[0] <= v <= PLAUSIBLE_C[1]]  # NaN: no
    lo, hi = min(phys), max(max(phys), OVERHEAT_C)
    pad = max(2.0, (hi - lo) * 0.06)
    off = [v for v in d["fa"] + d["fb"] if not math.isnan(v)
           and not PLAUSIBLE_C[0] <= v <= PLAUSIBLE_C[1]]
    return (lo - pad, hi + pad * 3.5), off  # headroom above for the event labels


def sensor_lag(readings, pad):
    """Each plausible reading minus the pad surface (NaN where it is off scale)."""
    return [v - p if PLAUSIBLE_C[0] <= v <= PLAUSIBLE_C[1] else math.nan
            for v, p in zip(readings, pad)]


def supply_shown(trace, steps):
    """The supply is drawn when a supply fault was injected or the supply left its window."""
    vin = [r["vin_v"] for r in trace]
    lo, hi = SUPPLY_WINDOW_V
    return any("supply_" in text for _, text in steps) or min(vin) < lo or max(vin) > hi


def event_label(ev):
    name = ev.get("event")
    if name == "fault":
        return "fault: %s" % ev.get("code", "?")
    if name == "boot":
        return "reboot (%s)" % ev.get("reset_cause", "?")
    if name == "dose_limit":
        return "dose limit (%s CEM43)" % ev.get("dose_cem43", "?")
    if name == "auto_off_warning":
        return "auto-off warning"
    if name == "auto_off":
        return "auto-off"
    return name


def step_marks(steps, t_end):
    """[(x, [text, ...])]: the scenario's steps `(applied_s, text)` in time order, those
    within 1 % of the run of the one before sharing its mark (a send of heat and massage
    at 0 s)."""
    marks = []
    for x, text in sorted(steps):
        if marks and x - marks[-1][0] <= 0.01 * t_end:
            marks[-1][1].append(text)
        else:
            marks.append((x, [text]))
    return marks
