"""A recording fake of the HAL in docs/hardware.md, plus a small rig that drives a Controller.

- Virtual clock: hal_sim's VirtualClock (`ticks_ms` wraps at 2**30, wrap-safe `ticks_diff` /
  `ticks_add`, as MicroPython's `time` functions). `advance(ms)` moves it; `elapsed` is the
  unwrapped time since the fake was made (for assertions).
- Inputs are raw `read_u16` counts, settable directly or through helpers that do the analog
  front end's math: `set_temp(c)` (10 k B3950 NTC, 10 k series, 12-bit), `set_vin(volts)`,
  `set_motor_ma(ma)`, `press(mask)`.
- Every call is recorded in `log` as `Call(elapsed, name, args)`; `calls(name)` filters it.
  `feeds` records, per `wdt_feed`, whether both thermistors were read since the previous feed.
- `MemStorage`: hal_sim's in-memory storage (`cut_next_write(k)` makes the next write keep
  only its first k bytes and raise `PowerLoss`; `fail_reads`, `fail_writes`), recording each
  operation in `ops`.
- Serial: `rx` (host -> board) and `tx` (board -> host); every line the firmware writes is
  parsed as JSON into `sent` (or `bad_lines`).
- `Rig(...)` makes a FakeHAL and a `Controller(hal)`, ticks it every 50 ms and has `send()`,
  which writes one request line and returns the parsed replies and events it caused.
"""

import json
import math
from collections import namedtuple

from hal_sim.double import MemStorage as _Storage  # first: puts the firmware on the path
from hal_sim.double import VirtualClock

from cushion import limits
from cushion.controller import Controller

TICK = 50  # ms per control tick in these tests

# analog front end (docs/hardware.md)
NTC_R25 = 10000.0
NTC_BETA = 3950.0
SERIES_R = 10000.0
ADC_MAX = 4095
VIN_FULL_SCALE_V = 18.81
MOTOR_FULL_SCALE_MA = 1650.0
HEATER_FULL_SCALE_MA = 3300.0
ELEMENT_OHM = 7.2
REF_COUNTS12 = 2541

POWER, HEAT, MASSAGE = 1, 2, 4

Call = namedtuple("Call", "t name args")


def u16(c12):
    """A 12-bit reading as read_u16 delivers it."""
    c12 = max(0, min(ADC_MAX, int(c12)))
    return (c12 << 4) | (c12 >> 8)


def ntc_counts12(temp_c):
    """Ideal 12-bit code of a pad NTC at temp_c (NTC on the low side of the divider)."""
    r = NTC_R25 * math.exp(NTC_BETA * (1.0 / (temp_c + 273.15) - 1.0 / 298.15))
    return max(0, min(ADC_MAX, int(round(r / (r + SERIES_R) * ADC_MAX))))


def beta_c(c12):
    """The beta equation's temperature for a (possibly fractional) 12-bit code."""
    ratio = c12 / ADC_MAX
    r = ratio / (1.0 - ratio) * SERIES_R
    return 1.0 / (1.0 / 298.15 + math.log(r / NTC_R25) / NTC_BETA) - 273.15


def vin_counts12(volts):
    return max(0, min(ADC_MAX, int(round(volts / VIN_FULL_SCALE_V * ADC_MAX))))


def motor_counts12(ma):
    return max(0, min(ADC_MAX, int(round(ma / MOTOR_FULL_SCALE_MA * ADC_MAX))))


class MemStorage(_Storage):
    """hal_sim's MemStorage that also records every operation in `ops`:
    ("write", name), ("rename", old, new), ("remove", name)."""

    def __init__(self, files=None):
        super().__init__(files)
        self.ops = []

    def write(self, name, data):
        if not self.fail_writes:
            self.ops.append(("write", name))
        super().write(name, data)

    def rename(self, old, new):
        self.ops.append(("rename", old, new))
        super().rename(old, new)

    def remove(self, name):
        self.ops.append(("remove", name))
        super().remove(name)


