"""SR-7 auto-off (also across the ticks_ms wrap), SR-1 no resume after a power cycle, SR-10
the watchdog after a hung loop: judged by what the element and the motors really got."""

import pytest
from cushion import limits

from tests.sim import EPS, TICK_S, Watch, fault_events, start, ticks

AUTO_OFF_S = limits.AUTO_OFF_MS / 1000  # 900
WARN_S = limits.AUTO_OFF_WARN_MS / 1000  # 840
WRAP_START = 2**30 - 300_000  # ticks_ms wraps 300 s into the session


@pytest.mark.parametrize("start_ticks", [0, WRAP_START], ids=["no-wrap", "wrap-at-300s"])
def test_auto_off_at_900_s_within_one_tick(start_ticks):
    w = start(massage="continuous 2", start_ticks_ms=start_ticks)
    sim = w.sim
    t0 = sim.replies[0]["sim_s"]  # the tick that took "heat high" started the session
    last_on = None  # last tick on which the element or the motors got power
    heated_late = 0.0
    while sim.now_s < t0 + AUTO_OFF_S + 60:
        w.step()
        if sim.heater_duty > 0 or sim.motor_duty > 0:
            last_on = sim.now_s
        if t0 + AUTO_OFF_S - 30 <= sim.now_s <= t0 + AUTO_OFF_S:
            heated_late += sim.heater_duty
    # The outputs set on the auto-off tick (t0 + 900 s) are off; the power over that tick
    # was set one tick earlier, so the last powered tick is t0 + 900 s itself.
    assert abs(last_on - (t0 + AUTO_OFF_S)) <= TICK_S + EPS
    assert heated_late > 0  # the element was in use up to the end (the off is real)
    (off,) = [e for e in sim.events if e["event"] == "auto_off"]
    assert abs(off["sim_s"] - (t0 + AUTO_OFF_S)) <= TICK_S + EPS
    (warn,) = [e for e in sim.events if e["event"] == "auto_off_warning"]
    assert abs(warn["sim_s"] - (t0 + WARN_S)) <= TICK_S + EPS
    assert warn["remaining_s"] == 60
    assert fault_events(sim) == []
    st = sim.state()
    assert (st["state"], st["heat"], st["massage"]) == ("idle", "off", "off")
    if start_ticks == WRAP_START:
        assert sim.board.ticks_ms() < WRAP_START  # the clock really wrapped mid-session


def test_after_auto_off_only_a_user_action_heats_again():
    w = start()
    sim = w.sim
    assert w.run_until(lambda s: any(e["event"] == "auto_off" for e in s.events), 905)
    for _ in range(ticks(120)):
        w.step()
        assert sim.heater_duty == 0.0
    assert w.send("heat high")["ok"]
    assert w.run_until(lambda s: s.heater_duty > 0, 1.0) is not None


@pytest.mark.parametrize("phase_s", [50.0, 400.0], ids=["warming", "holding"])
def test_no_resume_after_a_power_cycle(phase_s):
    """SR-1: power lost mid-session (heat and massage running) and back: the element and the
    motors stay unpowered for minutes; nothing but a new user action restarts them."""
    w = start(massage="knead 3")
    sim = w.sim
    w.run(phase_s)
    assert sim.heater_duty > 0 and sim.motor_duty > 0
    n_ev = len(sim.events)
    sim.power_cycle()
    w2 = Watch(sim)
    for _ in range(ticks(300)):
        w2.step()
        assert sim.heater_duty == 0.0 and sim.motor_duty == 0.0
    boots = [e for e in sim.events[n_ev:] if e["event"] == "boot"]
    assert [b["reset_cause"] for b in boots] == ["power_on"]
    st = sim.state()
    assert (st["state"], st["heat"], st["massage"], st["session"]) == ("idle", "off", "off", False)
    assert fault_events(sim, n_ev) == []  # the stored element heat after the cut is no fault


def test_watchdog_resets_a_hung_loop_within_2_s_then_stays_safe():
    """SR-10: the loop hangs at full heat; the element keeps whatever it was last given
    until the watchdog (2 s after the last feed) resets the board, then gets nothing."""
    w = start(massage="continuous 3")
    sim = w.sim
    w.run(30)
    assert sim.heater_duty == 1.0
    last_feed = sim.now_s  # the tick just run fed the watchdog
    n_ev = len(sim.events)
    sim.inject("loop_hang")
    t_reset = w.run_until(lambda s: s.resets, 5.0)
    assert t_reset is not None
    assert sim.resets == [(sim.now_s, "watchdog")]
    assert sim.now_s - last_feed <= limits.WDT_TIMEOUT_MS / 1000 + TICK_S + EPS
    boots = [e for e in sim.events[n_ev:] if e["event"] == "boot"]
    assert [b["reset_cause"] for b in boots] == ["watchdog"]
    for _ in range(ticks(120)):
        w.step()
        assert sim.heater_duty == 0.0 and sim.motor_duty == 0.0
    assert sim.state()["session"] is False
    assert fault_events(sim, n_ev) == []
