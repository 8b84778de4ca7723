"""cushion.dose (CEM43 over a rolling 3 h) and SR-8 through the Controller."""

import json

import pytest

from cushion import limits, store
from cushion.dose import ThermalDose, rate_q12

from .fakehal import HEAT, TICK, MemStorage, Rig

MIN = 60000
LIMIT = limits.DOSE_LIMIT_EQ_MS


def eq_min(d):
    return d.total_eq_ms / MIN


def soak(d, c100, ms, dt=TICK):
    for _ in range(ms // dt):
        d.add(dt, c100)


def test_rate_is_r_to_the_43_minus_t():
    assert rate_q12(4300) == 4096
    assert rate_q12(4500) == 4 * 4096
    assert rate_q12(4400) == 2 * 4096
    assert rate_q12(4200) == 4096 // 4
    assert rate_q12(4100) == 4096 // 16
    assert rate_q12(2500) == 0


def test_rate_is_monotonic_and_bounded():
    rates = [rate_q12(c) for c in range(2000, 6000, 5)]
    assert rates == sorted(rates)
    assert rate_q12(10000) == rate_q12(5200)


def test_15_min_at_45_c_is_60_equivalent_minutes():
    d = ThermalDose()
    soak(d, 4500, 15 * MIN)
    assert eq_min(d) == pytest.approx(60.0, rel=0.01)
    assert d.cem43_x10() == pytest.approx(600, abs=6)


def test_15_min_at_42_c_is_about_3_75():
    d = ThermalDose()
    soak(d, 4200, 15 * MIN)
    assert eq_min(d) == pytest.approx(3.75, rel=0.01)


def test_15_min_at_43_c_is_15():
    d = ThermalDose()
    soak(d, 4300, 15 * MIN)
    assert eq_min(d) == pytest.approx(15.0, rel=0.01)


def test_body_temperature_adds_almost_nothing():
    d = ThermalDose()
    soak(d, 3600, 60 * MIN, dt=1000)
    assert eq_min(d) < 0.1


def test_window_rolls_off_after_3_hours():
    d = ThermalDose()
    soak(d, 4500, 15 * MIN, dt=1000)
    assert eq_min(d) == pytest.approx(60.0, rel=0.01)
    soak(d, 2500, (170 - 15) * MIN, dt=1000)  # 2 h 50 min after the start
    assert eq_min(d) == pytest.approx(60.0, rel=0.01)
    soak(d, 2500, 30 * MIN, dt=1000)  # 3 h 20 min after the start
    assert d.total_eq_ms == 0
    assert all(b == 0 for b in d.buckets)


def test_window_is_rolling_not_reset():
    d = ThermalDose()
    soak(d, 4500, 10 * MIN, dt=1000)  # minutes 0..10
    soak(d, 2500, 100 * MIN, dt=1000)
    soak(d, 4500, 10 * MIN, dt=1000)  # minutes 110..120
    soak(d, 2500, 70 * MIN, dt=1000)  # to 190 min: the first soak left, the second not
    assert eq_min(d) == pytest.approx(40.0, rel=0.02)


def test_restore_and_limit():
    d = ThermalDose()
    d.restore(LIMIT)
    assert not d.over_limit()
    d.add(TICK, 4500)
    assert d.over_limit()
    assert limits.DOSE_LIMIT_EQ_MS == 240 * MIN


def test_integers_only():
    d = ThermalDose()
    for c in range(3000, 5200, 3):
        d.add(TICK, c)
    assert isinstance(d.total_eq_ms, int) and isinstance(d.cem43_x10(), int)


# -- SR-8 through the Controller -----------------------------------------------------------

def near_limit_storage(eq_ms):
    settings = dict(store.DEFAULT_SETTINGS, dose_eq_ms=eq_ms)
    return MemStorage({store.SETTINGS: store.encode(settings)})


def test_dose_over_240_caps_heat_at_low_with_an_event():
    rig = Rig(temp_c=45.0, storage=near_limit_storage(LIMIT - 2000))
    rig.hal.recording = False
    assert rig.cmd("heat high")["capped"] is False
    assert rig.events("dose_limit") == []
    rig.run_until(lambda: rig.events("dose_limit"), 10)
    (ev,) = rig.events("dose_limit")
    assert ev["capped_to"] == "low" and ev["dose_cem43"] >= 240.0
    st = rig.cmd("status")
    assert (st["heat"], st["setpoint_c"], st["dose_capped"]) == ("low", 38.0, True)
    assert st["dose_cem43"] >= 240.0
    # asking for more is answered, capped
    r = rig.cmd("heat high")
    assert (r["ok"], r["heat"], r["capped"]) == (True, "low", True)
    r = rig.cmd("heat medium")
    assert (r["heat"], r["capped"]) == ("low", True)
    assert rig.cmd("heat low")["capped"] is False
    # the dose was saved
    assert store.Store(rig.hal.storage).load_settings()["dose_eq_ms"] > LIMIT


def test_dose_limit_event_only_once():
    rig = Rig(temp_c=45.0, storage=near_limit_storage(LIMIT - 2000))
    rig.hal.recording = False
    rig.cmd("heat high")
    rig.run_s(5)
    rig.hal.set_temp(38.0)
    rig.run_s(30)
    assert len(rig.events("dose_limit")) == 1


def test_dose_restored_after_reboot_still_caps():
    rig = Rig(temp_c=30.0, storage=near_limit_storage(LIMIT + MIN))
    rig.tick()
    assert len(rig.events("dose_limit")) == 1
    r = rig.cmd("heat high")
    assert (r["heat"], r["capped"]) == ("low", True)


def test_heat_button_cycle_skips_medium_and_high_when_capped():
    rig = Rig(temp_c=30.0, storage=near_limit_storage(LIMIT + MIN))
    seen = []
    for _ in range(3):
        rig.hal.press(HEAT)
        rig.tick(3)
        rig.hal.release(HEAT)
        rig.tick(3)
        seen.append(rig.cmd("status")["heat"])
    assert seen == ["low", "off", "low"]


def test_dose_in_status_and_grows_while_hot():
    rig = Rig(temp_c=45.0)
    rig.hal.recording = False
    rig.cmd("heat high")
    rig.run_s(60)
    assert rig.cmd("status")["dose_cem43"] == pytest.approx(4.0, abs=0.1)
    json.dumps(rig.cmd("status"))  # numbers, not strings


def test_dose_survives_a_power_cut_mid_session():
    rig = Rig(temp_c=45.0)
    rig.hal.recording = False
    rig.cmd("heat high")
    rig.run_s(600)  # 10 min at 45 C: 40 equivalent minutes
    assert rig.cmd("status")["dose_cem43"] == pytest.approx(40.0, rel=0.02)
    rig.reboot("power_on")
    assert rig.cmd("status")["dose_cem43"] >= 39.0