class FakeHAL(VirtualClock):
    name = "fake"

    def __init__(self, start_ms=0, temp_c=25.0, vin_v=12.0, storage=None,
                 reset_cause="power_on"):
        super().__init__(start_ms)
        self.elapsed = 0
        self.storage = storage if storage is not None else MemStorage()
        self.cause = reset_cause
        self.temp_raw = [0, 0]
        self.set_temp(temp_c)
        self.vin_raw = u16(vin_counts12(vin_v))
        self.motor_raw = 0
        # The power stage: current flows while both switches conduct, duty x vin / element;
        # the power-stage faults and the reference are settable (SR-16..SR-18).
        self.element_ohm = ELEMENT_OHM
        self.mosfet_stuck = False
        self.cutoff_welded = False
        self.heater_ma_raw = None  # a fixed reading (read_u16 counts) instead of the model
        self.ref_raw = u16(REF_COUNTS12)
        self.button_mask = 0
        self.rx = bytearray()
        self.tx = bytearray()
        self.sent = []  # (elapsed, parsed JSON) for every line written
        self.bad_lines = []
        self._tx_line = bytearray()
        self.log = []
        self.recording = True
        self.feeds = []  # (elapsed, both thermistors read since the previous feed)
        self._reads_since_feed = set()
        self.wdt_timeout = None
        self.reset_called = 0
        self.in_service = False
        self.slept = []
        # outputs as last set
        self.heater = 0
        self.enabled = False
        self.motor_duty = 0
        self.motor_dir = 1
        self.led_mask = 0

    # -- clock --------------------------------------------------------------------------
    def advance(self, ms):
        super().advance(ms)
        self.elapsed += ms

    def sleep_ms(self, ms):
        self._rec("sleep_ms", ms)
        self.slept.append(ms)
        self.advance(ms)

    # -- recording ----------------------------------------------------------------------
    def _rec(self, name, *args):
        if self.recording:
            self.log.append(Call(self.elapsed, name, args))

    def calls(self, name, since=None):
        return [c for c in self.log if c.name == name and (since is None or c.t >= since)]

    def clear_log(self):
        self.log = []

    # -- outputs ------------------------------------------------------------------------
    def heater_pwm(self, permille):
        self._rec("heater_pwm", permille)
        assert isinstance(permille, int) and 0 <= permille <= 1000, permille
        self.heater = permille

    def heater_enable(self, on):
        self._rec("heater_enable", bool(on))
        self.enabled = bool(on)

    def motor(self, permille, direction):
        self._rec("motor", permille, direction)
        assert isinstance(permille, int) and 0 <= permille <= 1000, permille
        assert direction in (1, -1), direction
        self.motor_duty = permille
        self.motor_dir = direction

    def outputs_off(self):
        self.heater_pwm(0)
        self.heater_enable(False)
        self.motor(0, 1)

    def leds(self, mask):
        self._rec("leds", mask)
        self.led_mask = mask

    # -- inputs -------------------------------------------------------------------------
    def set_temp(self, temp_c, temp2_c=None):
        """Both pad sensors (or each) at a temperature, through the divider math."""
        self.temp_raw[0] = u16(ntc_counts12(temp_c))
        self.temp_raw[1] = u16(ntc_counts12(temp_c if temp2_c is None else temp2_c))

    def set_temp_counts(self, index, c12):
        self.temp_raw[index] = u16(c12)

    def set_vin(self, volts):
        self.vin_raw = u16(vin_counts12(volts))

    def set_motor_ma(self, ma):
        self.motor_raw = u16(motor_counts12(ma))

    def read_temp(self, index):
        self._rec("read_temp", index)
        self._reads_since_feed.add(index)
        return self.temp_raw[index]

    def read_vin(self):
        self._rec("read_vin")
        return self.vin_raw

    def read_motor_current(self):
        self._rec("read_motor_current")
        return self.motor_raw

    def heater_ma(self):
        """What the shunt reads with the outputs as last set (mean over the PWM)."""
        closed = self.enabled or self.cutoff_welded
        duty = 1000 if self.mosfet_stuck else self.heater
        if not closed or not duty or not self.element_ohm:
            return 0.0
        volts = (self.vin_raw >> 4) * VIN_FULL_SCALE_V / ADC_MAX
        return volts / self.element_ohm * 1000.0 * duty / 1000

    def read_heater_current(self):
        if self.heater_ma_raw is not None:
            return self.heater_ma_raw
        return u16(round(self.heater_ma() / HEATER_FULL_SCALE_MA * ADC_MAX))

    def read_ref(self):
        return self.ref_raw

    def buttons(self):
        self._rec("buttons")
        return self.button_mask

    def press(self, mask):
        self.button_mask |= mask

    def release(self, mask=7):
        self.button_mask &= ~mask

    # -- serial -------------------------------------------------------------------------
    def serial_readinto(self, buf):
        n = min(len(buf), len(self.rx))
        if n:
            buf[:n] = self.rx[:n]
            del self.rx[:n]
        return n

    def serial_write(self, data):
        data = bytes(data)
        self._rec("serial_write", data)
        self.tx.extend(data)
        self._tx_line.extend(data)
        while True:
            cut = self._tx_line.find(b"\n")
            if cut < 0:
                break
            raw = bytes(self._tx_line[:cut])
            del self._tx_line[:cut + 1]
            try:
                obj = json.loads(raw)
            except ValueError:
                self.bad_lines.append(raw)
                continue
            if isinstance(obj, dict):
                self.sent.append((self.elapsed, obj))
            else:
                self.bad_lines.append(raw)
        return True  # the whole line went out (the HAL contract: False = dropped)

    # -- watchdog, reset ----------------------------------------------------------------
    def wdt_start(self, timeout_ms):
        self._rec("wdt_start", timeout_ms)
        self.wdt_timeout = timeout_ms

    def wdt_feed(self):
        self._rec("wdt_feed")
        self.feeds.append((self.elapsed, self._reads_since_feed == {0, 1}))
        self._reads_since_feed = set()

    def reset_cause(self):
        return self.cause

    def reset(self):
        self._rec("reset")
        self.reset_called += 1

    def enter_service(self):
        self._rec("enter_service")
        self.in_service = True


