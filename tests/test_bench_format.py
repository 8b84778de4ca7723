"""bench/results.json (written by `make bench`) has every key issue 6 names, with numbers.

Only the shape is checked: benchmarks report figures, tests never assert timings. A figure
may be null only when the run recorded why (a "notes" entry or an "errors" entry, or a
fault the firmware did not detect in the run).
"""

import json
import numbers
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results.json"
LEVELS = ("low", "medium", "high")
METRICS = ("warmup_ratio", "overshoot_c", "band_c")
MP_KEYS = ("alloc_per_tick_bytes", "heap_after_init_bytes", "peak_heap_bytes",
           "min_heapsize_kb", "mpy_total_bytes", "tick_us_median")


def _num(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


@pytest.fixture(scope="module")
def res():
    if not RESULTS.is_file():
        pytest.skip("bench/results.json not written yet (run `make bench`)")
    return json.loads(RESULTS.read_text())


def _check(res, value, where):
    if _num(value):
        return
    explained = bool(res.get("errors")) or bool(res.get("cli", {}).get("notes"))
    assert value is None and explained, f"{where} is {value!r}, not a number"


def test_control_keys(res):
    c = res["control"]
    for lv in LEVELS:
        for k in METRICS:
            _check(res, c[lv][k], f"control.{lv}.{k}")
    for peer in ("bang_bang", "klipper_pid"):
        for lv in LEVELS:
            for k in METRICS:
                _check(res, c["peers"][peer][lv][k], f"control.peers.{peer}.{lv}.{k}")
    for k in METRICS:
        _check(res, c["worst_case"][k], f"control.worst_case.{k}")


def test_safety_keys(res):
    from hal_sim.faults import BASE_FAULTS as FAULTS  # the ones results.json has today
    for f in FAULTS:
        entry = res["safety"][f]
        how = res.get("extra", {}).get("safety", {}).get(f, {}).get("detected_by", "")
        if entry["detect_s"] is None and how.startswith("not detected"):
            continue  # a finding, reported as such in results.md
        _check(res, entry["detect_s"], f"safety.{f}.detect_s")
        _check(res, entry["max_pad_c"], f"safety.{f}.max_pad_c")
    _check(res, res["cutoff_latency_ms"], "cutoff_latency_ms")


def test_speed_micropython_cli_keys(res):
    for vm in ("cpython", "micropython"):
        _check(res, res["sim_speed_x"][vm], f"sim_speed_x.{vm}")
    for k in MP_KEYS:
        _check(res, res["micropython"][k], f"micropython.{k}")
    _check(res, res["cli"]["help_s"], "cli.help_s")
    for port in ("sim", "socket"):
        _check(res, res["cli"]["status_roundtrip_ms"][port], f"cli.status_roundtrip_ms.{port}")
