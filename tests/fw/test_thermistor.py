"""cushion.thermistor: the interpolated table against the beta equation, and the SR-3 window."""

from cushion import limits, thermistor

from .fakehal import beta_c, ntc_counts12


def codes_between(lo_c, hi_c):
    """Every 12-bit code whose beta temperature lies in [lo_c, hi_c]."""
    return [c for c in range(1, 4095) if lo_c <= beta_c(c) <= hi_c]


def test_table_matches_beta_equation_within_0_1_c_from_0_to_60_c():
    codes = codes_between(0.0, 60.0)
    assert len(codes) > 2000  # the whole span, not a handful of points
    worst = max(abs(thermistor.to_c100(c) / 100 - beta_c(c)) for c in codes)
    assert worst <= 0.1, worst


def test_reference_points_of_the_front_end():
    # docs/hardware.md: 25 C -> 2048, 45 C -> 1241, 50 C -> 1081 (12-bit)
    assert ntc_counts12(25.0) == 2048
    assert ntc_counts12(45.0) == 1241
    assert ntc_counts12(50.0) == 1081
    assert abs(thermistor.to_c100(2048) - 2500) <= 5
    assert abs(thermistor.to_c100(1241) - 4500) <= 5
    assert abs(thermistor.to_c100(1081) - 5000) <= 5


def test_strictly_decreasing_with_counts_over_the_whole_range():
    temps = [thermistor.to_c100(c) for c in range(0, 4096)]
    assert all(a > b for a, b in zip(temps, temps[1:])), "NTC: more counts = colder"


def test_clamps_outside_the_adc_range():
    assert thermistor.to_c100(-5) == thermistor.to_c100(0)
    assert thermistor.to_c100(5000) == thermistor.to_c100(4095)


def test_integer_result():
    assert all(isinstance(thermistor.to_c100(c), int) for c in range(0, 4096, 7))


def test_open_threshold_is_about_minus_20_c():
    t = limits.SENSOR_OPEN_COUNTS
    assert thermistor.window_fault(t) is None
    assert thermistor.window_fault(t + 1) == "sensor_open"
    assert thermistor.window_fault(4095) == "sensor_open"
    assert thermistor.window_fault(ntc_counts12(-15.0)) is None
    assert thermistor.window_fault(ntc_counts12(-25.0)) == "sensor_open"


def test_short_threshold_is_about_110_c():
    t = limits.SENSOR_SHORT_COUNTS
    assert thermistor.window_fault(t) is None
    assert thermistor.window_fault(t - 1) == "sensor_short"
    assert thermistor.window_fault(0) == "sensor_short"
    assert thermistor.window_fault(ntc_counts12(105.0)) is None
    assert thermistor.window_fault(ntc_counts12(115.0)) == "sensor_short"


def test_whole_plausible_window_is_neither_open_nor_short():
    for temp in range(-15, 106, 1):
        assert thermistor.window_fault(ntc_counts12(temp)) is None, temp
