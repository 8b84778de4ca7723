"""The scenario runner's command line: `python -m hal_sim run FILE... [--plot F.png]
[--csv F.csv] [-v]`, and `run_files`, the entry point that `cushion run` calls directly."""

import argparse
import os
import sys

from hal_sim.scenario.fields import ScenarioError
from hal_sim.scenario.run import run_validated
from hal_sim.scenario.validate import load_scenario

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_FILE = 0, 1, 2


def _output_name(path, scenario_path, several):
    """With several scenario files, each writes its own file: out.png -> out-<stem>.png."""
    if not several:
        return path
    stem = os.path.splitext(os.path.basename(scenario_path))[0]
    base, ext = os.path.splitext(path)
    return "%s-%s%s" % (base, stem, ext)


def run_file(path, plot=None, csv=None, verbose=False, out=sys.stdout, err=sys.stderr):
    """Run one scenario file and print its verdict; returns its exit code (see run_files)."""
    def progress(line):
        print(line, file=out, flush=True)

    try:
        sc = load_scenario(path)
    except ScenarioError as e:
        print("%s: %s" % (path, e), file=err)
        return EXIT_BAD_FILE
    print("scenario: %s (%s)" % (sc["name"], path), file=out)
    if sc["description"]:
        print("  " + sc["description"].strip().replace("\n", "\n  "), file=out, flush=True)
    result = run_validated(sc, progress=progress if verbose else None)
    sim = result.sim
    if result.refused is not None:
        print(result.refusal_line(), file=out)
    for o in result.outcomes:
        print(o.line, file=out)
    if sim.bad_lines:
        print("note: the firmware sent %d line(s) that are not JSON objects, first %r"
              % (len(sim.bad_lines), sim.bad_lines[0]), file=out)
    try:
        if csv:
            from hal_sim.plot import write_csv
            write_csv(sim.trace, csv)
            print("wrote %s" % csv, file=out)
        if plot:
            from hal_sim.plot import plot_run
            plot_run(sim.trace, sim.events, plot, title=sc["name"],
                     steps=[(lg.applied_s, lg.text) for lg in result.steps])
            print("wrote %s" % plot, file=out)
    except OSError as e:
        print("%s: cannot write: %s" % (e.filename or "output", e.strerror or e), file=err)
        return EXIT_BAD_FILE
    if result.refused is not None:
        print("FAIL: steps[%d] was refused (%g s simulated in %.1f s)"
              % (result.refused.index, sim.now_s, result.wall_s), file=out)
    else:
        n_fail = len(result.failed)
        print("%s: %d of %d expectations passed (%g s simulated in %.1f s)"
              % ("PASS" if result.passed else "FAIL", len(result.outcomes) - n_fail,
                 len(result.outcomes), sim.now_s, result.wall_s), file=out)
    return result.exit_code


def run_files(paths, plot=None, csv=None, verbose=False, out=sys.stdout, err=sys.stderr):
    """Run scenario files one after the other and print each verdict; returns the exit code.

    paths    the scenario TOML files (a list of str or os.PathLike; one is fine);
    plot     None, or a PNG file name for a plot of the run; with several files each gets
             its own, named by inserting "-<file stem>" before the extension;
    csv      None, or a CSV file name for the trace (a row per tick), named likewise;
    verbose  also print each step, each reply to a `send` and each event as it happens;
    out      where verdicts go (a text stream); err: where bad-file messages go.

    The exit code is the worst over the files: 0 every expectation of every file passed,
    1 an expectation failed or a `send` step was refused by the firmware (the line names
    the step and the reply), 2 a file is bad (the message on `err` names the file and the
    field) or an output file cannot be written."""
    paths = [os.fspath(p) for p in paths]
    several = len(paths) > 1
    code = EXIT_PASSED
    for path in paths:
        code = max(code, run_file(
            path, plot=_output_name(plot, path, several) if plot else None,
            csv=_output_name(csv, path, several) if csv else None,
            verbose=verbose, out=out, err=err))
    return code


def add_run_arguments(p):
    """Add the runner's arguments (FILE..., --plot, --csv, -v) to an argparse parser, so that
    `cushion run` takes exactly what `python -m hal_sim run` takes; then call
    `run_files(args.files, plot=args.plot, csv=args.csv, verbose=args.verbose)`."""
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML file(s)")
    p.add_argument("--plot", metavar="F.png", help="write a plot of the run (PNG)")
    p.add_argument("--csv", metavar="F.csv", help="write the trace, one row per tick")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each step, each reply and each event as it happens")
    return p


def _parser():
    return add_run_arguments(argparse.ArgumentParser(
        prog="python -m hal_sim run",
        description="Run scenario files on the simulated cushion and check their expectations."
                    " Exit 0 all passed, 1 some failed or a step was refused, 2 bad file or "
                    "arguments."))


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse printed the usage; its code is 2 (0 for --help)
        return e.code if isinstance(e.code, int) else EXIT_BAD_FILE
    return run_files(args.files, plot=args.plot, csv=args.csv, verbose=args.verbose,
                     out=out, err=err)


if __name__ == "__main__":
    sys.exit(main())
