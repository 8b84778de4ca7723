"""Each knob of the plant envelope and each power-stage fault, on the physics alone
(hal_sim.physics.Cushion, no firmware): it changes what it should, by the amount the physics
says, and nothing else. Energy balance holds in every corner."""

import math

import pytest

import hal_sim  # noqa: F401
from hal_sim import envelope
from hal_sim.physics import (
    ADC_MAX, HEATER_FULL_SCALE_A, REF_V, ADC_VREF_V, Cushion, PadParams, counts12_to_c,
)
from cushion import limits

DT = 0.05


def run(c, seconds, duty=0.0, enabled=True, motor=0.0, dt=DT):
    for _ in range(int(round(seconds / dt))):
        c.step(dt, duty, enabled, motor, 1)


def mean_reading_c(c, i, n=400):
    """Sensor i as the firmware would convert it (nominal NTC), averaged over n readings."""
    return counts12_to_c(sum(c.adc_temp(i) >> 4 for _ in range(n)) / n)


def settled(params=None, ambient=22.0, duty=0.0, supply=12.0):
    c = Cushion(params, ambient_c=ambient, supply_v=supply)
    run(c, 4 * 3600, duty=duty, dt=1.0)
    run(c, 120, duty=duty)  # the sensors' lags settle at the tick's dt
    return c


def heat_balance(p, ambient, power_w):
    """The steady (element, surface) temperatures by hand: the element's power leaves through
    the spreader to the surface and through the backing to the room; the surface loses to the
    room and to the back (or, nobody on it, its open face to the room), losses x loss_scale."""
    k = p.loss_scale
    g_sa = p.g_surface_ambient * k + (0.0 if p.back_present else p.g_surface_open * k)
    g_sb = p.g_surface_back * k if p.back_present else 0.0
    ges, gea = p.g_element_surface, p.g_element_ambient
    # element: P = ges (te - ts) + gea (te - ta);  surface: ges (te - ts) = g_sa (ts - ta)
    #                                                              + g_sb (ts - tb)
    # Eliminate te: te = (P + ges ts + gea ta) / (ges + gea)
    a = ges + gea
    ts = ((ges * (power_w + gea * ambient) / a + g_sa * ambient + g_sb * p.back_c)
          / (ges + g_sa + g_sb - ges * ges / a))
    te = (power_w + ges * ts + gea * ambient) / a
    return te, ts


# ---- sensors ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [-3.0, 2.0])
def test_offset_steady_reading_is_the_pad_plus_the_offset(value):
    c = settled(ambient=30.0)
    c.sensor_offset_c[0] = value
    a, b = mean_reading_c(c, 0), mean_reading_c(c, 1)
    assert a == pytest.approx(c.pad_c + value, abs=0.05)
    assert b == pytest.approx(c.pad_c, abs=0.05)  # the other sensor is untouched


@pytest.mark.parametrize("tau", [4.0, 15.0])
def test_lag_step_response_has_the_given_time_constant(tau):
    p = PadParams(sensor_tau_s=[tau, 6.0])
    c = settled(p, ambient=30.0)
    pad = c.pad_c
    c.sensor_c[0] = pad - 10.0  # a 10 C step between the bead and the pad it sits on
    t = 0.0
    while pad - c.sensor_c[0] > 10.0 / math.e:
        c.step(DT, 0.0, True, 0.0, 1)
        t += DT
    assert abs(c.pad_c - pad) < 1e-6  # the pad itself did not move
    assert t == pytest.approx(tau, rel=0.02)


def test_hot_spot_gap_scales_with_heater_power():
    p = PadParams(hotspot_c=[3.0, 0.0])
    gaps = {}
    for duty in (0.3, 0.6):
        c = settled(p, ambient=22.0, duty=duty)
        gaps[duty] = c.pad_c - c.sensor_c[0]
        assert c.pad_c - c.sensor_c[1] == pytest.approx(0.0, abs=1e-6)
        # the model: 3 C per 20 W of heat flux from the element into the surface
        assert gaps[duty] == pytest.approx(3.0 * c.surface_flux_w / 20.0, rel=1e-6)
        # which in steady state is the element's power minus what its backing loses
        loss = p.g_element_ambient * (c.element_c - 22.0)
        assert c.surface_flux_w == pytest.approx(c.heater_power_w - loss, rel=1e-6)
    assert gaps[0.6] / gaps[0.3] == pytest.approx(2.0, rel=0.06)  # ~ the power's ratio


