"""CPython stand-in for MicroPython's ``micropython`` module (tests only).

The unix port's built-in ``micropython`` wins over this file, so it only matters when a
board module is imported under CPython.
"""

KBD_INTR = []  # every kbd_intr(chr) call, in order


def const(value):
    return value


def kbd_intr(chr):
    KBD_INTR.append(chr)


def heap_lock():
    return 0


def heap_unlock():
    return 0
