"""The outputs as the chip drives its pins: PWM slices and frequencies, the cut-off GPIO."""

import pytest

pytestmark = pytest.mark.emu


def test_heater_and_motor_pwm_on_their_own_slices_at_500_hz_and_20_khz(emu):
    p = emu.pins
    emu.command("heat high")
    emu.command("massage continuous 3")
    emu.run(1.0)  # past the motor's soft start
    slices = emu.slices()
    heater, motor = p.slice_of(p.heater_pwm), p.slice_of(p.motor_pwm)
    assert heater != motor  # one frequency per slice (REFERENCE, PWM)
    assert slices[heater]["freq_hz"] == pytest.approx(500, rel=0.01)
    assert slices[motor]["freq_hz"] == pytest.approx(20_000, rel=0.01)
    st = emu.command("status")
    # What the firmware reports is what the pins carry (channel A: the even GPIOs).
    assert slices[heater]["duty_a"] * 100 == pytest.approx(st["heater_pct"], abs=1.0)
    assert slices[motor]["duty_a"] * 100 == pytest.approx(st["motor_pct"], abs=1.0)
    assert st["heater_pct"] > 50 and st["motor_pct"] > 50  # cold pad, intensity 3
    assert emu.heater_duty > 0.5 and emu.motor_duty > 0.5  # and the physics got it


def test_cutoff_closed_only_while_heat_is_wanted(emu):
    cutoff = emu.pins.cutoff
    assert emu.pin_level(cutoff) == 0
    emu.command("massage pulse")
    emu.run(0.5)
    assert emu.pin_level(cutoff) == 0  # massage alone never closes it
    emu.command("heat low")
    emu.run(0.5)
    assert emu.pin_level(cutoff) == 1 and emu.heater_on
    emu.command("heat off")
    emu.run(0.2)
    assert emu.pin_level(cutoff) == 0 and not emu.heater_on
    emu.command("heat medium")
    emu.run(0.5)
    emu.command("stop")
    emu.run(0.2)
    assert emu.pin_level(cutoff) == 0 and emu.pin_duty(emu.pins.heater_pwm) == 0
