"""The host side of the wire protocol (DESIGN section 7, docs/protocol.md).

Every request goes out as `#<id> <verb> [args]*<XX>` so that the reply can be matched to it and
a line garbled on the way is rejected by the firmware instead of acted on.  While waiting for a
reply, event lines (telemetry, faults, auto-off...) are kept in `events` for `watch`; lines
that are not JSON (a REPL banner, noise) are skipped.
"""

import collections
import json
import random
import time

import serial

from . import trace
from .simrepl import NO_PYTHON
from .errors import AtRepl, DeviceRefused, Disconnected, NotACushion, ReplyTimeout
from .ports import open_serial

# Verbs whose repetition leaves the cushion exactly as one copy would, so a request whose
# reply went missing may be sent again:
#  - status/info/faults/help only read;
#  - heat X / massage X / telemetry X set a value (inside a session the clock does not restart);
#  - stop only ever turns things off, so a second copy is at worst a no-op in the safe direction.
# Never repeated: `clear` (a second copy could clear a fault that latched in between, one the
# user never saw) and `service` (the first copy may already have reset the board).
IDEMPOTENT_VERBS = frozenset(("status", "info", "faults", "help", "heat", "massage",
                              "telemetry", "stop"))

READ_ONLY_VERBS = frozenset(("status", "info", "faults", "help"))

# Rejections the firmware makes before looking at the verb: the line was garbled on the way and
# was not carried out, so sending it again is safe for every verb.
NOT_CARRIED_OUT = frozenset(("bad_checksum", "bad_encoding"))

# What a served simulated board's REPL answers to a typed line.
SIMULATED_REPL = NO_PYTHON.decode()
MAX_LINE = 4096           # longest device line we keep; anything longer is noise
MAX_ID = 999999


def checksum(data):
    """NMEA-style: XOR of every byte, two uppercase hex digits."""
    if isinstance(data, str):
        data = data.encode("ascii")
    x = 0
    for b in data:
        x ^= b
    return f"{x:02X}"


def frame(req_id, line):
    """The bytes of one request line: `#<id> <line>*<check>\\n`."""
    body = f"#{req_id} {line}"
    return f"{body}*{checksum(body)}\n".encode("ascii")


def is_event(msg):
    return isinstance(msg, dict) and "event" in msg and "ok" not in msg


def is_reply(msg):
    return isinstance(msg, dict) and "ok" in msg


