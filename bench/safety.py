"""Safety: every fault of hal_sim.FAULTS (old and new, at their default arguments) injected
while holding at high, and the cut-off latency for a reading that crosses 50 C.

A session starts with `heat high` (plus `massage continuous 2` for motor_stall, which needs
the motor running) at 22 C ambient; the fault is injected at INJECT_S, once the pad holds at
45 C, and the run continues to the session's auto-off (900 s). Detection is the first sign
the firmware acted on it: a `fault` event (any code, which is reported), a watchdog reset
(loop_hang), the supply pause (supply_low, not latched by design), or the first error reply
(serial_noise: garbage lines are answered with errors and dropped; heating continues), the
first line dropped with control going on (serial_block, telemetry on). A welded cut-off
(cutoff_stuck_closed) is harmless while the MOSFET works and is found by the switch
self-test: the session is stopped and started again at the injection, and detect_s counts
from that new start. max_pad_c is the highest pad truth from injection to the end of the run.
"""

import hal_sim  # noqa: F401
from bench.common import SEED
from hal_sim.simulation import FAULTS, Simulation

INJECT_S = 360.0
END_S = 900.0


def run_fault(fault):
    sim = Simulation(ambient_c=22.0, seed=SEED)
    sim.command("heat high")
    if fault == "motor_stall":
        sim.command("massage continuous 2")
    sim.run(INJECT_S - sim.now_s)
    n_ev, n_rep, n_reset = len(sim.events), len(sim.replies), len(sim.resets)
    t_inj = sim.now_s
    pad0 = sim.pad_c
    if fault == "serial_block":
        sim.command("telemetry on 1000")
    sim.inject(fault)
    if fault == "cutoff_stuck_closed":  # the next session start's self-test (SR-17)
        sim.serial_in(b"stop\nheat high\n")
    detect_t, how = None, None
    max_pad = sim.pad_c
    while sim.now_s < END_S - 1e-9:
        sim.step()
        if sim.pad_c > max_pad:
            max_pad = sim.pad_c
        if detect_t is None:
            if fault == "loop_hang":
                if len(sim.resets) > n_reset:
                    detect_t, how = sim.now_s, "watchdog reset (%s)" % sim.resets[n_reset][1]
            elif fault == "supply_low":
                if sim.ctl is not None and sim.ctl.safety.supply_paused:
                    detect_t, how = sim.now_s, "supply pause (heater off, not latched)"
            elif fault == "serial_block":
                if sim.board.tx_dropped and not sim.resets[n_reset:]:
                    detect_t, how = sim.now_s, "lines dropped, control goes on, no reset"
            elif fault == "serial_noise":
                errs = [r for r in sim.replies[n_rep:] if r.get("ok") is False]
                if errs:
                    detect_t, how = sim.now_s, "error reply %s" % errs[0].get("error")
            else:
                faults = [e for e in sim.events[n_ev:] if e.get("event") == "fault"]
                if faults:
                    detect_t, how = sim.now_s, "fault event %s" % faults[0].get("code")
    other = sorted({e.get("code") for e in sim.events[n_ev:] if e.get("event") == "fault"})
    return {
        "detect_s": None if detect_t is None else round(detect_t - t_inj, 3),
        "max_pad_c": max_pad,
        "detected_by": how or "not detected within %d s" % (END_S - t_inj),
        "fault_codes": other,
        "pad_at_inject_c": pad0,
        "bad_lines": len(sim.bad_lines),
    }


def cutoff_latency():
    """Warming at full power (60 s into heat high), sensor A is pressed onto a hot spot: its
    reading jumps to 50.6 C while the element is driven, so only the SR-2 overheat check can
    cut the heater (it confirms the reading with a second sample on the same tick: a one-sample
    ADC spike is not an overheat). Latency: from the end of the tick whose firmware reading
    (hotter of ctl.readings.ta/tb) is first >= 5000 centi-C to the first physics tick in which the
    element got no power (sim.heater_duty == 0), in simulated time."""
    sim = Simulation(ambient_c=22.0, seed=SEED)
    sim.command("heat high")
    sim.run(60.0 - sim.now_s)
    sim.cushion.sensor_offset_c[0] = 50.6 - sim.cushion.sensor_c[0]
    n_ev = len(sim.events)
    t_cross = t_off = None
    for _ in range(20 * 120):
        sim.step()
        ctl = sim.ctl
        if t_cross is None and ctl is not None and max(ctl.readings.ta, ctl.readings.tb) >= 5000:
            t_cross = sim.now_ms
            fw_off = False
        if t_cross is not None and sim.now_ms > t_cross and sim.heater_duty == 0.0:
            t_off = sim.now_ms
            fw_off = not sim.board.heater_enabled and sim.board.heater_permille == 0
            break
    codes = [e.get("code") for e in sim.events[n_ev:] if e.get("event") == "fault"]
    if t_cross is None or t_off is None:
        return {"cutoff_latency_ms": None, "fault_codes": codes,
                "reason": "reading never crossed 50 C or heater never cut"}
    return {"cutoff_latency_ms": t_off - t_cross, "fault_codes": codes,
            "both_switches_open": fw_off, "tick_ms": sim.tick_ms}


def tasks():
    out = [(("fault", f), run_fault, (f,)) for f in FAULTS]
    out.append((("cutoff",), cutoff_latency, ()))
    return out
