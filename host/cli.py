"""`cushion`: control, watch, flash and simulate the heated massage cushion (DESIGN section 8).

    cushion [--port URL] [--json] [--timeout S] COMMAND ...

Exit codes (host/errors.py): 0 ok, 1 the device refused (or a scenario failed), 2 usage,
3 no connection or timeout.  Expected failures print one line on stderr, never a traceback.
"""

import argparse
import json
import sys

from host import errors
from host.errors import CliError, UsageError

DEFAULT_TIMEOUT = 2.0

STATUS_ORDER = ("state", "heat", "heat_state", "setpoint_c", "massage", "intensity", "temp_c",
                "temp2_c", "heater_pct", "motor_pct", "remaining_s", "vin", "supply_paused",
                "fault", "dose_cem43", "dose_capped", "uptime_ms")


# -- argument parsing ----------------------------------------------------------------------

def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _fault_arg(text):
    from host.simclock import parse_fault
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _speed_arg(text):
    from host.simclock import parse_speed
    try:
        return parse_speed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _ambient_arg(text):
    from host.simclock import parse_ambient
    try:
        return parse_ambient(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _listen_arg(text):
    from host.simserver import parse_listen
    try:
        return parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def build_parser():
    # The global options are accepted before or after the command (`cushion status --json`
    # as well as `cushion --json status`); SUPPRESS keeps a later default from overwriting an
    # earlier explicit value, and main() fills in the real defaults.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--port", metavar="URL", default=argparse.SUPPRESS,
                        help="serial port or pyserial URL: /dev/ttyACM0, COM3, "
                             "socket://HOST:PORT, rfc2217://..., sim://?speed=10 "
                             "(default: $CUSHION_PORT, else the one USB board found)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine output: one JSON object (JSON lines for watch)")
    common.add_argument("--timeout", metavar="S", type=_positive_float,
                        default=argparse.SUPPRESS,
                        help="seconds to wait for each reply (default 2)")

    parser = argparse.ArgumentParser(
        prog="cushion", parents=[common],
        description="Control, watch, flash and simulate the heated lumbar massage cushion.",
        epilog="exit codes: 0 ok, 1 device refused, 2 usage, 3 no connection or timeout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name, help_text):
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text)

    add("status", "show what the cushion is doing")
    add("info", "show firmware name, version and board")
    p = add("heat", "set the heat level (starts a session from all-off)")
    p.add_argument("level", choices=("off", "low", "medium", "high"))
    p = add("massage", "set the massage mode (starts a session from all-off)")
    p.add_argument("mode", choices=("off", "continuous", "pulse", "wave", "knead"))
    p.add_argument("--intensity", type=int, choices=(1, 2, 3))
    add("stop", "end the session: heater and motors off")
    add("clear", "clear latched faults (readings must be back in range, pad below 40 C)")
    add("faults", "show active faults and the fault log")
    add("ports", "list serial ports and which look like a cushion")
    p = add("watch", "switch telemetry on and show it live (Ctrl-C ends)")
    p.add_argument("--seconds", type=_positive_float, metavar="N",
                   help="stop after N seconds of wall-clock time (default: until Ctrl-C)")
    p.add_argument("--period", type=int, default=500, metavar="MS",
                   help="telemetry period in milliseconds, 100..60000 (default 500)")
    p.add_argument("--csv", metavar="F", help="also write the telemetry to CSV file F")
    p.add_argument("--plot", metavar="F.png", help="plot temps and duties to F.png at the end")
    add("flash", "build .mpy files and copy them to the board with mpremote, then verify")
    p = add("sim", "serve a simulated cushion on socket:// and/or a pty until Ctrl-C")
    p.add_argument("--listen", metavar="HOST:PORT", type=_listen_arg,
                   help="TCP address to serve socket:// on (port 0 picks a free one)")
    p.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal too")
    p.add_argument("--speed", type=_speed_arg, default=1.0, metavar="X",
                   help="run X times faster than real time (default 1)")
    p.add_argument("--ambient", type=_ambient_arg, default=None, metavar="C",
                   help="room temperature in C (default 22, or the pad's)")
    p.add_argument("--fault", type=_fault_arg, action="append", default=[],
                   metavar="KIND@SECONDS", help="inject fault KIND at simulated second "
                                                "SECONDS (repeatable)")
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    from host.simclock import add_pad_arguments
    add_pad_arguments(p)
    p = add("run", "run a scenario file (TOML) on the simulator and check its expectations")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--plot", metavar="F.png")
    p.add_argument("--csv", metavar="F")
    return parser


