"""Property-based tests (hypothesis): random interleavings, over hours of virtual time, of
button presses, serial commands (valid and invalid), faults (one at a time: IEC 60335-1
19.11.2), repairs and power cycles, with invariants checked at every tick:

- a latched heater fault (sim.ctl.safety.fault) means heater_duty == 0 from the next tick
  (delivered duty is over the last tick);
- no output (heater or motor duty) runs more than 900 s + one tick after the last session
  start (tracked through sim.ctl.session); before any session, nothing runs;
- the true pad never goes above 52 C;
- every request with an id gets exactly one reply with that id, unless a reset (watchdog or
  power cycle) dropped it before it was read (documented drop: the receive buffer does not
  survive a reset);
- sim.step never raises and sim.bad_lines stays empty;
- a fault latched while a fault is injected is that fault's own rule
  (tests/robust/_matrix.py: RULES), never another rule's and never SR-2's.

Faults: every kind of hal_sim, old and new, with the matrix's arguments. Excluded from the
duty checks: while a MOSFET fault is injected the element conducts on its own until the
firmware opens the cut-off switch, so that time is judged by the latch invariant and the pad
limit instead.

Default: a derandomized profile with few examples (~30 s); `slow` runs many more.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hal_sim import Simulation
from tests.robust._matrix import FAULTS, RULES

SELF_DRIVEN = ("heater_stuck_on", "mosfet_leak")  # the element conducts on its own

TICK_S = Simulation.tick_ms / 1000
LINES = ["status", "info", "heat off", "heat low", "heat medium", "heat high", "massage off",
         "massage continuous", "massage knead 3", "massage wave 1", "stop", "clear", "faults",
         "telemetry on 500", "telemetry off", "help", "heat high 99", "heat 45", "massage knead 9",
         "telemetry on 1", "bogus", "status extra", "heat*00", "clear now", "\xff\xfe"]

actions = st.one_of(
    st.tuples(st.just("run"), st.integers(1, 1200)),
    st.tuples(st.just("press"), st.sampled_from(["power", "heat", "massage"]),
              st.sampled_from([0.1, 0.3, 2.5])),
    st.tuples(st.just("cmd"), st.sampled_from(LINES), st.booleans()),
    st.tuples(st.just("inject"), st.sampled_from(FAULTS)),
    st.tuples(st.just("repair")),
    st.tuples(st.just("power_cycle")),
)
scenarios = st.tuples(st.sampled_from([0.0, 22.0, 35.0]), st.lists(actions, min_size=4,
                                                                     max_size=25))


class Checker:
    def __init__(self, ambient):
        self.sim = Simulation(ambient_c=ambient)
        self.last_start = None
        self.state = None
        self.latched = False
        self.next_id = 100_000
        self.pending = {}  # id -> resets count when sent
        self.fault = None
        self.seen_events = 0

    def step(self):
        sim = self.sim
        latched_before = self.latched
        sim.step()  # must never raise
        assert not sim.bad_lines, sim.bad_lines[:3]
        assert sim.pad_c <= 52.0, sim.pad_c
        if latched_before and sim.ctl is not None:
            assert sim.heater_duty == 0.0, "heater on the tick after a latch"
        ctl = sim.ctl
        self.latched = ctl is not None and ctl.safety.fault is not None
        if ctl is not None:
            ses = ctl.session
            state = (ctl, ses.active, ses.start_ms)
            if ses.active and state != self.state:
                self.last_start = sim.now_s
            self.state = state
        self._check_own_rule()
        if sim.motor_duty > 0 or (sim.heater_duty > 0 and self.fault not in SELF_DRIVEN):
            assert self.last_start is not None, "output with no session ever started"
            assert sim.now_s - self.last_start <= 900.0 + 2 * TICK_S, (
                sim.now_s, self.last_start)

    def _check_own_rule(self):
        events = self.sim.events
        n = len(events)
        if n == self.seen_events:
            return
        new = [e for e in events[self.seen_events:] if e.get("event") == "fault"]
        self.seen_events = n
        if self.fault is None:
            return
        own = RULES[self.fault][1] if self.fault in RULES else set()
        for e in new:
            assert e["code"] in own, "%s latched %s, not its own rule %s" % (
                self.fault, e["code"], own)

    def run(self, seconds):
        for _ in range(int(seconds / TICK_S + 0.5)):
            self.step()

    def apply(self, action):
        sim = self.sim
        kind = action[0]
        if kind == "run":
            self.run(action[1])
        elif kind == "press":
            bit = {"power": 1, "heat": 2, "massage": 4}[action[1]]
            sim.board.button_mask |= bit
            self.run(action[2])
            sim.board.button_mask &= ~bit
            self.run(0.1)
        elif kind == "cmd":
            line = action[1].encode("latin-1")
            if action[2]:
                self.next_id += 1
                self.pending[self.next_id] = len(sim.resets)
                line = b"#%d %s" % (self.next_id, line)
            # a leading newline closes any partial line that serial noise left behind
            sim.serial_in(b"\n" + line + b"\n")
            self.run(0.5)
        elif kind == "inject":
            if self.fault is not None:
                sim.repair(self.fault)
            self.fault = action[1]
            self.seen_events = len(sim.events)
            sim.inject(self.fault, **(RULES[self.fault][0] if self.fault in RULES else {}))
        elif kind == "repair":
            if self.fault is not None:
                sim.repair(self.fault)
                self.fault = None
                self.seen_events = len(sim.events)
        elif kind == "power_cycle":
            sim.power_cycle()
            self.latched = False  # power cut: every output dropped at once
            self.state = None

    def finish(self):
        if self.fault is not None:
            self.sim.repair(self.fault)
            self.fault = None
        self.run(3)  # let the last requests through (a hang resets within 2 s)
        counts = {}
        for r in self.sim.replies:
            if r.get("id") is not None and r["id"] >= 100_000:
                counts[r["id"]] = counts.get(r["id"], 0) + 1
        for rid, resets_at_send in self.pending.items():
            n = counts.get(rid, 0)
            assert n <= 1, "id %d answered %d times" % (rid, n)
            if n == 0:
                assert len(self.sim.resets) > resets_at_send, "id %d never answered" % rid


def _check(scenario):
    ambient, acts = scenario
    c = Checker(ambient)
    for a in acts:
        c.apply(a)
    c.finish()


@settings(max_examples=30, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(scenarios)
def test_random_interleavings_keep_the_invariants(scenario):
    _check(scenario)


import pytest  # noqa: E402


@pytest.mark.slow
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(scenarios)
def test_random_interleavings_keep_the_invariants_many(scenario):
    _check(scenario)


def test_long_fixed_scenario_over_three_hours():
    """A hand-written worst case: sessions back to back for 3 h with faults and power cuts."""
    c = Checker(35.0)
    for i in range(11):
        c.apply(("cmd", "heat high", True))
        c.apply(("cmd", "massage knead 3", True))
        c.apply(("run", 300))
        c.apply(("inject", FAULTS[i % len(FAULTS)]))
        c.apply(("run", 200))
        c.apply(("repair",))
        c.apply(("run", 120))
        c.apply(("cmd", "clear", True))
        c.apply(("press", "power", 2.5))
        c.apply(("run", 400))
        if i % 3 == 2:
            c.apply(("power_cycle",))
    c.finish()
    assert c.sim.now_s >= 3 * 3600
