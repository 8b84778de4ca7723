"""Drive a board HAL against the stand-in ``machine`` and report what happened, as JSON.

Runs in the MicroPython unix port (the requirement) and in CPython (quicker to iterate);
``tests/test_boards.py`` runs it and checks the report. sys.path must hold this directory
(the stand-in ``machine``) and ``firmware/``.

    board_report("pico" | "esp32", tmp_dir)  -> dict  (stand-ins patched into the board
                                                module and boards.base)
    storage_report(dir)                      -> dict  (DirStorage on the host file system)
    vfs_report()                             -> dict  (VM only: littlefs2 and FAT in RAM)

Each ``main_*`` prints ``REPORT <json>`` as the last line.
"""

import json
import sys

import machine

IS_MICROPYTHON = sys.implementation.name == "micropython"

try:
    import io

    _IOBase = io.IOBase
except (ImportError, AttributeError):  # pragma: no cover
    _IOBase = object


# ---- stand-ins the board module gets instead of time / micropython / DirStorage --------
class FakeTime:
    """ticks_* from the VM's time (or an equivalent under CPython); sleeps only record."""

    def __init__(self):
        import time

        if hasattr(time, "ticks_ms"):
            self.ticks_ms = time.ticks_ms
            self.ticks_diff = time.ticks_diff
            self.ticks_add = time.ticks_add
        else:
            self.ticks_ms = lambda: int(time.monotonic() * 1000) & 0x3FFFFFFF
            self.ticks_diff = lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000
            self.ticks_add = lambda a, d: (a + d) & 0x3FFFFFFF

        self.us = 0  # a microsecond clock that moves only by sleep_us and pass_us

    def ticks_us(self):
        return self.us

    def pass_us(self, us):
        """Time spent elsewhere (the caller converting a reading)."""
        self.us += us

    def sleep_ms(self, ms):
        if machine.RECORD:
            machine._log(self, "sleep_ms", (ms,))

    def sleep_us(self, us):
        self.us += us
        if machine.RECORD:
            machine._log(self, "sleep_us", (us,))

    def __repr__(self):
        return "time"


class FakeMicropython:
    def kbd_intr(self, c):
        if machine.RECORD:
            machine._log(self, "kbd_intr", (c,))

    def __repr__(self):
        return "micropython"


class FakeSerialIn(_IOBase):
    """A MicroPython stream: select.poll sees it through ioctl(MP_STREAM_POLL).

    Holds at most 64 bytes; reads hand out one byte at a time without allocating.
    """

    def __init__(self):
        self._buf = bytearray(64)
        self._len = 0
        self._pos = 0

    def feed(self, data):
        rest = bytes(self._buf[self._pos : self._len]) + data
        self._buf[: len(rest)] = rest
        self._len = len(rest)
        self._pos = 0

    def ioctl(self, req, arg):
        if req == 3:  # MP_STREAM_POLL
            return arg & 1 if self._pos < self._len else 0  # POLLIN
        return 0

    def readinto(self, buf):
        if self._pos >= self._len or not len(buf):
            return 0
        buf[0] = self._buf[self._pos]
        self._pos += 1
        return 1


class PipeSerialIn:
    """CPython: a real pipe, polled by a real select.poll."""

    def __init__(self):
        import os

        self._os = os
        rfd, self._wfd = os.pipe()
        self.stream = os.fdopen(rfd, "rb", buffering=0)

    def feed(self, data):
        self._os.write(self._wfd, data)


class IPoll:
    """CPython's select.poll has no ipoll(); this one returns poll()'s list."""

    def __init__(self):
        import select

        self._poll = select.poll()

    def register(self, obj, mask):
        self._poll.register(obj, mask)

    def ipoll(self, timeout=-1):
        return self._poll.poll(timeout)


class FakeSerialOut:
    """Takes every byte, or with `room` set only that many before it times out (as
    MicroPython's USB CDC write does when the host stops reading)."""

    def __init__(self):
        self.data = bytearray()
        self.room = None

    def write(self, data):
        n = len(data) if self.room is None else min(self.room, len(data))
        self.data.extend(data[:n])
        if self.room is not None:
            self.room -= n
        return n


# ---- helpers ---------------------------------------------------------------------------
def _event(entry):
    obj, method, args = entry
    gpio = getattr(obj, "gpio", getattr(obj, "id", None))
    return [type(obj).__name__, gpio, method, list(args)]


