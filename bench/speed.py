"""Simulator speed: simulated seconds per wall second of one whole 15-minute session
(hal_sim.Simulation, heat high + massage wave, record off), median of 5 runs, on CPython
(this interpreter) and on PyPy (Debian's pypy3, when installed: the same code in a
subprocess, `python -m bench.speed`; its first run warms the JIT and is reported but not in
the median); the same with heat only is reported as an extra CPython figure."""

import json
import shutil
import statistics
import subprocess
import sys
import time

if __package__ in (None, ""):  # run as a script by pypy3: the project root on sys.path
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

import hal_sim  # noqa: F401,E402
from bench.common import ROOT, SEED  # noqa: E402
from hal_sim.simulation import Simulation  # noqa: E402


def one(massage=True):
    sim = Simulation(ambient_c=22.0, seed=SEED)
    sim.command("heat high")
    if massage:
        sim.command("massage wave 2")
    t = time.perf_counter()
    for _ in range(18000):
        sim.step()
    return 900.0 / (time.perf_counter() - t)


def pypy(runs=5):
    exe = shutil.which("pypy3")
    if exe is None:
        return None, "pypy3 not installed (apt-get install pypy3)"
    try:
        out = subprocess.run([exe, str(ROOT / "bench" / "speed.py"), str(runs + 1)],
                             capture_output=True, text=True, timeout=600, cwd=ROOT)
        xs = json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired) as e:
        return None, "pypy3 run failed: %s" % e
    return xs, None


def run(runs=5):
    xs = [one() for _ in range(runs)]
    heat_only = [one(False) for _ in range(runs)]
    pp, why = pypy(runs)
    return {"cpython": statistics.median(xs), "cpython_runs": xs,
            "cpython_heat_only": statistics.median(heat_only),
            "pypy": statistics.median(pp[1:]) if pp else None, "pypy_runs": pp,
            "pypy_note": why}


if __name__ == "__main__":
    print(json.dumps([one() for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5)]))
