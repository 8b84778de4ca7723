"""Level changes inside a session and a warm restart, on the full firmware (hal_sim)."""

import sys

sys.path.insert(0, __file__.rsplit("/", 3)[0])
from hal_sim import Simulation
from hal_sim.physics import PadParams


def run(steps, amb=22.0, v=12.0, kw=None, seed=1, total=900):
    s = Simulation(
        ambient_c=amb, supply_v=v, seed=seed, record=True, params=PadParams(**(kw or {}))
    )
    t = 0.0
    marks = []
    for at, cmd in steps:
        s.run(at - t)
        s.command(cmd)
        t = s.now_s
        marks.append((t, cmd))
    s.run(total - t)
    return s, marks


def describe(s, marks):
    tr = s.trace
    faults = [(e["sim_s"], e["code"]) for e in s.events if e["event"] == "fault"]
    out = []
    for i, (t0, cmd) in enumerate(marks):
        t1 = marks[i + 1][0] if i + 1 < len(marks) else 899.0
        rows = [r for r in tr if t0 <= r["t_ms"] / 1000 < t1]
        sp = rows[-1]["setpoint_c100"] / 100
        mx = max(max(r["sensor_a_c"], r["sensor_b_c"]) for r in rows)
        mn = min(max(r["sensor_a_c"], r["sensor_b_c"]) for r in rows[len(rows) // 2 :])
        t_in = next(
            (
                r["t_ms"] / 1000 - t0
                for r in rows
                if abs(max(r["sensor_a_c"], r["sensor_b_c"]) - sp) <= 0.5
            ),
            None,
        )
        tail = [r["pad_c"] for r in rows if r["t_ms"] / 1000 >= t1 - 120]
        out.append(
            "  %-12s at %5.1f s: sp %.1f, within 0.5 C after %s s, sensor max %+.2f, "
            "second-half min %+.2f, pad band last 120 s %.3f"
            % (cmd, t0, sp, t_in, mx - sp, mn - sp, max(tail) - min(tail))
        )
    out.append("  faults: %s" % (faults or "none"))
    return "\n".join(out)


if __name__ == "__main__":
    for amb in (0.0, 22.0, 35.0):
        for name, steps in (
            ("low -> high", [(0, "heat low"), (300, "heat high")]),
            ("high -> low", [(0, "heat high"), (400, "heat low")]),
            ("high -> medium", [(0, "heat high"), (400, "heat medium")]),
            (
                "medium, off 60 s, medium",
                [(0, "heat medium"), (300, "heat off"), (360, "heat medium")],
            ),
        ):
            s, marks = run(steps, amb=amb)
            print("%s, %g C room" % (name, amb))
            print(describe(s, marks))