def _events_since(mark):
    return [_event(e) for e in machine.LOG[mark:]]


def _pwm_objects():
    seen = {}
    for obj, _method, _args in machine.LOG:
        if isinstance(obj, machine.PWM):
            seen[obj.gpio] = obj
    return seen


def _no_alloc(fn):
    """True when fn() allocates nothing (heap_lock), None where that cannot be measured."""
    if not IS_MICROPYTHON:
        return None
    import gc

    import micropython

    fn()
    fn()
    gc.collect()
    micropython.heap_lock()
    try:
        fn()
        ok = True
    except MemoryError:
        ok = False
    micropython.heap_unlock()
    return ok


# ---- the board report ------------------------------------------------------------------
def board_report(board, tmp_dir):
    machine.clear()
    if board == "pico":
        machine.use_rp2_constants()
        import boards.pico as mod
    else:
        import boards.esp32 as mod
    from boards.storage import DirStorage

    report = {"board": board, "impl": sys.implementation.name}
    storage_paths = []

    def make_storage(path):
        storage_paths.append(path)
        return DirStorage(tmp_dir + path)

    # The shared HAL (boards.base) and the board module each get the stand-ins.
    import boards.analog as analog
    import boards.base as base

    fake_time = FakeTime()
    fake_micropython = FakeMicropython()
    analog.time = fake_time
    for m in (base, mod):
        m.time = fake_time
        m.micropython = fake_micropython
        m.DirStorage = make_storage

    if IS_MICROPYTHON:
        serial_in = FakeSerialIn()
        stdin = serial_in
        poll = None  # the real select.poll
    else:
        serial_in = PipeSerialIn()
        stdin = serial_in.stream
        poll = IPoll()
    serial_out = FakeSerialOut()

    # Pin map as the module states it.
    report["pins"] = {k: getattr(mod, k) for k in dir(mod) if k.endswith("_PIN")}
    report["name"] = mod.Board.name

    hal = mod.Board(stdin=stdin, stdout=serial_out, poll=poll)
    report["init_events"] = _events_since(0)
    report["storage_paths"] = storage_paths

    pwms = _pwm_objects()
    report["pwm"] = {str(g): {"freq": p.freq(), "duty": p.duty_u16()} for g, p in pwms.items()}
    report["pin_state"] = {
        str(g): {"mode": p.mode, "pull": p.pull, "level": p._value} for g, p in machine.PINS.items()
    }
    report["adc_atten"] = {}
    for obj, _method, _args in machine.LOG:
        if isinstance(obj, machine.ADC):
            report["adc_atten"][str(obj.gpio)] = obj._atten

    heater_gpio = mod.HEATER_PWM_PIN
    motor_gpio = mod.MOTOR_PWM_PIN
    heater = pwms[heater_gpio]
    motor = pwms[motor_gpio]

    # ---- heater PWM and cut-off
    report["heater_duty"] = {}
    for p in (-100, 0, 500, 1000, 1500, 1):
        hal.heater_pwm(p)
        report["heater_duty"][str(p)] = heater.duty_u16()
    hal.heater_pwm(500)
    mark = len(machine.LOG)
    hal.heater_pwm(500)
    report["heater_redundant_events"] = _events_since(mark)
    hal.heater_pwm(0)

    report["cutoff"] = {}
    hal.heater_enable(True)
    report["cutoff"]["on"] = machine.level(mod.HEATER_CUTOFF_PIN)
    hal.heater_enable(False)
    report["cutoff"]["off"] = machine.level(mod.HEATER_CUTOFF_PIN)

    # ---- motor
    report["motor_duty"] = {}
    for p in (-100, 0, 500, 1000, 1500):
        hal.motor(p, 1)
        report["motor_duty"][str(p)] = motor.duty_u16()
    hal.motor(0, 1)
    hal.motor(500, 1)
    report["dir_plus"] = machine.level(mod.MOTOR_DIR_PIN)
    mark = len(machine.LOG)
    hal.motor(500, -1)
    report["reverse_events"] = _events_since(mark)
    report["dir_minus"] = machine.level(mod.MOTOR_DIR_PIN)
    report["motor_duty_after_reverse"] = motor.duty_u16()
    hal.motor(0, 1)

    # ---- LEDs
    led_names = (
        "LED_SESSION_PIN",
        "LED_HEAT_LOW_PIN",
        "LED_HEAT_MEDIUM_PIN",
        "LED_HEAT_HIGH_PIN",
        "LED_MASSAGE_PIN",
        "LED_FAULT_PIN",
    )
    report["leds"] = {}
    for mask in (0, 1, 2, 4, 8, 16, 32, 0x3F, 0x15, 0x40 | 0x01, 0):
        hal.leds(mask)
        report["leds"][str(mask)] = [machine.level(getattr(mod, n)) for n in led_names]
    hal.leds(5)
    mark = len(machine.LOG)
    hal.leds(5)
    report["leds_redundant_events"] = _events_since(mark)
    hal.leds(0)

    # ---- analog inputs: the thermistors direct, the rest through the 4-way switch
    sel0, sel1 = mod.ANALOG_SELECT_PIN, mod.ANALOG_SELECT1_PIN

    def source():
        return machine.level(sel0) | machine.level(sel1) << 1

    if board == "pico":
        machine.ADC_U16[mod.THERM_A_PIN] = 1111
        machine.ADC_U16[mod.THERM_B_PIN] = 2222
        by_source = [3333, 4444, 5555, 6666]
        machine.ADC_U16[mod.ANALOG_SHARED_PIN] = lambda: by_source[source()]
    else:
        machine.ADC_UV[mod.THERM_A_PIN] = 1_650_000
        machine.ADC_UV[mod.THERM_B_PIN] = 1_000_000
        # supply 2.083 V; motor current above the ADC's ceiling; heater 1.0 V; ref 2.048 V
        by_source = [2_083_000, 3_250_000, 1_000_000, 2_048_000]
        machine.ADC_UV[mod.ANALOG_SHARED_PIN] = lambda: by_source[source()]
    report["temp"] = [hal.read_temp(0), hal.read_temp(1)]
    # Out of order, then the firmware's order with a conversion's worth of time between reads.
    for name, signal, spent_us in (
            ("vin", "vin", 0), ("motor_current", "motor_current", 0),
            ("motor_current_again", "motor_current", 0), ("heater_current", "heater_current", 0),
            ("ref", "ref", 0), ("ref_again", "ref", 0), ("vin_again", "vin", 0),
            ("in_order_vin", "vin", 0), ("in_order_motor", "motor_current", 4),
            ("in_order_ref", "ref", 30), ("in_order_heater", "heater_current", 30)):
        read = getattr(hal, "read_" + signal)
        fake_time.pass_us(spent_us)
        mark = len(machine.LOG)
        report[name] = read()
        report[name + "_events"] = _events_since(mark)
    report["settle_us"] = mod.MUX_SETTLE_US
    if board == "esp32":
        conv = {}
        for uv in (-5, 0, 99, 100, 1_000_000, 1_650_000, 3_099_999, 3_100_000, 3_900_000):
            by_source[0] = uv
            conv[str(uv)] = hal.read_vin()
        report["uv_to_u16"] = conv

    # ---- buttons (active low)
    names = ("BUTTON_POWER_PIN", "BUTTON_HEAT_PIN", "BUTTON_MASSAGE_PIN")
    report["buttons"] = {}
    for combo in range(8):
        for i in range(3):
            machine.INPUT_LEVELS[getattr(mod, names[i])] = 0 if combo & (1 << i) else 1
        report["buttons"][str(combo)] = hal.buttons()
    machine.INPUT_LEVELS.clear()
    report["buttons_released_default"] = hal.buttons()

    # ---- serial
    buf = bytearray(16)
    report["serial_empty"] = hal.serial_readinto(buf)
    serial_in.feed(b"ping\n\x03")
    n = hal.serial_readinto(buf)
    report["serial_read"] = [n, list(buf[:n])]
    report["serial_after"] = hal.serial_readinto(buf)
    serial_in.feed(b"abcdef")
    small = bytearray(4)
    n1 = hal.serial_readinto(small)
    first = list(small[:n1])
    n2 = hal.serial_readinto(small)
    report["serial_small_buf"] = [n1, first, n2, list(small[:n2])]
    hal.serial_write(b'{"ok": true}\n')
    report["serial_written"] = list(serial_out.data)
    # a line the port takes only in part: the next line starts on a line of its own
    serial_out.data = bytearray()
    serial_out.room = 5
    report["serial_partial"] = [hal.serial_write(b'{"event": "x"}\n'),
                                list(serial_out.data)]
    serial_out.room = None
    report["serial_after_partial"] = [hal.serial_write(b'{"ok": true}\n'),
                                      list(serial_out.data)]

    # ---- ticks
    t = hal.ticks_ms()
    later = hal.ticks_add(t, 10)
    report["ticks"] = [hal.ticks_diff(later, t), hal.ticks_diff(t, later)]
    mark = len(machine.LOG)
    hal.sleep_ms(3)
    report["sleep_events"] = _events_since(mark)

    # ---- watchdog
    report["wdt_before_start"] = [e for e in _events_since(0) if e[0] == "WDT"]
    mark = len(machine.LOG)
    hal.wdt_feed()  # not started: nothing to feed
    report["feed_before_start_events"] = _events_since(mark)
    mark = len(machine.LOG)
    hal.wdt_start(2000)
    report["wdt_start_events"] = _events_since(mark)
    mark = len(machine.LOG)
    hal.wdt_feed()
    report["wdt_feed_events"] = _events_since(mark)
    mark = len(machine.LOG)
    hal.wdt_start(2000)
    report["wdt_second_start_events"] = _events_since(mark)

    # ---- reset cause and reset
    causes = {}
    if board == "pico":
        cases = (
            ("pwron", machine.PWRON_RESET, 0),
            ("wdt_timer", machine.WDT_RESET, 1),
            ("wdt_force", machine.WDT_RESET, 2),
            ("other", 99, 0),
        )
        for label, cause, reason in cases:
            machine.RESET_CAUSE = cause
            machine.MEM32[mod.WATCHDOG_REASON_ADDR] = reason
            causes[label] = hal.reset_cause()
    else:
        cases = (
            ("pwron", machine.PWRON_RESET),
            ("hard", machine.HARD_RESET),
            ("wdt", machine.WDT_RESET),
            ("soft", machine.SOFT_RESET),
            ("deepsleep", machine.DEEPSLEEP_RESET),
            ("zero", 0),
        )
        for label, cause in cases:
            machine.RESET_CAUSE = cause
            causes[label] = hal.reset_cause()
    report["reset_cause"] = causes
    report["has_soft_reset_const"] = hasattr(machine, "SOFT_RESET")
    mark = len(machine.LOG)
    hal.reset()
    report["reset_events"] = _events_since(mark)

    # ---- allocation in the calls the controller makes every tick
    machine.RECORD = False
    serial_in.feed(b"")
    state = [0]

    def heater_steps():
        hal.heater_pwm(300)
        hal.heater_pwm(700)
        hal.heater_enable(True)
        hal.heater_enable(False)

    def motor_steps():
        hal.motor(400, 1)
        hal.motor(600, -1)
        hal.motor(0, 1)

    def led_steps():
        hal.leds(0x2A)
        hal.leds(0x15)
        hal.leds(0x15)

    def analog_steps():
        hal.read_temp(0)
        hal.read_temp(1)
        hal.read_vin()
        hal.read_motor_current()
        hal.read_heater_current()
        hal.read_ref()

    def serial_empty():
        state[0] = hal.serial_readinto(buf)

    def ticks_steps():
        t = hal.ticks_ms()
        hal.ticks_diff(hal.ticks_add(t, 50), t)

    report["no_alloc"] = {
        "heater": _no_alloc(heater_steps),
        "motor": _no_alloc(motor_steps),
        "leds": _no_alloc(led_steps),
        "analog": _no_alloc(analog_steps),
        "buttons": _no_alloc(hal.buttons),
        "serial_empty": _no_alloc(serial_empty),
        "wdt_feed": _no_alloc(hal.wdt_feed),
        "ticks": _no_alloc(ticks_steps),
        "control_allocates": _no_alloc(lambda: bytearray(8)),  # must be False in the VM
    }
    if IS_MICROPYTHON:
        # With bytes waiting (the fake stream itself allocates nothing per byte).
        def serial_bytes():
            serial_in._len = 4
            serial_in._pos = 0
            state[0] = hal.serial_readinto(buf)

        report["no_alloc"]["serial_bytes"] = _no_alloc(serial_bytes)
    machine.RECORD = True

    # ---- enter_service: outputs off again, then Ctrl-C back on
    hal.heater_enable(True)
    hal.heater_pwm(800)
    hal.motor(700, -1)
    mark = len(machine.LOG)
    hal.enter_service()
    report["service_events"] = _events_since(mark)
    report["after_service"] = {
        "cutoff": machine.level(mod.HEATER_CUTOFF_PIN),
        "heater_duty": heater.duty_u16(),
        "motor_duty": motor.duty_u16(),
    }

    # ---- the default serial (the VM's own stdin and stdout)
    if IS_MICROPYTHON:
        default = mod.Board()
        report["default_serial_readinto"] = default.serial_readinto(bytearray(4))
    return report


