"""A stand-in `micropython` module so the firmware imports under CPython (tests, host)."""

import sys
import types

shim = types.ModuleType("micropython")
shim.const = lambda value: value
shim.kbd_intr = lambda chr_code: None
shim.alloc_emergency_exception_buf = lambda size: None
sys.modules.setdefault("micropython", shim)
