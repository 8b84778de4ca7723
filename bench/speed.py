"""Simulator speed on CPython: simulated seconds per wall second of one whole 15-minute
session (hal_sim.Simulation, heat high + massage wave, record off), median of 5 runs; the
same with heat only is reported as an extra figure."""

import statistics
import time

import hal_sim  # noqa: F401
from bench.common import SEED
from hal_sim.simulation import Simulation


def one(massage=True):
    sim = Simulation(ambient_c=22.0, seed=SEED)
    sim.command("heat high")
    if massage:
        sim.command("massage wave 2")
    t = time.perf_counter()
    for _ in range(18000):
        sim.step()
    return 900.0 / (time.perf_counter() - t)


def run(runs=5):
    xs = [one() for _ in range(runs)]
    heat_only = [one(False) for _ in range(runs)]
    return {"cpython": statistics.median(xs), "cpython_runs": xs,
            "cpython_heat_only": statistics.median(heat_only)}
