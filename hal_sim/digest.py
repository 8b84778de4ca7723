"""A scripted session whose integer trace must be identical in every VM.

Used by tests/test_vm_session.py: CPython, the MicroPython unix port and the WebAssembly
port each run `print_session()` and their outputs are compared line by line. Only integers
and strings are printed (float formatting and dict order differ between VMs), and every
event's keys are sorted.
"""

from hal_sim.simulation import Simulation


def _value(v):
    if isinstance(v, float):
        return str(int(v * 100 + (0.5 if v >= 0 else -0.5)))  # hundredths, no float text
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def event_line(ev):
    keys = sorted(k for k in ev if k != "sim_s")
    return "E %d %s" % (int(ev["sim_s"] * 1000 + 0.5),
                        " ".join("%s=%s" % (k, _value(ev[k])) for k in keys))


def print_session(session_s=900, fault_s=60, out=print):
    """Heat high plus massage wave for session_s, then a fresh session that gets a fault."""
    sim = Simulation(ambient_c=22.0, record=False, seed=7)
    out("R " + " ".join(sorted("%s=%s" % (k, _value(v))
                               for k, v in sim.command("#1 heat high").items())))
    out("R " + " ".join(sorted("%s=%s" % (k, _value(v))
                               for k, v in sim.command("#2 massage wave 2").items())))
    ticks = session_s * 1000 // sim.tick_ms
    for i in range(ticks + 40):
        sim.step()
        if i % 20 == 0:
            ctl = sim.ctl
            out("T %d %d %d %d %d %d %d %d" % (
                sim.now_ms, ctl.readings.ta, ctl.readings.tb, ctl.heat.setpoint, ctl.out.heater,
                ctl.out.motor, ctl.heat.state, ctl.session.remaining_ms(sim.board.ticks_ms())))
    sim.command("#3 heat medium")
    sim.run(30)
    sim.inject("sensor_short")
    for i in range(fault_s * 1000 // sim.tick_ms):
        sim.step()
        if i % 20 == 0:
            ctl = sim.ctl
            r = ctl.readings
            out("T %d %d %d %d %d %s" % (sim.now_ms, r.ta, r.tb, ctl.out.heater,
                                         ctl.heat.state, ctl.safety.fault))
    for ev in sim.events:
        out(event_line(ev))
    out("DONE %d ticks" % sim.ticks_run)
