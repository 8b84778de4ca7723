"""The status body (the `status` reply and the `telemetry` event), written into one buffer.

Telemetry goes out up to ten times a second, so its line is built without touching the
heap: every field is copied or formatted in place into a bytearray made once (names a
character at a time: a one-character str is interned, so indexing one allocates nothing),
numbers digit by digit (no %-formatting, no float), and the line leaves as a view of the
buffer: that view (one GC block) is all a telemetry line allocates. The HAL's
serial_write takes the bytes before it returns, so the buffer is free for the next line.
"""

from micropython import const

from cushion import names

# The longest line is about 400 bytes (a 6-digit id, readings far off the scale, a fault,
# years of uptime: tests/fw/test_console.py builds it); the counter that could grow
# without bound, tx_dropped, is capped by the console.
_SIZE = const(512)


class StatusLine:
    def __init__(self):
        self._buf = bytearray(_SIZE)
        self._view = memoryview(self._buf)
        self._n = 0

    def reply(self, ctl, now, req_id, tx_dropped):
        """The `status` reply line to request req_id (a view into the buffer)."""
        self._n = 0
        self._put(b'{"ok": true, "id": ')
        if req_id is None:
            self._put(b"null")
        else:
            self._int(req_id)
        self._put(b", ")
        return self._body(ctl, now, tx_dropped)

    def event(self, ctl, now, tx_dropped):
        """The `telemetry` event line (a view into the buffer)."""
        self._n = 0
        self._put(b'{"event": "telemetry", ')
        return self._body(ctl, now, tx_dropped)

    def _body(self, ctl, now, tx_dropped):
        # The fields of cushion.schema.STATUS_FIELDS, in that order.
        heat = ctl.heat
        vib = ctl.vib
        self._put(b'"state": "')
        self._text(ctl.state())
        self._put(b'", "heat": "')
        self._text(names.LEVEL_NAMES[heat.level])
        self._put(b'", "heat_state": "')
        self._text(names.HEAT_STATE_NAMES[heat.state])
        self._put(b'", "massage": "')
        self._text(names.MODE_NAMES[vib.mode])
        self._put(b'", "intensity": ')
        self._int(vib.intensity)
        self._put(b', "temp_c": ')
        self._c100(ctl.readings.ta)
        self._put(b', "temp2_c": ')
        self._c100(ctl.readings.tb)
        self._put(b', "setpoint_c": ')
        self._c100(heat.setpoint)
        self._put(b', "heater_pct": ')
        self._int(ctl.out.heater // 10)
        self._put(b', "motor_pct": ')
        self._int(ctl.out.motor // 10)
        self._put(b', "remaining_s": ')
        self._int((ctl.session.remaining_ms(now) + 999) // 1000)
        self._put(b', "vin": ')
        self._c100(ctl.readings.vin_mv // 10)  # volts with two decimals, like the centi-degrees
        self._put(b', "supply_paused": ')
        self._bool(ctl.safety.supply_paused)
        self._put(b', "fault": ')
        fault = ctl.safety.active_fault()
        if fault is None:
            self._put(b"null")
        else:
            self._put(b'"')
            self._text(fault)
            self._put(b'"')
        self._put(b', "dose_cem43": ')
        self._c100(ctl.dose.cem43_x10() * 10)
        self._put(b', "dose_capped": ')
        self._bool(ctl.dose.capped)
        self._put(b', "tx_dropped": ')
        self._int(tx_dropped)
        self._put(b', "uptime_ms": ')
        self._int(ctl.uptime_ms())
        self._put(b"}\n")
        return self._view[:self._n]

    # -- writing into the buffer (slice assignment and small ints: nothing allocated) --

    def _put(self, data):
        n = self._n
        k = len(data)
        self._buf[n:n + k] = data
        self._n = n + k

    def _text(self, text):
        """An ASCII name (the wire names are)."""
        buf = self._buf
        n = self._n
        for i in range(len(text)):
            buf[n] = ord(text[i])
            n += 1
        self._n = n

    def _bool(self, v):
        self._put(b"true" if v else b"false")

    def _int(self, v):
        buf = self._buf
        n = self._n
        if v < 0:
            buf[n] = 45  # "-"
            n += 1
            v = -v
        d = 1
        while d * 10 <= v:
            d *= 10
        while d:
            buf[n] = 48 + v // d % 10
            n += 1
            d //= 10
        self._n = n

    def _c100(self, v):
        """Hundredths as a number with two decimals (2250 -> 22.50, -5 -> -0.05)."""
        if v < 0:
            self._put(b"-")
            v = -v
        self._int(v // 100)
        buf = self._buf
        n = self._n
        v %= 100
        buf[n] = 46  # "."
        buf[n + 1] = 48 + v // 10
        buf[n + 2] = 48 + v % 10
        self._n = n + 3
