"""Boot and the main loop (DESIGN section 10). main.py calls main(make_hal).

- A `service` request leaves a one-shot flag and resets; the next boot finds it, keeps every
  output off, starts no watchdog and no loop, and hands the port to the REPL (for mpremote).
  The rp2 watchdog cannot be stopped once started, which is why this takes a reset.
- Any exit from the loop, an exception or Ctrl-C included, turns the outputs off first and
  logs the error afterwards (SR-11). The watchdog, no longer fed, then resets the board into
  a safe boot.
"""

from cushion import limits, protocol
from cushion.controller import Controller
from cushion.store import Store


def start(hal):
    """Boot: the Controller with its watchdog running, or None for a service boot."""
    hal.outputs_off()
    if Store(hal.storage).take_service_flag():
        return None
    ctl = Controller(hal, hal.name)
    hal.wdt_start(limits.WDT_TIMEOUT_MS)
    return ctl


def log_crash(hal, err, uptime_ms):
    """After the outputs are off: tell the host and leave a record (best effort)."""
    name = type(err).__name__
    try:
        hal.serial_write(protocol.event("crash", '"error": "%s", "uptime_ms": %d' % (
            name, uptime_ms)))
        Store(hal.storage).append_fault({"code": "crash", "error": name})
    except Exception:  # noqa: BLE001 - nothing may mask the original error
        pass


def run(hal, ctl):
    """The fixed-period loop. Returns only for `service` (after the reset is requested)."""
    period = limits.TICK_MS
    due = hal.ticks_ms()
    try:
        while True:
            now = hal.ticks_ms()
            ctl.tick(now)
            if ctl.console.service_requested:
                hal.sleep_ms(100)  # let the reply leave before the reset
                hal.reset()
                return
            due = hal.ticks_add(due, period)
            wait = hal.ticks_diff(due, hal.ticks_ms())
            if wait > period:
                # ticks_ms stood still or went back (SR-19): one period at most, so that the
                # loop's passes stay a second clock that ClockCheck counts against
                hal.sleep_ms(period)
                due = hal.ticks_ms()
            elif wait > 0:
                hal.sleep_ms(wait)
            else:
                due = hal.ticks_ms()  # overran: start again rather than burst to catch up
    except BaseException as err:
        hal.outputs_off()
        log_crash(hal, err, ctl.uptime_ms())
        raise
    finally:
        hal.outputs_off()


def main(make_hal):
    hal = make_hal()
    try:
        ctl = start(hal)
    except BaseException:
        hal.outputs_off()
        raise
    if ctl is None:
        hal.outputs_off()
        hal.enter_service()
        return
    run(hal, ctl)
