"""SR-16..SR-19, the persisted latch (SR-12 across power loss), the measured supply source and
the energy check, through the Controller on the recording fake HAL (its power stage passes
duty x vin / element while both switches conduct; faults are settable on it)."""

import pytest

from cushion import limits, store
from cushion.energy_check import EnergyCheck
from cushion.supply import SupplyEstimate

from .fakehal import SELFTEST_TICKS, TICK, Rig, heating, u16


def fault_event(rig):
    (ev,) = rig.events("fault")
    return ev


# -- SR-17 the switch self-test -------------------------------------------------------------

def test_sr17_self_test_runs_before_any_heating_and_passes_no_current():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat high")
    states = []
    while not (rig.hal.heater > 0 and rig.hal.enabled) and len(states) < 20:
        states.append((rig.hal.heater, rig.hal.enabled, rig.hal.heater_ma()))
        rig.tick()
    # each switch alone, in turn, told to conduct: the other must interrupt the current
    assert (1000, False, 0.0) in states and (0, True, 0.0) in states
    assert all(ma == 0.0 for _, _, ma in states)  # no energy to the pad
    assert len(states) <= SELFTEST_TICKS + 1
    assert rig.faults() == []


def test_sr17_welded_cutoff_fails_the_self_test_and_names_the_switch():
    rig = Rig(temp_c=30.0)
    rig.hal.cutoff_welded = True
    rig.cmd("heat high")
    rig.tick(SELFTEST_TICKS + 2)
    assert rig.faults() == ["cutoff_stuck"]
    assert fault_event(rig)["switch_left"] == "mosfet"
    assert rig.hal.heater == 0 and not rig.hal.enabled
    r = rig.cmd("heat high")
    assert r["error"] == "fault_active" and "mosfet" in r["detail"]


def test_sr17_shorted_mosfet_fails_the_self_test_and_names_the_switch():
    rig = Rig(temp_c=30.0)
    rig.hal.mosfet_stuck = True
    rig.cmd("heat low")
    rig.tick(SELFTEST_TICKS + 2)
    assert rig.faults() == ["heater_stuck_on"]
    assert fault_event(rig)["switch_left"] == "cutoff"
    assert not rig.hal.enabled


def test_sr17_runs_again_at_every_heat_start():
    rig = heating()
    rig.cmd("heat off")
    rig.tick(2)
    rig.hal.cutoff_welded = True
    rig.cmd("heat low")
    rig.tick(SELFTEST_TICKS + 2)
    assert rig.faults() == ["cutoff_stuck"]


def test_sr17_runs_again_when_stop_and_heat_arrive_in_one_tick():
    rig = heating()
    rig.hal.cutoff_welded = True
    rig.hal.rx.extend(b"stop\nheat high\n")
    rig.tick(SELFTEST_TICKS + 3)
    assert rig.faults() == ["cutoff_stuck"]


# -- SR-16 heater current --------------------------------------------------------------------

def test_sr16_current_while_the_mosfet_is_off_latches_within_2_ticks():
    rig = heating(level="low")
    rig.hal.set_temp(38.5)  # over the set-point: the loop turns the MOSFET off
    assert rig.run_until(lambda: rig.hal.heater == 0, 5) is not None
    rig.hal.mosfet_stuck = True
    rig.tick(limits.HEATER_STUCK_TICKS)
    assert rig.faults() == ["heater_stuck_on"]
    assert fault_event(rig)["switch_left"] == "cutoff"
    assert not rig.hal.enabled


def test_sr16_one_spiked_current_reading_is_not_a_fault():
    rig = heating(level="low")
    rig.hal.set_temp(38.5)
    assert rig.run_until(lambda: rig.hal.heater == 0, 5) is not None
    rig.hal.heater_ma_raw = u16(500)  # one 400 LSB spike
    rig.tick()
    rig.hal.heater_ma_raw = None
    rig.run_s(2)
    assert rig.faults() == []


