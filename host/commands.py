"""What each `cushion` command does, once host/cli.py has parsed its command line.

Each `cmd_NAME(args, out)` returns the exit code or raises a CliError (host/errors.py).
"""

import sys

from . import errors
from .errors import CliError, UsageError
from .formatting import clean, format_generic, format_info, format_status

import hal_sim  # noqa: F401,I001  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.limits import TELEMETRY_MAX_MS, TELEMETRY_MIN_MS


def connect(args):
    from .client import CushionClient
    from .ports import open_port_for
    return open_port_for(args.port, lambda url: CushionClient.connect(
        url, timeout=args.timeout, purpose=f"cushion {args.command}"))


def _simple(args, out, line, formatter=format_generic, done=None):
    client = connect(args)
    try:
        reply = client.request(line)
    finally:
        client.close()
    out.obj(clean(reply), formatter(reply) if done is None else done(reply))
    return errors.EXIT_OK


def cmd_status(args, out):
    return _simple(args, out, "status", format_status)


def cmd_info(args, out):
    return _simple(args, out, "info", format_info)


def _done_with_status(text):
    def human(reply):
        extra = {k: v for k, v in clean(reply).items() if k != "ok"}
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
    if None not in (args.level, args.intensity) and args.level != args.intensity:
        raise UsageError(f"cushion massage: intensity {args.level} and --intensity "
                         f"{args.intensity} disagree: give one")
    intensity = args.intensity if args.level is None else args.level
    line = "massage " + args.mode + ("" if intensity is None else f" {intensity}")

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
    from .ports import list_ports, vid_pid
    ports = list_ports()
    if out.as_json:
        out.obj({"ok": True, "ports": [
            {"device": p.device, "vid_pid": vid_pid(p), "description": p.description,
             "serial_number": p.serial_number, "board": p.board} for p in ports]}, None)
        return errors.EXIT_OK
    if not ports:
        out.line("no serial ports found (ptys and sockets are never listed)")
        return errors.EXIT_OK
    out.line(f"{'PORT':<20} {'VID:PID':<10} DESCRIPTION")
    for p in ports:
        mark = "  <- " + p.board if p.board else ""
        out.line(f"{p.device:<20} {vid_pid(p):<10} {p.description}{mark}")
    return errors.EXIT_OK


def cmd_watch(args, out):
    from .csvlog import check_csv_path
    from .watch import check_plot_path, watch
    if not TELEMETRY_MIN_MS <= args.period <= TELEMETRY_MAX_MS:
        # the firmware's own limits (limits.TELEMETRY_MIN_MS/MAX_MS); checked here so the
        # user gets a usage error rather than the device's bad_argument
        raise UsageError(f"--period must be {TELEMETRY_MIN_MS}..{TELEMETRY_MAX_MS} ms")
    check_csv_path(args.csv)              # before the watch: not after a 15-minute capture
    check_plot_path(args.plot)
    client = connect(args)
    try:
        watch(client, seconds=args.seconds, period_ms=args.period, csv_path=args.csv,
              plot_path=args.plot, json_lines=out.as_json, out=out.stream,
              max_lines_per_s=args.max_lines)
    finally:
        client.close()
    return errors.EXIT_OK


def cmd_flash(args, out):
    from .flash import FlashEnv, flash
    from .ports import ENV_VAR, resolve_port
    port, how = resolve_port(args.port)
    reresolve = None
    if how.startswith("auto-detected"):
        reresolve = lambda: resolve_port(None)[0]  # noqa: E731
    # progress goes to stderr with --json so stdout stays one JSON object
    env = FlashEnv(out=sys.stderr if out.as_json else out.stream, timeout=args.timeout,
                   reresolve=reresolve, bar=not out.as_json)
    try:
        info = flash(port, env)
    except CliError as exc:
        if how == ENV_VAR:
            exc.message += f" (the port came from {ENV_VAR})"
        raise
    out.obj(clean(info), None)
    return errors.EXIT_OK


def cmd_sim(args, out):
    from hal_emu.cli import dispatch as chip_dispatch
    code = chip_dispatch(args, out)
    if code is not None:
        return code
    from .simserver import serve
    try:
        return serve(listen=args.listen, pty=args.pty, speed=args.speed,
                     ambient_c=args.ambient, faults=args.fault, seed=args.seed, out=out.stream,
                     pad=args.pad, params=args.param)
    except OSError as exc:
        raise UsageError(f"cannot serve the simulated cushion: {exc}")


def cmd_run(args, out):
    from .runner import expand
    files = expand(args.files)
    if args.port:                      # a served sim's control channel, or a board
        from .portrun import cmd_run_port
        return cmd_run_port(args, files, out)
    if getattr(args, "chip", False):
        return _run_on_chip(args, files, out)
    from hal_emu.cli import dispatch as chip_dispatch
    chip_dispatch(args, out)              # without --chip it only checks: --uf2 needs it
    from .csvlog import check_csv_path
    from .runner import run_paths
    from .watch import check_plot_path
    check_csv_path(args.csv)              # before the run, as for watch
    check_plot_path(args.plot)
    return run_paths(files, out, csv_path=args.csv, plot_path=args.plot, verbose=args.verbose)


def _run_on_chip(args, files, out):
    from hal_emu.cli import dispatch as chip_dispatch
    from .csvlog import check_csv_path
    from .runner import load_all, output_name
    from .watch import check_plot_path
    check_csv_path(args.csv)              # before the run, as on the simulator
    check_plot_path(args.plot)
    load_all(files)                       # every file checked before any runs
    several, csv, plot = len(files) > 1, args.csv, args.plot
    code = errors.EXIT_OK
    for path in files:                 # the chip's runner takes one file at a time
        args.scenario = path
        args.csv, args.plot = output_name(csv, path, several), output_name(plot, path, several)
        code = max(code, chip_dispatch(args, out))
    return code


def campaign_command(args, out):
    from hal_sim.campaign import cli as campaign_cli
    return campaign_cli.command(args, out)


COMMANDS = {
    "status": cmd_status, "info": cmd_info, "heat": cmd_heat, "massage": cmd_massage,
    "stop": cmd_stop, "clear": cmd_clear, "faults": cmd_faults, "ports": cmd_ports,
    "watch": cmd_watch, "flash": cmd_flash, "sim": cmd_sim, "run": cmd_run,
    "campaign": campaign_command,
}
