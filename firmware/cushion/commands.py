"""The serial console (DESIGN section 7): bytes in, one reply per request, telemetry out.

The tick calls `Console.poll(now)` once. The console owns everything serial: the line
reader and its receive buffer, the telemetry period, the `service` request, and the count
of lines the port had no room for. Verbs dispatch from one table, which also gives `help`.

Every change a request makes goes through the controller's own methods (set_heat,
set_massage, try_clear, end_session), the same ones the buttons use: nothing here can
reach a limit. Those methods answer with the controller's and the supervisor's own
constants; this module alone words them as wire error codes and details.

Requests are handled only on ticks where bytes arrived, so they may build strings; the
telemetry line, sent on steady ticks, is built in place (cushion.statusline).
"""

import json

from micropython import const

from cushion import limits, names, protocol
from cushion.protocol import ProtocolError
from cushion.safety import Supervisor
from cushion.statusline import StatusLine

_RX_CHUNK = const(64)  # bytes taken from serial per tick: bounds the work a flood can cause
# A host writes a request in one go, so its bytes come within a tick or two (128 bytes take
# 11 ms at 115200 baud). 300 ms (six ticks) without a byte means nobody is finishing the
# line: a partial line that can no longer become a request is noise and is dropped, so the
# next command is read on its own. Six ticks leave room for a USB or pty bridge that holds
# bytes back. A partial line that can still become a request stays, whatever the silence:
# a person typing pauses longer than that between keys.
RESYNC_MS = const(300)
_COUNT_MAX = const(0x3FFFFFFF)  # counters stop here: they stay small ints (no heap)

_HEAT_USAGE = "usage: heat " + "|".join(names.LEVEL_NAMES)
_MASSAGE_USAGE = "usage: massage %s [1-3]" % "|".join(names.MODE_NAMES)
_TELEMETRY_USAGE = "usage: telemetry on|off [period_ms %d..%d]" % (
    limits.TELEMETRY_MIN_MS, limits.TELEMETRY_MAX_MS)


