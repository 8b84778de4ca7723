"""The status body (the `status` reply and the `telemetry` event), written into one buffer.

Telemetry goes out up to ten times a second, so its line is built without touching the
heap: one print() call formats every field in C into a BytesIO made once (MicroPython's
print writes to any stream, and formats a small int on the C stack), the text is copied
into a bytearray made once, and the line leaves as a view of it: that view (one GC block)
is all a telemetry line allocates. The HAL's serial_write takes the bytes before it
returns, so the buffer is free for the next line. On the RP2040 this is about a sixth of
the time of formatting the line byte by byte in Python (docs/emulator.md, "What the chip showed").
"""

# The RP2040 stubs' io.BytesIO and io.StringIO declare no write(), so pyright takes neither
# for print's file=; both are streams on the board.
# pyright: reportArgumentType=false

import io

from micropython import const

from cushion import names

# The longest line is about 400 bytes (a 6-digit id, readings far off the scale, a fault,
# years of uptime: tests/fw/test_console.py builds it); the counter that could grow
# without bound, tx_dropped, is capped by the console.
_SIZE = const(512)

_SIGN = ("", "-")
_BOOL = ("false", "true")


class _Text:
    """CPython's print writes str, which a BytesIO refuses: the simulator's firmware gets a
    StringIO with the same three calls (allocation is not counted there)."""

    def __init__(self, stream):
        self.stream = stream

    def start(self):
        self.stream.seek(0)
        self.stream.truncate()

    def into(self, buf):
        data = self.stream.getvalue().encode()
        buf[:len(data)] = data
        return len(data)


class _Bytes:
    """MicroPython: print formats straight into a BytesIO made with room for _SIZE bytes,
    so that it never grows."""

    def __init__(self, stream):
        self.stream = stream

    def start(self):
        self.stream.seek(0)

    def into(self, buf):
        stream = self.stream
        n = stream.tell()
        stream.seek(0)
        if n > len(buf):  # grown past the buffer: a line cut short is worse than none
            raise ValueError("status line over %d bytes" % len(buf))
        stream.readinto(buf)  # all it holds: what lies past n is an earlier line's tail
        return n


def _sink():
    try:
        sink = _Bytes(io.BytesIO(_SIZE))  # MicroPython: an empty BytesIO with room for _SIZE
        print(end="", file=sink.stream)
    except TypeError:  # CPython: BytesIO(int) is refused, and print writes str
        return _Text(io.StringIO())
    return sink


class StatusLine:
    def __init__(self):
        self._buf = bytearray(_SIZE)
        self._view = memoryview(self._buf)
        self._sink = _sink()

    def reply(self, ctl, now, req_id, tx_dropped):
        """The `status` reply line to request req_id (a view into the buffer)."""
        self._sink.start()
        print('{"ok": true, "id": ', "null" if req_id is None else req_id, ", ",
              sep="", end="", file=self._sink.stream)
        return self._body(ctl, now, tx_dropped)

    def event(self, ctl, now, tx_dropped):
        """The `telemetry` event line (a view into the buffer)."""
        self._sink.start()
        print('{"event": "telemetry", ', end="", file=self._sink.stream)
        return self._body(ctl, now, tx_dropped)

    def _body(self, ctl, now, tx_dropped):
        # The fields of cushion.schema.STATUS_FIELDS, in that order. Hundredths go out as a
        # number with two decimals (2250 -> 22.50, -5 -> -0.05): sign, whole part, two digits.
        heat = ctl.heat
        vib = ctl.vib
        r = ctl.readings
        ta = r.ta
        tb = r.tb
        sa = _SIGN[ta < 0]
        sb = _SIGN[tb < 0]
        ta = abs(ta)
        tb = abs(tb)
        sp = heat.setpoint
        vin = r.vin_mv // 10  # volts with two decimals, like the centi-degrees
        dose = ctl.dose.cem43_x10()
        fault = ctl.safety.active_fault()
        quote = '"'
        if fault is None:
            fault = "null"
            quote = ""
        print('"state": "', ctl.state(),
              '", "heat": "', names.LEVEL_NAMES[heat.level],
              '", "heat_state": "', names.HEAT_STATE_NAMES[heat.state],
              '", "massage": "', names.MODE_NAMES[vib.mode],
              '", "intensity": ', vib.intensity,
              ', "temp_c": ', sa, ta // 100, ".", ta // 10 % 10, ta % 10,
              ', "temp2_c": ', sb, tb // 100, ".", tb // 10 % 10, tb % 10,
              ', "setpoint_c": ', sp // 100, ".", sp // 10 % 10, sp % 10,
              ', "heater_pct": ', ctl.out.heater // 10,
              ', "motor_pct": ', ctl.out.motor // 10,
              ', "remaining_s": ', (ctl.session.remaining_ms(now) + 999) // 1000,
              ', "vin": ', vin // 100, ".", vin // 10 % 10, vin % 10,
              ', "supply_paused": ', _BOOL[ctl.safety.supply_paused],
              ', "fault": ', quote, fault, quote,
              ', "dose_cem43": ', dose // 10, ".", dose % 10, "0",
              ', "dose_capped": ', _BOOL[ctl.dose.capped],
              ', "tx_dropped": ', tx_dropped,
              ', "uptime_ms": ', ctl.uptime_ms(), "}",
              sep="", file=self._sink.stream)
        return self._view[:self._sink.into(self._buf)]
