"""Shared constants and helpers for the benchmarks."""

import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"

LEVELS = ("low", "medium", "high")
SETPOINT_C = {"low": 38.0, "medium": 42.0, "high": 45.0}  # DESIGN section 5
AMBIENT_C = 22.0
TICK_S = 0.05
SESSION_S = 900.0       # one 15-minute session
BAND_WINDOW_S = 480.0   # band_c: the last 8 minutes of the first session
SESSIONS = 2            # the hold band's run: two back-to-back sessions, as a user restarts
HOLD_SETTLE_S = 60.0    # the hold starts this long after the sensor first comes within tol
WARM_TOL_C = 0.5        # "within 0.5 C of the set-point"
SEED = 1


def fmt(v, nd=3):
    """A figure for the tables: floats to `nd` decimals, None as "n/a"."""
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return "%.*f" % (nd, v)
    return str(v)


def at_most(v, limit):
    """A target `v <= limit` met; a figure not measured (None) misses it."""
    return v is not None and v <= limit


def median(xs):
    return statistics.median(xs)


def warmup_time(times, hot_sensor, setpoint):
    """First time the (hotter) sensor is within WARM_TOL_C of the set-point, or None."""
    thr = setpoint - WARM_TOL_C
    for t, s in zip(times, hot_sensor):
        if s >= thr:
            return t
    return None


def _p2p(xs):
    return (max(xs) - min(xs)) if xs else None


def session_metrics(times, pad, hot_sensor, setpoint, t_full, first_end_s=None):
    """warmup_ratio, overshoot_c, hold_band_c and band_c of a run (times from the first
    heat-on, seconds; the run ends where the hold ends).

    hold_band_c: peak-to-peak of the pad truth from HOLD_SETTLE_S after the sensor first
    comes within WARM_TOL_C of the set-point to the end of the run (None if it never does);
    band_c: the older figure, the last BAND_WINDOW_S of the first session (which ends at
    first_end_s, or the end of the run)."""
    tw = warmup_time(times, hot_sensor, setpoint)
    end1 = times[-1] if first_end_s is None else first_end_s
    last8 = [p for t, p in zip(times, pad) if end1 - BAND_WINDOW_S < t <= end1]
    hold = [] if tw is None else [p for t, p in zip(times, pad) if t >= tw + HOLD_SETTLE_S]
    return {
        "warmup_ratio": (tw / t_full) if (tw is not None and t_full) else None,
        "overshoot_c": max(hot_sensor) - setpoint,
        "hold_band_c": _p2p(hold),
        "hold_s": (times[-1] - tw - HOLD_SETTLE_S) if tw is not None else None,
        "band_c": _p2p(last8),
        "warmup_s": tw,
        "full_power_warmup_s": t_full,
    }