# -- output --------------------------------------------------------------------------------

class Output:
    def __init__(self, as_json, stream=None):
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def obj(self, obj, human):
        """Print `obj` as one JSON object with --json, else the human text."""
        if self.as_json:
            self.line(json.dumps(obj, sort_keys=True))
        elif human:
            self.line(human)

    def line(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()


def _clean(reply):
    out = dict(reply)
    out.pop("id", None)      # transport detail, changes every run
    return out


def _fmt(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value) or "none"
    if isinstance(value, dict):
        return " ".join(f"{k}={_fmt(v)}" for k, v in sorted(value.items()))
    return str(value)


def format_status(reply):
    r = _clean(reply)
    r.pop("ok", None)
    lines = []
    units = {"setpoint_c": " C", "temp_c": " C", "temp2_c": " C", "heater_pct": " %",
             "motor_pct": " %", "remaining_s": " s", "vin": " V", "dose_cem43": " min"}
    names = {"setpoint_c": "set-point", "temp_c": "pad sensor A", "temp2_c": "pad sensor B",
             "heater_pct": "heater", "motor_pct": "motor", "remaining_s": "remaining",
             "vin": "supply", "dose_cem43": "dose (CEM43)", "uptime_ms": "uptime",
             "heat_state": "heater state", "supply_paused": "supply paused",
             "dose_capped": "dose capped"}
    for key in STATUS_ORDER + tuple(sorted(k for k in r if k not in STATUS_ORDER)):
        if key not in r:
            continue
        value = r[key]
        if key == "uptime_ms" and isinstance(value, int):
            text = f"{value / 1000.0:.1f} s"
        elif key == "fault" and not value:
            text = "none"
        else:
            text = _fmt(value) + (units.get(key, "") if value is not None else "")
        lines.append(f"{names.get(key, key):<14}{text}")
    return "\n".join(lines)


def format_generic(reply):
    r = _clean(reply)
    r.pop("ok", None)
    lines = []
    for key in sorted(r):
        value = r[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines.extend("  " + _fmt(v) for v in value)
        else:
            lines.append(f"{key:<14}{_fmt(value)}")
    return "\n".join(lines)


# -- commands ------------------------------------------------------------------------------

def _connect(args):
    from host.client import CushionClient
    from host.ports import resolve_port
    port, _how = resolve_port(args.port)
    return CushionClient.connect(port, timeout=args.timeout)


def _simple(args, out, line, formatter=format_generic, done=None):
    client = _connect(args)
    try:
        reply = client.request(line)
    finally:
        client.close()
    out.obj(_clean(reply), formatter(reply) if done is None else done(reply))
    return errors.EXIT_OK


def cmd_status(args, out):
    return _simple(args, out, "status", format_status)


def cmd_info(args, out):
    def human(r):
        head = "{} {} on {}".format(r.get("fw", "?"), r.get("version", "?"), r.get("board", "?"))
        extra = {k: v for k, v in _clean(r).items()
                 if k not in ("ok", "fw", "version", "board")}
        return head + ("\n" + format_generic(extra) if extra else "")
    return _simple(args, out, "info", done=human)


def _done_with_status(text):
    def human(reply):
        extra = {k: v for k, v in _clean(reply).items() if k != "ok"}
        return text + ("\n" + format_status(extra) if extra else "")
    return human


def cmd_heat(args, out):
    def human(reply):
        got = reply.get("heat", args.level)
        if reply.get("capped") or got != args.level:
            # SR-8: the thermal dose over the last 3 h is high; the firmware caps at low
            return f"ok: heat {got} (asked for {args.level}: capped by the thermal dose limit)"
        return f"ok: heat {got}"
    return _simple(args, out, "heat " + args.level, done=human)


def cmd_massage(args, out):
    line = "massage " + args.mode
    if args.intensity is not None:
        line += f" {args.intensity}"

    def human(reply):
        mode = reply.get("massage", args.mode)
        if mode == "off":
            return "ok: massage off"
        return "ok: massage {}, intensity {}".format(mode, reply.get("intensity", "?"))
    return _simple(args, out, line, done=human)


def cmd_stop(args, out):
    return _simple(args, out, "stop", done=_done_with_status("ok: stopped"))


def cmd_clear(args, out):
    return _simple(args, out, "clear", done=_done_with_status("ok: faults cleared"))


def cmd_faults(args, out):
    return _simple(args, out, "faults", format_generic)


def cmd_ports(args, out):
    from host.ports import list_ports, vid_pid
    ports = list_ports()
    if out.as_json:
        out.obj({"ok": True, "ports": [
            {"device": p.device, "vid_pid": vid_pid(p), "description": p.description,
             "serial_number": p.serial_number, "board": p.board} for p in ports]}, None)
        return errors.EXIT_OK
    if not ports:
        out.line("no serial ports found (ptys and sockets are never listed)")
    for p in ports:
        mark = "  <- " + p.board if p.board else ""
        out.line(f"{p.device:<20} {vid_pid(p):<10} {p.description}{mark}")
    return errors.EXIT_OK


def cmd_watch(args, out):
    from host.watch import watch
    if not 100 <= args.period <= 60000:
        # the firmware's own limits (limits.TELEMETRY_MIN_MS/MAX_MS); checked here so the
        # user gets a usage error rather than the device's bad_argument
        raise UsageError("--period must be 100..60000 ms")
    client = _connect(args)
    try:
        watch(client, seconds=args.seconds, period_ms=args.period, csv_path=args.csv,
              plot_path=args.plot, json_lines=out.as_json, out=out.stream)
    finally:
        client.close()
    return errors.EXIT_OK


def cmd_flash(args, out):
    from host.flash import flash
    from host.ports import resolve_port
    port, how = resolve_port(args.port)
    reresolve = None
    if how.startswith("auto-detected"):
        reresolve = lambda: resolve_port(None)[0]  # noqa: E731
    # progress goes to stderr with --json so stdout stays one JSON object
    info = flash(port, out=sys.stderr if out.as_json else out.stream, timeout=args.timeout,
                 reresolve=reresolve)
    if out.as_json:
        out.obj(_clean(info), None)
    return errors.EXIT_OK


def cmd_sim(args, out):
    from host.simserver import serve
    try:
        return serve(listen=args.listen, pty=args.pty, speed=args.speed,
                     ambient_c=args.ambient, faults=args.fault, seed=args.seed, out=out.stream,
                     pad=args.pad, params=args.param)
    except OSError as exc:
        raise UsageError(f"cannot serve the simulated cushion: {exc}")


def cmd_run(args, out):
    try:
        from hal_sim.scenario import main as run_main
    except ImportError as exc:
        raise UsageError(f"scenario runner not available (hal_sim.scenario): {exc}")
    argv = [args.scenario]
    if args.plot:
        argv += ["--plot", args.plot]
    if args.csv:
        argv += ["--csv", args.csv]
    code = run_main(argv)
    return int(code or 0)


COMMANDS = {
    "status": cmd_status, "info": cmd_info, "heat": cmd_heat, "massage": cmd_massage,
    "stop": cmd_stop, "clear": cmd_clear, "faults": cmd_faults, "ports": cmd_ports,
    "watch": cmd_watch, "flash": cmd_flash, "sim": cmd_sim, "run": cmd_run,
}


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)          # usage errors: argparse prints them, exits 2
    args.port = getattr(args, "port", None)
    args.json = getattr(args, "json", False)
    args.timeout = getattr(args, "timeout", DEFAULT_TIMEOUT)
    out = Output(args.json)
    try:
        return COMMANDS[args.command](args, out)
    except CliError as exc:
        if args.json:
            try:
                out.obj(exc.as_json(), None)
            except (BrokenPipeError, OSError):
                pass
        sys.stderr.write(f"cushion: {exc.message}\n")
        sys.stderr.flush()
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("cushion: interrupted\n")
        return 130
    except BrokenPipeError:
        # `cushion watch | head`: the reader left; not an error worth a traceback
        try:
            sys.stdout = open("/dev/null", "w")
        except OSError:
            pass
        return errors.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
