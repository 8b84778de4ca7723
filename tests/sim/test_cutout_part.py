"""The thermal cut-out's physics (hal_sim/cutout.py): a part in series with the element that
follows the pad surface on the hottest track with its own lag and opens at its temperature,
once (a thermal link) or until it has cooled by its reset differential (a bimetal
thermostat). Judged by the physical truth: the element's power and current, the pad."""

import pytest

from hal_sim import Simulation, envelope
from hal_sim.cutout import ThermalCutout
from hal_sim.physics import Cushion, PadParams

DT = 0.05


def _heat(c, seconds, duty=1.0):
    """Full power (both switches told to conduct) for `seconds`; the pad's peak."""
    peak = c.pad_c
    for _ in range(int(round(seconds / DT))):
        c.step(DT, duty, True, 0.0, 1)
        peak = max(peak, c.pad_c)
    return peak


def test_no_cutout_is_fitted_unless_asked_for():
    assert PadParams().cutout_c is None
    for sim in (Simulation(), envelope.simulation(envelope.corner("hot_corner"))):
        assert sim.cushion.cutout is None and sim.cutout_open is False
    sim = envelope.simulation(envelope.NOMINAL, cutout="nominal")
    assert sim.cushion.cutout is not None and sim.cutout_open is False


def test_a_closed_cutout_changes_nothing_in_the_physics():
    """Fitted but closed, the part is a wire: the same pad, bit for bit, as with none."""
    bare = Cushion(PadParams())
    fitted = Cushion(PadParams(cutout_c=500.0, cutout_tau_s=8.0))
    for c in (bare, fitted):
        _heat(c, 300.0)
    assert fitted.pad_c == bare.pad_c and fitted.element_c == bare.element_c
    assert fitted.heater_current_a == bare.heater_current_a and not fitted.cutout_open


def test_the_part_follows_the_surface_with_its_own_lag():
    part = ThermalCutout(open_c=500.0, tau_s=10.0, temp_c=22.0)
    for _ in range(int(round(10.0 / DT))):
        part.step(DT, 50.0, 0.0)
    # a first-order lag: 63 % of the step after one time constant (implicit Euler: a little
    # less at this dt)
    assert 0.60 < (part.temp_c - 22.0) / 28.0 < 0.64


def test_a_thermal_link_opens_at_its_temperature_and_never_conducts_again():
    c = Cushion(PadParams(cutout_c=50.0, cutout_tau_s=10.0), ambient_c=22.0)
    prev = c.cutout.temp_c
    while not c.cutout_open:
        prev = c.cutout.temp_c
        c.step(DT, 1.0, True, 0.0, 1)
        assert c.time_s < 900.0, "never opened"
    assert prev < 50.0 <= c.cutout.temp_c
    assert c.pad_c > c.cutout.temp_c  # it lags the surface it sits on
    opened_at = c.time_s
    _heat(c, 3600.0)  # an hour more of the switches told to conduct
    assert c.heater_power_w == 0.0 and c.heater_current_a == 0.0
    assert c.heater_duty_delivered == 0.0 and c.vin_v == c.supply_v  # no load on the supply
    assert c.cutout.opens == 1 and c.cutout.first_open_s == opened_at
    assert c.pad_c < 28.0  # cooled to where the room and the back (34 C) hold it


def test_a_thermostat_closes_again_after_its_reset_differential():
    c = Cushion(PadParams(cutout_c=50.0, cutout_reset_c=35.0, cutout_tau_s=10.0))
    peak = _heat(c, 3600.0)
    part = c.cutout
    assert part.opens >= 2  # driven all along, it cycles between its two temperatures
    assert 35.0 - 1.0 < part.temp_c < 50.0 + 1.0
    assert peak < 60.0
    # it closes only once it has cooled to its reset temperature
    c2 = Cushion(PadParams(cutout_c=50.0, cutout_reset_c=35.0, cutout_tau_s=10.0))
    while not c2.cutout_open:
        c2.step(DT, 1.0, True, 0.0, 1)
    lowest_open = 99.0
    while c2.cutout_open:
        lowest_open = min(lowest_open, c2.cutout.temp_c)
        c2.step(DT, 1.0, True, 0.0, 1)
    assert lowest_open > 35.0 >= c2.cutout.temp_c
    assert c2.heater_power_w == 0.0  # power comes back from the next step on
    c2.step(DT, 1.0, True, 0.0, 1)
    assert c2.heater_power_w > 15.0


def test_re_rating_keeps_the_parts_state():
    c = Cushion(PadParams(cutout_c=45.0))
    _heat(c, 400.0)
    assert c.cutout_open
    part, temp = c.cutout, c.cutout.temp_c
    c.set_params(PadParams(cutout_c=60.0, cutout_reset_c=20.0))
    assert c.cutout is part and part.temp_c == temp and c.cutout_open
    c.set_params(PadParams())
    assert c.cutout is None and not c.cutout_open


def test_the_envelope_fits_the_part_at_either_end_of_its_tolerance():
    lo_c, hi_c = envelope.CUTOUT_RANGES["cutout_c"]
    assert (lo_c, hi_c) == (envelope.CUTOUT_RATING_C - envelope.CUTOUT_TOLERANCE_C,
                            envelope.CUTOUT_RATING_C + envelope.CUTOUT_TOLERANCE_C)
    low = envelope.with_cutout(envelope.NOMINAL, "low").pad
    high = envelope.with_cutout(envelope.NOMINAL, "high").pad
    assert low.cutout_c == lo_c and high.cutout_c == hi_c
    assert low.cutout_tau_s < high.cutout_tau_s  # the low end also follows fastest
    assert high.cutout_reset_c == hi_c - envelope.CUTOUT_RESET_DIFFERENTIAL_C
    assert envelope.with_cutout(envelope.NOMINAL, one_shot=True).pad.cutout_reset_c is None
    assert envelope.NOMINAL.pad.cutout_c is None  # the Conditions given are not changed
    with pytest.raises(ValueError, match="low, nominal, high"):
        envelope.with_cutout(envelope.NOMINAL, "middle")


def test_the_firmware_sees_an_open_cutout_as_no_current_and_the_element_stays_unpowered():
    """A part rated far too low opens in an ordinary warm-up: the element's circuit is open,
    so SR-16 latches heater_open (every switch it drives still works)."""
    cond = envelope.with_params(envelope.NOMINAL, cutout_c=35.0, cutout_tau_s=5.0)
    sim = envelope.simulation(cond)
    assert sim.command("heat high")["ok"]
    assert sim.run_until(lambda s: s.cutout_open, 300.0)
    t_open = sim.now_s
    assert sim.run_until(lambda s: any(e.get("event") == "fault" for e in s.events), 1.0)
    fault = [e for e in sim.events if e.get("event") == "fault"][0]
    assert fault["code"] == "heater_open" and fault["sim_s"] - t_open <= 1.0
    for _ in range(int(round(60.0 / DT))):
        sim.step()
        assert sim.heater_duty == 0.0
