"""`cushion run --chip SCENARIO`: a scenario file on the emulated chip, judged like on hal_sim.

The file is loaded and validated by hal_sim's scenario runner and every expectation is
judged by its judge, from the same kind of trace (a row per emulated step with the pad
physics' truth). The chip's state is not visible from outside, so for each `state`
expectation the adapter asks `status` over the serial line at that moment.
"""

import sys
import time

from hal_emu.board import EmulatedBoard  # first: hal_sim makes the firmware importable
from cushion.names import HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES
from hal_sim.scenario.run import apply_step


def _scenario_api():
    """hal_sim's scenario loader and judge: one format and one verdict for both boards."""
    from hal_sim.scenario import ScenarioError, judge_expectation, load_scenario
    return load_scenario, judge_expectation, ScenarioError


class ChipScenarioResult:
    def __init__(self, scenario, board, outcomes, wall_s, steps=(), rows=None):
        self.scenario, self.sim, self.outcomes, self.wall_s = scenario, board, outcomes, wall_s
        self.steps = list(steps)  # hal_sim's StepLog for each step applied
        self.rows = rows  # with views=True: hal_sim-shaped trace rows (hal_emu/chiptrace.py)

    @property
    def passed(self):
        return all(o.passed for o in self.outcomes)

    @property
    def exit_code(self):
        return 0 if self.passed else 1


class _Narrator:
    """What `-v` prints on the HAL simulator, as it happens: each step, each reply to a
    `send` (in order) and each event, in hal_sim's words and scenario time."""

    def __init__(self, board, say, own_ids):
        self.board, self.say, self.own_ids = board, say, own_ids
        self.t0 = board.now_s
        self.waiting = []
        self._events = len(board.events)
        self._replies = len(board.replies)

    def line(self, text, at_s):
        self.say("%8.2f s  %s" % (at_s - self.t0, text))

    def applied(self, log):
        self.line("steps[%d] %s" % (log.index, log.text), self.board.now_s)
        if log.text.startswith("send "):
            self.waiting.append(log)

    def stepped(self):
        from hal_sim.scenario.judge import fmt_fields
        b = self.board
        for ev in b.events[self._events:]:
            rest = {k: v for k, v in ev.items() if k not in ("event", "sim_s")}
            self.line(("event %s %s" % (ev["event"], fmt_fields(rest))).rstrip(), ev["sim_s"])
        self._events = len(b.events)
        for reply in b.replies[self._replies:]:
            if reply.get("id") in self.own_ids or not self.waiting:
                continue
            log = self.waiting.pop(0)
            log.reply = reply
            self.line("steps[%d] -> %s" % (log.index, log.reply_text()), reply["sim_s"])
        self._replies = len(b.replies)


def run_chip_scenario(path, uf2=None, files=None, progress=None, views=False):
    """`progress`: a callable that gets -v's lines; `views`: also build the rows that
    --csv and --plot write (asking `status` every half second: hal_emu/chiptrace.py)."""
    from hal_emu.chiptrace import StatusPoller, trace_rows
    from hal_sim.scenario.run import StepLog, step_text
    load, judge, _ = _scenario_api()
    sc = load(path)
    t0 = time.perf_counter()
    board = EmulatedBoard(uf2=uf2, files=files, ambient_c=sc["ambient_c"],
                          supply_v=sc["supply_v"], seed=sc["seed"], record=True)
    logs, rows = [], None
    try:
        t_boot = board.now_s  # scenario time 0 is the first boot event
        board.trace.clear()
        poller = StatusPoller(board) if views else None
        own_ids = poller.ids if poller else set()
        watchers = [w for w in (poller, progress and _Narrator(board, progress, own_ids)) if w]
        looks = sorted({ex["at_s"] for ex in sc["expect"] if ex["kind"] == "state"})
        actions = [(st["at_s"], 0, st) for st in sc["steps"]] + [(t, 1, None) for t in looks]
        for at_s, _, st in sorted(actions, key=lambda a: (a[0], a[1])):
            _advance_to(board, t_boot + at_s, watchers)
            if st is None:
                own_ids.add(_look(board))
                continue
            logs.append(StepLog(st["index"], st["at_s"], board.now_s - t_boot, step_text(st)))
            for w in watchers:
                if isinstance(w, _Narrator):
                    w.applied(logs[-1])
            apply_step(board, st)
        _advance_to(board, t_boot + sc["duration_s"], watchers)
        _rebase(board, t_boot)
        initial = {"t_ms": 0, "fault": "", "session": 0, "heat_state": 0, "heat": 0,
                   "massage": 0}
        outcomes = [judge(ex, board, initial) for ex in sc["expect"]]
        if poller:
            poller.rebase(t_boot)
            rows = trace_rows(board.trace, poller.views)
    finally:
        board.close()
    return ChipScenarioResult(sc, board, outcomes, time.perf_counter() - t0, logs, rows)