class CushionClient:
    """A conversation with one cushion over an open pyserial port object."""

    def __init__(self, ser, port="", timeout=2.0, retries=1, clock=time.monotonic):
        self.ser = ser
        self.port = port or getattr(ser, "portstr", "") or ""
        self.timeout = float(timeout)
        self.retries = retries
        self.clock = clock
        self.events = collections.deque(maxlen=10000)   # events seen, oldest first
        self.noise = collections.deque(maxlen=20)       # recent non-JSON lines, for hints
        self.info = None
        self._asking = None      # what the user asked for, while the handshake runs
        self._buf = bytearray()
        self._next_id = random.randint(1, MAX_ID)  # random start: stale replies of an
                                                   # earlier run are unlikely to match

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def connect(cls, port, timeout=2.0, handshake=True, opener=open_serial, purpose=None,
                **kwargs):
        """Open `port` and (by default) check that a cushion answers.  `purpose` names what
        the user asked for (`cushion status`), so that a timeout names it, not only the `info`
        asked first."""
        ser = opener(port)
        client = cls(ser, port, timeout=timeout, **kwargs)
        if handshake:
            try:
                client.handshake(purpose)
            except BaseException:
                client.close()
                raise
        return client

    def handshake(self, purpose=None):
        """Sync with the firmware right after opening.

        What the board printed before we opened (its boot event, say) is lost, and a partial
        line from an earlier client may sit in its input buffer: drop our stale input, end any
        partial line with a bare newline, then ask `info` and check that this is a cushion.
        """
        try:
            self.ser.reset_input_buffer()
        except (serial.SerialException, OSError):
            pass
        self._write(b"\n", purpose or "open")
        self._asking = f"`{purpose}` (its first request, 'info')" if purpose else None
        try:
            info = self.request("info")
        finally:
            self._asking = None
        if info.get("fw") != "cushion":
            raise NotACushion("{} answered but is not a cushion (fw={!r})".format(
                self.port, info.get("fw")))
        self.info = info
        return info

    def close(self):
        try:
            self.ser.close()
        except (serial.SerialException, OSError):
            pass

    # -- requests ------------------------------------------------------------------------

    def request(self, line, retry=None, timeout=None):
        """Send one request, return its `"ok": true` reply; raise DeviceRefused on `false`.

        `retry` overrides the idempotency rule (None: decide from the verb).
        """
        verb = line.split(None, 1)[0] if line.strip() else ""
        if retry is None:
            retry = verb in IDEMPOTENT_VERBS
        timeout = self.timeout if timeout is None else timeout
        try:
            return self._request(line, verb, retry, timeout)
        except (Disconnected, ReplyTimeout) as exc:
            if verb in READ_ONLY_VERBS:
                raise
            # The user needs to know the state of a heater is now unknown.
            raise type(exc)(exc.message + f"; '{line}' may or may not have been carried out")

    def _request(self, line, verb, retry, timeout):
        sent_ids = []
        attempt = 0
        while True:
            attempt += 1
            sent_ids.append(self.send(line))
            # A late reply to an earlier copy is as good as one to this copy.
            reply = self._wait_reply(sent_ids, timeout, line)
            more = attempt <= self.retries
            if reply is None:
                if retry and more:
                    continue
                raise self._timeout(line, timeout, attempt)
            if reply.get("ok") is True:
                return reply
            if reply.get("error") in NOT_CARRIED_OUT and more:
                continue
            raise DeviceRefused(line, reply)

    def send(self, line):
        """Write one framed request; return its id."""
        req_id = self._next_id
        self._next_id = req_id % MAX_ID + 1
        self._write(frame(req_id, line), line)
        return req_id

    def _write(self, data, what):
        trace.sent(self.port, data)
        try:
            self.ser.write(data)
            self.ser.flush()
        except serial.SerialTimeoutException:
            raise ReplyTimeout(f"could not send '{what}' to {self.port}: the port does not "
                               "take data (board hung or not reading?)")
        except (serial.SerialException, OSError) as exc:
            raise Disconnected(f"lost {self.port} while sending '{what}' (unplugged?): "
                               f"{_one_line(exc)}")

    def _timeout(self, line, timeout, attempts):
        """The exception for a request nobody answered, with what the port did say."""
        text = f"no reply from {self.port} to {self._asking or repr(line)} within {timeout:g} s"
        if attempts > 1:
            text += f" ({attempts} tries)"
        seen = " ".join(self.noise)
        if SIMULATED_REPL in seen:
            exc = AtRepl(text + "; the simulated board is at its REPL (service mode), where it "
                         "runs no Python: Ctrl-D at the >>> prompt, `mpremote reset` or "
                         "`cushion sim-control URL reset` starts the firmware again")
            exc.simulated = True
            return exc
        if ">>>" in seen or "MicroPython" in seen or "raw REPL" in seen:
            return AtRepl(text + "; the board is at the MicroPython REPL (service mode): "
                          "`cushion flash` copies the firmware from there, `mpremote reset` "
                          "starts the firmware again")
        if self.noise:
            return ReplyTimeout(text + "; it sent only non-protocol text (wrong baud rate or "
                                "not the cushion firmware?)")
        return ReplyTimeout(text + " (is it a cushion running its firmware? try a longer "
                            "--timeout)")

    def _wait_reply(self, ids, timeout, line):
        deadline = self.clock() + timeout
        while True:
            msg = self._read_message(deadline, line)
            if msg is None:
                return None
            if is_event(msg):
                self.events.append(msg)
            elif is_reply(msg) and msg.get("id") in ids:
                return msg
            # else: a reply to somebody else's (or an abandoned) request: not ours, skip

    # -- events --------------------------------------------------------------------------

    def next_event(self, timeout):
        """The oldest unread event, waiting up to `timeout` s for one; None if none came."""
        if self.events:
            return self.events.popleft()
        deadline = self.clock() + timeout
        while True:
            msg = self._read_message(deadline, "watch")
            if msg is None:
                return None
            if is_event(msg):
                return msg

    # -- reading lines -------------------------------------------------------------------

    def _read_message(self, deadline, what):
        """Next JSON object the device sends before `deadline`, or None at the deadline."""
        while True:
            line = self._read_line(deadline, what)
            if line is None:
                return None
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                msg = json.loads(text)
            except ValueError:
                self.noise.append(text)
                continue
            if isinstance(msg, dict):
                return msg
            self.noise.append(text)

    def _read_line(self, deadline, what):
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line = bytes(self._buf[:nl])
                del self._buf[:nl + 1]
                trace.received(self.port, line)
                return line
            if len(self._buf) > MAX_LINE:
                self.noise.append(f"<{len(self._buf)} bytes without a newline>")
                del self._buf[:]
            if self.clock() >= deadline:
                return None
            try:
                # read(1) waits at most the port timeout (50 ms) for a first byte; then take
                # whatever else is already there.  (in_waiting can read 0 on a pty: fine.)
                chunk = self.ser.read(1)
                if chunk:
                    waiting = self.ser.in_waiting
                    if waiting:
                        chunk += self.ser.read(waiting)
            except (serial.SerialException, OSError) as exc:
                raise Disconnected(f"lost {self.port} during '{what}' (unplugged?): "
                                   f"{_one_line(exc)}")
            self._buf += chunk


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__
