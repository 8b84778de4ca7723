"""Control quality: our firmware (through hal_sim.Simulation) and the two peers
(bench/peers.py) on the same simulated pad, a hal_sim.envelope.Conditions (pad, room,
supply); the reference pad is envelope.NOMINAL.

A run is two back-to-back 15-minute sessions, the way a user restarts: `heat <level>`, the
firmware's own auto-off at 15 minutes, `heat <level>` again at once, until the second
auto-off. Figures per run (DESIGN section 5 set-points):
- warmup_ratio: time for the hotter physical pad sensor (Cushion.sensor_c, i.e. trace
  sensor_a_c/sensor_b_c) to come within 0.5 C of the set-point, divided by the same time with
  the element at constant full power on the bare physics of the same pad (its physical limit);
- overshoot_c: the hotter physical sensor's maximum over the run minus the set-point;
- hold_band_c: peak-to-peak of the pad truth (pad_c) from 60 s after the sensor first came
  within 0.5 C of the set-point to the end of the hold (the second auto-off);
- band_c: the older figure, peak-to-peak of pad_c over the last 8 minutes of the first session.
A pad that cannot come within 0.5 C of a set-point even at full power has no warm-up ratio
or hold band at that level (reported as unreachable, with its full-power steady state).
"""

from bench.common import LEVELS, SESSION_S, SESSIONS, SETPOINT_C, TICK_S, session_metrics
from bench.peers import cushion, full_power_time, run_bang_bang, run_klipper

import hal_sim  # noqa: F401  (sets up `micropython` and the firmware path)
from hal_sim import envelope

N_TICKS = int(round(SESSION_S / TICK_S))
SEED = 1

VARIATIONS = {
    "element_-20%": {"power_scale": 0.8},
    "element_+20%": {"power_scale": 1.2},
    "mass_-30%": {"mass_scale": 0.7},
    "mass_+30%": {"mass_scale": 1.3},
    "ambient_0C": {"ambient_c": 0.0},
    "ambient_35C": {"ambient_c": 35.0},
}


def variation(name):
    return envelope.with_params(envelope.NOMINAL, name=name, **VARIATIONS[name])


def run_ours(level, cond=envelope.NOMINAL):
    sim = envelope.simulation(cond, seed=SEED)
    n_events = len(sim.events)
    t0 = sim.now_ms
    times, pad, hot = [], [], []
    first_end = None
    paused = 0  # ticks the supervisor held the heater off for a low supply (SR: supply_low)
    for _session in range(SESSIONS):
        sim.serial_in(("heat %s\n" % level).encode())
        for i in range(N_TICKS + 40):  # the command is read in the next tick
            sim.step()
            times.append((sim.now_ms - t0) / 1000)
            pad.append(sim.pad_c)
            s = sim.sensor_c
            hot.append(s[0] if s[0] > s[1] else s[1])
            paused += sim.ctl.safety.supply_paused
            if i > 1 and not sim.ctl.session.active:
                break
        if first_end is None:
            first_end = times[-1]
    sp = SETPOINT_C[level]
    m = session_metrics(times, pad, hot, sp, full_power_time(sp, cond), first_end_s=first_end)
    m["faults"] = [e.get("code") for e in sim.events[n_events:] if e.get("event") == "fault"]
    m["max_pad_c"] = max(pad)
    m["supply_paused_s"] = paused * TICK_S
    return mark_reachable(m, cond, times[-1], sp)


def mark_reachable(m, cond, run_s, setpoint):
    """A pad whose full power does not bring the sensor within 0.5 C inside the run, or a room
    already that warm (a heater cannot hold a set-point below the room), is beyond what the
    product must do at that level: flagged, and left out of the worst case."""
    tf = m["full_power_warmup_s"]
    m["run_s"] = run_s  # shorter than the two sessions when a fault ended the run
    m["room_above_setpoint"] = cond.ambient_c >= setpoint - 0.5
    m["unreachable"] = tf is None or tf > SESSIONS * SESSION_S or m["room_above_setpoint"]
    if m["unreachable"]:
        m["full_power_steady_pad_c"] = cushion(cond).steady_state(1.0)[1]
    return m


def run(controller, level, cond=envelope.NOMINAL):
    """One run of `controller` ("ours", "bang_bang", "klipper_pid") on this pad."""
    if controller == "ours":
        return run_ours(level, cond)
    peer = run_bang_bang if controller == "bang_bang" else run_klipper
    m = peer(level, cond, SETPOINT_C[level])
    if "full_power_warmup_s" not in m:  # the autotune could not run
        m["full_power_warmup_s"] = full_power_time(SETPOINT_C[level], cond)
    return mark_reachable(m, cond, SESSIONS * SESSION_S, SETPOINT_C[level])


def tasks():
    """(key, function, args) for every independent session on the reference pad and the
    one-at-a-time variations."""
    out = []
    for lv in LEVELS:
        for who in ("ours", "bang_bang", "klipper_pid"):
            out.append(((who, lv), run, (who, lv)))
        for name in VARIATIONS:
            out.append((("var", name, lv), run_ours, (lv, variation(name))))
    return out
