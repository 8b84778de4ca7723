"""Summarize results.json from heat_benchmark.py: per case and level, seed 1 and the worst seed."""

import json
import sys

res = json.load(
    open(sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/results.json")
)
order = []
for r in res:
    k = (r["name"], r["level"])
    if k not in order:
        order.append(k)
print(
    "| case | level | full-power s | ratio (s1) | ratio worst | overshoot C (s1) "
    "| overshoot worst | band C (s1) | band worst | settled band worst | faults |"
)
print("|---|---|---|---|---|---|---|---|---|---|---|")
for k in order:
    rs = [r for r in res if (r["name"], r["level"]) == k]
    s1 = next(r for r in rs if r["seed"] == 1)
    f = sorted({c for r in rs for c in r["faults"]})
    print(
        "| %s | %s | %.1f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s |"
        % (
            k[0],
            k[1],
            s1["fp"],
            s1["ratio"],
            max(r["ratio"] for r in rs),
            s1["over"],
            max(r["over"] for r in rs),
            s1["band"],
            max(r["band"] for r in rs),
            max(r["band_settled"] for r in rs),
            ", ".join(f) or "none",
        )
    )
seeds = sorted({r["seed"] for r in res})
nom = [r for r in res if r["name"] == "nominal"]
var = [
    r
    for r in res
    if r["name"] in ("power 0.8", "power 1.2", "mass 0.7", "mass 1.3", "ambient 0", "ambient 35")
]


def worst(rs, key):
    r = max(rs, key=lambda r: r[key])
    return "%.3f (%s %s seed %d)" % (r[key], r["name"], r["level"], r["seed"])


print()
print("seeds:", seeds, " sessions:", len(res), " fault events:", sum(len(r["faults"]) for r in res))
print(
    "nominal worst: ratio",
    worst(nom, "ratio"),
    "| overshoot",
    worst(nom, "over"),
    "| band",
    worst(nom, "band"),
)
print(
    "variations worst: ratio",
    worst(var, "ratio"),
    "| overshoot",
    worst(var, "over"),
    "| band",
    worst(var, "band"),
    "| band without ambient 0",
    worst([r for r in var if r["name"] != "ambient 0"], "band"),
)
