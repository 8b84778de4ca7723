"""Control over the plant envelope (hal_sim/envelope.py): our firmware, untuned, on every
named corner at each level, with both peers tuned on each corner (bench/peers.py), and on a
seeded sample of pads drawn from the envelope.

Every run is the two-session run of bench/control.py. The sample: SAMPLE_N pads drawn with
random.Random(SAMPLE_SEED); pad i is run at level LEVELS[i % 3] (a third of the pads per
level, so the sample costs SAMPLE_N runs, not three times that, and `make bench` stays
within its 10 minutes on 2 cores). Each worst figure names the pad (and level) it comes from;
the 95th percentile is over the reachable runs with a figure (nearest rank); the runs
without one (a trip ended them, or the sensor never came within 0.5 C) are listed beside it.
A peer whose relay autotune cannot complete on a pad (the room is within 5 C of the
set-point, so the relay never cools that far) has no figures there, and is listed.
A fault event in any of our runs on a pad without an injected fault is a false trip, and is
counted.
"""

import math
import os
import re
import random

from bench import control
from bench.common import LEVELS

from hal_sim import envelope

SAMPLE_N = int(os.environ.get("BENCH_SAMPLE_N", "240"))  # override for a quick trial
SAMPLE_SEED = 15
METRICS = ("warmup_ratio", "overshoot_c", "hold_band_c")
PEERS = ("bang_bang", "klipper_pid")


def sample():
    rng = random.Random(SAMPLE_SEED)
    return [envelope.draw(rng, "sample_%03d" % i) for i in range(SAMPLE_N)]


def tasks():
    out = []
    for name, cond in envelope.CORNERS.items():
        for lv in LEVELS:
            for who in ("ours",) + PEERS:
                out.append((("corner", name, who, lv), control.run, (who, lv, cond)))
    for i, cond in enumerate(sample()):
        lv = LEVELS[i % 3]
        out.append((("sample", cond.name, lv), control.run, ("ours", lv, cond)))
    return out


def _p95(xs):
    xs = sorted(xs)
    return xs[max(0, math.ceil(0.95 * len(xs)) - 1)] if xs else None


def _worst(runs):
    """{metric: (value, where)} over the reachable runs with a figure, and {metric: [where]}
    of the reachable runs without one (a trip ended the run, or the sensor never came within
    0.5 C): those are reported beside the worst, never hidden in it. runs: [(where, m)]."""
    out, none = {}, {}
    for k in METRICS:
        best, none[k] = None, []
        for where, m in runs:
            if m.get("unreachable"):
                continue
            v = m.get(k)
            if v is None:
                none[k].append(where)
            elif best is None or v > best[0]:
                best = (v, where)
        out[k] = best
    return out, none


def summarise(results):
    """The `envelope` figures of results.json from the task results."""
    corners, unreachable, trips = {}, [], []
    peer_runs = {p: [("nominal %s" % lv, results.get((p, lv), {})) for lv in LEVELS]
                 for p in PEERS}
    for name in envelope.CORNERS:
        corners[name] = {}
        for lv in LEVELS:
            m = results.get(("corner", name, "ours", lv), {})
            corners[name][lv] = {k: m.get(k) for k in METRICS}
            corners[name][lv]["faults"] = m.get("faults", [])
            corners[name][lv]["unreachable"] = bool(m.get("unreachable"))
            corners[name][lv]["peers"] = {}
            if m.get("unreachable"):
                unreachable.append("%s %s (%s)" % (name, lv, "room above the set-point"
                                   if m["room_above_setpoint"] else "full power settles at "
                                   "%.1f C" % m["full_power_steady_pad_c"]))
            trips += ["%s %s: %s" % (name, lv, f) for f in m.get("faults", [])]
            for p in PEERS:
                pm = results.get(("corner", name, p, lv), {})
                corners[name][lv]["peers"][p] = {k: pm.get(k) for k in METRICS}
                peer_runs[p].append(("%s %s" % (name, lv), pm))
    runs, descr = [], {}
    for key, m in results.items():
        if key[0] == "sample":
            where = "%s %s" % (key[1], key[2])
            runs.append((where, m))
            trips += ["%s: %s" % (where, f) for f in m.get("faults", [])]
            if m.get("unreachable"):
                unreachable.append(where)
    for cond in sample():
        descr[cond.name] = cond.describe()
    w, s_none = _worst(runs)
    worst = {k: (w[k][0] if w[k] else None) for k in METRICS}
    worst["pad"] = {k: _pad(w[k], descr) for k in METRICS}
    reach = [m for _w, m in runs if not m.get("unreachable")]
    p95 = {k: _p95([m[k] for m in reach if m.get(k) is not None]) for k in METRICS}
    cw, c_none = _worst([("%s %s" % (n, lv), dict(corners[n][lv]))
                         for n in corners for lv in LEVELS])
    peers_worst, failed = {}, []
    for p, pr in peer_runs.items():
        failed += ["%s %s" % (p, where) for where, m in pr if m.get("why")]
        pw, _none = _worst([(where, m) for where, m in pr if not m.get("why")])
        peers_worst[p] = {k: (pw[k][0] if pw[k] else None) for k in METRICS}
        peers_worst[p]["where"] = {k: (pw[k][1] if pw[k] else None) for k in METRICS}
    return _fin({
        "corners": corners,
        "corners_worst": dict({k: (cw[k][0] if cw[k] else None) for k in METRICS},
                              where={k: (cw[k][1] if cw[k] else None) for k in METRICS},
                              no_figure=c_none),
        "samples": {"n": len(runs), "reachable": len(reach), "seed": SAMPLE_SEED,
                    "worst": worst, "p95": p95, "no_figure": s_none},
        "peer_autotune_failed": failed,
        "peers_worst": peers_worst,
        "false_trips": len(trips),
        "false_trip_list": trips,
        "unreachable": unreachable,
        "method": " ".join(__doc__.split()),
    })


def _fin(d):
    """JSON has no infinity: a reachable run that never came within 0.5 C reads null (the
    runs list says which)."""
    if isinstance(d, dict):
        return {k: _fin(v) for k, v in d.items()}
    return None if isinstance(d, float) and math.isinf(d) else d


def _pad(worst, descr):
    if worst is None:
        return None
    where = worst[1]
    words = re.sub(r"\d+\.\d{3,}", lambda x: "%.3g" % float(x.group()),
                   descr.get(where.split()[0], ""))
    return "%s (%s)" % (where, words)
