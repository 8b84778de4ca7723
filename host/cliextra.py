"""Commands and global options registered in host/cli.py from their own modules.

Each command module offers `add_parser(sub, common)` and a `cmd_*(args, out)` function; this
file is the one place cli.py learns about them, and about the global `--trace` and
`--version`.
"""

import argparse
import atexit
import sys


def _lazy(module, name):
    def run(args, out):
        import importlib
        return getattr(importlib.import_module(module, __package__), name)(args, out)
    return run


COMMANDS = {
    "sim-control": _lazy(".simcontrol", "cmd_sim_control"),
    "console": _lazy(".console", "cmd_console"),
    "dashboard": _lazy(".dashboard.server", "cmd_dashboard"),
}


def add_parsers(sub, common):
    from . import console, simcontrol
    from .dashboard import server as dashboard
    console.add_parser(sub, common)
    dashboard.add_parser(sub, common)
    simcontrol.add_parser(sub, common)


def add_global_options(common):
    common.add_argument("--trace", metavar="FILE", default=argparse.SUPPRESS,
                        help="show every line sent and received, with timestamps, on stderr "
                             "(or append it to FILE: --trace FILE)")
    common.add_argument("--version", action="store_true", default=argparse.SUPPRESS,
                        help="show the host tool's version, and the board's with --port")


def prepare_argv(argv, commands):
    """`--trace` without a file name means stderr: spell it `--trace=-` for argparse, which
    would otherwise take the command after it for the file name."""
    out = list(argv)
    for i, tok in enumerate(out):
        if tok == "--":
            break
        if tok == "--trace":
            nxt = out[i + 1] if i + 1 < len(out) else None
            if nxt is None or nxt.startswith("-") or nxt in commands:
                out[i] = "--trace=-"
    return out


def setup(args):
    """Start tracing if asked; return an exit code to stop with, or None to go on."""
    from . import trace
    dest = getattr(args, "trace", None)
    try:
        trace.start(dest)
    except OSError as exc:
        sys.stderr.write(f"cushion: cannot write the trace to {dest}: {exc.strerror}\n")
        return 2
    atexit.register(trace.stop)
    return None


def host_version():
    from importlib import metadata
    try:
        return metadata.version("cushion-tools")
    except metadata.PackageNotFoundError:
        return "unknown"


def version(argv):
    """`cushion [--port URL] [--json] --version`: the host's version, and the board's."""
    from . import errors
    from .formatting import Output
    p = argparse.ArgumentParser(prog="cushion", add_help=False)
    p.add_argument("--version", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--port")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--trace")
    args, _rest = p.parse_known_args(argv)
    out = Output(args.json)
    if setup(args) is not None:
        return errors.EXIT_USAGE
    result = {"ok": True, "host": host_version()}
    human = f"cushion (host tool) {result['host']}"
    if args.port:
        from .client import CushionClient
        try:
            client = CushionClient.connect(args.port, timeout=args.timeout)
        except errors.CliError as exc:
            if args.json:
                out.obj({**exc.as_json(), "host": result["host"]}, None)
            sys.stderr.write(f"cushion: {exc.message}\n")
            return exc.exit_code
        client.close()
        info = client.info
        result["firmware"] = {k: info.get(k) for k in ("fw", "version", "board")}
        human += "\nfirmware {} {} on {} at {}".format(info.get("fw"), info.get("version"),
                                                      info.get("board"), args.port)
    out.obj(result, human) if args.json else out.line(human)
    return errors.EXIT_OK


