"""The host protocol client (host/client.py) against a scripted serial port.

The scripted port parses each framed request and answers through a handler, so these tests
pin down the client's own rules: ids and checksums on every line, events kept while waiting,
foreign replies and noise skipped, which verbs are retried, and which failure maps to which
exit code.  The same client against the real firmware is in test_protocol_client_sim.py.
"""

import json
import re
import time

import pytest
import serial

import hal_sim  # noqa: F401  (puts firmware/ on sys.path for cushion.protocol)
from cushion import protocol as fw_protocol
from host.client import (IDEMPOTENT_VERBS, CushionClient, checksum, frame)
from host.errors import (EXIT_NO_CONNECTION, EXIT_REFUSED, DeviceRefused, Disconnected,
                         NotACushion, ReplyTimeout)

INFO = {"ok": True, "fw": "cushion", "version": "1.0.0", "board": "fake"}
REQ = re.compile(rb"^#(\d+) (.*)\*([0-9A-F]{2})$")


def line(obj):
    return (json.dumps(obj) + "\n").encode()


class ScriptedSerial:
    """A fake pyserial port; `handler(req_id, text, n)` returns the bytes to send back.

    `n` counts how many times this same request text was seen (1 for the first copy).
    """

    def __init__(self, handler, read_error=None):
        self.handler = handler
        self.rx = bytearray()
        self.written = []        # raw bytes of every write
        self.requests = []       # (id, text) of every well-formed request
        self.seen = {}
        self.read_error = read_error
        self.closed = False
        self.portstr = "fake://"

    def write(self, data):
        self.written.append(bytes(data))
        for raw in bytes(data).split(b"\n"):
            if not raw:
                continue
            m = REQ.match(raw)
            assert m, f"request not framed: {raw!r}"
            body = raw[:raw.rindex(b"*")]
            assert checksum(body) == m.group(3).decode(), f"bad checksum on {raw!r}"
            req_id, text = int(m.group(1)), m.group(2).decode()
            self.requests.append((req_id, text))
            self.seen[text] = self.seen.get(text, 0) + 1
            out = self.handler(req_id, text, self.seen[text])
            if out:
                self.rx += out
        return len(data)

    def flush(self):
        pass

    def read(self, n=1):
        if self.read_error and self.requests and self.requests[-1][1] != "info":
            raise self.read_error
        if not self.rx:
            time.sleep(0.002)
            return b""
        out = bytes(self.rx[:n])
        del self.rx[:n]
        return out

    @property
    def in_waiting(self):
        return len(self.rx)

    def reset_input_buffer(self):
        self.rx.clear()

    def close(self):
        self.closed = True


def answering(replies=None):
    """A handler that answers info like a cushion and other verbs from `replies`."""
    replies = replies or {}

    def handler(req_id, text, n):
        if text == "info":
            return line(dict(INFO, id=req_id))
        reply = replies.get(text, {"ok": True})
        if callable(reply):
            return reply(req_id, text, n)
        return line(dict(reply, id=req_id))
    return handler


def client_for(handler, timeout=0.3, **kw):
    ser = ScriptedSerial(handler, **kw)
    c = CushionClient(ser, "fake://", timeout=timeout)
    return c, ser


# -- framing ---------------------------------------------------------------------------------

def test_checksum_is_nmea_xor_in_two_uppercase_hex_digits():
    assert checksum(b"") == "00"
    assert checksum(b"#1 status") == f"{fw_protocol.checksum(b'#1 status'):02X}"
    assert re.fullmatch(r"[0-9A-F]{2}", checksum("#999999 massage knead 3"))


@pytest.mark.parametrize("text", ["status", "heat high", "massage knead 3",
                                  "telemetry on 500", "service"])
def test_every_request_carries_id_and_checksum_the_firmware_accepts(text):
    raw = frame(4242, text)
    assert raw.endswith(b"\n") and len(raw) <= 128
    req_id, verb, args = fw_protocol.parse(raw.rstrip(b"\n"))
    assert req_id == 4242
    assert [verb] + args == text.split()


def test_ids_change_per_request_and_stay_in_range():
    c, ser = client_for(answering())
    c._next_id = 999998
    for _ in range(3):
        c.request("status")
    ids = [i for i, _ in ser.requests]
    assert ids == [999998, 999999, 1]


# -- replies and events ----------------------------------------------------------------------

def test_events_are_kept_and_foreign_replies_and_noise_skipped():
    def status(req_id, text, n):
        return (line({"event": "telemetry", "temp_c": 30.0})
                + line({"ok": True, "id": req_id + 1, "state": "NOT OURS"})
                + b"garbage \xff not json\n"
                + line({"ok": True, "id": None, "state": "no id"})
                + line({"event": "fault", "code": "overheat"})
                + line({"ok": True, "id": req_id, "state": "idle"}))
    c, _ = client_for(answering({"status": status}))
    reply = c.request("status")
    assert reply["state"] == "idle"
    assert [e["event"] for e in c.events] == ["telemetry", "fault"]
    assert c.next_event(0.1)["event"] == "telemetry"      # watch reads them in order
    assert c.next_event(0.1)["event"] == "fault"
    assert c.next_event(0.05) is None


