"""The shipped firmware on the real MicroPython rp2 port, in an emulated RP2040 (rp2040js),
with hal_sim's pad physics on its pins (docs/emulator.md).

Imported lazily: host/cli.py loads hal_emu.cli for its `--chip` options on every command.
"""

__all__ = ["EmulatedBoard", "EmulatorError", "ImageError"]


def __getattr__(name):
    if name in ("EmulatedBoard", "EmulatorError"):
        from hal_emu import board
        return getattr(board, name)
    if name == "ImageError":
        from hal_emu.image import ImageError
        return ImageError
    raise AttributeError("module 'hal_emu' has no attribute %r" % name)
