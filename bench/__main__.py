"""`python -m bench` (`make bench`): run every benchmark, print the table, write
bench/results.md, bench/results.json and bench/README_section.md.

Phase 1 runs the independent simulated sessions (control, peers, pad variations, faults) and
the untimed MicroPython memory figures in a process pool of 2. Phase 2 runs everything that
is a wall-clock timing alone, one after the other, so the pool does not skew it.
"""

import hashlib
import platform
import subprocess
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor

from bench import campaign, chip, cli, control, pads, report, safety, speed, vm
from bench.common import LEVELS, ROOT


def _call(fn, args):
    return fn(*args)


def _sha1(path):
    return hashlib.sha1(path.read_bytes()).hexdigest()[:12]


def machine():
    try:
        mp = subprocess.run([str(ROOT / ".venv" / "bin" / "micropython"), "-c",
                             "import sys; print(sys.implementation.name, "
                             "'.'.join(str(x) for x in sys.implementation.version[:3]))"],
                            capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        mp = "micropython: not found"
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        head = ""
    import os
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "micropython": mp, "git_head": head,
            "heat_py_sha1": _sha1(ROOT / "firmware" / "cushion" / "heat.py"),
            "limits_py_sha1": _sha1(ROOT / "firmware" / "cushion" / "limits.py"),
            "safety_py_sha1": _sha1(ROOT / "firmware" / "cushion" / "safety.py")}


def _measured(errors, key, run, missing):
    """`run()`; if it fails, `missing` and the traceback in `errors[key]`: one broken
    benchmark costs only its own figures."""
    try:
        return run()
    except Exception:  # noqa: BLE001 - report it and carry on
        errors[key] = traceback.format_exc(limit=3)
        return missing


def _pick(m):
    return {k: m.get(k) for k in ("warmup_ratio", "overshoot_c", "hold_band_c", "band_c")}


