"""Serial protocol (DESIGN section 7): request lines in, JSON lines out.

Request: `[#<id> ]<verb> [args][*<check>]`, at most LINE_MAX bytes, ended by `\\n` or
`\\r\\n`. `<check>` is the XOR of every byte before the `*`, two hex digits (NMEA style).
Everything here runs only when bytes arrive, never in a steady tick.
"""

import json

from micropython import const

from cushion import limits

_BS = const(8)
_TAB = const(9)
_NL = const(10)
_CR = const(13)
_HASH = const(35)
_STAR = const(42)
_DEL = const(127)

# Error codes (the detail text is for people; the code is for programs).
UNKNOWN_COMMAND = "unknown_command"
BAD_ARGUMENT = "bad_argument"
LINE_TOO_LONG = "line_too_long"
BAD_ENCODING = "bad_encoding"
BAD_CHECKSUM = "bad_checksum"
BAD_ID = "bad_id"
FAULT_ACTIVE = "fault_active"
NOT_COOL = "not_cool"
STORAGE_ERROR = "storage_error"


class ProtocolError(Exception):
    def __init__(self, code, detail, req_id=None):
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.req_id = req_id


class LineReader:
    """Collects bytes into lines in a fixed buffer; an overlong line is dropped whole and
    reported once, when its end arrives.

    Made to be typed at as well as written to:
    - BS and DEL (what a terminal's backspace key sends) take back the last character;
    - other control bytes (0x03 from a terminal or mpremote connecting, ESC) are dropped,
      so the request behind them is still answered; tab, CR and LF keep their meaning;
    - a `#` after the start of a line starts a new request: a valid line has `#` only as
      its first byte, so what came before is noise (NMEA resyncs on `$` the same way);
    - `drop_unfinishable()`, called after a silence, drops a partial line that no ending
      can make a request (too long, or not `[#<id> ]<words>[*<check>]`: noise, mostly), so
      the first line after a burst of noise is read on its own.
    """

    TOO_LONG = b""  # returned for a line that did not fit (an empty line is never returned)

    def __init__(self):
        self._buf = bytearray(limits.LINE_MAX + 1)  # + 1: the CR of a full-length CRLF line
        self._len = 0
        self._overlong = False

    def push(self, byte):
        """Feed one byte; returns a complete line (bytes, without the ending), TOO_LONG,
        or None while a line is still open (and for empty lines, which are ignored)."""
        if byte == _NL:
            n = self._len
            self._len = 0
            if self._overlong:
                self._overlong = False
                return LineReader.TOO_LONG
            if n and self._buf[n - 1] == _CR:
                n -= 1
            if n == 0:
                return None
            return bytes(self._buf[:n])
        if byte == _BS or byte == _DEL:
            self._erase()
            return None
        if byte < 32 and byte != _TAB and byte != _CR:
            return None
        if byte == _HASH and self._len:
            self._len = 0
            self._overlong = False
        if self._overlong:
            return None
        if self._len >= limits.LINE_MAX and not (byte == _CR and self._len == limits.LINE_MAX):
            self._overlong = True
            return None
        self._buf[self._len] = byte
        self._len += 1
        return None

    def _erase(self):
        """Take back the last character: one byte, or every byte of a UTF-8 character."""
        n = self._len
        if self._overlong or n == 0:
            return  # an overlong line is lost already; nothing to take back
        buf = self._buf
        n -= 1
        if 0x80 <= buf[n] < 0xC0:  # a continuation byte: back to the character's first
            while n and 0x80 <= buf[n - 1] < 0xC0:
                n -= 1
            if n and buf[n - 1] >= 0xC0:
                n -= 1
        self._len = n

    def drop_unfinishable(self):
        """Drop the partial line if no ending can make it a request the board carries out
        (it is too long, or not `[#<id> ]<words>[*<check>]`). One that still can stays: a
        person typing at a terminal pauses longer between keys than a host between bytes."""
        if self._overlong or not _may_become_request(self._buf, self._len):
            self._overlong = False
            self._len = 0


def _is_word_byte(b):
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b == 32 or b == _TAB


