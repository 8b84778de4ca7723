"""A steady control tick allocates nothing, measured in the MicroPython unix port.

MicroPython boxes floats and allocates for new objects; an allocating tick means garbage
collector pauses in the control loop. The tick runs against tools/minimal_hal.py, whose
methods return fixed small ints, with heat holding at low (where the thermal dose grows too
slowly to be saved), the massage running a wave, a session active and no serial traffic;
gc.mem_alloc() is read before and after 1000 ticks.
"""

import pytest

from hal_sim import digest
from tools import mpvm

ROOT = digest.__file__.rsplit("/", 2)[0]

SCRIPT = r"""
import gc
from cushion.controller import Controller
from cushion import limits

from minimal_hal import Hal, alloc_over, run_ticks

hal = Hal()
ctl = Controller(hal)
now = hal.t
ctl.set_heat(now, limits.HEAT_LOW)
ctl.set_massage(now, 3, 2)
run_ticks(ctl, hal, 400)  # settle: the first ticks of a session may allocate (events, state)

print("ALLOC", alloc_over(ctl, hal, 1000))
print("STATE", ctl.heat.state, ctl.session.active, ctl.vib.mode, ctl.out.heater > 0)
"""


@pytest.mark.vm
def test_steady_tick_allocates_nothing_in_the_unix_port():
    out = mpvm.run_unix(SCRIPT, [ROOT + "/firmware", ROOT + "/tools", ROOT + "/hal_sim"],
                        heapsize="256k")
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    # the measurement ran in the intended steady state: holding, session on, wave running
    assert lines["STATE"] == "2 True 3 True"
    assert int(lines["ALLOC"]) == 0, out
