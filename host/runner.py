"""`cushion run FILE... [-v]`: scenario files on the simulator, judged.

The scenario package (hal_sim.scenario) loads, runs, judges and prints each file: the lines
and verdicts of `python -m hal_sim run`, `-v` included, come from its `run_files`.  What this
module adds is the host's: globs and several files (with progress), every file checked before
any runs, the one JSON object of --json, and for --csv the host's one CSV format
(host/csvlog.py, docs/csv.md), so that `watch --csv` and `run --csv` files read the same.
"""

import glob
import sys

from .csvlog import rewrite_trace_csv, write_trace
from .errors import EXIT_OK, EXIT_USAGE, UsageError
from .progress import Progress


def expand(patterns):
    """The files named, in order; a pattern with wildcards (quoted past the shell) is
    expanded here, sorted, and must match something."""
    files = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matched = sorted(glob.glob(pattern))
            if not matched:
                raise UsageError(f"no scenario file matches {pattern}")
            files += matched
        else:
            files.append(pattern)
    return files


def output_name(path, scenario_path, several):
    """--plot/--csv with several files: each its own, named as `python -m hal_sim run` does."""
    from hal_sim.scenario.cli import _output_name  # the one home of that naming rule
    return _output_name(path, scenario_path, several) if path else None


def load_all(files):
    """Every file validated before any runs: a bad one is a usage error naming it."""
    from hal_sim.scenario import ScenarioError, load_scenario
    loaded = []
    for path in files:
        try:
            loaded.append(load_scenario(path))
        except ScenarioError as exc:
            raise UsageError(f"{path}: {exc}")
    return loaded


def run_paths(files, out, csv_path=None, plot_path=None, verbose=False):
    """Run `files` on the simulator; returns the worst exit code (0, 1, or 2)."""
    several = len(files) > 1
    scenarios = load_all(files)
    results, code = [], EXIT_OK
    plain = sys.stderr if out.as_json else out.stream
    with Progress(len(files) if several else 0, "file", lines=out.stream, plain=plain,
                  bar=not out.as_json, desc="scenarios") as progress:
        for i, (path, sc) in enumerate(zip(files, scenarios)):
            progress.note(f"[{i + 1}/{len(files)}] {path}")
            csv_i = output_name(csv_path, path, several)
            plot_i = output_name(plot_path, path, several)
            if out.as_json:
                results.append(_json_run(path, sc, csv_i, plot_i, verbose))
                code = max(code, results[-1]["exit_code"])
            else:
                code = max(code, _printed_run(path, csv_i, plot_i, verbose, progress.lines))
            progress.advance()
    if out.as_json:
        obj = results[0] if not several else {
            "ok": code == EXIT_OK, "exit_code": code, "scenarios": results,
            "wrote": [f for r in results for f in r["wrote"]]}
        out.obj(obj, None)
    return code


def _printed_run(path, csv_path, plot_path, verbose, stream):
    from hal_sim.scenario import run_files
    code = run_files([path], plot=plot_path, csv=csv_path, verbose=verbose, out=stream,
                     err=sys.stderr)
    if csv_path and code != EXIT_USAGE:
        try:
            rewrite_trace_csv(csv_path)      # the simulator's tick columns -> docs/csv.md
        except OSError as exc:
            raise UsageError(f"cannot write {csv_path}: {exc.strerror or exc}")
    return code


def _json_run(path, sc, csv_path, plot_path, verbose):
    from hal_sim.scenario.run import run_validated

    def say(line):
        sys.stderr.write(line + "\n")
    result = run_validated(sc, progress=say if verbose else None)
    sim, written = result.sim, []
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
    return {"ok": result.passed, "scenario": sc["name"], "file": str(path),
            "exit_code": result.exit_code, "simulated_s": sim.now_s,
            "refused": None if result.refused is None else result.refusal_line(),
            "expectations": [{"index": o.index, "kind": o.kind, "passed": o.passed,
                              "text": o.text, "measured": o.measured}
                             for o in result.outcomes],
            "steps": [{"index": lg.index, "at_s": lg.at_s, "applied_s": lg.applied_s,
                       "text": lg.text, "reply": lg.reply} for lg in result.steps],
            "wrote": written}
