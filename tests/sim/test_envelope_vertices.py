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
from .cutout_cases import doc_figures
from .envelope_cases import clean_session
from .vertex_cases import (
    backup_cases, clean_record, fault_record, stuck_need, vertex, vertices, window_rises,
)

pytestmark = pytest.mark.slow

MARGIN_C100 = 100  # 1 C of SR-5b's allowance (at index 1.0) on either side
MARGIN_RISE_C100 = 25  # 0.25 C: five times the median-of-3 reading's noise at 45 C


def _doc(pattern):
    """docs/safety.md's figures for `pattern` (degrees C, seconds), as floats."""
    return [float(v) for v in doc_figures(pattern, "safety.md")]


def _c100(c):
    return int(round(c * 100))


HONEST_NEED_C = r"The most any vertex needs is ([\d.]+) C \(the blanket"
LEAST_RISE_C = r"The least any vertex rises is ([\d.]+) C \(leaning"
FAULT_NEED_C = r"allowance of ([\d.]+) C or more \(the 30 % leak under the blanket after a"
SR2_PEAK_C = (r"the true pad peaks at ([\d.]+)\.\.([\d.]+) C\. On the nominal pad SR-5b "
              r"latches it, with the pad at ([\d.]+) C")


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
            assert need <= _c100(_doc(HONEST_NEED_C)[0]), (need, where)  # the docs' most
            rises = window_rises(rec.energy)
            assert all(r >= limits.ENERGY_MIN_RISE_C100 + MARGIN_RISE_C100 for r in rises), (
                min(rises), where)
            assert all(r >= _c100(_doc(LEAST_RISE_C)[0]) for r in rises), (min(rises), where)


def test_the_documented_extremes_are_a_fresh_run():
    """docs/safety.md's most-needing and least-rising vertices give its figures."""
    rec = clean_record(vertex("blanket", 40.0, (13.2, 0.05), 1.2, 1.3), "high", False)
    assert stuck_need(rec.stuck) == _c100(_doc(HONEST_NEED_C)[0])
    rec = clean_record(vertex("leaning", 40.0, (13.2, 0.05), 1.2, 1.3), "high", False)
    assert min(window_rises(rec.energy)) == _c100(_doc(LEAST_RISE_C)[0])
    rec, since = fault_record(envelope.corner("blanket_corner"), "mosfet_leak",
                              {"fraction": 0.3}, "holding", "power_cycle")
    assert stuck_need(rec.stuck, since) == _c100(_doc(FAULT_NEED_C)[0])


def _trip(out):
    """The first false trip of an envelope_cases.clean_session: (code, whole seconds)."""
    words = out.problems[0][1].split()  # "false CODE at S s"
    return words[1], round(float(words[3]))


def test_leaning_hard_in_a_cold_room_on_a_weak_adapter_is_a_heating_failure():
    """docs/safety.md, "Known limits": the pads the vertices leave out, and why."""
    (lo, hi), (sr4_s,), (creep, energy_s) = (
        _doc(r"no warmer than ([\d.]+)\.\.([\d.]+) C"), _doc(r"`no_heat_rise` at (\d+) s"),
        _doc(r"at ([\d.]+) C per 1500 J, and the energy check latches `energy_mismatch` at "
             r"(\d+) s"))
    weak = [clean_session(vertex("leaning", 0.0, (10.8, 0.3), 0.8, m), "high", True)
            for m in (0.7, 1.3)]
    assert ("%.1f" % min(w.max_pad_c for w in weak), "%.1f" % max(w.max_pad_c for w in weak)
            ) == ("%.1f" % lo, "%.1f" % hi)
    assert _trip(weak[0]) == ("no_heat_rise", sr4_s)
    strong = vertex("leaning", 0.0, (10.8, 0.3), 1.2, 0.7)
    assert _trip(clean_session(strong, "high", True)) == ("energy_mismatch", energy_s)
    assert min(window_rises(clean_record(strong, "high", True).energy)) == _c100(creep)


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
    lo, hi, nominal = _doc(SR2_PEAK_C)
    peak = max(real.pad[since:])
    if _left_to_sr2(pad, kind, follow):
        assert need < limits.STUCK_STORED_C100 and real.faults == ["overheat"]
        assert lo <= round(peak, 2) <= hi, peak  # docs/safety.md, "Known limits"
        return
    if pad == "nominal" and kind == "heater_stuck_on" and follow is not None:
        assert "%.1f" % peak == "%.1f" % nominal

    if not real.faults:  # the heat loop takes the leak into its duty: held at the set-point
        assert kind == "mosfet_leak" and max(real.pad) <= SETPOINT_C["high"] + 1.0
        return
    assert need is None or need >= limits.STUCK_STORED_C100 + MARGIN_C100, need
    assert need is None or need >= _c100(_doc(FAULT_NEED_C)[0]), need  # the docs' least
    assert real.faults == ["heater_stuck_on"]
