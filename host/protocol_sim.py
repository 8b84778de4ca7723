"""pyserial URL handler for `sim://`: a private simulated cushion running in this process.

    sim://[?speed=X][&ambient=C][&heat=LEVEL][&massage=MODE][&intensity=N]
          [&fault=KIND@SECONDS]...[&scenario=FILE.toml][&seed=N][&pad=CORNER][&param=NAME:V]...

`serial.serial_for_url("sim://?speed=50")` (after `import host`) returns a port object that
behaves like a cushion on a cable: while it is open a background thread steps ONE
`hal_sim.Simulation` at `speed` times the wall clock (default 1), so timing-dependent
behaviour (telemetry periods, auto-off, fault detection) is the real firmware's.  `heat=`
and `massage=` (with `intensity=`) start a session at power-up, so that a single `watch`
shows the cushion heating; each `fault=` injects KIND at simulated second SECONDS, and
`scenario=` applies a scenario file's steps (send, press, inject, repair, power_cycle) at
their seconds, both counted from the open.  The simulation lives as long as the port is
open; closing it throws the simulation away, and the next open powers up a new cushion.
"""

import threading
import urllib.parse

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, Timeout

import hal_sim  # noqa: F401  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.schema import LEVEL_NAMES, MODE_NAMES
from .simclock import (PacedSimulation, parse_ambient, parse_fault, parse_pad,
                           parse_param, parse_speed, scenario_steps)

URL_FORM = ("sim://[?speed=X][&ambient=C][&heat=LEVEL][&massage=MODE][&intensity=N]"
            "[&fault=KIND@SECONDS]...[&scenario=FILE][&seed=N][&pad=CORNER]"
            "[&param=NAME:VALUE]...")


class SimURLError(SerialException, ValueError):
    """A malformed sim:// URL.  A ValueError too, so callers may treat it as bad input."""

    is_usage_error = True


def parse_sim_url(url):
    """Return the keyword arguments for PacedSimulation, or raise SimURLError saying why."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "sim":
        raise SimURLError(f"expected {URL_FORM} (got {url!r})")
    opts = {"speed": 1.0, "ambient_c": 22.0, "faults": [], "seed": 1, "steps": []}
    heat = massage = intensity = None
    try:
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        for key, values in query.items():
            if key == "heat":
                heat = _choice("heat", values[-1], LEVEL_NAMES)
            elif key == "massage":
                massage = _choice("massage", values[-1], MODE_NAMES)
            elif key == "intensity":
                intensity = _choice("intensity", values[-1], ("1", "2", "3"))
            elif key == "scenario":
                opts["steps"] = [st for v in values for st in scenario_steps(v)]
            elif key == "speed":
                opts["speed"] = parse_speed(values[-1])
            elif key == "ambient":
                opts["ambient_c"] = parse_ambient(values[-1])
            elif key == "fault":
                opts["faults"] = [parse_fault(v) for v in values]
            elif key == "pad":  # a corner of the plant envelope (hal_sim/envelope.py)
                opts["pad"] = parse_pad(values[-1])
            elif key == "param":  # an envelope parameter, repeatable
                opts["params"] = [parse_param(v) for v in values]
            elif key == "seed":
                try:
                    opts["seed"] = int(values[-1])
                except ValueError:
                    raise ValueError(f"seed must be an integer (got {values[-1]!r})")
            else:
                raise ValueError(f"unknown option {key!r}")
        if intensity and not massage:
            raise ValueError("intensity needs massage=MODE")
        if ("pad" in opts or "params" in opts) and "ambient" not in query:
            opts["ambient_c"] = None  # the pad's own room
    except ValueError as exc:
        raise SimURLError(f"bad sim:// URL {url!r}: {exc} (form: {URL_FORM})")
    opts["session"] = ([f"heat {heat}"] if heat else []) + (
        [f"massage {massage}" + (f" {intensity}" if intensity else "")] if massage else [])
    return opts


def _choice(name, value, choices):
    value = value.lower()                 # the protocol is case-insensitive
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)} (got {value!r})")
    return value


class Serial(SerialBase):
    """A serial port whose other end is a simulated cushion (settings like baud are ignored)."""

    def open(self):
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise SerialException("Port is already open.")
        opts = parse_sim_url(self.portstr)
        try:
            self._paced = PacedSimulation(**opts)
        except ValueError as exc:          # a session the firmware refused
            raise SimURLError(f"bad sim:// URL {self.portstr!r}: {exc}")
        self._lock = threading.Lock()              # guards the simulation and _rx
        self._rx_ready = threading.Condition(self._lock)
        # firmware output not yet read by us, starting with the boot event; a client that
        # resets its input buffer after opening loses it, as with a board on a cable
        self._rx = bytearray(self._paced.sim.serial_out())
        self._stop = threading.Event()
        self._error = None
        self.is_open = True
        self._thread = threading.Thread(target=self._run, name="sim-cushion", daemon=True)
        self._thread.start()

    @property
    def simulation(self):
        """The hal_sim.Simulation behind this port (tests use it to look at the truth)."""
        return self._paced.sim

    @property
    def paced(self):
        """The PacedSimulation: asked and achieved speed, the steps applied so far."""
        return self._paced

    def _run(self):
        paced = self._paced
        while not self._stop.is_set():
            with self._lock:
                try:
                    out = paced.advance()
                except Exception as exc:  # the simulated board died: surface it on read()
                    self._error = exc
                    self._rx_ready.notify_all()
                    return
                if out:
                    self._rx += out
                    self._rx_ready.notify_all()
                wait = paced.seconds_to_next_tick()
            if wait > 0:
                self._stop.wait(wait)

    def close(self):
        if self.is_open:
            self._stop.set()
            self._thread.join(timeout=5)
            self.is_open = False

    def _reconfigure_port(self):
        pass  # a simulated line has no baud rate

    @property
    def in_waiting(self):
        if not self.is_open:
            raise PortNotOpenError()
        with self._lock:
            return len(self._rx)

    def read(self, size=1):
        if not self.is_open:
            raise PortNotOpenError()
        timeout = Timeout(self._timeout)
        with self._lock:
            while len(self._rx) < size:
                if self._error is not None:
                    raise SerialException(f"simulated cushion failed: {self._error!r}")
                if timeout.expired():
                    break
                left = timeout.time_left()
                self._rx_ready.wait(left if left is not None else 0.5)
            data = bytes(self._rx[:size])
            del self._rx[:size]
        return data

    def write(self, data):
        if not self.is_open:
            raise PortNotOpenError()
        data = bytes(data)
        with self._lock:
            self._paced.feed(data)
        return len(data)

    def reset_input_buffer(self):
        if not self.is_open:
            raise PortNotOpenError()
        with self._lock:
            del self._rx[:]

    def reset_output_buffer(self):
        pass  # write() hands bytes over at once; nothing is ever queued

    def _update_dtr_state(self):
        pass

    def _update_rts_state(self):
        pass

    def _update_break_state(self):
        pass

    @property
    def cts(self):
        return True

    @property
    def dsr(self):
        return True

    @property
    def ri(self):
        return False

    @property
    def cd(self):
        return True
