"""The shipped firmware on the real MicroPython rp2 port, in an emulated RP2040 (rp2040js),
with hal_sim's pad physics on its pins (docs/emulator.md)."""

from hal_emu.board import EmulatedBoard, EmulatorError
from hal_emu.image import ImageError

__all__ = ["EmulatedBoard", "EmulatorError", "ImageError"]
