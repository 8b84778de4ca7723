"""Pads at the edges of several envelope ranges at once, which neither the named corners nor
the seeded draws reach: a hot room under a blanket or with nobody on it, the slowest sensors
between two element tracks, a heavy build. Fault-free sessions at high, judged like
tests/sim/test_envelope_matrix.py. They tripped SR-5b and the energy check falsely until
those thresholds were derived over the envelope's vertices (tests/sim/vertex_cases.py,
tests/sim/test_envelope_vertices.py); they stay as the three cases that found it."""

import pytest

from hal_sim import envelope

from .envelope_cases import clean_session

pytestmark = pytest.mark.slow

EXTREMES = [
    pytest.param("blanket_corner", 1.0, id="blanket-slow-between"),  # SR-5b after the cut
    pytest.param("no_back_corner", 1.0, id="no_back-slow-between"),  # SR-5b after the cut
    pytest.param("hot_corner", 1.3, id="hot-heavy-slow-between"),  # energy check at 52 s
]


@pytest.mark.parametrize(("corner", "mass"), EXTREMES)
def test_fault_free_at_several_range_edges_at_once(corner, mass):
    cond = envelope.with_params(envelope.corner(corner), "%s_extreme" % corner,
                                sensor_tau_s=[15.0, 15.0], hotspot_c=[3.0, 3.0],
                                ntc_r25_error=[0.03, 0.03], mass_scale=mass)
    out = clean_session(cond, "high", True)
    assert not out.problems, "; ".join("%s: %s" % p for p in out.problems)
