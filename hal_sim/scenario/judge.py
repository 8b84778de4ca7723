"""The verdict on each expectation of a finished run: one small function per kind, in the
table JUDGES. Each takes the normalised expectation, the run's Simulation (with its trace and
events) and the state before the first tick, and returns an Outcome."""

from dataclasses import dataclass

from hal_sim.scenario.fields import is_number
from hal_sim.scenario.validate import STATE_QUALIFIERS

EPS_S = 1e-9  # sim_s values are sums of 0.05 s steps: compare windows with a little slack
EPS_MS = 1e-6


@dataclass
class Outcome:
    """One expectation's verdict: `line` is what the runner prints."""
    index: int
    kind: str
    passed: bool
    text: str  # the expectation in words: "event fault code=overheat within [0, 60] s"
    measured: str  # what was seen: "first at 331.20 s"

    @property
    def line(self):
        return "%s expect[%d] %s: %s" % ("PASS" if self.passed else "FAIL", self.index,
                                         self.text, self.measured)


def row_state(row):
    """The status `state` (idle/active/fault) a trace row stands for, as the firmware's
    status reply would give it; "service" while the board sits in its REPL."""
    if row["fault"] == "service":
        return "service"
    if row["fault"]:
        return "fault"
    return "active" if row["session"] else "idle"


def fmt_fields(fields):
    parts = []
    for k, v in fields.items():
        if isinstance(v, tuple):
            parts.append("%s=[%g, %g]" % (k, v[0], v[1]))
        elif isinstance(v, bool):
            parts.append("%s=%s" % (k, "true" if v else "false"))
        elif isinstance(v, float):
            parts.append("%s=%g" % (k, v))
        else:
            parts.append("%s=%s" % (k, v))
    return " ".join(parts)


def event_matches(ev, name, fields):
    if ev.get("event") != name:
        return False
    for k, want in fields.items():
        if k not in ev:
            return False
        got = ev[k]
        if isinstance(want, tuple):
            if not is_number(got) or not want[0] <= got <= want[1]:
                return False
        elif isinstance(want, bool) or isinstance(got, bool):
            if got is not want:
                return False
        elif got != want:
            return False
    return True


def _event_text(ex):
    text = "%s %s" % (ex["kind"], ex["event"])
    if ex["fields"]:
        text += " " + fmt_fields(ex["fields"])
    if ex["within"] is not None:
        text += " within [%g, %g] s" % ex["within"]
    return text


def _matching(ex, sim):
    """The matching events, and those of them inside the window."""
    w = ex["within"]
    matches = [e for e in sim.events if event_matches(e, ex["event"], ex["fields"])]
    inside = [e for e in matches if w is None or w[0] - EPS_S <= e["sim_s"] <= w[1] + EPS_S]
    return matches, inside


def judge_event(ex, sim, initial):
    i, text = ex["index"], _event_text(ex)
    matches, inside = _matching(ex, sim)
    if inside:
        return Outcome(i, "event", True, text, "first at %.2f s" % inside[0]["sim_s"])
    if matches:
        return Outcome(i, "event", False, text, "first at %.2f s" % matches[0]["sim_s"])
    same = [e for e in sim.events if e.get("event") == ex["event"]]
    seen = "none"
    if same and ex["fields"]:
        seen = "none matching; first `%s` at %.2f s was %s" % (
            ex["event"], same[0]["sim_s"], fmt_fields({k: same[0].get(k) for k in ex["fields"]}))
    return Outcome(i, "event", False, text, seen)


def judge_no_event(ex, sim, initial):
    i, text = ex["index"], _event_text(ex)
    _, inside = _matching(ex, sim)
    if inside:
        return Outcome(i, "no_event", False, text, "first at %.2f s (%d in all)"
                       % (inside[0]["sim_s"], len(inside)))
    return Outcome(i, "no_event", True, text, "none")


def _judge_pad(ex, sim, is_max):
    kind = ex["kind"]
    a_ms, b_ms = ex["after_s"] * 1000 - EPS_MS, ex["until_s"] * 1000 + EPS_MS
    rows = [r for r in sim.trace if a_ms <= r["t_ms"] <= b_ms]
    text = "%s %.2f C" % (kind, ex["limit"])
    if ex["after_s"] > 0 or ex["until_s"] < sim.now_s:
        text += " over [%g, %g] s" % (ex["after_s"], ex["until_s"])
    if not rows:
        return Outcome(ex["index"], kind, False, text, "no trace rows in that span")
    pick = (max if is_max else min)(rows, key=lambda r: r["pad_c"])
    v = pick["pad_c"]
    ok = v <= ex["limit"] if is_max else v >= ex["limit"]
    return Outcome(ex["index"], kind, ok, text, "%s %.2f C at %.2f s"
                   % ("max" if is_max else "min", v, pick["t_ms"] / 1000))


def judge_max_pad(ex, sim, initial):
    return _judge_pad(ex, sim, True)


def judge_min_pad(ex, sim, initial):
    return _judge_pad(ex, sim, False)


def judge_heater_off(ex, sim, initial):
    # a row holds the power delivered over the tick that ended at t_ms, so the rows
    # that say anything about the time after T are those with t_ms > T
    i, kind = ex["index"], ex["kind"]
    a_ms, b_ms = ex["after_s"] * 1000 + EPS_MS, ex["until_s"] * 1000 + EPS_MS
    text = "heater_off_after_s %g" % ex["after_s"]
    if ex["until_s"] < sim.now_s:
        text += " until %g s" % ex["until_s"]
    on = [r for r in sim.trace if a_ms <= r["t_ms"] <= b_ms and r["heater_duty"] > 0]
    if not on:
        last_on = [r for r in sim.trace if r["t_ms"] <= b_ms and r["heater_duty"] > 0]
        since = ("off since %.2f s" % (last_on[-1]["t_ms"] / 1000 + sim.tick_ms / 1000)
                 if last_on else "never on")
        return Outcome(i, kind, True, text, since)
    return Outcome(i, kind, False, text, "on at %.2f s (%.0f %%), last on at %.2f s"
                   % (on[0]["t_ms"] / 1000, on[0]["heater_duty"] * 100, on[-1]["t_ms"] / 1000))


def judge_state(ex, sim, initial):
    t_ms = ex["at_s"] * 1000 + EPS_MS
    row = initial
    for r in sim.trace:  # the last row at or before at_s (rows are in time order)
        if r["t_ms"] > t_ms:
            break
        row = r
    want = {"state": ex["state"]}
    got = {"state": row_state(row)}
    for key, names in STATE_QUALIFIERS:
        if key in ex:
            want[key] = ex[key]
            n = row[key]
            got[key] = names[n] if 0 <= n < len(names) else str(n)
    text = "state %s at %g s" % (ex["state"], ex["at_s"])
    quals = " ".join("%s=%s" % (k, v) for k, v in want.items() if k != "state")
    if quals:
        text += " with " + quals
    seen = " ".join("%s=%s" % (k, v) for k, v in got.items())
    return Outcome(ex["index"], "state", want == got, text,
                   "%s (at %.2f s)" % (seen, row["t_ms"] / 1000))


JUDGES = {
    "event": judge_event,
    "no_event": judge_no_event,
    "max_pad_c": judge_max_pad,
    "min_pad_c": judge_min_pad,
    "heater_off_after_s": judge_heater_off,
    "state": judge_state,
}


def judge(ex, sim, initial):
    """The Outcome of one normalised expectation on a finished run."""
    return JUDGES[ex["kind"]](ex, sim, initial)
