"""(a) The thermal cut-out never opens in fault-free use: two sessions back to back, massage
on, at every heat level, on every corner of the envelope and the nominal pad over a room x
supply x lead grid, with the part at the bottom of its tolerance and its fastest lag
(hal_sim.envelope.with_cutout "low"). Judged by the part itself (sim.cutout_open and its
own temperature). The hottest it gets is the figure docs/safety.md and docs/hardware.md
give (tests/sim/test_cutout_docs.py runs that setting; the sweep shows none is hotter).
"""

import pytest

from hal_sim import envelope

from . import LEVELS
from .cutout_cases import clean_session, documented_hottest_clean_c, sweep_conditions

LOW_END_C = envelope.CUTOUT_RANGES["cutout_c"][0]


def _check(cond, level):
    res = clean_session(cond, level)
    assert not res.opened, "%s at %s: the part opened (%.2f C)" % (cond.name, level,
                                                                   res.max_part_c)
    assert res.max_part_c < LOW_END_C
    assert not res.faults, res.faults
    return res


@pytest.mark.parametrize("name", ["reads_low_corner", "blanket_corner"])
def test_the_hottest_corners_never_open_the_part(name):
    """The pad that runs hottest over its sensors (both between tracks, NTCs reading cold,
    a 40 C room, 13.2 V) and the one under a blanket, at high. The reads-low corner's is the
    hottest fault-free mount, the figure the docs give."""
    res = _check(envelope.corner(name), "high")
    if name == "reads_low_corner":
        assert round(res.max_part_c, 1) == documented_hottest_clean_c()


@pytest.mark.slow
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("cond", sweep_conditions(), ids=lambda c: c.name)
def test_no_fault_free_session_opens_the_part(cond, level):
    res = _check(cond, level)
    # none is hotter than the reads-low corner at high, the figure the docs give
    assert round(res.max_part_c, 1) <= documented_hottest_clean_c()
