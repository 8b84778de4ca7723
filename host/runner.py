"""`cushion run SCENARIO`: a scenario file on the simulator, judged, with its CSV and plot.

The scenario itself (validation, steps, expectations) is hal_sim.scenario's; this module
prints its verdict as text or as one JSON object (--json) and writes the host's CSV format
(host/csvlog.py) so that `watch --csv` and `run --csv` files read the same.
"""

from .csvlog import write_trace
from .errors import UsageError


def run_file(path, out, csv_path=None, plot_path=None):
    from hal_sim.scenario import ScenarioError, run_scenario
    try:
        result = run_scenario(path)
    except ScenarioError as exc:
        raise UsageError(f"{path}: {exc}")
    sc, sim = result.scenario, result.sim
    n_fail = len(result.failed)
    verdict = "PASS" if result.passed else "FAIL"
    summary = "%s: %d of %d expectations passed (%g s simulated in %.1f s)" % (
        verdict, len(result.outcomes) - n_fail, len(result.outcomes), sim.now_s,
        result.wall_s)
    human = [f"scenario: {sc['name']} ({path})"]
    if sc["description"]:
        human.append("  " + sc["description"].strip().replace("\n", "\n  "))
    if result.refused is not None:
        human.append(result.refusal_line())
    human += [o.line for o in result.outcomes]
    if sim.bad_lines:
        human.append("note: the firmware sent %d line(s) that are not JSON objects, first %r"
                     % (len(sim.bad_lines), sim.bad_lines[0]))
    written = []
    try:
        if csv_path:
            write_trace(sim.trace, csv_path)
            written.append(csv_path)
        if plot_path:
            from hal_sim.plot import plot_run
            plot_run(sim.trace, sim.events, plot_path, title=sc["name"],
                     steps=[(lg.applied_s, lg.text) for lg in result.steps])
            written.append(plot_path)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}")
    human += [f"wrote {f}" for f in written] + [summary]
    out.obj({"ok": result.passed, "scenario": sc["name"], "file": str(path),
             "exit_code": result.exit_code, "simulated_s": sim.now_s,
             "expectations": [{"index": o.index, "kind": o.kind, "passed": o.passed,
                               "text": o.text, "measured": o.measured}
                              for o in result.outcomes],
             "steps": [{"index": lg.index, "at_s": lg.at_s, "applied_s": lg.applied_s,
                        "text": lg.text, "reply": lg.reply} for lg in result.steps],
             "wrote": written}, "\n".join(human))
    return result.exit_code
