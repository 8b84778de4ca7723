"""`make demo` / `python -m hal_sim.demo`: one simulated 15-minute session, summarised.

The session (22 C room, 12 V supply, the reference pad):
  0 s     `heat high` and `massage wave` over serial: the session starts, set-point 45.0 C
  450 s   the heat button, twice: the level cycles off-low-medium-high-off, so from high
          the first press turns the heat off and the second lands on low (38.0 C). The
          massage keeps running, so the session (and its 900 s clock) carries on.
  900 s   auto-off: heater and motor off, the `auto_off` event (warning at 840 s)
  960 s   end of the run: a minute of the pad cooling with everything off

It prints time to set-point, overshoot, the band the pad holds, the auto-off time and any
faults, and writes build/demo.png and build/demo.csv (the directory is made if missing).
The run itself is a scenario (hal_sim.scenario), so its expectations are checked too.
"""

import argparse
import os
import sys
import time

from hal_sim import plot
from hal_sim.scenario import run_scenario

HIGH_C = 45.0
LOW_C = 38.0
PRESS_AT_S = 450.0

SCENARIO = {
    "name": "demo: 15-minute session, heat high + wave massage, heat button twice at 450 s",
    "ambient_c": 22.0,
    "duration_s": 960,
    "steps": [
        {"at_s": 0, "send": "heat high"},
        {"at_s": 0, "send": "massage wave"},
        {"at_s": PRESS_AT_S, "press": "heat"},  # high -> off
        {"at_s": PRESS_AT_S + 1, "press": "heat"},  # off -> low
    ],
    "expect": [
        {"no_event": "fault"},
        {"max_pad_c": 50.0},
        {"state": "active", "at_s": 440, "heat_state": "holding", "heat": "high"},
        {"state": "active", "at_s": 460, "heat": "low", "massage": "wave"},
        {"event": "auto_off_warning", "within_s": [840, 841]},
        {"event": "auto_off", "within_s": [900, 901]},
        {"heater_off_after_s": 901},
        {"state": "idle", "at_s": 905, "heat": "off", "massage": "off"},
    ],
}


def _hot(row):
    """What the firmware controls on: the hotter of its two readings, in C."""
    return max(row["temp_c100"], row["temp2_c100"]) / 100


def _rows(trace, a_s, b_s):
    return [r for r in trace if a_s * 1000 <= r["t_ms"] <= b_s * 1000]


def summarise(sim):
    """The numbers the demo prints, as a dict (tests read it too)."""
    trace = sim.trace
    s = {}
    reach = next((r for r in trace if r["setpoint_c100"] == 4500 and _hot(r) >= HIGH_C), None)
    s["time_to_setpoint_s"] = reach["t_ms"] / 1000 if reach else None
    high = _rows(trace, 0, PRESS_AT_S)
    peak = max(high, key=_hot)
    peak_pad = max(high, key=lambda r: r["pad_c"])
    s["overshoot_sensor_c"] = _hot(peak) - HIGH_C
    s["overshoot_sensor_at_s"] = peak["t_ms"] / 1000
    s["overshoot_pad_c"] = peak_pad["pad_c"] - HIGH_C
    s["overshoot_pad_at_s"] = peak_pad["t_ms"] / 1000
    # steady band at high: from 60 s after the set-point was reached up to the press
    # (none if the set-point came too late to leave 30 s of holding before the press)
    t_sp = s["time_to_setpoint_s"]
    steady = _rows(trace, t_sp + 60, PRESS_AT_S) if t_sp is not None else []
    s["steady_window_s"] = (t_sp + 60, PRESS_AT_S) if len(steady) >= 600 else None
    if s["steady_window_s"] is None:
        s["steady_sensor_c"] = s["steady_pad_c"] = s["steady_heater_pct"] = None
    else:
        s["steady_sensor_c"] = (min(map(_hot, steady)), max(map(_hot, steady)))
        s["steady_pad_c"] = (min(r["pad_c"] for r in steady), max(r["pad_c"] for r in steady))
        s["steady_heater_pct"] = 100 * sum(r["heater_duty"] for r in steady) / len(steady)
    # after the two presses: low (38 C), judged over the last two minutes before auto-off
    low = _rows(trace, 780, 900)
    s["low_window_s"] = (780.0, 900.0)
    s["low_sensor_c"] = (min(map(_hot, low)), max(map(_hot, low)))
    s["low_pad_c"] = (min(r["pad_c"] for r in low), max(r["pad_c"] for r in low))
    s["low_heater_pct"] = 100 * sum(r["heater_duty"] for r in low) / len(low)
    s["low_held_off"] = any(r["heat_state"] == 3 for r in low)  # a latched fault: not control
    down = next((r for r in _rows(trace, PRESS_AT_S, 900) if _hot(r) <= LOW_C + 0.5), None)
    s["low_reached_s"] = down["t_ms"] / 1000 if down else None
    ev = {e["event"]: e["sim_s"] for e in reversed(sim.events)}
    s["auto_off_warning_s"] = ev.get("auto_off_warning")
    s["auto_off_s"] = ev.get("auto_off")
    after = [r for r in trace if s["auto_off_s"] is not None
             and r["t_ms"] > s["auto_off_s"] * 1000]
    s["outputs_off_after_auto_off"] = bool(after) and all(
        r["heater_duty"] == 0 and r["motor_duty"] == 0 for r in after[1:])
    s["faults"] = [(e["sim_s"], e.get("code")) for e in sim.events if e["event"] == "fault"]
    s["max_pad_c"] = max(r["pad_c"] for r in trace)
    return s