# ---- storage ---------------------------------------------------------------------------
def _storage_checks(st):
    out = {}
    out["missing"] = st.read("nope")
    st.write("a", b"one")
    out["read_a"] = list(st.read("a"))
    st.write("a", b"xy")
    out["truncated"] = list(st.read("a"))
    st.write("b.tmp", b"new")
    st.rename("b.tmp", "a")  # replaces the existing "a"
    out["after_rename"] = list(st.read("a"))
    out["tmp_gone"] = st.read("b.tmp") is None
    st.write("c", b"")
    out["empty"] = list(st.read("c"))
    st.remove("c")
    st.remove("c")  # already gone: no error
    out["removed"] = st.read("c")
    st.rename("a", "fresh")  # rename to a new name too
    out["renamed_new"] = list(st.read("fresh"))
    out["renamed_old"] = st.read("a")
    return out


def storage_report(path):
    from boards.storage import DirStorage

    report = {"impl": sys.implementation.name}
    st = DirStorage(path + "/deep/data")  # directories created as needed
    report["checks"] = _storage_checks(st)
    again = DirStorage(path + "/deep/data/")  # exists already, trailing slash
    report["reopened"] = list(again.read("fresh"))
    import os

    report["listing"] = sorted(os.listdir(path + "/deep/data"))
    return report