def test_sr16_no_current_while_driven_latches_heater_open_within_1_s():
    rig = heating()
    rig.hal.element_ohm = 0  # open
    took = rig.run_until(lambda: rig.faults(), 1.0)
    assert took is not None and took <= 1000
    assert rig.faults() == ["heater_open"]
    assert rig.hal.heater == 0 and not rig.hal.enabled


@pytest.mark.parametrize("ohm,code", [(14.4, "heater_degraded"), (7.2, None), (9.6, None)])
def test_sr16_element_resistance_outside_the_envelope_is_degraded(ohm, code):
    rig = heating()
    rig.hal.element_ohm = ohm
    rig.run_s(2)
    assert rig.faults() == ([code] if code else [])


# -- SR-18 ADC reference ---------------------------------------------------------------------

@pytest.mark.parametrize("percent", [-4, 4])
def test_sr18_reference_out_of_its_window_latches_adc_fault(percent):
    rig = heating()
    rig.hal.ref_raw = u16(limits.REF_NOMINAL_COUNTS * (100 + percent) // 100)
    rig.tick(limits.REF_BAD_TICKS)
    assert rig.faults() == ["adc_fault"]
    assert rig.hal.heater == 0 and not rig.hal.enabled


def test_sr18_reference_inside_its_window_is_fine():
    rig = heating()
    rig.hal.ref_raw = u16(limits.REF_NOMINAL_COUNTS + limits.REF_WINDOW_COUNTS)
    rig.run_s(2)
    assert rig.faults() == []


# -- SR-19 clock -----------------------------------------------------------------------------

def test_sr19_a_stopped_clock_turns_every_output_off_within_20_ticks():
    rig = heating()
    rig.cmd("massage continuous 2")
    n = 0
    while not rig.faults() and n < 40:
        rig.ctl.tick(rig.hal.ticks_ms())  # the loop runs, ticks_ms stands still
        n += 1
    assert rig.faults() == ["clock_fault"] and n <= 20
    assert rig.hal.heater == 0 and not rig.hal.enabled and rig.hal.motor_duty == 0
    assert rig.cmd("massage continuous 2")["error"] == "fault_active"


@pytest.mark.parametrize("jump", [-TICK, limits.CLOCK_JUMP_MS + TICK])
def test_sr19_a_jumping_clock_latches(jump):
    rig = heating()
    rig.hal.advance(jump - TICK)
    rig.tick()  # advances one more TICK: the clock moved by `jump` over this pass
    assert rig.faults() == ["clock_fault"]


def test_sr19_a_late_tick_is_not_a_clock_fault():
    rig = heating()
    rig.hal.advance(limits.WDT_TIMEOUT_MS - TICK)  # as long as the watchdog lets a pass take
    rig.tick()
    assert rig.faults() == []


# -- SR-12 across power loss -----------------------------------------------------------------

def test_sr12_latched_heater_fault_is_stored_after_the_outputs_are_off():
    rig = heating()
    rig.hal.set_temp(51.0)
    rig.tick(2)
    writes = [i for i, op in enumerate(rig.hal.storage.ops) if op == ("write", "latch.json.tmp")]
    assert writes
    assert store.Store(rig.hal.storage).load_latch() == ("overheat", 0)
    off = [c.t for c in rig.hal.calls("heater_enable") if not c.args[0]]
    assert off and off[-1] <= rig.hal.elapsed


@pytest.mark.parametrize("cause", ["power_on", "watchdog", "soft"])
def test_sr12_latch_restored_after_any_reset_and_heat_refused_until_clear(cause):
    rig = heating()
    rig.hal.mosfet_stuck = True
    rig.hal.set_temp(46.0)
    rig.run_until(lambda: rig.faults(), 5)
    assert rig.faults() == ["heater_stuck_on"]
    hal = rig.reboot(reset_cause=cause)
    hal.mosfet_stuck = True
    hal.set_temp(46.0)
    assert rig.cmd("status")["fault"] == "heater_stuck_on"
    assert rig.cmd("heat high")["error"] == "fault_active"
    assert rig.cmd("clear")["error"] == "not_cool"  # SR-12's conditions still hold
    rig.run_s(5)
    assert not any(c.args[0] for c in hal.calls("heater_enable"))


def test_sr12_clear_removes_the_stored_latch():
    rig = heating()
    rig.hal.set_temp(51.0)
    rig.tick(2)
    rig.hal.set_temp(30.0)
    assert rig.cmd("clear")["ok"] is True
    assert store.Store(rig.hal.storage).load_latch() is None
    rig.reboot()
    assert rig.cmd("status")["fault"] is None


def test_sr12_stuck_mosfet_after_a_reset_on_a_hot_pad_is_caught_by_the_current():
    """No boot assumption hides it: the self-test finds it before any heat, not SR-2."""
    rig = heating()
    rig.run_s(5)
    hal = rig.reboot()
    hal.mosfet_stuck = True
    hal.set_temp(44.0)
    rig.cmd("heat high")
    rig.tick(SELFTEST_TICKS + 2)
    assert rig.faults() == ["heater_stuck_on"]


def test_sr12_clear_refused_while_both_sensors_read_out_of_range():
    rig = heating()
    rig.hal.set_temp_counts(0, 4095)
    rig.hal.set_temp_counts(1, 4095)  # both open: they agree, and read cold
    rig.tick()
    assert rig.faults() == ["sensor_open"]
    r = rig.cmd("clear")
    assert r["error"] == "fault_active" and "out of range" in r["detail"]


# -- SR-9 on the measured source -------------------------------------------------------------

def test_supply_source_resistance_is_learnt_from_load_steps():
    s = SupplyEstimate()
    assert s.source_mv(10800, 0) == 10800
    # 10.8 V behind 0.3 ohm: 1.44 A of heater pulls the terminal to 10.37 V
    assert s.source_mv(10368, 1440) == 10800
    assert s.r_mohm == 300
    assert s.source_mv(10800, 0) == 10800


# -- energy check ----------------------------------------------------------------------------

def test_energy_check_catches_a_flat_reading_before_sr4():
    """Both sensors stuck at the same value while a 20 W element heats: the energy check
    latches after one window of energy, well before SR-4's 120 s."""
    rig = Rig(temp_c=25.0)
    rig.hal.recording = False
    rig.cmd("heat high")
    t0 = rig.hal.elapsed
    rig.run_until(lambda: rig.faults(), 200)
    assert rig.faults() == ["energy_mismatch"]
    took_s = (rig.event_times("fault")[0] - t0) / 1000
    watts = 12.0 ** 2 / 7.2
    assert took_s <= limits.ENERGY_WINDOW_J / watts + 2.0 < limits.NO_RISE_WINDOW_MS / 1000
    assert rig.hal.heater == 0 and not rig.hal.enabled


def test_energy_check_latches_when_the_energy_goes_in_and_the_reading_stays():
    e = EnergyCheck()
    setpoint = limits.SETPOINT_HIGH_C100
    assert e.check(3000, setpoint, 20000, TICK) is None
    n = 0
    code = None
    while code is None and n < 10000:
        code = e.check(3000 + n % 3, setpoint, 20000, TICK)
        n += 1
    assert code == "energy_mismatch"
    assert n * TICK * 20 // 1000 >= limits.ENERGY_WINDOW_J  # after one window's energy


def test_energy_check_passes_an_honest_rise_and_sleeps_near_the_set_point():
    e = EnergyCheck()
    setpoint = limits.SETPOINT_HIGH_C100
    t = 2500
    for _ in range(20000):
        assert e.check(t, setpoint, 20000, TICK) is None
        t += 1 if t < setpoint else 0  # 1 C per 5 s
    assert e.check(setpoint - 100, setpoint, 20000, TICK) is None
