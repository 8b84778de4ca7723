"""A tick that sends telemetry allocates (close to) nothing, measured in the unix port.

Issue 12: telemetry at 100 ms made the board's free heap fall by about 1.1 KB per line until
the collector ran (the status body was %-formatted field by field). cushion.statusline now
writes it into one preallocated buffer; what is left per line is the memoryview of it that
goes to serial_write (one GC block: 16 bytes on the 32-bit board, 32 in the 64-bit unix
port). Measured like tests/test_vm_alloc.py, against tools/minimal_hal.py, with the heat
holding, a wave massage and telemetry at the tick period, so that every tick sends a line.
"""

import json

import pytest

from hal_sim import digest  # first: it puts the firmware (and a `micropython` shim) on the path
from tools import mpvm

from cushion.schema import STATUS_FIELDS

ROOT = digest.__file__.rsplit("/", 2)[0]

SCRIPT = r"""
from cushion.controller import Controller
from cushion import limits

from minimal_hal import Hal, alloc_over, run_ticks

hal = Hal()
ctl = Controller(hal)
now = hal.t
ctl.set_heat(now, limits.HEAT_LOW)
ctl.set_massage(now, 3, 2)
run_ticks(ctl, hal, 400)  # settle, as the steady-tick test does
print("STEADY", alloc_over(ctl, hal, 200))
ctl.console.telemetry_ms = limits.TICK_MS  # a line on every tick (faster than allowed)
run_ticks(ctl, hal, 20)
print("TELEMETRY", alloc_over(ctl, hal, 200))
print("DROPPED", ctl.console.tx_dropped)

sent = []
hal.serial_write = lambda data: sent.append(bytes(data)) or True
run_ticks(ctl, hal, 1)
print("LINE", sent[-1].decode().strip())
"""


@pytest.mark.vm
def test_a_telemetry_tick_allocates_one_view_at_most_in_the_unix_port():
    out = mpvm.run_unix(SCRIPT, [ROOT + "/firmware", ROOT + "/tools", ROOT + "/hal_sim"],
                         heapsize="256k")
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert int(lines["STEADY"]) == 0, out
    per_tick = int(lines["TELEMETRY"]) / 200
    assert per_tick <= 32, out  # was 1472 bytes per line before the status line was built in place
    assert lines["DROPPED"] == "0"  # minimal_hal takes every line: none counted as dropped
    event = json.loads(lines["LINE"])
    assert list(event) == ["event", *STATUS_FIELDS] and event["state"] == "active"