def test_handshake_ends_a_partial_line_then_asks_info():
    c, ser = client_for(answering())
    info = c.handshake()
    assert info["version"] == "1.0.0" and c.info == info
    assert ser.written[0] == b"\n"
    assert ser.requests[0][1] == "info"


def test_handshake_rejects_something_that_is_not_a_cushion():
    def handler(req_id, text, n):
        return line({"ok": True, "id": req_id, "fw": "toaster"})
    c, _ = client_for(handler)
    with pytest.raises(NotACushion) as e:
        c.handshake()
    assert e.value.exit_code == EXIT_NO_CONNECTION
    assert "not a cushion" in e.value.message


def test_refusal_carries_the_devices_own_words():
    c, _ = client_for(answering({"heat high": {
        "ok": False, "error": "fault_active", "detail": "clear the sensor_open fault first"}}))
    with pytest.raises(DeviceRefused) as e:
        c.request("heat high")
    assert e.value.exit_code == EXIT_REFUSED
    assert e.value.code == "fault_active"
    assert "clear the sensor_open fault first" in e.value.message
    assert "heat high" in e.value.message


# -- retries ---------------------------------------------------------------------------------

def drop_first(reply=None):
    def handler(req_id, text, n):
        if n == 1:
            return b""                       # lost on the way
        return line(dict(reply or {"ok": True}, id=req_id))
    return handler


@pytest.mark.parametrize("verb", ["status", "info", "faults", "help", "heat high",
                                  "massage wave 2", "telemetry on 500", "stop"])
def test_idempotent_requests_are_retried_once_after_a_timeout(verb):
    c, ser = client_for(drop_first({"ok": True, "fw": "cushion"}), timeout=0.1)
    assert c.request(verb)["ok"] is True
    sent = [t for _, t in ser.requests]
    assert sent == [verb, verb]
    assert ser.requests[0][0] != ser.requests[1][0]     # a fresh id per copy


@pytest.mark.parametrize("verb", ["clear", "service"])
def test_clear_and_service_are_never_retried(verb):
    assert verb.split()[0] not in IDEMPOTENT_VERBS
    c, ser = client_for(drop_first(), timeout=0.1)
    with pytest.raises(ReplyTimeout) as e:
        c.request(verb)
    assert [t for _, t in ser.requests] == [verb]
    assert e.value.exit_code == EXIT_NO_CONNECTION
    assert f"no reply from fake:// to '{verb}' within 0.1 s" in e.value.message


def test_a_line_rejected_as_garbled_is_resent_even_when_not_idempotent():
    def handler(req_id, text, n):
        if n == 1:
            return line({"ok": False, "id": req_id, "error": "bad_checksum",
                         "detail": "checksum does not match"})
        return line({"ok": True, "id": req_id})
    c, ser = client_for(handler)
    assert c.request("clear")["ok"] is True
    assert [t for _, t in ser.requests] == ["clear", "clear"]


def test_a_late_reply_to_the_first_copy_is_accepted():
    first = {}

    def handler(req_id, text, n):
        if n == 1:
            first["id"] = req_id
            return b""
        # the first copy's reply turns up late, then the second's
        return line({"ok": True, "id": first["id"], "copy": 1}) + line(
            {"ok": True, "id": req_id, "copy": 2})
    c, _ = client_for(handler, timeout=0.1)
    assert c.request("status")["copy"] == 1


def test_timeout_after_retries_says_how_many_tries():
    c, ser = client_for(lambda *a: b"", timeout=0.05)
    with pytest.raises(ReplyTimeout) as e:
        c.request("status")
    assert len(ser.requests) == 2
    assert "(2 tries)" in e.value.message


def test_timeout_message_recognises_a_board_left_at_the_repl():
    c, _ = client_for(lambda *a: b"MicroPython v1.27.0 on 2025-01-01; Raspberry Pi Pico\r\n>>> \n",
                      timeout=0.05)
    with pytest.raises(ReplyTimeout) as e:
        c.request("status")
    assert "REPL" in e.value.message


# -- lost port -------------------------------------------------------------------------------

def test_unplugged_while_reading_is_disconnected_not_a_traceback():
    err = serial.SerialException("device reports readiness to read but returned no data "
                                 "(device disconnected or multiple access on port?)")
    c, _ = client_for(answering(), read_error=err)
    with pytest.raises(Disconnected) as e:
        c.request("heat high")
    assert e.value.exit_code == EXIT_NO_CONNECTION
    assert "lost fake://" in e.value.message and "heat high" in e.value.message
    assert "\n" not in e.value.message


def test_unplugged_while_writing_is_disconnected():
    c, ser = client_for(answering())

    def broken(data):
        raise OSError(5, "Input/output error")
    ser.write = broken
    with pytest.raises(Disconnected):
        c.request("status")


def test_connect_closes_the_port_when_the_handshake_fails():
    ser = ScriptedSerial(lambda *a: b"")
    with pytest.raises(ReplyTimeout):
        CushionClient.connect("fake://", timeout=0.05, opener=lambda port: ser)
    assert ser.closed
