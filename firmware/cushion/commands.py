"""Serial requests (DESIGN section 7): each parsed line to its one reply.

Runs only on ticks where bytes arrived, never in a steady tick, so it may build strings.
Every change it makes goes through the controller's own methods (set_heat, set_massage,
try_clear, end_session), the same ones the buttons use: nothing here can reach a limit.
"""

import json

from cushion import limits, protocol
from cushion.names import HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES

_HELP = "status info heat massage stop clear faults telemetry service help"


def _level_index(name):
    for i in range(4):
        if LEVEL_NAMES[i] == name:
            return i
    return -1


def _levels_c():
    """The heat levels' set-points, from limits.LEVEL_SETPOINTS: "low": 38.0, ..."""
    sp = limits.LEVEL_SETPOINTS
    return ", ".join('"%s": %d.%d' % (LEVEL_NAMES[i], sp[i] // 100, sp[i] % 100 // 10)
                     for i in range(1, len(LEVEL_NAMES)))


def _mode_index(name):
    for i in range(5):
        if MODE_NAMES[i] == name:
            return i
    return -1


def on_serial(ctl, now, n):
    """Answer every complete request line among the n bytes just received."""
    rx = ctl.rx_buf
    reader = ctl.reader
    for i in range(n):
        line = reader.push(rx[i])
        if line is None:
            continue
        if line is protocol.LineReader.TOO_LONG:
            ctl.send(protocol.error(None, protocol.LINE_TOO_LONG,
                                      "requests are at most %d bytes" % limits.LINE_MAX))
            continue
        try:
            req_id, verb, args = protocol.parse(line)
            ctl.send(handle(ctl, now, req_id, verb, args))
        except protocol.ProtocolError as e:
            ctl.send(protocol.error(e.req_id, e.code, e.detail))
        if ctl.service_requested:
            break

def status_body(ctl, now):
    """The status fields of DESIGN section 7 as JSON members (also the telemetry event)."""
    s = ctl.safety
    fault = s.active_fault()
    state = ctl.state()
    vin = ctl.readings.vin_mv
    return ('"state": "%s", "heat": "%s", "heat_state": "%s", "massage": "%s", '
            '"intensity": %d, "temp_c": %s, "temp2_c": %s, "setpoint_c": %s, '
            '"heater_pct": %d, "motor_pct": %d, "remaining_s": %d, "vin": %d.%02d, '
            '"supply_paused": %s, "fault": %s, "dose_cem43": %s, "dose_capped": %s, '
            '"uptime_ms": %d' % (
                state, LEVEL_NAMES[ctl.heat.level], HEAT_STATE_NAMES[ctl.heat.state],
                MODE_NAMES[ctl.vib.mode], ctl.vib.intensity,
                protocol.c100_text(ctl.readings.ta), protocol.c100_text(ctl.readings.tb),
                protocol.c100_text(ctl.heat.setpoint), ctl.out.heater // 10,
                ctl.out.motor // 10, (ctl.session.remaining_ms(now) + 999) // 1000,
                vin // 1000, (vin % 1000) // 10,
                "true" if s.supply_paused else "false",
                "null" if fault is None else '"%s"' % fault,
                protocol.c100_text(ctl.dose.cem43_x10() * 10),
                "true" if ctl.dose.capped else "false",
                ctl.uptime_ms()))

def handle(ctl, now, req_id, verb, args):
    """One parsed request to one reply line (bytes)."""
    nargs = len(args)
    if verb == "status" and nargs == 0:
        return protocol.ok(req_id, status_body(ctl, now))
    if verb == "info" and nargs == 0:
        return protocol.ok(req_id, (
            '"fw": "cushion", "version": "%s", "board": "%s", "protocol": 1, '
            '"levels_c": {%s}, "auto_off_s": %d, "line_max": %d' % (
                limits.FW_VERSION, ctl.board_name, _levels_c(), limits.AUTO_OFF_MS // 1000,
                limits.LINE_MAX)))
    if verb == "heat":
        level = _level_index(args[0].lower()) if nargs == 1 else -1
        if level < 0:
            raise protocol.ProtocolError(protocol.BAD_ARGUMENT,
                                         "usage: heat off|low|medium|high", req_id)
        problem = ctl.set_heat(now, level)
        if problem is not None:
            raise protocol.ProtocolError(problem[0], problem[1], req_id)
        return protocol.ok(req_id, '"heat": "%s", "capped": %s' % (
            LEVEL_NAMES[ctl.heat.level],
            "true" if level != ctl.heat.level else "false"))
    if verb == "massage":
        mode = _mode_index(args[0].lower()) if 1 <= nargs <= 2 else -1
        intensity = ctl.vib.intensity
        if mode >= 0 and nargs == 2:
            a = args[1]
            intensity = int(a) if len(a) == 1 and a in "123" else -1
        if mode < 0 or intensity < 0:
            raise protocol.ProtocolError(
                protocol.BAD_ARGUMENT,
                "usage: massage off|continuous|pulse|wave|knead [1-3]", req_id)
        problem = ctl.set_massage(now, mode, intensity)
        if problem is not None:
            raise protocol.ProtocolError(problem[0], problem[1], req_id)
        return protocol.ok(req_id, '"massage": "%s", "intensity": %d' % (
            MODE_NAMES[ctl.vib.mode], ctl.vib.intensity))
    if verb == "stop" and nargs == 0:
        ctl.end_session()
        return protocol.ok(req_id)
    if verb == "clear" and nargs == 0:
        problem = ctl.try_clear()
        if problem is not None:
            raise protocol.ProtocolError(problem[0], problem[1], req_id)
        return protocol.ok(req_id)
    if verb == "faults" and nargs == 0:
        return protocol.ok(req_id, _faults_body(ctl))
    if verb == "telemetry":
        return _telemetry(ctl, now, req_id, args)
    if verb == "service" and nargs == 0:
        return _service(ctl, req_id)
    if verb == "help" and nargs == 0:
        return protocol.ok(req_id, '"verbs": "%s"' % _HELP)
    if verb in ("status", "info", "stop", "clear", "faults", "service", "help"):
        raise protocol.ProtocolError(protocol.BAD_ARGUMENT,
                                     "%s takes no arguments" % verb, req_id)
    raise protocol.ProtocolError(protocol.UNKNOWN_COMMAND,
                                 "unknown verb; try help", req_id)

def _faults_body(ctl):
    s = ctl.safety
    active = []
    if s.fault is not None:
        active.append('"%s"' % s.fault)
    if s.motor_fault is not None:
        active.append('"%s"' % s.motor_fault)
    entries = []
    for e in ctl.fault_log:
        # the log passed its checksum, but its fields are still checked before use
        code = e.get("code")
        up = e.get("uptime_s")
        temp = e.get("temp_c100")
        entries.append('{"code": %s, "uptime_s": %d, "temp_c": %s}' % (
            json.dumps(code if isinstance(code, str) else "?"),
            up if isinstance(up, int) else 0,
            protocol.c100_text(temp) if isinstance(temp, int) else "null"))
    return '"active": [%s], "log": [%s]' % (", ".join(active), ", ".join(entries))

def _telemetry(ctl, now, req_id, args):
    nargs = len(args)
    usage = "usage: telemetry on|off [period_ms %d..%d]" % (
        limits.TELEMETRY_MIN_MS, limits.TELEMETRY_MAX_MS)
    if nargs == 0 or nargs > 2:
        raise protocol.ProtocolError(protocol.BAD_ARGUMENT, usage, req_id)
    what = args[0].lower()
    if what == "off" and nargs == 1:
        ctl.telemetry_ms = 0
        return protocol.ok(req_id, '"telemetry": "off"')
    if what != "on":
        raise protocol.ProtocolError(protocol.BAD_ARGUMENT, usage, req_id)
    period = limits.TELEMETRY_DEFAULT_MS
    if nargs == 2:
        a = args[1]
        if not a.isdigit() or len(a) > 6:
            raise protocol.ProtocolError(protocol.BAD_ARGUMENT, usage, req_id)
        period = int(a)
        if period < limits.TELEMETRY_MIN_MS or period > limits.TELEMETRY_MAX_MS:
            raise protocol.ProtocolError(protocol.BAD_ARGUMENT, usage, req_id)
    ctl.telemetry_ms = period
    ctl.telemetry_due = now
    return protocol.ok(req_id, '"telemetry": "on", "period_ms": %d' % period)

def _service(ctl, req_id):
    """Outputs off, leave a one-shot flag, reply, then reset (DESIGN section 10)."""
    ctl.end_session()
    ctl.outputs_off()
    try:
        ctl.store.set_service_flag()
    except OSError:
        return protocol.error(req_id, "storage_error", "could not write the service flag")
    ctl.service_requested = True
    return protocol.ok(req_id, '"service": "resetting into the REPL"')