class Rig:
    """A FakeHAL and a Controller on it, ticked every TICK ms."""

    def __init__(self, hal=None, **kw):
        self.hal = hal if hal is not None else FakeHAL(**kw)
        self.ctl = Controller(self.hal)

    @property
    def now(self):
        return self.hal.ticks_ms()

    def tick(self, n=1):
        hal, ctl = self.hal, self.ctl
        for _ in range(n):
            hal.advance(TICK)
            ctl.tick(hal.ticks_ms())

    def run_s(self, seconds):
        self.tick(int(round(seconds * 1000 / TICK)))

    def run_until(self, pred, max_s):
        """Tick until pred() holds; the ms it took, or None."""
        start = self.hal.elapsed
        for _ in range(int(max_s * 1000 / TICK)):
            self.tick()
            if pred():
                return self.hal.elapsed - start
        return None

    def send(self, line, ending=b"\n", max_ticks=20):
        """Write one request line; tick until the board has taken every byte, then once more.
        Returns every parsed message (replies and events) the board wrote meanwhile."""
        if isinstance(line, str):
            line = line.encode()
        before = len(self.hal.sent)
        self.hal.rx.extend(line + ending)
        for _ in range(max_ticks):
            self.tick()
            if not self.hal.rx:
                break
        assert not self.hal.bad_lines, self.hal.bad_lines
        return [m for _, m in self.hal.sent[before:]]

    def cmd(self, line, **kw):
        """The single reply to one request line."""
        replies = [m for m in self.send(line, **kw) if "ok" in m]
        assert len(replies) == 1, replies
        return replies[0]

    def events(self, name=None):
        return [m for _, m in self.hal.sent
                if "event" in m and (name is None or m["event"] == name)]

    def event_times(self, name):
        return [t for t, m in self.hal.sent if m.get("event") == name]

    def faults(self):
        return [m["code"] for m in self.events("fault")]

    def reboot(self, reset_cause="watchdog"):
        """Power lost and back: a fresh board (outputs off, RAM gone) on the same storage."""
        old = self.hal
        hal = FakeHAL(start_ms=old.ticks_ms(), storage=old.storage, reset_cause=reset_cause)
        hal.temp_raw = list(old.temp_raw)
        hal.vin_raw = old.vin_raw
        self.hal = hal
        self.ctl = Controller(hal)
        return hal


# Ticks from the heat command's tick to the first heating one: the switch self-test (SR-17).
SELFTEST_TICKS = 2 * limits.SELFTEST_PHASE_TICKS


def heating(temp_c=30.0, level="high", **kw):
    """A Rig heating at `level`, past the self-test."""
    rig = Rig(temp_c=temp_c, **kw)
    rig.cmd("heat " + level)
    rig.tick(2 + SELFTEST_TICKS)
    assert rig.hal.heater > 0 and rig.hal.enabled
    return rig
