"""`cushion`: control, watch, flash and simulate the heated massage cushion (DESIGN section 8).

    cushion [--port URL] [--json] [--timeout S] COMMAND ...

Exit codes (host/errors.py): 0 ok, 1 the device refused (or a scenario failed), 2 usage,
3 no connection or timeout, 128+N ended by signal N (Ctrl-C 130, SIGHUP 129, SIGTERM 143).
Expected failures print one line on stderr (and with --json one JSON object on stdout),
never a traceback.
"""

import argparse
import signal
import sys
import threading

from hal_emu.cli import add_chip_options
from hal_sim.campaign import cli as campaign_cli
from . import cliextra, errors
from .commands import COMMANDS
from .errors import CliError, Stopped, UsageError
from .formatting import Output
from .simclock import add_pad_arguments, parse_ambient, parse_fault, parse_speed

import hal_sim  # noqa: F401,I001  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.schema import FAULT_KINDS, LEVEL_NAMES, LEVELS_C, MODE_NAMES

DEFAULT_TIMEOUT = 2.0
ALL_COMMANDS = {**COMMANDS, **cliextra.COMMANDS}
GLOBAL_OPTIONS = ("port", "json", "timeout")
# The global options each command acts on; any other given is refused, not ignored.
TAKES = {"ports": ("json",), "sim": (), "campaign": ()}
WHY_NOT = {"ports": "it lists this computer's serial ports",
           "sim": "it serves a cushion of its own",
           "campaign": "it runs its sessions on simulators of its own"}
# Signals that end a command the way Ctrl-C does (cleanup runs, exit 128+N).
ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


# -- argument parsing ----------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line, --json aware) instead of printing usage."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _checked(parse):
    def convert(text):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc))
    return convert


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _lower(text):
    return text.lower()                 # the protocol's words are case-insensitive


def _parse_listen(text):
    from .simserver import parse_listen  # the server's own module: only `sim` needs it
    return parse_listen(text)


def build_parser():
    # The global options are accepted before or after the command (`cushion status --json`
    # as well as `cushion --json status`); SUPPRESS keeps a later default from overwriting an
    # earlier explicit value, and main() fills in the real defaults.
    common = _Parser(add_help=False)
    common.add_argument("--port", metavar="URL", default=argparse.SUPPRESS,
                        help="serial port or pyserial URL: /dev/ttyACM0, COM3, "
                             "socket://HOST:PORT, rfc2217://..., or sim://?OPTIONS, a "
                             "simulated cushion (speed=X, ambient=C, heat=LEVEL, "
                             "massage=MODE, intensity=N, fault=KIND@SECONDS, "
                             "scenario=FILE.toml) (default: $CUSHION_PORT, else the one USB "
                             "board found)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine output: one JSON object (JSON lines for watch)")
    common.add_argument("--timeout", metavar="S", type=_positive_float,
                        default=argparse.SUPPRESS,
                        help="seconds to wait for each reply (default 2)")
    cliextra.add_global_options(common)

    parser = _Parser(
        prog="cushion", parents=[common],
        description="Control, watch, flash and simulate the heated lumbar massage cushion.",
        epilog="exit codes: 0 ok, 1 device refused, 2 usage, 3 no connection or timeout, "
               "128+N ended by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name, help_text, **kw):
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text,
                              **kw)

    add("status", "show what the cushion is doing")
    add("info", "show firmware name, version and board")
    temps = ", ".join(f"{name} {c:.1f} C" for name, c in LEVELS_C.items())
    p = add("heat", f"set the heat level: the pad set-point is {temps} "
                    "(starts a session from all-off)")
    p.add_argument("level", type=_lower, choices=LEVEL_NAMES, metavar="LEVEL",
                   help="one of " + ", ".join(LEVEL_NAMES))
    p = add("massage", "set the massage mode (starts a session from all-off)")
    p.add_argument("mode", type=_lower, choices=MODE_NAMES, metavar="MODE",
                   help="one of " + ", ".join(MODE_NAMES))
    p.add_argument("level", type=int, choices=(1, 2, 3), nargs="?", metavar="INTENSITY",
                   help="intensity 1 (gentle) .. 3 (strong), as the protocol takes it")
    p.add_argument("--intensity", type=int, choices=(1, 2, 3), metavar="N",
                   help="intensity 1 (gentle) .. 3 (strong); default: keep the current one")
    add("stop", "end the session: heater and motors off")
    add("clear", "clear latched faults (readings must be back in range, pad below 40 C)")
    add("faults", "show active faults and the fault log")
    add("ports", "list serial ports and which look like a cushion")
    p = add("watch", "switch telemetry on and show it live (Ctrl-C ends)")
    p.add_argument("--seconds", type=_positive_float, metavar="N",
                   help="stop after N seconds of wall-clock time (default: until Ctrl-C)")
    p.add_argument("--period", type=int, default=500, metavar="MS",
                   help="telemetry period in milliseconds, 100..60000 (default 500)")
    p.add_argument("--max-lines", type=_positive_float, default=10.0, metavar="N",
                   help="print at most N telemetry lines per wall-clock second (default 10);"
                        " the CSV, the plot and --json keep every sample")
    p.add_argument("--csv", metavar="F.csv", help="also write every sample to F.csv "
                                                  "(docs/csv.md)")
    p.add_argument("--plot", metavar="F.png", help="plot temperatures, duties, states and "
                                                   "events to F.png at the end")
    add("flash", "build .mpy files and copy them to the board with mpremote, then verify")
    p = add("sim", "serve a simulated cushion on socket:// and/or a pty until Ctrl-C")
    p.add_argument("--listen", metavar="HOST:PORT", type=_checked(_parse_listen),
                   help="TCP address to serve socket:// on (port 0 picks a free one)")
    p.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal too")
    p.add_argument("--control", metavar="HOST:PORT", type=_checked(_parse_listen),
                   default=("127.0.0.1", 0), help="address of the control channel "
                   "(docs/protocol.md; default a free port on 127.0.0.1)")
    p.add_argument("--speed", type=_checked(parse_speed), default=1.0,
                   metavar="X", help="run X times faster than real time (default 1)")
    p.add_argument("--ambient", type=_checked(parse_ambient), default=None,
                   metavar="C", help="room temperature in C (default 22, or the pad's)")
    p.add_argument("--fault", type=_checked(parse_fault), action="append",
                   default=[], metavar="KIND@SECONDS",
                   help="inject fault KIND at simulated second SECONDS (repeatable); KIND is "
                        "one of " + ", ".join(FAULT_KINDS))
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    add_pad_arguments(p, _checked)
    add_chip_options(p)
    p = add("run", "run scenario files (TOML) on the simulator and check their expectations "
                   "(exit 0 all passed, 1 one failed, 2 a bad file)")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files, or a quoted glob "
                   "such as 'scenarios/*.toml' (docs/simulator.md, section Scenarios)")
    p.add_argument("--plot", metavar="F.png", help="plot the run to F.png (several files: "
                                                   "F-<file>.png each)")
    p.add_argument("--csv", metavar="F.csv", help="write the run's trace to F.csv "
                                                  "(docs/csv.md; several files: F-<file>.csv)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each step, each reply and each event as it happens")
    add_chip_options(p)
    campaign_cli.add_parser(add)
    cliextra.add_parsers(sub, common)
    return parser


