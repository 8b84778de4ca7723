"""cushion.app: the service boot, the watchdog start, the loop's pacing, and SR-11 (any
exception or Ctrl-C: outputs off first, then the error is logged, then re-raised)."""

import pytest

from cushion import app, limits, store
from cushion.controller import Controller

from .fakehal import FakeHAL, MemStorage

OUTPUTS = ("heater_pwm", "heater_enable", "motor")


def outputs_are_off(hal):
    return hal.heater == 0 and not hal.enabled and hal.motor_duty == 0


def flagged_storage():
    fs = MemStorage()
    store.Store(fs).set_service_flag()
    return fs


def test_start_with_the_service_flag_returns_none_with_outputs_off_and_no_watchdog():
    hal = FakeHAL(storage=flagged_storage())
    assert app.start(hal) is None
    assert outputs_are_off(hal)
    assert [c.name for c in hal.log if c.name in OUTPUTS][:3] == list(OUTPUTS)
    assert hal.calls("wdt_start") == []
    assert hal.calls("wdt_feed") == []
    assert store.SERVICE_FLAG not in hal.storage.files  # one-shot
    # the boot after that runs normally
    hal2 = FakeHAL(storage=hal.storage)
    assert isinstance(app.start(hal2), Controller)


def test_start_without_the_flag_returns_a_controller_and_starts_the_watchdog_at_2_s():
    hal = FakeHAL()
    ctl = app.start(hal)
    assert isinstance(ctl, Controller)
    assert [c.args for c in hal.calls("wdt_start")] == [(2000,)]
    assert limits.WDT_TIMEOUT_MS == 2000
    names = [c.name for c in hal.log]
    assert names.index("heater_pwm") < names.index("wdt_start")
    assert outputs_are_off(hal)
    assert ctl.board_name == "fake"


def test_main_service_boot_enters_the_repl_with_outputs_off():
    hal = FakeHAL(storage=flagged_storage())
    assert app.main(lambda: hal) is None
    assert hal.in_service
    assert outputs_are_off(hal)
    assert hal.calls("wdt_start") == []
    enter = hal.calls("enter_service")[0]
    last_outputs = [c for c in hal.log if c.name in OUTPUTS and c.t <= enter.t]
    assert last_outputs and all(not c.args[0] for c in last_outputs[-3:])


class Boom(Exception):
    pass


def run_until_tick_raises(hal, exc, after=5):
    ctl = app.start(hal)
    ctl.tick(hal.ticks_ms())
    hal.rx.extend(b"heat high\nmassage continuous 3\n")
    real = ctl.tick
    count = [0]

    def tick(now):
        count[0] += 1
        if count[0] > after:
            raise exc
        real(now)

    ctl.tick = tick
    return ctl, count


@pytest.mark.parametrize("exc, name", [(Boom("x"), "Boom"),
                                       (KeyboardInterrupt(), "KeyboardInterrupt"),
                                       (MemoryError(), "MemoryError")])
def test_run_turns_outputs_off_logs_the_crash_and_reraises(exc, name):
    hal = FakeHAL(temp_c=30.0)
    ctl, count = run_until_tick_raises(hal, exc, after=8)
    with pytest.raises(type(exc)):
        app.run(hal, ctl)
    assert count[0] == 9
    assert outputs_are_off(hal)
    # it was heating and massaging before the crash
    assert any(c.args[0] > 0 for c in hal.calls("heater_pwm"))
    assert any(c.args[0] > 0 for c in hal.calls("motor"))
    crash = [i for i, c in enumerate(hal.log)
             if c.name == "serial_write" and b'"crash"' in c.args[0]]
    assert len(crash) == 1
    before = [c for c in hal.log[:crash[0]] if c.name in OUTPUTS]
    assert [(c.name, c.args[0]) for c in before[-3:]] == [
        ("heater_pwm", 0), ("heater_enable", False), ("motor", 0)]
    (ev,) = [m for _, m in hal.sent if m.get("event") == "crash"]
    assert ev["error"] == name
    log = store.Store(hal.storage).load_faults()
    assert log[-1] == {"code": "crash", "error": name}


def test_crash_logging_failure_does_not_mask_the_error():
    hal = FakeHAL()
    ctl, _ = run_until_tick_raises(hal, Boom("x"), after=2)
    hal.storage.fail_writes = True
    with pytest.raises(Boom):
        app.run(hal, ctl)
    assert outputs_are_off(hal)


def test_run_paces_ticks_at_the_period():
    hal = FakeHAL()
    ctl, _ = run_until_tick_raises(hal, Boom("stop"), after=20)
    times = []
    inner = ctl.tick

    def spy(now):
        times.append(now)
        inner(now)

    ctl.tick = spy
    with pytest.raises(Boom):
        app.run(hal, ctl)
    gaps = [hal.ticks_diff(b, a) for a, b in zip(times, times[1:])]
    assert len(gaps) == 20 and all(g == limits.TICK_MS for g in gaps)


def test_run_across_the_ticks_wrap():
    hal = FakeHAL(start_ms=(1 << 30) - 300)
    ctl, count = run_until_tick_raises(hal, Boom("stop"), after=30)
    with pytest.raises(Boom):
        app.run(hal, ctl)
    assert hal.ticks_ms() < 10000  # it wrapped
    assert len(hal.feeds) >= 30


def test_run_service_request_resets_after_the_reply_with_outputs_off():
    hal = FakeHAL(temp_c=30.0)
    ctl = app.start(hal)
    hal.rx.extend(b"heat high\n")
    ctl.tick(hal.ticks_ms())
    hal.advance(50)
    ctl.tick(hal.ticks_ms())
    hal.rx.extend(b"#4 service\n")
    assert app.run(hal, ctl) is None
    assert hal.reset_called == 1
    assert 100 in hal.slept
    assert outputs_are_off(hal)
    replies = [m for _, m in hal.sent if m.get("id") == 4]
    assert replies and replies[0]["ok"] is True
    r = next(i for i, c in enumerate(hal.log) if c.name == "reset")
    w = next(i for i, c in enumerate(hal.log)
             if c.name == "serial_write" and b'"id": 4' in c.args[0])
    assert w < r
    # the next boot is the service boot
    hal2 = FakeHAL(storage=hal.storage)
    assert app.start(hal2) is None


def test_main_propagates_a_crash_at_start_with_outputs_off(monkeypatch):
    hal = FakeHAL()

    def broken_start(h):
        h.heater_pwm(500)
        raise Boom("start")

    monkeypatch.setattr(app, "start", broken_start)
    with pytest.raises(Boom):
        app.main(lambda: hal)
    assert outputs_are_off(hal)
