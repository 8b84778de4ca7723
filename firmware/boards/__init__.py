"""Board HALs: one module per board (pin map + ``Board``), and ``make_hal()`` to pick one.

The board modules import ``machine`` and are only imported on the board (or in tests
against the stand-in ``machine``), never by ``cushion/``.
"""

import sys


def make_hal():
    """The HAL of the board this runs on, chosen by ``sys.platform``."""
    if sys.platform == "rp2":
        from boards.pico import Board
    elif sys.platform == "esp32":
        from boards.esp32 import Board
    else:
        raise OSError("no board module for platform " + sys.platform)
    return Board()