def _refuse_ignored_options(args):
    takes = TAKES.get(args.command, GLOBAL_OPTIONS)
    extra = [name for name in GLOBAL_OPTIONS if name not in takes and hasattr(args, name)]
    if extra:
        opts = " and ".join("--" + name for name in extra)
        raise UsageError(f"cushion {args.command} takes no {opts}: "
                         f"{WHY_NOT[args.command]}")


def _stop_on_signal(signum, frame):
    raise Stopped(signum)


def main(argv=None):
    argv = cliextra.prepare_argv(sys.argv[1:] if argv is None else argv, ALL_COMMANDS)
    if "--version" in argv:
        return cliextra.version(argv)
    # --json is known before parsing, so that a usage error is JSON too
    out = Output("--json" in argv)
    old = {}
    try:
        args = build_parser().parse_args(argv)
        _refuse_ignored_options(args)
        if cliextra.setup(args) is not None:
            return errors.EXIT_USAGE
        args.port = getattr(args, "port", None)
        args.json = getattr(args, "json", False)
        args.timeout = getattr(args, "timeout", DEFAULT_TIMEOUT)
        out = Output(args.json)
        if threading.current_thread() is threading.main_thread():   # signal's own rule
            old = {s: signal.signal(s, _stop_on_signal) for s in ENDING_SIGNALS}
        return ALL_COMMANDS[args.command](args, out)
    except CliError as exc:
        if out.as_json:
            try:
                out.obj(exc.as_json(), None)
            except (BrokenPipeError, OSError):
                pass
        sys.stderr.write(f"cushion: {exc.message}\n")
        sys.stderr.flush()
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("cushion: interrupted\n")
        return errors.EXIT_SIGNAL_BASE + signal.SIGINT
    except Stopped as exc:
        sys.stderr.write(f"cushion: stopped by {signal.Signals(exc.signum).name}\n")
        return exc.exit_code
    except BrokenPipeError:
        # `cushion watch | head`: the reader left; not an error worth a traceback
        try:
            sys.stdout = open("/dev/null", "w")
        except OSError:
            pass
        return errors.EXIT_OK
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


if __name__ == "__main__":
    sys.exit(main())