def _f(v, fmt="%.1f"):
    return "never" if v is None else fmt % v


def format_summary(s):
    lines = [
        "time to set-point: %s s (hotter sensor reading reaches %.1f C)"
        % (_f(s["time_to_setpoint_s"]), HIGH_C),
        "overshoot: sensors %+.2f C (at %.1f s), pad surface %+.2f C (at %.1f s)"
        % (s["overshoot_sensor_c"], s["overshoot_sensor_at_s"], s["overshoot_pad_c"],
           s["overshoot_pad_at_s"]),
        ("steady band at high (%.0f..%.0f s): sensors %.2f..%.2f C, pad %.2f..%.2f C, "
         "heater %.0f %% mean" % (s["steady_window_s"] + s["steady_sensor_c"]
                                   + s["steady_pad_c"] + (s["steady_heater_pct"],))
         if s["steady_window_s"] else
         "steady band at high: n/a (the set-point came too late for 30 s of holding "
         "before %.0f s)" % PRESS_AT_S),
        "heat button x2 at %.0f s: high -> off -> low; sensors down to %.1f C at %s s"
        % (PRESS_AT_S, LOW_C + 0.5, _f(s["low_reached_s"])),
        "band at low (%.0f..%.0f s): sensors %.2f..%.2f C, pad %.2f..%.2f C, "
        "heater %.0f %% mean%s" % (s["low_window_s"] + s["low_sensor_c"] + s["low_pad_c"]
                                    + (s["low_heater_pct"],
                                       " (NOT holding low: a fault holds the heater off)"
                                       if s["low_held_off"] else "")),
        "auto-off: %s s (warning at %s s); heater and motor off after it: %s"
        % (_f(s["auto_off_s"], "%.2f"), _f(s["auto_off_warning_s"], "%.2f"),
           "yes" if s["outputs_off_after_auto_off"] else "NO"),
        "faults: %s" % (", ".join("%s at %.2f s" % (c, t) for t, c in s["faults"]) or "none"),
        "max pad surface: %.2f C" % s["max_pad_c"],
    ]
    return "\n".join(lines)


def run_demo(out_dir="build", out=None):
    """Run the demo session, print the summary to `out`, write the PNG and CSV into
    out_dir. Returns (scenario result, summary dict)."""
    out = out or sys.stdout
    t0 = time.perf_counter()
    result = run_scenario(SCENARIO)
    sim = result.sim
    t_sim = time.perf_counter() - t0
    summary = summarise(sim)
    print("demo: a 15-minute session on the simulated cushion (22 C room, 12.0 V supply)",
          file=out)
    print(format_summary(summary), file=out)
    print("checks:", file=out)
    for o in result.outcomes:
        print("  " + o.line, file=out)
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, "demo.png")
    csv_path = os.path.join(out_dir, "demo.csv")
    t1 = time.perf_counter()
    n = plot.write_csv(sim.trace, csv_path)
    plot.plot_run(sim.trace, sim.events, png, title=SCENARIO["name"],
                  steps=[(lg.applied_s, lg.text) for lg in result.steps])
    t_out = time.perf_counter() - t1
    print("wrote %s and %s (%d rows); %.0f s simulated in %.1f s, files in %.1f s"
          % (png, csv_path, n, sim.now_s, t_sim, t_out), file=out)
    return result, summary


def main(argv=None, out=None):
    p = argparse.ArgumentParser(prog="python -m hal_sim.demo", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="build", metavar="DIR",
                   help="where demo.png and demo.csv go (default: build, made if missing)")
    args = p.parse_args(argv)
    result, _ = run_demo(args.out, out)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
