"""bench/results.json (written by `make bench`) has every key issues 6 and 15 name, with numbers.

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


ENV_METRICS = ("warmup_ratio", "overshoot_c", "hold_band_c")


def test_hold_band_keys(res):
    """Issue 15: the honest hold band beside the older last-8-minutes band."""
    c = res["control"]
    for lv in LEVELS:
        _check(res, c[lv]["hold_band_c"], f"control.{lv}.hold_band_c")
        for peer in ("bang_bang", "klipper_pid"):
            _check(res, c["peers"][peer][lv]["hold_band_c"],
                   f"control.peers.{peer}.{lv}.hold_band_c")
    _check(res, c["worst_case"]["hold_band_c"], "control.worst_case.hold_band_c")


def test_envelope_keys(res):
    """Issue 15: every named corner at each level, the sample's worst (naming its pad) and
    95th percentile, and each peer's worst. A corner figure may be null only where the pad
    is out of reach at that level or the run ended without coming within 0.5 C (then the
    judged target says so)."""
    from hal_sim.envelope import CORNERS
    env = res["envelope"]
    assert set(env["corners"]) == set(CORNERS)
    for name, by_lv in env["corners"].items():
        for lv in LEVELS:
            m = by_lv[lv]
            assert set(ENV_METRICS) | {"faults"} <= set(m), f"envelope.corners.{name}.{lv}"
            assert isinstance(m["faults"], list)
            if not m["unreachable"]:
                _check(res, m["overshoot_c"], f"envelope.corners.{name}.{lv}.overshoot_c")
    s = env["samples"]
    assert s["n"] >= 200
    assert set(s["worst"]) == set(ENV_METRICS) | {"pad"}
    assert set(s["p95"]) == set(ENV_METRICS)
    for k in ENV_METRICS:
        assert s["worst"]["pad"][k].startswith("sample_"), k
    for peer in ("bang_bang", "klipper_pid"):
        for k in ENV_METRICS:
            _check(res, env["peers_worst"][peer][k], f"envelope.peers_worst.{peer}.{k}")
    assert isinstance(env["false_trips"], int)


def test_speed_memory_chip_keys(res):
    sp = res["sim_speed_x"]
    assert "pypy" in sp
    assert sp["pypy"] is None or _num(sp["pypy"])
    for k in ("firmware_min_heapsize_kb", "firmware_peak_heap_bytes"):
        _check(res, res["micropython"][k], f"micropython.{k}")
    chip = res["chip"]
    if "skipped" in chip:
        return
    for case in ("idle", "telemetry_100ms"):
        _check(res, chip["tick_us_median"][case], f"chip.tick_us_median.{case}")
        _check(res, chip["tick_us_max"][case], f"chip.tick_us_max.{case}")
    for k in ("heap_free_after_boot_bytes", "heap_live_after_boot_bytes", "gc_collect_us",
              "gc_collect_empty_us"):
        _check(res, chip[k], "chip." + k)


def test_the_emulator_doc_gives_the_chip_figures_of_results_json(res):
    """docs/emulator.md, "What the chip showed": every figure is bench/results.json's."""
    chip = res.get("chip") or pytest.skip("no chip figures yet (run `make bench`)")
    text = (RESULTS.parent.parent / "docs" / "emulator.md").read_text()
    med, top = chip["tick_us_median"], chip["tick_us_max"]
    cases = ("idle", "heat_high_wave", "telemetry_100ms")
    want = [
        "| %.3g s emulated |" % chip["boot_to_reply_s"],
        "| %s ms of 50 ms |" % " / ".join("%.2f" % (med[c] / 1000) for c in cases),
        "| %s ms (" % " / ".join("%.2f" % (top[c] / 1000) for c in cases),
        "| {:,} bytes |".format(chip["heap_free_after_boot_bytes"]),
        "| %.1f ms |" % (chip["gc_collect_us"] / 1000),
        "it costs %.2f ms on an empty heap and %.0f us more for each KB of live data, which it "
        "scans word by word: %.0f KB here)" % (
            chip["gc_collect_empty_us"] / 1000,
            (chip["gc_collect_us"] - chip["gc_collect_empty_us"])
            / (chip["heap_live_after_boot_bytes"] / 1024),
            chip["heap_live_after_boot_bytes"] / 1024),
        "| {:,} bytes / {:,} bytes |".format(chip["flash_bytes"], chip["flash_fs_used_bytes"]),
    ]
    for figure in want:
        assert figure in text, figure