def _advance_to(board, t_s, watchers=()):
    while board.now_s < t_s - 1e-9:
        board.step()
        for w in watchers:
            w.stepped()


def _look(board):
    """A trace row at this instant with the state fields the judge's `state` reads."""
    at = len(board.trace)
    row = dict(board.trace[-1]) if at else {"t_ms": board.now_ms, "pad_c": board.pad_c,
                                            "heater_duty": board.heater_duty}
    rid = board.next_request_id
    try:
        st = board.command("status", timeout_s=1.0)
    except Exception:  # noqa: BLE001 - a board that does not answer is judged as such
        st = {"state": "service"}
    row.update(fault="service" if st.get("state") == "service" else (st.get("fault") or ""),
               session=1 if st.get("state") == "active" else 0,
               heat_state=_index(HEAT_STATE_NAMES, st.get("heat_state")),
               heat=_index(LEVEL_NAMES, st.get("heat")),
               massage=_index(MODE_NAMES, st.get("massage")))
    board.trace.insert(at, row)  # at this instant, before the rows of the exchange
    return rid


def _index(names, name):
    return names.index(name) if name in names else -1


def _rebase(board, t_boot):
    """Scenario time: seconds since the boot event, for the events and the trace alike."""
    off_ms = int(round(t_boot * 1000))
    for row in board.trace:
        row["t_ms"] -= off_ms
    for ev in board.events:
        ev["sim_s"] -= t_boot
    board._t_us -= t_boot * 1e6  # the judge compares windows with now_s


def main(path, uf2=None, out=None, err=None, csv=None, plot=None, verbose=False):
    """Run one file on the chip and print its verdict, as hal_sim's run_file does; `csv` and
    `plot` name the files to write with the HAL simulator's writers, `verbose` is -v."""
    out, err = out or sys.stdout, err or sys.stderr
    load, _, ScenarioError = _scenario_api()
    try:
        sc = load(path)
    except ScenarioError as e:
        print("%s: %s" % (path, e), file=err)
        return 2
    print("scenario: %s (%s) on the emulated chip" % (sc["name"], path), file=out, flush=True)

    def say(line):
        print(line, file=out, flush=True)
    try:
        result = run_chip_scenario(path, uf2=uf2, progress=say if verbose else None,
                                   views=bool(csv or plot))
    except ValueError as e:
        print("%s: %s" % (path, e), file=err)
        return 2
    for o in result.outcomes:
        print(o.line, file=out)
    try:
        _write(result, csv, plot, out)
    except OSError as e:
        print("%s: cannot write: %s" % (e.filename or "output", e.strerror or e), file=err)
        return 2
    n_fail = sum(1 for o in result.outcomes if not o.passed)
    print("%s: %d of %d expectations passed (%g s emulated in %.1f s)"
          % ("PASS" if result.passed else "FAIL", len(result.outcomes) - n_fail,
             len(result.outcomes), result.sim.now_s, result.wall_s), file=out)
    return result.exit_code


def _write(result, csv, plot, out):
    """The HAL simulator's writers: host/csvlog.py's CSV format (docs/csv.md), hal_sim's
    plot of the run."""
    if csv:
        from hal_emu import hostpkg
        hostpkg.module("csvlog").write_trace(result.rows, csv)
        print("wrote %s" % csv, file=out)
    if plot:
        from hal_sim.plot import plot_run
        plot_run(result.rows, result.sim.events, plot, title=result.scenario["name"],
                 steps=[(lg.applied_s, lg.text) for lg in result.steps])
        print("wrote %s" % plot, file=out)