def test_ntc_tolerance_reads_as_the_beta_equation_says():
    p = PadParams(ntc_r25_error=[0.03, 0.0], ntc_beta_error=[0.0, -0.02])
    c = settled(p, ambient=30.0)
    t = c.sensor_c[0] + 273.15
    # R25 3 % high: the firmware's nominal curve reads the temperature whose R is 1.03 R
    want_a = 1.0 / (1.0 / t + math.log(1.03) / 3950.0) - 273.15
    # beta 2 % low: R = R25 exp(0.98 B (1/T - 1/T25)) read as exp(B (1/T' - 1/T25))
    want_b = 1.0 / (1 / 298.15 + 0.98 * (1.0 / t - 1 / 298.15)) - 273.15
    assert mean_reading_c(c, 0) == pytest.approx(want_a, abs=0.05)
    assert mean_reading_c(c, 1) == pytest.approx(want_b, abs=0.05)
    assert want_a < c.sensor_c[0] - 0.5  # +3 % R25 reads about 0.7 C cold


def test_adc_noise_has_the_given_deviation_and_spikes_the_given_rate():
    for sigma in (1.5, 2.5):
        c = Cushion(PadParams(adc_noise_lsb=sigma), ambient_c=25.0)
        xs = [c.adc_vin() >> 4 for _ in range(20000)]
        m = sum(xs) / len(xs)
        sd = math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))
        assert sd == pytest.approx(sigma, rel=0.15)  # rounding to whole LSB adds a little
    c = Cushion(PadParams(adc_spike_per_s=0.5), ambient_c=25.0)
    c.step(DT, 0.0, False, 0.0, 1)
    base = c.adc_vin() >> 4
    n = 40000
    spikes = sum(1 for _ in range(n) if abs((c.adc_vin() >> 4) - base) > 100)
    assert spikes / n == pytest.approx(0.5 * DT, rel=0.15)


# ---- heat balance ------------------------------------------------------------------------

@pytest.mark.parametrize("change", [{}, {"loss_scale": 0.4}, {"loss_scale": 1.5},
                                    {"back_present": False},
                                    {"back_present": False, "loss_scale": 0.4}],
                         ids=["nominal", "blanket", "leaning", "nobody", "nobody-blanket"])
def test_steady_temperature_at_a_duty_is_the_heat_balance(change):
    p = PadParams(**change)
    c = settled(p, ambient=22.0, duty=0.4)
    te, ts = heat_balance(p, 22.0, c.heater_power_w)
    assert c.pad_c == pytest.approx(ts, abs=0.01)
    assert c.element_c == pytest.approx(te, abs=0.01)
    assert (te, ts) == pytest.approx(c.steady_state(0.4), abs=0.01)


def test_blanket_and_nobody_on_it_run_hotter_at_the_same_duty():
    nominal = settled(PadParams(), duty=0.4).pad_c
    blanket = settled(PadParams(loss_scale=0.4), duty=0.4).pad_c
    nobody = settled(PadParams(back_present=False), duty=0.4).pad_c
    assert blanket > nominal + 15.0
    assert nobody > nominal + 2.0


# ---- power stage ------------------------------------------------------------------------

def test_current_flows_only_when_both_switches_conduct():
    c = Cushion(ambient_c=22.0)
    for duty, enabled in ((0.0, False), (1.0, False), (0.0, True)):
        c.step(DT, duty, enabled, 0.0, 1)
        assert c.heater_current_a == 0.0 and c.heater_power_w == 0.0
        assert c.adc_heater_current() >> 4 <= 2  # noise around zero
    c.step(DT, 1.0, True, 0.0, 1)
    assert c.heater_current_a > 1.0


@pytest.mark.parametrize("supply,scale", [(10.8, 0.8), (12.0, 1.0), (13.2, 1.2)])
def test_current_is_the_supply_over_the_element_resistance(supply, scale):
    p = PadParams(power_scale=scale)
    c = Cushion(p, ambient_c=20.0, supply_v=supply)
    c.step(DT, 0.5, True, 0.0, 1)
    r = p.r_element_ohm / scale
    i_on = supply / (r + p.r_supply_ohm)
    assert c.heater_current_a == pytest.approx(0.5 * i_on, rel=1e-3)  # mean over the PWM
    counts = sum(c.adc_heater_current() >> 4 for _ in range(200)) / 200
    assert counts == pytest.approx(0.5 * i_on / HEATER_FULL_SCALE_A * ADC_MAX, abs=0.5)
    assert limits.HEATER_FULL_SCALE_MA == round(HEATER_FULL_SCALE_A * 1000)


