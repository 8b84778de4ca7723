"""`EmulatedBoard`: the shipped firmware on the real MicroPython rp2 port in an emulated
RP2040, with hal_sim's pad physics wired to its pins, in lockstep with emulated time.

    with EmulatedBoard() as emu:          # the image from $MICROPYTHON_RP2_UF2
        emu.command("heat high"); emu.run(60); emu.pad_c

Shaped like `hal_sim.Simulation`: command(), run(), run_until(), press(), inject()/repair(),
power_cycle(), reset(), and the physical truth pad_c, sensor_c, heater_duty, motor_duty.
Every `step_ms` of emulated time the physics advances with the outputs the pins showed at
the start of the step, then the ADC inputs are set from it and the chip runs the step.
"""

import json

from hal_emu import image
from hal_emu.faults import FaultInjector
from hal_emu.node import Harness
from hal_emu.pins import PicoPins
from hal_sim.physics import Cushion
from hal_sim.truth import PadTruth

STEP_MS = 5
BOOT_TIMEOUT_S = 10.0
REASON_TIMER = 1  # watchdog REASON bits: timed out / forced (machine.reset())
REASON_FORCE = 2
# Without the heater current and reference models of the simulator issue (hal_sim w10):
# the heater current amplifier's full scale, and a 2.5 V reference on a 3.3 V ADC.
_FALLBACK_HEATER_FULL_SCALE_A = 3.3
_FALLBACK_REF_COUNTS12 = 3102


class EmulatorError(Exception):
    pass