def main():
    t_start = time.perf_counter()
    errors = {}
    tasks = pads.tasks() + control.tasks() + safety.tasks()
    results = {}
    print("bench: %d simulated sessions + MicroPython memory in a pool of 2 ..." % len(tasks),
          flush=True)
    with ProcessPoolExecutor(max_workers=2) as pool:
        fut_vm = pool.submit(vm.memory_untimed)
        futs = {key: pool.submit(_call, fn, args) for key, fn, args in tasks}
        for key, f in futs.items():
            try:
                results[key] = f.result()
            except Exception:  # noqa: BLE001 - report it and carry on
                errors[str(key)] = traceback.format_exc(limit=3)
        vm_mem = _measured(errors, "vm_memory", fut_vm.result, {})
    print("bench: phase 1 done in %.0f s; timing phase (alone) ..."
          % (time.perf_counter() - t_start), flush=True)
    sp = _measured(errors, "speed", speed.run, {"cpython": None, "cpython_heat_only": 0})
    vmt = _measured(errors, "vm_timed", vm.timed, {})
    cl = _measured(errors, "cli", cli.run,
                   {"help_s": None, "status_roundtrip_ms": {"sim": None, "socket": None},
                    "notes": {"all": "not measured: bench error"}})
    ch = _measured(errors, "chip", chip.run, {})
    camp = _measured(errors, "campaign", campaign.run,
                     {"sessions_per_s": {"1": None, "2": None}, "scaling_efficiency": None})

    empty = {"warmup_ratio": None, "overshoot_c": None, "hold_band_c": None, "band_c": None,
             "faults": []}

    def got(key):
        return results.get(key, empty)

    ctrl = {lv: dict(_pick(got(("ours", lv))), warmup_s=got(("ours", lv)).get("warmup_s"))
            for lv in LEVELS}
    ctrl["peers"] = {p: {lv: _pick(got((p, lv))) for lv in LEVELS}
                     for p in ("bang_bang", "klipper_pid")}
    variations = {}
    for name in control.VARIATIONS:
        variations[name] = {}
        for lv in LEVELS:
            m = got(("var", name, lv))
            variations[name][lv] = dict(_pick(m), faults=m.get("faults", []),
                                        max_pad_c=m.get("max_pad_c"),
                                        warmup_s=m.get("warmup_s"))
    worst = {}
    rows = {}
    trips = []
    for k in ("warmup_ratio", "overshoot_c", "hold_band_c", "band_c"):
        best = None
        for name, by_lv in variations.items():
            for lv in LEVELS:
                v = by_lv[lv][k]
                if v is not None and (best is None or v > best[0]):
                    best = (v, "%s %s" % (name, lv))
        worst[k] = best[0] if best else None
        rows[k] = best[1] if best else "n/a"
    for name, by_lv in variations.items():
        for lv in LEVELS:
            for code in by_lv[lv]["faults"]:
                trips.append("%s %s: %s" % (name, lv, code))
    ctrl["worst_case"] = dict(worst, rows=rows, fault_trips=trips)
    for lv in LEVELS:
        ctrl[lv]["faults"] = got(("ours", lv)).get("faults", [])
    env = pads.summarise(results)
    env["false_trips"] += len(trips) + sum(len(ctrl[lv]["faults"]) for lv in LEVELS)

    safety_res, safety_extra = {}, {}
    from hal_sim import FAULTS
    for f in FAULTS:
        m = results.get(("fault", f))
        if m is None:
            safety_res[f] = {"detect_s": None, "max_pad_c": None}
            safety_extra[f] = {"detected_by": "not measured (bench error)"}
        else:
            safety_res[f] = {"detect_s": m["detect_s"], "max_pad_c": m["max_pad_c"]}
            safety_extra[f] = m
    cut = results.get(("cutoff",), {"cutoff_latency_ms": None})

    mp = {
        "alloc_per_tick_bytes": vmt.get("alloc_per_tick_bytes"),
        "heap_after_init_bytes": vmt.get("heap_after_init_bytes"),
        "peak_heap_bytes": vm_mem.get("peak_heap_bytes"),
        "min_heapsize_kb": vm_mem.get("min_heapsize_kb"),
        "mpy_total_bytes": vm_mem.get("mpy_total_bytes"),
        "tick_us_median": vmt.get("tick_us_median"),
        "firmware_min_heapsize_kb": vm_mem.get("firmware_min_heapsize_kb"),
        "firmware_peak_heap_bytes": vm_mem.get("firmware_peak_heap_bytes"),
    }
    runtime = time.perf_counter() - t_start
    res = {
        "control": ctrl,
        "variations": variations,
        "envelope": env,
        "safety": safety_res,
        "cutoff_latency_ms": cut.get("cutoff_latency_ms"),
        "sim_speed_x": {"cpython": sp.get("cpython"), "micropython": vmt.get("sim_speed_x"),
                        "pypy": sp.get("pypy")},
        "micropython": mp,
        "cli": {"help_s": cl.get("help_s"), "status_roundtrip_ms": cl["status_roundtrip_ms"],
                "notes": cl.get("notes", {})},
        "chip": ch,
        "campaign": camp,
        "machine": machine(),
        "runtime_s": runtime,
        "errors": errors,
        "extra": {
            "speed": sp, "vm": dict(vm_mem, **vmt), "cli": cl, "cutoff": cut,
            "safety": safety_extra, "safety_inject_s": safety.INJECT_S,
            "klipper_gains": {lv: got(("klipper_pid", lv)).get("gains") for lv in LEVELS},
            "sessions": {"%s" % (k,): v for k, v in results.items()
                         if k[0] in ("ours", "bang_bang", "klipper_pid", "var", "corner")},
            "method": [
                "control: " + control.__doc__.strip().replace("\n", " "),
                "envelope: " + env["method"],
                "safety: " + safety.__doc__.strip().replace("\n", " "),
                "cutoff_latency_ms: " + safety.cutoff_latency.__doc__.strip().replace("\n", " "),
                "simulator speed: " + speed.__doc__.strip().replace("\n", " "),
                "micropython: " + vm.__doc__.strip().replace("\n", " "),
                "cli: " + cli.__doc__.strip().replace("\n", " "),
                "campaign: " + campaign.__doc__.strip().replace("\n", " "),
            ],
        },
    }
    table, misses = report.write(res, runtime)
    print(table)
    if errors:
        print("\nbench: errors in", ", ".join(errors), "(details in results.json 'errors')")
    print("\nbench: %d target(s) missed; wrote bench/results.md, bench/results.json, "
          "bench/README_section.md in %.0f s" % (len(misses), runtime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