def _c10_text(c100):
    """Centi-degrees as text with one decimal (4000 -> "40.0")."""
    return "%d.%d" % (c100 // 100, c100 % 100 // 10)


# try_clear's refusals (the supervisor's constants) as wire errors.
_ACTIVE = protocol.FAULT_ACTIVE
_CLEAR_REFUSED = {
    Supervisor.SENSOR_OUT_OF_RANGE: (_ACTIVE, "a pad sensor still reads out of range"),
    Supervisor.SUPPLY_STILL_HIGH: (_ACTIVE, "supply voltage still too high"),
    Supervisor.SENSORS_DISAGREE: (_ACTIVE, "pad sensors still disagree"),
    Supervisor.PAD_TOO_WARM: (protocol.NOT_COOL, "pad must cool below %s C first" % (
        _c10_text(limits.CLEAR_MAX_C100))),
}


def _index(texts, text):
    for i in range(len(texts)):
        if texts[i] == text:
            return i
    return -1


class Console:
    def __init__(self, ctl, hal):
        self.ctl = ctl
        self.hal = hal
        self.reader = protocol.LineReader()
        self.rx_buf = bytearray(_RX_CHUNK)
        self.status = StatusLine()
        now = hal.ticks_ms()
        self.telemetry_ms = 0  # 0 = off
        self.telemetry_due = now
        self.service_requested = False
        self.tx_dropped = 0  # lines the port could not take (SR-14: output never blocks)
        self._rx_at = now  # when the last byte came
        self._resynced = True  # the silence since then was dealt with

    def send(self, line):
        """Write one line; the HAL drops it whole when the port has no room (never blocks)."""
        if not self.hal.serial_write(line) and self.tx_dropped < _COUNT_MAX:
            self.tx_dropped += 1

    def poll(self, now):
        """The tick's serial step: answer what arrived, then telemetry when it is due."""
        hal = self.hal
        n = hal.serial_readinto(self.rx_buf)
        if n:
            self._rx_at = now
            self._resynced = False
            self._receive(now, n)
        elif not self._resynced and hal.ticks_diff(now, self._rx_at) >= RESYNC_MS:
            self._resynced = True
            self.reader.drop_unfinishable()
        if self.telemetry_ms and hal.ticks_diff(now, self.telemetry_due) >= 0:
            self.telemetry_due = hal.ticks_add(now, self.telemetry_ms)
            self.send(self.status.event(self.ctl, now, self.tx_dropped))

    def _receive(self, now, n):
        rx = self.rx_buf
        reader = self.reader
        for i in range(n):
            line = reader.push(rx[i])
            if line is None:
                continue
            if line is protocol.LineReader.TOO_LONG:
                self.send(protocol.error(None, protocol.LINE_TOO_LONG,
                                         "requests are at most %d bytes" % limits.LINE_MAX))
            else:
                self.send(self._answer(now, line))
            if self.service_requested:
                break  # the port now belongs to the REPL

    def _answer(self, now, line):
        """One request line to its reply line."""
        req_id = None
        try:
            req_id, verb, args = protocol.parse(line)
            for name, handler, most, usage in _VERBS:
                if name == verb:
                    if len(args) > most or (most and not args):
                        raise ProtocolError(protocol.BAD_ARGUMENT, usage or (
                            "%s takes no arguments" % verb))
                    return handler(self, now, req_id, args)
            raise ProtocolError(protocol.UNKNOWN_COMMAND, "unknown verb; try help")
        except ProtocolError as e:
            return protocol.error(e.req_id if e.req_id is not None else req_id,
                                  e.code, e.detail)

    # -- the verbs --------------------------------------------------------------------

    def _status(self, now, req_id, args):
        return self.status.reply(self.ctl, now, req_id, self.tx_dropped)

    def _info(self, now, req_id, args):
        levels = ", ".join('"%s": %s' % (names.LEVEL_NAMES[i], _c10_text(
            limits.LEVEL_SETPOINTS[i])) for i in range(1, len(names.LEVEL_NAMES)))
        return protocol.ok(req_id, (
            '"fw": "cushion", "version": "%s", "board": "%s", "protocol": 1, '
            '"levels_c": {%s}, "auto_off_s": %d, "line_max": %d' % (
                limits.FW_VERSION, self.ctl.board_name, levels, limits.AUTO_OFF_MS // 1000,
                limits.LINE_MAX)))

    def _heat(self, now, req_id, args):
        ctl = self.ctl
        level = _index(names.LEVEL_NAMES, args[0].lower())
        if level < 0:
            raise ProtocolError(protocol.BAD_ARGUMENT, _HEAT_USAGE)
        if ctl.set_heat(now, level) == ctl.FAULT_LATCHED:
            raise ProtocolError(protocol.FAULT_ACTIVE, "heater fault %s is latched (working "
                                "switch left: %s): clear it first" % (
                                    ctl.safety.fault, names.SWITCH_NAMES[ctl.safety.left]))
        return protocol.ok(req_id, '"heat": "%s", "capped": %s' % (
            names.LEVEL_NAMES[ctl.heat.level],
            "true" if level != ctl.heat.level else "false"))

    def _massage(self, now, req_id, args):
        ctl = self.ctl
        mode = _index(names.MODE_NAMES, args[0].lower())
        intensity = ctl.vib.intensity
        if len(args) == 2:
            a = args[1]
            intensity = int(a) if len(a) == 1 and a in "123" else -1
        if mode < 0 or intensity < 0:
            raise ProtocolError(protocol.BAD_ARGUMENT, _MASSAGE_USAGE)
        if ctl.set_massage(now, mode, intensity) == ctl.FAULT_LATCHED:
            raise ProtocolError(protocol.FAULT_ACTIVE, "%s is latched: clear it first" % (
                                ctl.safety.motor_fault or ctl.safety.fault))
        return protocol.ok(req_id, '"massage": "%s", "intensity": %d' % (
            names.MODE_NAMES[ctl.vib.mode], ctl.vib.intensity))

    def _stop(self, now, req_id, args):
        self.ctl.end_session()
        return protocol.ok(req_id)

    def _clear(self, now, req_id, args):
        problem = self.ctl.try_clear()
        if problem is not None:
            code, detail = _CLEAR_REFUSED[problem]
            raise ProtocolError(code, detail)
        return protocol.ok(req_id)

    def _faults(self, now, req_id, args):
        s = self.ctl.safety
        active = []
        if s.fault is not None:
            active.append('"%s"' % s.fault)
        if s.motor_fault is not None:
            active.append('"%s"' % s.motor_fault)
        entries = []
        for e in self.ctl.fault_log:
            # the log passed its checksum, but its fields are still checked before use
            code = e.get("code")
            up = e.get("uptime_s")
            temp = e.get("temp_c100")
            entries.append('{"code": %s, "uptime_s": %d, "temp_c": %s}' % (
                json.dumps(code if isinstance(code, str) else "?"),
                up if isinstance(up, int) else 0,
                protocol.c100_text(temp) if isinstance(temp, int) else "null"))
        return protocol.ok(req_id, '"active": [%s], "log": [%s]' % (
            ", ".join(active), ", ".join(entries)))

    def _telemetry(self, now, req_id, args):
        what = args[0].lower()
        if what == "off" and len(args) == 1:
            self.telemetry_ms = 0
            return protocol.ok(req_id, '"telemetry": "off"')
        if what != "on":
            raise ProtocolError(protocol.BAD_ARGUMENT, _TELEMETRY_USAGE)
        period = limits.TELEMETRY_DEFAULT_MS
        if len(args) == 2:
            a = args[1]
            period = int(a) if a.isdigit() and len(a) <= 6 else -1
            if period < limits.TELEMETRY_MIN_MS or period > limits.TELEMETRY_MAX_MS:
                raise ProtocolError(protocol.BAD_ARGUMENT, _TELEMETRY_USAGE)
        self.telemetry_ms = period
        self.telemetry_due = now  # the first event at once
        return protocol.ok(req_id, '"telemetry": "on", "period_ms": %d' % period)

    def _service(self, now, req_id, args):
        """Outputs off, leave a one-shot flag, reply, then reset (DESIGN section 10)."""
        ctl = self.ctl
        ctl.end_session()
        ctl.outputs_off()
        try:
            ctl.store.set_service_flag()
        except OSError:
            raise ProtocolError(protocol.STORAGE_ERROR, "could not write the service flag")
        self.service_requested = True
        return protocol.ok(req_id, '"service": "resetting into the REPL"')

    def _help(self, now, req_id, args):
        return protocol.ok(req_id, '"verbs": "%s"' % " ".join(v[0] for v in _VERBS))


# verb, handler, most arguments (a verb that takes any needs at least one), usage.
# The order is the order `help` lists them in.
_VERBS = (
    ("status", Console._status, 0, None),
    ("info", Console._info, 0, None),
    ("heat", Console._heat, 1, _HEAT_USAGE),
    ("massage", Console._massage, 2, _MASSAGE_USAGE),
    ("stop", Console._stop, 0, None),
    ("clear", Console._clear, 0, None),
    ("faults", Console._faults, 0, None),
    ("telemetry", Console._telemetry, 2, _TELEMETRY_USAGE),
    ("service", Console._service, 0, None),
    ("help", Console._help, 0, None),
)
