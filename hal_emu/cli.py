"""`--chip` for `cushion sim` and `cushion run`: the same commands on the emulated RP2040.

host/cli.py calls `add_chip_options` on those two subparsers and `dispatch` first in their
handlers; everything about the chip stays here.
"""

from hal_emu import hostpkg

UsageError = hostpkg.module("errors").UsageError


def add_chip_options(parser):
    parser.add_argument("--chip", action="store_true",
                        help="run on the real MicroPython rp2 port in an emulated RP2040 "
                             "(needs node, rp2040js and $MICROPYTHON_RP2_UF2; docs/emulator.md)")
    parser.add_argument("--uf2", metavar="FILE",
                        help="with --chip: the MicroPython RPI_PICO image "
                             "(default $MICROPYTHON_RP2_UF2)")


def dispatch(args, out):
    """The exit code of the --chip variant of `sim` / `run`, or None without --chip."""
    if not getattr(args, "chip", False):
        if getattr(args, "uf2", None):
            raise UsageError("--uf2 goes with --chip")
        return None
    from hal_emu.image import ImageError, uf2_path
    from hal_emu.node import HarnessError
    try:
        uf2 = uf2_path(args.uf2)
        if args.command == "sim":
            return _sim(args, out, uf2)
        return _run(args, out, uf2)
    except (ImageError, HarnessError) as exc:
        raise UsageError(str(exc))


def _sim(args, out, uf2):
    from hal_emu.serve import serve_chip
    pad_conditions = hostpkg.module("simclock").pad_conditions
    # the same pads as the HAL-level simulator: a corner and parameters of the envelope
    cond = pad_conditions(args.pad, args.param, args.ambient)
    try:
        return serve_chip(listen=args.listen, pty=args.pty, ambient_c=cond.ambient_c, uf2=uf2,
                          out=out.stream, supply_v=cond.supply_v, params=cond.pad,
                          speed=args.speed, faults=args.fault)
    except OSError as exc:
        raise UsageError(f"cannot serve the emulated board: {exc}")


def _run(args, out, uf2):
    from hal_emu.scenario import main
    return main(args.scenario, uf2=uf2, out=out.stream, csv=args.csv, plot=args.plot,
                verbose=args.verbose)
