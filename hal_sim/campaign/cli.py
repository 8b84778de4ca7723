"""`cushion campaign`: the command line of campaigns (registered by host/cli.py).

    cushion campaign SPEC.toml [--sessions N] [--seed S] [--workers N | --scheduler URL]
                               [--out DIR] [--report FILE.md]
    cushion campaign --replay SEED --out DIR

Exit codes: 0 the campaign ran to the end (its verdicts are in the report, not in the exit
code) or the replay matched its row; 1 sessions were lost (rerun to resume) or the replay
differs; 2 a bad spec or command line (the field is named); 3 no Dask scheduler.
"""

import argparse
import json
import os
import sys
import time

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NO_CLUSTER = 0, 1, 2, 3


def _count(text):
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError("must be an integer >= 1, not %r" % text)
    return v


def add_parser(add):
    """Add the `campaign` subcommand through host/cli.py's `add(name, help)`."""
    p = add("campaign", "run a randomized fault-injection campaign on Dask, or replay one "
                        "session of it")
    p.add_argument("spec", metavar="SPEC.toml", nargs="?", help="campaign spec (TOML)")
    p.add_argument("--sessions", type=_count, metavar="N",
                   help="sessions to run (default: the spec's `sessions`)")
    p.add_argument("--seed", type=int, metavar="S",
                   help="campaign seed (default: the spec's `seed`)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_count, metavar="N",
                       help="worker processes of the local cluster (default: one per core)")
    where.add_argument("--scheduler", metavar="URL",
                       help="run on an existing Dask cluster: tcp://HOST:PORT")
    p.add_argument("--out", metavar="DIR",
                   help="results directory (default: build/campaign/<spec name>)")
    p.add_argument("--report", metavar="FILE.md",
                   help="where to write the report (default: DIR/report.md)")
    p.add_argument("--replay", type=int, metavar="SEED",
                   help="rerun one session of the campaign in DIR with its full trace, plot "
                        "and CSV")
    return p


def command(args, out):
    """host/cli.py's handler: `out` is its Output (plain stream, or --json)."""
    return run(args, out.stream, sys.stderr, getattr(args, "json", False))


def run(args, stdout=None, stderr=None, as_json=False):
    from hal_sim.campaign.spec import SpecError
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        if args.replay is not None:
            return replay(args, stdout)
        return campaign(args, stdout, stderr, as_json)
    except SpecError as e:
        where = args.spec or args.out
        print("cushion campaign: %s%s" % (where + ": " if where else "", e), file=stderr)
        return EXIT_USAGE
    except OSError as e:
        print("cushion campaign: %s: %s" % (e.filename or "output", e.strerror or e),
              file=stderr)
        return EXIT_USAGE


def campaign(args, stdout, stderr, as_json):
    from hal_sim.campaign import report, spec as specmod
    from hal_sim.campaign.results import ResultsDir
    from hal_sim.campaign.runner import CampaignError, run_missing
    from hal_sim.campaign.session import session_seeds
    if not args.spec:
        raise specmod.SpecError("give a SPEC.toml (or --replay SEED --out DIR)")
    spec = specmod.load_spec(args.spec)
    if args.seed is not None:
        spec["seed"] = specmod.integer("--seed", args.seed, 0, 2**31 - 1)
    n = args.sessions or spec["sessions"]
    spec["sessions"] = None  # not part of the identity: a rerun may extend a campaign
    out_dir = args.out or os.path.join("build", "campaign",
                                       os.path.splitext(os.path.basename(args.spec))[0])
    results = ResultsDir(out_dir)
    results.claim(spec)
    results.load()
    seeds = session_seeds(spec["seed"], n)
    t0 = time.perf_counter()
    try:
        fig = run_missing(spec, seeds, results, args.workers, args.scheduler, stderr)
    except CampaignError as e:
        print("cushion campaign: %s" % e, file=stderr)
        return EXIT_NO_CLUSTER
    rows = [results.rows[s] for s in seeds if s in results.rows]
    if fig["ran"]:
        results.log_run({"ran": fig["ran"], "skipped": fig["skipped"], "workers": fig["workers"],
                         "scheduler": args.scheduler, "wall_s": round(fig["wall_s"], 2),
                         "sessions_per_s": round(fig["sessions_per_s"], 3),
                         "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 1)})
    md_path = args.report or os.path.join(out_dir, "report.md")
    if rows:
        report.write_report(rows, spec, md_path, out_dir, results.runs())
    s = report.summary(rows) if rows else {"sessions": 0, "violations": 0}
    lost = fig["lost"]
    if as_json:
        print(json.dumps(dict(s, ran=fig["ran"], skipped=fig["skipped"], lost=len(lost),
                              wall_s=round(time.perf_counter() - t0, 3), out=out_dir,
                              report=md_path), sort_keys=True), file=stdout)
    else:
        print("campaign %s: %d of %d sessions done (%d ran now, %d skipped), %d violation(s); "
              "report %s" % (spec["name"], len(rows), n, fig["ran"], fig["skipped"],
                             s["violations"], md_path), file=stdout)
    if lost:
        print("cushion campaign: %d session(s) lost (first seed %d: %s); rerun to resume"
              % (len(lost), lost[0][0], lost[0][1]), file=stderr)
        return EXIT_FAIL
    return EXIT_OK


def replay(args, stdout):
    from hal_sim.campaign.results import ResultsDir
    from hal_sim.campaign.session import run_session
    from hal_sim.campaign.spec import SpecError
    from hal_sim.plot import plot_run, write_csv
    if not args.out:
        raise SpecError("--replay needs --out DIR, the campaign's results directory")
    results = ResultsDir(args.out)
    spec = results.read_spec()
    row, sim = run_session(spec, args.replay, record=True)
    base = os.path.join(args.out, "replay-%d" % args.replay)
    write_csv(sim.trace, base + ".csv")
    title = "seed %d: %s, %s, fault %s at %.2f s" % (
        row["seed"], row["corner"], row["level"], row["fault"], row["inject_s"])
    plot_run(sim.trace, sim.events, base + ".png", title=title)
    with open(base + ".json", "w") as f:
        json.dump({"row": row, "events": sim.events}, f, indent=1, sort_keys=True)
    print("seed %d: fault %s at %.2f s, follow-up %s; highest pad %.3f C; rule %s after %s s; "
          "heater on %.2f s after the latch; verdict %s%s" % (
              row["seed"], row["fault"], row["inject_s"], row["followup"], row["max_pad_c"],
              row["rule"], row["detect_s"], row["heater_on_after_latch_s"], row["verdict"],
              "".join(" - " + r for r in row["reasons"])), file=stdout)
    print("wrote %s.csv, %s.png, %s.json" % (base, base, base), file=stdout)
    stored = results.load().get(args.replay)
    if stored is None:
        print("(seed %d is not in %s; nothing to compare)" % (args.replay, results.rows_path),
              file=stdout)
        return EXIT_OK
    same = json.loads(json.dumps(row, sort_keys=True))
    diff = sorted(k for k in set(stored) | set(same) if stored.get(k) != same.get(k))
    if diff:
        print("replay DIFFERS from the campaign's row in: %s" % ", ".join(diff), file=stdout)
        return EXIT_FAIL
    print("replay reproduces the campaign's row exactly", file=stdout)
    return EXIT_OK
