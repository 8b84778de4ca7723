"""SR-5b's stored-heat allowance and the energy check's least rise, held between what honest
pads need and what the faults they are for produce (tests/sim/vertex_cases.py has the
vertices and the statistics; docs/safety.md, "Thresholds and the envelope corners that bound
them", the figures). `make test-slow`.

- Over every vertex, at every level, with massage and without: the largest rise SR-5b must
  allow after a cut stays MARGIN_C100 under STUCK_STORED_C100 x index, and the least rise
  per energy window stays MARGIN_RISE_C100 over ENERGY_MIN_RISE_C100. A change to the
  physics or the firmware that moves an honest pad past either fails here first.
- SR-5b as the backup for a current sense that reads nothing: a stuck MOSFET or a 30 % leak
  needs at least MARGIN_C100 more than STUCK_STORED_C100 to be missed, and with the real
  thresholds SR-5b latches it before the true pad passes 52 C; after a reset on a hot pad a
  stuck MOSFET is SR-16's and SR-17's (the index starts at full), and SR-2 stops it.
"""

import pytest

from cushion import limits

from hal_sim import envelope

from . import LEVELS, PAD_MAX_C, SETPOINT_C
from .vertex_cases import (
    backup_cases, clean_record, fault_record, stuck_need, vertices, window_rises,
)

pytestmark = pytest.mark.slow

MARGIN_C100 = 100  # 1 C of SR-5b's allowance (at index 1.0) on either side
MARGIN_RISE_C100 = 25  # 0.25 C: five times the median-of-3 reading's noise at 45 C


def _left_to_sr2(pad, fault, follow):
    """After a reset on a hot corner's pad the index starts at full: 9.5 C of headroom that
    a stuck MOSFET crosses only after the reading reaches 50 C (SR-16 and the self-test catch
    it first whenever the current sense works; docs/safety.md, "Known limits")."""
    return fault == "heater_stuck_on" and follow is not None and pad != "nominal"


@pytest.mark.parametrize("cond", [pytest.param(c, id=c.name) for c in vertices()])
def test_honest_pads_stay_inside_both_thresholds_with_margin(cond):
    for level in LEVELS:
        for massage in (True, False):
            rec = clean_record(cond, level, massage)
            where = "%s %s massage=%s" % (cond.name, level, massage)
            assert not rec.faults, (rec.faults, where)
            assert max(rec.pad) <= PAD_MAX_C, where
            need = stuck_need(rec.stuck)
            assert need is not None and need <= limits.STUCK_STORED_C100 - MARGIN_C100, (
                need, where)
            rises = window_rises(rec.energy)
            assert all(r >= limits.ENERGY_MIN_RISE_C100 + MARGIN_RISE_C100 for r in rises), (
                min(rises), where)


@pytest.mark.parametrize("pad,fault,when", [
    pytest.param(pad, fault, when, id="%s-%s-%s-%s" % (pad, fault[0], when[0], when[1]))
    for pad, fault, when in backup_cases()])
def test_sr5b_catches_what_a_blind_current_sense_lets_through(pad, fault, when):
    kind, args = fault
    phase, follow = when
    cond = envelope.corner(pad)
    rec, since = fault_record(cond, kind, args, phase, follow)
    need = stuck_need(rec.stuck, since)
    real, _ = fault_record(cond, kind, args, phase, follow, rules=False)
    assert max(real.pad) <= PAD_MAX_C
    if _left_to_sr2(pad, kind, follow):
        assert need < limits.STUCK_STORED_C100 and real.faults == ["overheat"]
        return
    if not real.faults:  # the heat loop takes the leak into its duty: held at the set-point
        assert kind == "mosfet_leak" and max(real.pad) <= SETPOINT_C["high"] + 1.0
        return
    assert need is None or need >= limits.STUCK_STORED_C100 + MARGIN_C100, need
    assert real.faults == ["heater_stuck_on"]
