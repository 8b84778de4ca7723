"""Safety in emulated real time, judged by the pins and the physics, not by the firmware."""

import pytest

pytestmark = pytest.mark.emu

CUT_WITHIN_S = 0.100  # SR-2 / SR-3
WDT_S = 2.0  # SR-10


def _both_open(b):
    return b.pin_duty(b.pins.heater_pwm) == 0 and b.pin_level(b.pins.cutoff) == 0


def _heating(emu):
    emu.command("heat high")
    emu.run(0.5)
    assert emu.heater_on


def _cut_latency(emu, start):
    """Emulated seconds from start() to both switches open. start() comes right after a
    watchdog feed, the end of a tick: the worst phase (that tick has read its inputs)."""
    feeds = len(emu.feeds)
    assert emu.run_until(lambda b: len(b.feeds) > feeds, 2.0)
    t0 = emu.now_s
    start()
    assert emu.run_until(_both_open, 1.0), "the heater was not cut within 1 s"
    return emu.now_s - t0


def test_overheat_reading_opens_both_switches_within_100_ms(emu):
    _heating(emu)
    latency = _cut_latency(emu, lambda: emu.set_reading_c(50.0, sensor=0))
    assert latency <= CUT_WITHIN_S
    emu.run(1.0)
    assert _both_open(emu) and emu.heater_duty == 0
    assert any(e["event"] == "fault" and e["code"] == "overheat" for e in emu.events)


def test_overheat_cut_within_100_ms_with_a_host_that_stops_reading(emu):
    emu.command("telemetry on 100")
    _heating(emu)
    emu.inject("serial_block")  # the port stays open, nothing is read any more
    emu.run(3.0)  # the USB buffers fill; every write from now on would wait
    latency = _cut_latency(emu, lambda: emu.set_reading_c(50.0, sensor=1))
    assert latency <= CUT_WITHIN_S
    emu.repair("serial_block")
    emu.set_reading_c(None)
    assert emu.command("status")["fault"] == "overheat"


@pytest.mark.parametrize("kind, code", [("sensor_open", "sensor_open"),
                                        ("sensor_short", "sensor_short")])
def test_sensor_open_or_short_latches_with_the_pins_low(emu, kind, code):
    _heating(emu)
    latency = _cut_latency(emu, lambda: emu.inject(kind, sensor=0))
    assert latency <= CUT_WITHIN_S
    emu.repair(kind, sensor=0)
    emu.run(2.0)
    assert _both_open(emu)  # latched (SR-12): the repair alone turns nothing back on
    assert emu.command("status")["fault"] == code


def test_hung_loop_is_reset_by_the_real_watchdog(emu):
    _heating(emu)
    emu.command("massage wave")
    emu.run(0.5)
    t_hang = emu.now_s
    emu.inject("loop_hang")  # the core stops; the watchdog peripheral keeps counting
    assert emu.run_until(lambda b: b.resets, WDT_S + 0.5)
    t_reset, cause = emu.resets[0]
    assert cause == "watchdog"
    assert t_reset - t_hang <= WDT_S + 0.06  # its 2 s, counted from the last feed
    assert emu.run_until(lambda b: sum(e["event"] == "boot" for e in b.events) == 2, 5.0)
    boot = [e for e in emu.events if e["event"] == "boot"][-1]
    assert boot["reset_cause"] == "watchdog"
    emu.run(2.0)  # SR-1: off after the reboot and staying off
    assert _both_open(emu) and emu.pin_duty(emu.pins.motor_pwm) == 0
    assert emu.heater_duty == 0 and emu.motor_duty == 0
