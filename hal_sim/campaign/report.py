"""The campaign report: a markdown page and two plots, from the rows of a results directory.

    write_report(rows, spec, "docs/campaign-report.md", replay_out="build/campaign")

Counts (sessions, violations, false trips, missed faults, unsafe sessions), per fault kind
the detection-time percentiles, the highest pad and the rules that caught it, the exact
binomial upper bounds (stats.upper_bound), and the worst sessions with the command that
replays each. The plots are drawn on Agg Figures (no pyplot state): the highest pad per
fault kind, and the detection times per fault kind. Apart from the list of runs (wall
times), the page depends on the rows alone.
"""

import math
import os
import re
from collections import Counter

import hal_sim.plot  # noqa: F401 - selects the Agg backend before any figure is made
from hal_sim.campaign import rules, stats
from hal_sim.campaign.spec import spec_hash
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

NOT_OK = ("missed", "false_trip", "unsafe", "error")
WORST = 12
FREE = "(no fault)"


def _kind(row):
    return row.get("fault") or FREE


def _f(v, fmt="%.2f"):
    return "-" if v is None else fmt % v


def _reason(why):
    """A reason without its figures, to count alike reasons together: "heater powered
    12.05 s after the latch" -> "heater powered N s after the latch"."""
    return re.sub(r"\d+\.\d+", "N", why.split(" (")[0])


def summary(rows):
    n = len(rows)
    verdicts = Counter(r["verdict"] for r in rows)
    bad = sum(verdicts[v] for v in NOT_OK)
    unsafe = sum(1 for r in rows if r.get("unsafe"))
    return {"sessions": n, "fault_free": sum(1 for r in rows if r.get("fault") is None
                                             and r["verdict"] != "error"),
            "ok": verdicts["ok"], "violations": bad, "false_trips": verdicts["false_trip"],
            "missed": verdicts["missed"], "unsafe_no_fault": verdicts["unsafe"],
            "errors": verdicts["error"], "unsafe": unsafe,
            "violation_rate_upper_95": stats.upper_bound(bad, n),
            "unsafe_rate_upper_95": stats.upper_bound(unsafe, n)}


def by_kind(rows):
    kinds = {}
    for r in rows:
        if r["verdict"] != "error":
            kinds.setdefault(_kind(r), []).append(r)
    out = {}
    for kind in sorted(kinds, key=lambda k: (k == FREE, k)):
        rs = kinds[kind]
        det = [r["detect_s"] for r in rs if r["detect_s"] is not None]
        out[kind] = {
            "sessions": len(rs), "ok": sum(r["verdict"] == "ok" for r in rs),
            "missed": sum(r["verdict"] == "missed" for r in rs),
            "false_trips": sum(r["verdict"] == "false_trip" for r in rs),
            "detect_s": {q: stats.percentile(det, q) for q in (50, 95, 99)},
            "detect_max_s": max(det) if det else None,
            "max_pad_c": max(r["max_pad_c"] for r in rs),
            "caught_by": Counter(r["rule"] for r in rs if r["rule"] is not None),
            "reasons": Counter(_reason(why) for r in rs for why in r["reasons"]
                               if r["verdict"] != "ok"),
        }
    return out


def worst(rows, n=WORST):
    def key(r):
        return (r["verdict"] != "ok", bool(r.get("unsafe")), r.get("max_pad_c") or 0.0)
    return sorted(rows, key=key, reverse=True)[:n]


