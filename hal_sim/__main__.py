"""`python -m hal_sim run FILE... [--plot F.png] [--csv F.csv] [-v]` and `python -m hal_sim demo`.

Exit codes follow the scenario runner: 0 every expectation passed, 1 some failed or a
`send` step was refused, 2 a bad file or bad arguments.
"""

import sys

USAGE = """usage: python -m hal_sim run FILE... [--plot F.png] [--csv F.csv] [-v]
       python -m hal_sim demo [--out DIR]"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        from hal_sim.scenario import main as run_main
        return run_main(rest)
    if cmd == "demo":
        from hal_sim.demo import main as demo_main
        return demo_main(rest)
    print("unknown command %r\n%s" % (cmd, USAGE), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
