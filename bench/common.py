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
BAND_WINDOW_S = 480.0   # the band is judged over the last 8 minutes
WARM_TOL_C = 0.5        # "within 0.5 C of the set-point"
SEED = 1


def median(xs):
    return statistics.median(xs)


def warmup_time(times, hot_sensor, setpoint):
    """First time the (hotter) sensor is within WARM_TOL_C of the set-point, or None."""
    thr = setpoint - WARM_TOL_C
    for t, s in zip(times, hot_sensor):
        if s >= thr:
            return t
    return None


def session_metrics(times, pad, hot_sensor, setpoint, t_full):
    """warmup_ratio, overshoot_c, band_c of one session (times from heat-on, seconds)."""
    tw = warmup_time(times, hot_sensor, setpoint)
    start = times[-1] - BAND_WINDOW_S
    window = [p for t, p in zip(times, pad) if t > start]
    return {
        "warmup_ratio": (tw / t_full) if (tw is not None and t_full) else None,
        "overshoot_c": max(hot_sensor) - setpoint,
        "band_c": max(window) - min(window),
        "warmup_s": tw,
        "full_power_warmup_s": t_full,
    }