def markdown(rows, spec, images, replay_out, runs=None):
    s = summary(rows)
    kinds = by_kind(rows)
    md = ["# Campaign report: %s" % spec["name"], ""]
    if spec.get("description"):
        md += [spec["description"].strip(), ""]
    md += ["Spec hash `%s`, campaign seed %d, %d sessions (session seeds %d..%d). Each session "
           "is judged by the simulator's physical truth; the judging rules and the table of "
           "which protection must catch which fault are in docs/campaigns.md."
           % (spec_hash(spec), spec["seed"], s["sessions"], min(r["seed"] for r in rows),
              max(r["seed"] for r in rows)), ""]
    for i, r in enumerate(runs or ()):
        where = r["scheduler"] or "a local cluster of %d worker(s)" % r["workers"]
        md.append("- run %d: %d session(s) on %s in %.1f s, %.2f sessions/s (%s CPUs here, "
                  "load average %s at the end); %d already done." % (
                      i + 1, r["ran"], where, r["wall_s"], r["sessions_per_s"], r.get("cpus"),
                      r.get("load_avg_1m"), r["skipped"]))
    if runs:
        md.append("")
    md += ["## Counts", "",
           "| sessions | fault-free | ok | violations | false trips | missed faults "
           "| unsafe (pad > %.0f C or heat after the latch) | errors |" % rules.PAD_LIMIT_C,
           "|---|---|---|---|---|---|---|---|",
           "| %d | %d | %d | %d | %d | %d | %d | %d |" % (
               s["sessions"], s["fault_free"], s["ok"], s["violations"], s["false_trips"],
               s["missed"], s["unsafe"], s["errors"]), "",
           "A violation is any session whose verdict is not ok: a false trip, a missed fault "
           "(not detected, detected by a rule not meant for it, the pad above %.0f C, or heat "
           "after the latch), harm in a fault-free session, or an error." % rules.PAD_LIMIT_C,
           "", "## Statistical statement", "",
           "%d violation(s) in %d sessions: the violation rate is below %.3g at 95 %% "
           "confidence (exact one-sided binomial, Clopper-Pearson). %d unsafe session(s): "
           "the rate of harm is below %.3g at 95 %% confidence."
           % (s["violations"], s["sessions"], s["violation_rate_upper_95"], s["unsafe"],
              s["unsafe_rate_upper_95"]), "",
           "## Per fault kind", "",
           "| fault | meant for | sessions | ok | missed | false trips | detection p50 / p95 "
           "/ p99 / max (s) | highest pad (C) | caught by |",
           "|---|---|---|---|---|---|---|---|---|"]
    for kind, k in kinds.items():
        meant = "no latch" if kind == FREE else rules.describe(kind)
        d = k["detect_s"]
        times = " / ".join(_f(v) for v in (d[50], d[95], d[99], k["detect_max_s"]))
        caught = ", ".join("%s %d" % (r, c) for r, c in k["caught_by"].most_common()) or "-"
        md.append("| %s | %s | %d | %d | %d | %d | %s | %.2f | %s |" % (
            kind, meant, k["sessions"], k["ok"], k["missed"], k["false_trips"], times,
            k["max_pad_c"], caught))
    md += ["", "Detection time: from the injection to the first fault event (or watchdog "
           "reset), whichever rule it was. Why the sessions that were not ok failed:", ""]
    for kind, k in kinds.items():
        if k["reasons"]:
            md.append("- **%s**: %s" % (kind, "; ".join(
                "%s (%d)" % (why, c) for why, c in k["reasons"].most_common())))
    md += ["", "By follow-up (what happened after the fault):", "",
           "| follow-up | sessions | violations | unsafe | highest pad (C) |",
           "|---|---|---|---|---|"]
    for fu in (None, "power_cycle", "reset"):
        rs = [r for r in rows if r.get("followup") == fu and r["verdict"] != "error"]
        if rs:
            md.append("| %s | %d | %d | %d | %.2f |" % (
                fu or "none", len(rs), sum(r["verdict"] != "ok" for r in rs),
                sum(bool(r["unsafe"]) for r in rs), max(r["max_pad_c"] for r in rs)))
    md += ["", "## Worst sessions", "",
           "| seed | fault | level | massage | follow-up | corner | highest pad (C) | rule | "
           "verdict | replay |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in worst(rows):
        md.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | `cushion campaign --replay "
                  "%d --out %s` |" % (
                      r["seed"], _kind(r), r.get("level"), r.get("massage"),
                      r.get("followup") or "-", r.get("corner"), _f(r.get("max_pad_c")),
                      r.get("rule") or "-", "; ".join([r["verdict"]] + r["reasons"]),
                      r["seed"], replay_out))
    md += ["", "## Plots", "", "![highest pad per fault kind](%s)" % images[0], "",
           "![detection time per fault kind](%s)" % images[1], ""]
    return "\n".join(md)


def plot_pads(rows, path):
    kinds = by_kind(rows)
    names = list(kinds)
    cols = 4
    nrows = (len(names) + cols - 1) // cols
    fig = Figure(figsize=(12, 2.2 * nrows + 0.6))
    FigureCanvasAgg(fig)
    every = [r["max_pad_c"] for r in rows if r["verdict"] != "error"]
    lo = math.floor(min(every, default=20.0)) - 1
    hi = max(math.ceil(max(every, default=50.0)) + 1, rules.PAD_LIMIT_C + 2)
    bins = [lo + 0.5 * i for i in range(int((hi - lo) * 2) + 1)]  # the same 0.5 C bins in all
    for i, kind in enumerate(names):
        ax = fig.add_subplot(nrows, cols, i + 1)
        pads = [r["max_pad_c"] for r in rows if _kind(r) == kind and r["verdict"] != "error"]
        ax.hist(pads, bins=bins, color="#4a78b5")
        ax.set_xlim(lo, hi)
        ax.axvline(rules.PAD_LIMIT_C, color="#c0392b", lw=1)
        ax.set_title("%s (%d)" % (kind, len(pads)), fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle("Highest true pad temperature per session, by fault kind (red: %.0f C)"
                 % rules.PAD_LIMIT_C)
    fig.supxlabel("highest sim.pad_c in the session (C)", fontsize=9)
    fig.supylabel("sessions", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def plot_detection(rows, path):
    kinds = [k for k, v in by_kind(rows).items() if v["caught_by"]]
    fig = Figure(figsize=(9, 0.4 * len(kinds) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    data = [[max(r["detect_s"], 0.01) for r in rows if _kind(r) == k and r["detect_s"]
             is not None] for k in kinds]
    if kinds:
        ax.boxplot(data, vert=False, tick_labels=kinds, whis=(0, 100))
    ax.set_xscale("log")
    ax.set_xlabel("detection time after the injection (s, log scale; whiskers: min..max)")
    ax.set_title("Detection time by fault kind (any rule)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def write_report(rows, spec, md_path, replay_out, runs=None):
    """Write the page and its two PNGs (named after it, beside it); returns their paths."""
    rows = sorted(rows, key=lambda r: r["seed"])
    base = os.path.splitext(md_path)[0]
    pngs = (base + "-pad.png", base + "-detect.png")
    os.makedirs(os.path.dirname(md_path) or ".", exist_ok=True)
    plot_pads(rows, pngs[0])
    plot_detection(rows, pngs[1])
    text = markdown(rows, spec, [os.path.basename(p) for p in pngs], replay_out, runs)
    with open(md_path, "w") as f:
        f.write(text)
    return (md_path,) + pngs
