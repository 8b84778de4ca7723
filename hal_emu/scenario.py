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


def _scenario_api():
    """hal_sim's scenario loader and judge: one format and one verdict for both boards."""
    from hal_sim.scenario import ScenarioError, judge_expectation, load_scenario
    return load_scenario, judge_expectation, ScenarioError


class ChipScenarioResult:
    def __init__(self, scenario, board, outcomes, wall_s):
        self.scenario, self.sim, self.outcomes, self.wall_s = scenario, board, outcomes, wall_s

    @property
    def passed(self):
        return all(o.passed for o in self.outcomes)

    @property
    def exit_code(self):
        return 0 if self.passed else 1


def run_chip_scenario(path, uf2=None, files=None):
    load, judge, _ = _scenario_api()
    sc = load(path)
    t0 = time.perf_counter()
    board = EmulatedBoard(uf2=uf2, files=files, ambient_c=sc["ambient_c"],
                          supply_v=sc["supply_v"], seed=sc["seed"], record=True)
    try:
        t_boot = board.now_s  # scenario time 0 is the first boot event
        board.trace.clear()
        looks = sorted({ex["at_s"] for ex in sc["expect"] if ex["kind"] == "state"})
        actions = [(st["at_s"], 0, st) for st in sc["steps"]] + [(t, 1, None) for t in looks]
        for at_s, _, st in sorted(actions, key=lambda a: (a[0], a[1])):
            _advance_to(board, t_boot + at_s)
            if st is None:
                _look(board)
            else:
                _apply(board, st)
        _advance_to(board, t_boot + sc["duration_s"])
        _rebase(board, t_boot)
        initial = {"t_ms": 0, "fault": "", "session": 0, "heat_state": 0, "heat": 0,
                   "massage": 0}
        outcomes = [judge(ex, board, initial) for ex in sc["expect"]]
    finally:
        board.close()
    return ChipScenarioResult(sc, board, outcomes, time.perf_counter() - t0)


def _advance_to(board, t_s):
    while board.now_s < t_s - 1e-9:
        board.step()


def _apply(board, st):
    kind, v = st["kind"], st["value"]
    if kind == "send":
        board.serial_in(v.encode("utf-8").rstrip(b"\r\n") + b"\n")
    elif kind == "press":
        board.press(v, hold_s=st["hold_s"])
    elif kind == "inject":
        board.inject(v, **st["args"])
    elif kind == "repair":
        board.repair(v, **st["args"])
    elif kind == "power_cycle":
        board.power_cycle()


def _look(board):
    """A trace row at this instant with the state fields the judge's `state` reads."""
    at = len(board.trace)
    row = dict(board.trace[-1]) if at else {"t_ms": board.now_ms, "pad_c": board.pad_c,
                                            "heater_duty": board.heater_duty}
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


def main(path, uf2=None, out=None, err=None):
    out, err = out or sys.stdout, err or sys.stderr
    _, _, ScenarioError = _scenario_api()
    try:
        result = run_chip_scenario(path, uf2=uf2)
    except (ScenarioError, ValueError) as e:
        print("%s: %s" % (path, e), file=err)
        return 2
    print("scenario: %s (%s) on the emulated chip" % (result.scenario["name"], path), file=out)
    for o in result.outcomes:
        print(o.line, file=out)
    n_fail = sum(1 for o in result.outcomes if not o.passed)
    print("%s: %d of %d expectations passed (%g s emulated in %.1f s)"
          % ("PASS" if result.passed else "FAIL", len(result.outcomes) - n_fail,
             len(result.outcomes), result.sim.now_s, result.wall_s), file=out)
    return result.exit_code
