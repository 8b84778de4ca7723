"""Per-client telemetry on a served sim: one firmware stream, each client its own subscription.

The firmware has one telemetry setting for its one serial line.  On a shared line one
client's `telemetry on 100` would change another's period, and its `telemetry off` would end
everyone's stream.  So the server:
 - lets the firmware judge each client's `telemetry ...` request (it replies as usual), and
   records the setting against that client only once the firmware accepted it;
 - keeps the firmware streaming at a period every subscriber's period is a multiple of (as
   near as the firmware allows), or off when nobody subscribes;
 - hands each telemetry event only to the clients subscribed, each at its own period.
The server's own requests carry ids of its own; their replies are not passed on.
"""

import json
import math
import random

import hal_sim  # noqa: F401  (first: gives the firmware modules their micropython shim)
from cushion import limits, protocol  # noqa: E402

from .client import frame  # noqa: E402

MIN_MS = limits.TELEMETRY_MIN_MS
# An event goes out on the first tick at or after it is due, so it can come up to a tick late
# and the next one a tick early.  Only that much slack: a wider one would pass the event the
# firmware sends at once when the server changes its period (a new phase), well short of a
# client's period.
JITTER_MS = limits.TICK_MS


def _is_telemetry_request(line):
    try:
        req_id, verb, _args = protocol.parse(line.rstrip(b"\r\n"))
    except protocol.ProtocolError:
        return False, None
    return verb == "telemetry", req_id


class TelemetryFanout:
    def __init__(self, send_to_firmware, rng=None):
        self._send = send_to_firmware          # bytes -> the firmware's serial input
        self._pending = {}                     # firmware-side id -> (peer, id the peer used)
        self._own = set()                      # ids of the server's own requests
        self._next_id = (rng or random).randint(1, 999999)
        self.firmware_ms = 0                   # what the firmware was last told to do
        self.peers = []

    def _new_id(self):
        self._next_id = self._next_id % 999999 + 1
        return self._next_id

    # -- from a client -------------------------------------------------------------------

    def client_line(self, peer, line):
        """Pass one complete request line of `peer` on to the firmware."""
        is_telemetry, req_id = _is_telemetry_request(line)
        if not is_telemetry:
            self._send(line)
            return
        if req_id is None:
            # Number it so its reply can be told apart; the client gets the reply with
            # `"id": null`, as the firmware would have sent it.
            body = line.rstrip(b"\r\n").decode("ascii")
            star = body.rfind("*")
            if star >= 0:
                body = body[:star]            # protocol.parse checked it already
            req_id = self._new_id()
            self._pending[req_id] = (peer, None)
            self._send(frame(req_id, body.strip()))
            return
        self._pending[req_id] = (peer, req_id)
        self._send(line)

    def forget(self, peer):
        """A client left: its subscription ends (nobody else's does)."""
        peer.telemetry_ms = 0
        self._pending = {k: v for k, v in self._pending.items() if v[0] is not peer}
        self.resync()

    # -- from the firmware ---------------------------------------------------------------

    def firmware_line(self, line, peers):
        """Route one firmware line: return [(peer or None for all, bytes)]."""
        if line.startswith(b'{"event": "telemetry"'):
            return [(p, line) for p in peers if self._due(p, line)]
        if line.startswith(b'{"event": "boot"'):
            self.firmware_ms = 0               # a reset ends the firmware's stream
            self.resync()
            return [(None, line)]
        if line.startswith(b'{"ok"'):
            return self._reply(line)
        return [(None, line)]

    def _reply(self, line):
        try:
            msg = json.loads(line)
        except ValueError:
            return [(None, line)]
        req_id = msg.get("id")
        if req_id in self._own:
            self._own.discard(req_id)
            return []
        if req_id not in self._pending:
            return [(None, line)]
        peer, their_id = self._pending.pop(req_id)
        if msg.get("ok") is True:
            on = msg.get("telemetry") == "on"
            peer.telemetry_ms = int(msg.get("period_ms", 0)) if on else 0
            peer.last_telemetry_ms = None
            self.firmware_ms = peer.telemetry_ms    # the firmware did what that client asked
            self.resync()
        if their_id is None:
            msg["id"] = None
            line = (json.dumps(msg) + "\n").encode()
        return [(None, line)]

    def _due(self, peer, line):
        if not peer.telemetry_ms:
            return False
        try:
            now = int(json.loads(line).get("uptime_ms"))
        except (ValueError, TypeError, AttributeError):
            return True
        last = peer.last_telemetry_ms
        slack = min(JITTER_MS, self.firmware_ms // 2)
        if last is None or now < last or now - last >= peer.telemetry_ms - slack:
            peer.last_telemetry_ms = now
            return True
        return False

    # -- the firmware's own setting ------------------------------------------------------

    def wanted_ms(self):
        periods = [p.telemetry_ms for p in self.peers if p.telemetry_ms]
        if not periods:
            return 0
        return max(MIN_MS, math.gcd(*periods))

    def resync(self):
        want = self.wanted_ms()
        if want == self.firmware_ms:
            return
        req_id = self._new_id()
        self._own.add(req_id)
        self._send(frame(req_id, f"telemetry on {want}" if want else "telemetry off"))
        self.firmware_ms = want
