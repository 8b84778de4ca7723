"""Heat-controller benchmark: the real firmware on hal_sim.Simulation, 15-minute sessions.

Per session (level low 38 / medium 42 / high 45 C, sent as "heat <level>" at t = 0):
- warmup_ratio: first time max(sensor_a_c, sensor_b_c) (physical sensor temperatures) >= sp - 0.5,
  divided by the same time for the same pad held at constant full power from cold;
- overshoot_c: max over the session of max(sensor_a_c, sensor_b_c) - sp;
- band_c: max - min of pad_c over 420 s <= t < 899 s (the last 8 minutes before auto-off);
  band_settled_c: the same from 120 s after warm-up (for warm-ups that reach into that window);
- faults: every `fault` event (must be none).

    .venv/bin/python bench/tuning/heat_benchmark.py [seeds, e.g. 1,2,3] [all|var|supply] [out.json]
"""

import json
import sys

sys.path.insert(0, __file__.rsplit("/", 3)[0])
from hal_sim import Simulation
from hal_sim.physics import Cushion, PadParams

SP = {"low": 38.0, "medium": 42.0, "high": 45.0}


def full_power_time(sp, amb, v, kw):
    c = Cushion(PadParams(**kw), ambient_c=amb, supply_v=v)
    t = 0.0
    while t < 3000:
        c.step(0.05, 1.0, True, 0, 1)
        t += 0.05
        if max(c.sensor_c) >= sp - 0.5:
            return t
    return None


def session(level, amb=22.0, v=12.0, kw=None, seed=1):
    kw = kw or {}
    s = Simulation(ambient_c=amb, supply_v=v, seed=seed, record=True, params=PadParams(**kw))
    t0 = s.now_s
    s.command("heat " + level)
    s.run(900 - (s.now_s - t0))
    sp = SP[level]
    tr = s.trace
    t_in = next(
        (r["t_ms"] / 1000 - t0 for r in tr if max(r["sensor_a_c"], r["sensor_b_c"]) >= sp - 0.5),
        None,
    )
    mx = max(max(r["sensor_a_c"], r["sensor_b_c"]) for r in tr)
    win = [r["pad_c"] for r in tr if 420000 <= r["t_ms"] - t0 * 1000 < 899000]
    # band after the pad first got within 0.5 C, for the cases where warm-up runs into the window
    settle = [
        r["pad_c"]
        for r in tr
        if t_in is not None
        and r["t_ms"] / 1000 - t0 >= t_in + 120
        and r["t_ms"] - t0 * 1000 < 899000
    ]
    duties = [r["heater_permille"] for r in tr]
    fp = full_power_time(sp, amb, v, kw)
    faults = [e["code"] for e in s.events if e["event"] == "fault"]
    return dict(
        level=level,
        amb=amb,
        v=v,
        kw=kw,
        seed=seed,
        t_in=t_in,
        fp=fp,
        ratio=round(t_in / fp, 4) if (t_in and fp) else None,
        over=round(mx - sp, 3),
        band=round(max(win) - min(win), 3),
        band_settled=round(max(settle) - min(settle), 3) if len(settle) > 100 else None,
        settled_from=round(t_in + 120, 1) if t_in else None,
        min_duty=min(duties),
        max_duty=max(duties),
        faults=faults,
        bad_lines=len(s.bad_lines),
    )


CASES = [
    ("nominal", 22.0, 12.0, {}),
    ("power 0.8", 22.0, 12.0, dict(power_scale=0.8)),
    ("power 1.2", 22.0, 12.0, dict(power_scale=1.2)),
    ("mass 0.7", 22.0, 12.0, dict(mass_scale=0.7)),
    ("mass 1.3", 22.0, 12.0, dict(mass_scale=1.3)),
    ("ambient 0", 0.0, 12.0, {}),
    ("ambient 35", 35.0, 12.0, {}),
]
SUPPLY = [("%.1f V / %g C" % (v, a), a, v, {}) for v in (10.8, 13.2) for a in (0.0, 22.0, 35.0)]


def _job(a):
    name, amb, v, kw, lv, seed = a
    r = session(lv, amb, v, kw, seed)
    r["name"] = name
    return r


if __name__ == "__main__":
    from multiprocessing import Pool

    seeds = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "1").split(",")]
    which = sys.argv[2] if len(sys.argv) > 2 else "all"
    cases = CASES + SUPPLY if which == "all" else (CASES if which == "var" else SUPPLY)
    jobs = [
        (n, a, v, kw, lv, sd)
        for (n, a, v, kw) in cases
        for lv in ("low", "medium", "high")
        for sd in seeds
    ]
    with Pool(2) as p:
        res = p.map(_job, jobs)
    out = sys.argv[3] if len(sys.argv) > 3 else "/tmp/heat_benchmark.json"
    json.dump(res, open(out, "w"), indent=0)
    for r in res:
        print(
            "%-14s %-6s s%d ratio=%-7s over=%6.3f band=%6.3f settled_band=%s faults=%s duty=[%d,%d]"
            % (
                r["name"],
                r["level"],
                r["seed"],
                r["ratio"],
                r["over"],
                r["band"],
                r["band_settled"],
                r["faults"],
                r["min_duty"],
                r["max_duty"],
            )
        )
