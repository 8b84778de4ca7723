"""The thermal cut-out's figures in docs/safety.md (H10, "Known limits"), docs/hardware.md
("Thermal cut-out") and docs/simulator.md ("The thermal cut-out") are the data
(hal_sim.envelope) or a fresh run (tests/sim/cutout_cases.py). After a change to the
firmware or the physics, `python -m tests.sim.cutout_cases` prints the tables again."""

import re

import pytest

from hal_sim import envelope
from hal_sim.physics import Cushion, PadParams

from .cutout_cases import (
    DOCS, H10_CASES, doc_figures, doc_text, documented_hottest_clean_c, dose_words,
    h10_results, h10_run, h10_table, rating_table, with_part_at,
)


def test_hardware_md_names_the_part_the_envelope_fits():
    rating, tol, diff = doc_figures(r"opens at (\d+) C \+-(\d+) K, recloses (\d+) K lower",
                                 "hardware.md")
    assert (float(rating), float(tol), float(diff)) == (
        envelope.CUTOUT_RATING_C, envelope.CUTOUT_TOLERANCE_C,
        envelope.CUTOUT_RESET_DIFFERENTIAL_C)
    lag = doc_figures(r"lags that surface by (\d+) to (\d+) s", "hardware.md")
    assert tuple(float(v) for v in lag) == envelope.CUTOUT_RANGES["cutout_tau_s"]
    lo, hi = envelope.CUTOUT_RANGES["cutout_c"]
    reset = doc_figures(r"cooled to (\d+)\.\.(\d+) C", "hardware.md")
    assert tuple(float(v) for v in reset) == (lo - envelope.CUTOUT_RESET_DIFFERENTIAL_C,
                                              hi - envelope.CUTOUT_RESET_DIFFERENTIAL_C)
    (bottom,) = doc_figures(r"so the bottom of its tolerance is (\d+) C", "hardware.md")
    assert float(bottom) == lo
    # the element current the part carries: the strongest element at 13.2 V
    hot = envelope.corner("hot_corner")
    c = Cushion(hot.pad, ambient_c=hot.ambient_c, supply_v=hot.supply_v)
    (amps,) = doc_figures(r"at most ([\d.]+) A in the envelope", "hardware.md")
    assert float(amps) == round(hot.supply_v / (c.element_ohm(20.0) + hot.pad.r_supply_ohm), 1)
    # the pad under a back in a 22 C room, the heat off: where it settles
    (settle,) = doc_figures(r"\(it settles near (\d+) C\)", "hardware.md")
    assert round(Cushion(PadParams()).steady_state(0.0)[1]) == int(settle)
    (mount,) = doc_figures(r"the hottest the mount gets over the envelope is ([\d.]+) C",
                        "hardware.md")
    assert float(mount) == documented_hottest_clean_c()


def test_simulator_md_says_the_part_is_absent_unless_asked_for():
    text = doc_text("simulator.md")
    assert "no cut-out is fitted unless a test asks for one" in text
    for name in ("cutout_c", "cutout_reset_c", "cutout_tau_s", "with_cutout", "cutout_open"):
        assert re.search(r"[`.]%s\b" % name, text), name
    assert PadParams().cutout_c is None
    lo, hi, rating, tol = doc_figures(r"`cutout_c` (\d+)\.\.(\d+) C for the (\d+) C \+-(\d+) K "
                                   r"rating", "simulator.md")
    assert (float(lo), float(hi)) == envelope.CUTOUT_RANGES["cutout_c"]
    assert (float(rating), float(tol)) == (envelope.CUTOUT_RATING_C, envelope.CUTOUT_TOLERANCE_C)
    lag = doc_figures(r"`cutout_tau_s` (\d+)\.\.(\d+) s", "simulator.md")
    assert tuple(float(v) for v in lag) == envelope.CUTOUT_RANGES["cutout_tau_s"]


def test_no_part_holds_the_lifted_off_hot_corner_at_52_c():
    """docs/safety.md: the lowest part that never opens in use, at its fastest lag."""
    lo_c = envelope.CUTOUT_RANGES["cutout_c"][0]
    lo_tau = envelope.CUTOUT_RANGES["cutout_tau_s"][0]
    pad_c, opens_c, tau = doc_figures(r"lifted off in the hot corner while holding reach "
                                   r"([\d.]+) C even with a part that opens at (\d+) C and "
                                   r"follows the surface (\d+) s behind", "safety.md")
    assert (float(opens_c), float(tau)) == (lo_c, lo_tau)
    res = h10_run(with_part_at(envelope.corner("hot_corner"), lo_c, lo_tau, None),
                  H10_CASES[4], "holding")
    assert res.cutout_s is not None
    assert "%.1f" % res.max_pad_c == pad_c and res.max_pad_c > 52.0


@pytest.mark.slow
def test_the_h10_table_and_its_summary_are_a_fresh_run():
    results = h10_results()
    assert h10_table(results) in (DOCS / "safety.md").read_text(encoding="utf-8")
    text = doc_text("safety.md")
    drift = results["nominal", H10_CASES[1][0], "warming", None]
    cut = results["nominal", H10_CASES[1][0], "warming", "high"]
    assert ("stopped at %.1f C instead of %.1f C, about 1/%d of the dose"
            % (cut.max_pad_c, drift.max_pad_c, round(drift.cem43 / cut.cem43))) in text
    lifted = [results[pad, "both lifted off", phase, "high"]
              for pad, phase in (("hot_corner", "warming"), ("hot_corner", "holding"))]
    assert "(%.1f and %.1f C)" % tuple(r.max_pad_c for r in lifted) in text
    assert "latches %.0f..%.0f s after the lift" % tuple(r.code_s for r in lifted) in text
    # the cases the part leaves above 52 C and below its highest opening temperature
    hi_c = envelope.CUTOUT_RANGES["cutout_c"][1]
    left = [r for k, r in results.items()
            if k[3] == "high" and 52.0 < r.max_pad_c < hi_c and r.cutout_s is None]
    offsets = [r for k, r in results.items() if k[3] == "high" and k[1] == "offset -8 C, both"
               and r.max_pad_c > 52.0]
    assert ("(%.1f..%.1f C, the offset's %s..%s a burn)" % (
        min(r.max_pad_c for r in left), max(r.max_pad_c for r in left),
        dose_words(min(r.cem43 for r in offsets)), dose_words(max(r.cem43 for r in offsets)))
            ) in text


@pytest.mark.slow
def test_the_choice_of_part_is_a_fresh_run():
    table = rating_table(documented_hottest_clean_c())
    assert table in (DOCS / "safety.md").read_text(encoding="utf-8")
    link = [row for row in table.splitlines() if row.startswith("| thermal link 59 C")][0]
    old = [row for row in table.splitlines() if row.startswith("| thermal link 57 C")][0]
    text = doc_text("hardware.md")
    peak = re.search(r"\| ([\d.]+) C, [\d,]+ \|$", link).group(1)
    assert "rated 59 C and lets the pad reach %s C" % peak in text
    assert "opens (" in old and "could open at 47 C in ordinary use" in text