class EmulatedBoard(PadTruth):
    tick_ms = STEP_MS

    def __init__(self, uf2=None, files=None, flash=None, ambient_c=22.0, supply_v=12.0,
                 params=None, seed=1, step_ms=STEP_MS, record=False, wait_boot=True):
        """`files` ({board path: bytes}) preloads a littlefs (default: the shipped files);
        `flash` (2 MiB) boots a saved flash instead (see `flash_contents()`)."""
        if flash is None:
            if files is None:
                files = image.shipped_files()
            flash = image.flash_image(image.uf2_path(uf2), files)
        self.cushion = Cushion(params, ambient_c=ambient_c, supply_v=supply_v, seed=seed)
        self.supply_v = supply_v
        self.pins = PicoPins()
        self.step_ms = step_ms
        self.tick_ms = step_ms
        self.record = record
        self.trace, self.events, self.replies, self.bad_lines = [], [], [], []
        self.resets = []  # (emulated s, "watchdog" | "soft" | "power_on") after the first boot
        self.feeds = []  # (emulated s, busy us since the previous feed): the tick's CPU time
        self.connected = False
        self.button_mask = 0
        self._line = bytearray()
        self._rx = bytearray()
        self._out = bytearray()
        self._next_id = 1
        self._t_us = 0.0
        self._duty = [0.0] * len(self.pins.watched)
        self._level = [0] * len(self.pins.watched)
        self._override = [None, None]  # pin-level thermistor readings (12-bit codes)
        self.faults = FaultInjector(self, seed=seed)
        self.harness = Harness(flash)
        self.harness.request(op="config", watch=list(self.pins.watched),
                             select=list(self.pins.select), inputs=self._inputs())
        if wait_boot and not self.run_until(lambda b: b.booted, BOOT_TIMEOUT_S):
            said = b" | ".join(self.bad_lines[-6:] + [bytes(self._line)]).decode(errors="replace")
            self.close()
            raise EmulatorError("no boot event within %g s of emulated time; the board said: %s"
                                % (BOOT_TIMEOUT_S, said[-600:] or "nothing"))

    # ---- lifetime ------------------------------------------------------------------------
    def close(self):
        self.harness.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def flash_contents(self):
        return self.harness.flash()

    # ---- time ----------------------------------------------------------------------------
    @property
    def now_s(self):
        return self._t_us / 1e6

    @property
    def now_ms(self):
        return int(self._t_us // 1000)

    @property
    def booted(self):
        return any(e.get("event") == "boot" for e in self.events)

    def step(self, us=None, slices=False):
        """Physics over the last step with the pins as they were, then the chip runs one."""
        us = us if us is not None else self.step_ms * 1000
        p = self.pins
        c = self.cushion
        c.step(us / 1e6, self.pin_duty(p.heater_pwm), bool(self.pin_level(p.cutoff)),
               self.pin_duty(p.motor_pwm), 1 if self.pin_level(p.motor_dir) else -1)
        rx = bytes(self._rx)
        self._rx = bytearray()
        r = self.harness.request(op="run", us=us, adc=self._adc(), inputs=self._inputs(),
                                 rx=rx.hex(), slices=slices)
        self._take(r)
        self.faults.stepped()
        if self.record:
            self._trace_row()
        return r

    def run(self, seconds):
        for _ in range(int(seconds * 1000 + 0.5) // self.step_ms):
            self.step()

    def run_until(self, predicate, max_s):
        for _ in range(int(max_s * 1000 + 0.5) // self.step_ms):
            self.step()
            if predicate(self):
                return True
        return False

    def _take(self, r):
        self._t_us = r["t_us"]
        self.connected = r["connected"]
        self._duty = r["duty"]
        self._level = r["level"]
        for ev in r["events"]:
            if ev["ev"] == "feed":
                self.feeds.append((ev["t_us"] / 1e6, ev["busy_us"]))
            elif ev["ev"] == "reset":
                cause = {REASON_TIMER: "watchdog", REASON_FORCE: "soft"}.get(ev["reason"],
                                                                           "power_on")
                self.resets.append((ev["t_us"] / 1e6, cause))
                self.faults.rebooted()
                self._line = bytearray()
        tx = bytes.fromhex(r["tx"])
        if tx:
            self._out.extend(tx)
            self._lines(tx)

    # ---- the analog front end and the buttons ----------------------------------------------
    def _adc(self):
        c = self.cushion
        temps = [c.adc_temp(0) >> 4, c.adc_temp(1) >> 4]
        for i in (0, 1):
            if self._override[i] is not None:
                temps[i] = self._override[i]
        a, b = self.pins.therm_adc
        chans = [0, 0]
        chans[a], chans[b] = temps[0], temps[1]
        switch = [c.adc_vin() >> 4, c.adc_motor_current() >> 4, self._heater_current12(),
                  self._ref12()]
        return [chans[0], chans[1], switch]

    def _heater_current12(self):
        c = self.cushion
        f = getattr(c, "adc_heater_current", None)
        if f is not None:
            return f() >> 4
        amps = c.heater_power_w / c.vin_v if c.heater_power_w and c.vin_v else 0.0
        code = int(amps / _FALLBACK_HEATER_FULL_SCALE_A * 4095 + 0.5)
        return max(0, min(4095, code))

    def _ref12(self):
        f = getattr(self.cushion, "adc_ref", None)
        return f() >> 4 if f is not None else _FALLBACK_REF_COUNTS12

    def _inputs(self):
        # Buttons go to GND with pull-ups the emulator ignores: drive the released ones high.
        return {str(pin): 0 if self.button_mask & (1 << i) else 1
                for i, pin in enumerate(self.pins.buttons.values())}

    def press(self, button, hold_s=0.1):
        names = list(self.pins.buttons)
        if button not in names:
            raise ValueError("unknown button %r; one of %s" % (button, ", ".join(names)))
        bit = 1 << names.index(button)
        self.button_mask |= bit
        self.run(hold_s)
        self.button_mask &= ~bit
        self.run(0.1)

    def set_reading_c(self, value_c, sensor="both"):
        """Drive thermistor input(s) to the reading of value_c (None: back to the physics)."""
        from hal_sim.physics import ntc_counts12
        code = None if value_c is None else ntc_counts12(value_c)
        for i in ((0, 1) if sensor == "both" else (sensor,)):
            self._override[i] = code

    # ---- pins ------------------------------------------------------------------------------
    def pin_duty(self, gpio):
        return self._duty[self.pins.watched.index(gpio)]

    def pin_level(self, gpio):
        return self._level[self.pins.watched.index(gpio)]

    def slices(self):
        """{slice: {"freq_hz", "duty_a", "duty_b"}} of the enabled PWM slices, now."""
        r = self.step(us=1, slices=True)
        out = {}
        for k, s in r["slices"].items():
            div = (s["div"] >> 4 & 0xFF or 256) + (s["div"] & 0xF) / 16
            period = (s["top"] + 1) * (2 if s["csr"] & 2 else 1)
            out[int(k)] = {"freq_hz": 125e6 / div / period,
                           "duty_a": (s["cc"] & 0xFFFF) / (s["top"] + 1),
                           "duty_b": (s["cc"] >> 16) / (s["top"] + 1)}
        return out

    # ---- serial ----------------------------------------------------------------------------
    def serial_in(self, data):
        self._rx.extend(data)

    def serial_out(self):
        out = bytes(self._out)
        self._out = bytearray()
        return out

    def _lines(self, tx):
        self._line.extend(tx)
        while True:
            cut = self._line.find(b"\n")
            if cut < 0:
                return
            raw = bytes(self._line[:cut]).rstrip(b"\r")
            del self._line[:cut + 1]
            try:
                obj = json.loads(raw)
            except ValueError:
                self.bad_lines.append(raw)
                continue
            if isinstance(obj, dict) and "event" in obj:
                obj["sim_s"] = self.now_s
                self.events.append(obj)
            elif isinstance(obj, dict) and "ok" in obj:
                obj["sim_s"] = self.now_s
                self.replies.append(obj)
            else:
                self.bad_lines.append(raw)

    @property
    def next_request_id(self):
        """The id command() gives the next line that has none."""
        return self._next_id

    def command(self, line, timeout_s=5.0):
        """Send one request line (an id is added) and run until its reply; the parsed reply."""
        text = line.decode() if isinstance(line, bytes) else line
        rid = self._next_id
        self._next_id = rid % 999999 + 1
        if not text.startswith("#"):
            text = "#%d %s" % (rid, text)
        else:
            rid = int(text[1:].split(" ", 1)[0])
        seen = len(self.replies)
        self.serial_in(text.rstrip("\r\n").encode() + b"\n")
        for _ in range(int(timeout_s * 1000) // self.step_ms):
            self.step()
            for reply in self.replies[seen:]:
                if reply.get("id") == rid:
                    return reply
        raise EmulatorError("no reply to %r within %s s" % (text, timeout_s))

    # ---- faults, resets ----------------------------------------------------------------------
    def inject(self, kind, **kwargs):
        """Like Simulation.inject: hal_sim's kinds and keyword arguments (hal_emu/faults.py)."""
        self.faults.inject(kind, kwargs)

    def repair(self, kind, sensor=None):
        self.faults.repair(kind, sensor)

    def power_cycle(self):
        """Power lost and back: RAM and the watchdog's REASON lost, the flash kept."""
        self._take(self.harness.request(op="reset", reason=0))

    def reset(self):
        """A reboot forced through the watchdog, as machine.reset() does on rp2."""
        self._take(self.harness.request(op="reset", reason=REASON_FORCE))

    # ---- physical truth: pad_c, sensor_c, heater_duty, motor_duty (PadTruth) ---------------
    @property
    def heater_on(self):
        """Both switches conduct now (pins as the chip drives them)."""
        p = self.pins
        return self.pin_duty(p.heater_pwm) > 0 and bool(self.pin_level(p.cutoff))

    def _trace_row(self):
        c = self.cushion
        self.trace.append({
            "t_ms": self.now_ms, "pad_c": c.pad_c, "sensor_a_c": c.sensor_c[0],
            "sensor_b_c": c.sensor_c[1], "heater_duty": c.heater_duty_delivered,
            "motor_duty": c.motor_duty_delivered, "vin_v": c.vin_v,
            "motor_current_a": c.motor_current_a, "cutoff": self.pin_level(self.pins.cutoff),
            # the firmware's outputs as its pins drive them (per-mille, like hal_sim's rows)
            "heater_permille": int(self.pin_duty(self.pins.heater_pwm) * 1000 + 0.5),
            "motor_permille": int(self.pin_duty(self.pins.motor_pwm) * 1000 + 0.5)})