class RAMBlockDevice:
    """The block device of MicroPython's vfs docs, in RAM."""

    def __init__(self, block_size, num_blocks):
        self.block_size = block_size
        self.data = bytearray(block_size * num_blocks)

    def readblocks(self, block_num, buf, offset=0):
        addr = block_num * self.block_size + offset
        for i in range(len(buf)):
            buf[i] = self.data[addr + i]

    def writeblocks(self, block_num, buf, offset=None):
        if offset is None:
            for i in range(len(buf) // self.block_size):  # erase, then write
                self.ioctl(6, block_num + i)
            offset = 0
        addr = block_num * self.block_size + offset
        for i in range(len(buf)):
            self.data[addr + i] = buf[i]

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.data) // self.block_size
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # block erase
            return 0
        return None


def vfs_report():
    """DirStorage on the file systems of the boards: littlefs2 (rp2, esp32) and FAT."""
    import os

    import vfs

    report = {}
    for label, cls, block in (("lfs2", vfs.VfsLfs2, 512), ("fat", vfs.VfsFat, 512)):
        dev = RAMBlockDevice(block, 128)
        cls.mkfs(dev)
        mount = "/" + label
        vfs.mount(cls(dev), mount)
        try:
            from boards.storage import DirStorage

            st = DirStorage(mount + "/data")
            report[label] = _storage_checks(st)
            report[label + "_listing"] = sorted(os.listdir(mount + "/data"))
            # The file system's own rename over an existing file, without DirStorage.
            st.write("x", b"old")
            st.write("y", b"new")
            try:
                os.rename(mount + "/data/y", mount + "/data/x")
                report[label + "_os_rename"] = list(st.read("x"))
            except OSError as err:
                report[label + "_os_rename"] = "OSError %s" % err.args[0]
        finally:
            vfs.umount(mount)
    return report


def _print(report):
    print("REPORT " + json.dumps(report))


def main_board(board, tmp_dir):
    _print(board_report(board, tmp_dir))


def main_storage(path):
    _print(storage_report(path))


def main_vfs():
    _print(vfs_report())


if __name__ == "__main__":  # CPython: python board_check.py board pico /tmp/x
    what = sys.argv[1]
    if what == "board":
        main_board(sys.argv[2], sys.argv[3])
    else:
        main_storage(sys.argv[2])