def _may_become_request(buf, n):
    """Whether buf[:n] is the start of `[#<id> ]<letters, digits, blanks>[*<hex><hex>]`."""
    i = 0
    if n and buf[0] == _HASH:
        i = 1
        while i < n and 48 <= buf[i] <= 57:
            i += 1
        if i > 7 or (i < n and (i == 1 or buf[i] != 32)):
            return False
    hex_digits = -1  # counts the digits after the `*`
    while i < n:
        b = buf[i]
        if b == _CR and i == n - 1:
            pass  # the first half of a CRLF
        elif hex_digits >= 0:
            if b != 32 and b != _TAB:
                if _hexval_of(b) < 0 or hex_digits == 2:
                    return False
                hex_digits += 1
        elif b == _STAR:
            hex_digits = 0
        elif not _is_word_byte(b):
            return False
        i += 1
    return True


def _hexval_of(o):
    """One hex digit's byte to its value, or -1."""
    if 48 <= o <= 57:
        return o - 48
    if 65 <= o <= 70:
        return o - 55
    if 97 <= o <= 102:
        return o - 87
    return -1


def _hexval(text):
    """Two hex digits to an int, or -1."""
    if len(text) != 2:
        return -1
    v = 0
    for ch in text:
        d = _hexval_of(ord(ch))
        if d < 0:
            return -1
        v = v * 16 + d
    return v


def checksum(data):
    x = 0
    for b in data:
        x ^= b
    return x


def request_id(line):
    """The id of a request line (bytes): `#` and 1 to 6 digits up to the first space or
    the end, 1..999999; else None. Read once per line, before any other check, so that
    every error about the line can still echo it."""
    if not line or line[0] != _HASH:
        return None
    end = line.find(b" ")
    if end < 0:
        end = len(line)
    if end < 2 or end > 7:
        return None
    v = 0
    for i in range(1, end):
        b = line[i]
        if b < 48 or b > 57:
            return None
        v = v * 10 + b - 48
    return v if v >= 1 else None


def parse(line):
    """Parse one line (bytes) into (id or None, verb, [args]); raise ProtocolError."""
    req_id = request_id(line)
    for b in line:
        # printable ASCII and tab only: NUL, control bytes and non-UTF-8 never reach a verb
        if b > 126 or (b < 32 and b != _TAB):
            raise ProtocolError(BAD_ENCODING, "request must be printable ASCII", req_id)
    text = line.decode()
    star = text.rfind("*")
    if star >= 0:
        want = _hexval(text[star + 1:].strip())
        if want < 0:
            raise ProtocolError(BAD_CHECKSUM, "checksum must be two hex digits", req_id)
        if checksum(line[:star]) != want:
            raise ProtocolError(BAD_CHECKSUM, "checksum does not match", req_id)
        text = text[:star]
    words = text.split()
    if not words:
        raise ProtocolError(UNKNOWN_COMMAND, "empty request", req_id)
    if words[0].startswith("#"):
        if req_id is None:
            raise ProtocolError(BAD_ID, "id must be #1..#999999")
        words.pop(0)
        if not words:
            raise ProtocolError(UNKNOWN_COMMAND, "no verb after the id", req_id)
    return req_id, words[0].lower(), words[1:]


def c100_text(v):
    """Centi-degrees as a JSON number with two decimals, without float formatting."""
    sign = ""
    if v < 0:
        sign = "-"
        v = -v
    return "%s%d.%02d" % (sign, v // 100, v % 100)


def ok(req_id, body=""):
    """A success line; body is pre-rendered JSON members ("\\"k\\": v, ...") or ""."""
    head = '{"ok": true, "id": %s' % ("null" if req_id is None else req_id)
    if body:
        return (head + ", " + body + "}\n").encode()
    return (head + "}\n").encode()


def error(req_id, code, detail):
    return ('{"ok": false, "id": %s, "error": %s, "detail": %s}\n' % (
        "null" if req_id is None else req_id, json.dumps(code), json.dumps(detail))).encode()


def event(name, body=""):
    if body:
        return ('{"event": "%s", %s}\n' % (name, body)).encode()
    return ('{"event": "%s"}\n' % name).encode()