def test_element_resistance_follows_its_temperature():
    p = PadParams(r_element_tc=0.001)
    c = Cushion(p, ambient_c=20.0)
    c.step(DT, 1.0, True, 0.0, 1)
    cold = c.heater_current_a
    c.element_c = 80.0
    c.step(DT, 1.0, True, 0.0, 1)
    r_hot = p.r_element_ohm * (1 + 0.001 * (c.element_c - 20.0))
    assert c.heater_current_a == pytest.approx(12.0 / (r_hot + 0.1), rel=1e-3)
    assert c.heater_current_a < cold * 0.95


def test_adapter_current_limit_folds_the_voltage_back():
    c = Cushion(PadParams(supply_limit_a=1.2), ambient_c=22.0)
    c.step(DT, 1.0, True, 0.5, 1)
    assert c.heater_current_a + c.motor_current_a == pytest.approx(1.2, rel=1e-9)
    assert c.vin_v < 9.0  # 1.2 A - motor through 7.2 ohm


@pytest.mark.parametrize("fraction", [0.05, 0.3])
def test_mosfet_leak_gives_the_element_that_fraction_of_full_power(fraction):
    c = Cushion(ambient_c=22.0)
    c.step(DT, 1.0, True, 0.0, 1)
    full = c.heater_power_w
    c.mosfet_leak = fraction
    c.step(DT, 0.0, True, 0.0, 1)
    assert c.heater_duty_delivered == pytest.approx(fraction)
    assert c.heater_power_w == pytest.approx(fraction * full, rel=1e-6)
    assert c.heater_current_a > 0.0
    c.step(DT, 0.0, False, 0.0, 1)  # the cut-off still interrupts it
    assert c.heater_power_w == 0.0 and c.heater_current_a == 0.0


def test_cutoff_stuck_closed_and_open():
    c = Cushion(ambient_c=22.0)
    c.cutoff_stuck_closed = True
    c.step(DT, 1.0, False, 0.0, 1)
    assert c.heater_duty_delivered == 1.0  # commanded open, conducts anyway
    c.step(DT, 0.0, False, 0.0, 1)
    assert c.heater_duty_delivered == 0.0  # the MOSFET alone still switches
    c.cutoff_stuck_closed = False
    c.cutoff_stuck_open = True
    c.step(DT, 1.0, True, 0.0, 1)
    assert c.heater_duty_delivered == 0.0 and c.heater_current_a == 0.0


def test_heater_degraded_raises_the_element_resistance():
    c = Cushion(ambient_c=20.0)
    c.heater_degraded = 0.5
    c.step(DT, 1.0, True, 0.0, 1)
    r = 7.2 * 1.5
    assert c.heater_current_a == pytest.approx(12.0 / (r + 0.1), rel=1e-6)
    assert c.heater_power_w == pytest.approx(c.heater_current_a ** 2 * r, rel=1e-6)


@pytest.mark.parametrize("percent", [-5.0, 0.0, 3.0])
def test_reference_moves_with_adc_reference(percent):
    c = Cushion(ambient_c=22.0)
    c.adc_gain = 1.0 + percent / 100
    ref = sum(c.adc_ref() >> 4 for _ in range(200)) / 200
    assert ref == pytest.approx(REF_V / ADC_VREF_V * ADC_MAX * (1 + percent / 100), abs=0.5)
    if percent == 0.0:
        assert round(ref) == limits.REF_NOMINAL_COUNTS
    vin = sum(c.adc_vin() >> 4 for _ in range(200)) / 200  # every reading scales alike
    assert vin / ref == pytest.approx(12.0 / 18.81 * ADC_MAX / (REF_V / ADC_VREF_V * ADC_MAX),
                                      rel=2e-3)


# ---- energy balance ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nominal", *envelope.CORNERS])
def test_energy_balance_in_every_corner(name):
    cond = envelope.corner(name)
    c = Cushion(cond.pad, ambient_c=cond.ambient_c, supply_v=cond.supply_v)
    for n in range(6000):  # 5 minutes of varying duty with the motors on and off
        c.step(DT, (n % 37) / 36, n % 400 < 390, 0.6 if n % 300 < 150 else 0.0, 1)
    out = c.energy_to_ambient_j + c.energy_to_back_j + c.stored_energy_j()
    assert c.energy_in_j > 1000.0
    assert c.energy_in_j == pytest.approx(out, rel=1e-9, abs=1e-6)
