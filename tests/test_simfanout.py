"""The served sim's telemetry fan-out, driven line by line with no firmware or socket: each
client hears its own period even when another client's request moves the firmware's phase."""

import random
from types import SimpleNamespace

from host.simfanout import TelemetryFanout


def _peer():
    return SimpleNamespace(telemetry_ms=0, last_telemetry_ms=None)


class _Firmware:
    """Answers the fan-out's telemetry requests the way the firmware's console does."""

    def __init__(self):
        self.fan = TelemetryFanout(self.request, rng=random.Random(7))
        self.replies = []

    def request(self, line):
        head, _, _check = line.decode().rstrip("\n").partition("*")
        req_id, _, cmd = head[1:].partition(" ")
        words = cmd.split()
        body = '"telemetry": "off"' if words[1] == "off" else \
            '"telemetry": "on", "period_ms": %s' % words[2]
        self.replies.append(('{"ok": true, "id": %s, %s}\n' % (req_id, body)).encode())

    def answer(self):
        while self.replies:
            self.fan.firmware_line(self.replies.pop(0), self.fan.peers)

    def event(self, uptime_ms):
        line = b'{"event": "telemetry", "uptime_ms": %d, "pad_c": 30.0}\n' % uptime_ms
        return [p for p, _ in self.fan.firmware_line(line, self.fan.peers)]


def test_a_period_change_by_one_client_never_shortens_anothers_gap():
    fw = _Firmware()
    a, b = _peer(), _peer()
    fw.fan.peers = [a, b]
    fw.fan.client_line(a, b"#1 telemetry on 500\n")
    fw.answer()
    heard = [t for t in range(0, 1001, 500) if a in fw.event(t)]
    fw.fan.client_line(b, b"#2 telemetry on 100\n")
    fw.answer()
    assert fw.fan.firmware_ms == 100                       # gcd(500, 100)
    heard += [t for t in range(1100, 1701, 100) if a in fw.event(t)]
    fw.fan.client_line(b, b"#3 telemetry off\n")
    fw.answer()                                            # b's off, then the server's on 500
    assert fw.fan.firmware_ms == 500
    # the firmware sends its first event at once on a new period: 300 ms after a's last
    heard += [t for t in (1800, 2300, 2800) if a in fw.event(t)]
    gaps = [y - x for x, y in zip(heard, heard[1:])]
    assert heard[:4] == [0, 500, 1000, 1500]
    assert min(gaps) >= 450 and 1800 not in heard


def test_an_event_a_tick_early_still_reaches_its_client():
    fw = _Firmware()
    a = _peer()
    fw.fan.peers = [a]
    fw.fan.client_line(a, b"#1 telemetry on 300\n")
    fw.answer()
    heard = [t for t in (0, 300, 650, 900, 1200) if a in fw.event(t)]
    assert heard == [0, 300, 650, 900, 1200]               # 250 ms: a tick late, then early
