"""Settings and the fault log, written so that power loss never corrupts them (SR-15).

Each file is JSON followed by a line with a CRC-16 of the JSON. A save writes the whole
new content to `<name>.tmp` (a plain write: power may cut it anywhere), then renames it over
`<name>`; the rename is atomic on littlefs and POSIX, so `<name>` always holds the old or
the new version. A file whose check fails is treated as missing: defaults, plus a
`store_corrupt` event, never a failed boot.
"""

import json

from cushion import limits
from cushion.names import FAULT_CODES, MOTOR_FAULTS

SETTINGS = "settings.json"
FAULT_LOG = "faults.json"
SERVICE_FLAG = "service.flag"
LATCH = "latch.json"  # the latched heater fault (SR-12 across power loss)

DEFAULT_SETTINGS = {"heat": 1, "massage": 1, "intensity": 2, "dose_eq_ms": 0}


def crc16(data):
    """CRC-16/CCITT-FALSE; small and the same on every port (no binascii needed)."""
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def encode(obj):
    body = json.dumps(obj).encode()
    return body + ("\n%04x\n" % crc16(body)).encode()


def decode(data):
    """The object in a file's bytes, or raise ValueError."""
    if not data or data[-1:] != b"\n":
        raise ValueError("truncated")
    cut = data.rfind(b"\n", 0, len(data) - 1)
    if cut < 0:
        raise ValueError("no check line")
    body = data[:cut]
    check = data[cut + 1:-1]
    if len(check) != 4:
        raise ValueError("no check line")
    if int(check, 16) != crc16(body):
        raise ValueError("check mismatch")
    return json.loads(body)


class Store:
    def __init__(self, storage):
        self._fs = storage
        self.corrupt = []  # names of files found corrupt since boot (for events)

    def _load(self, name):
        try:
            data = self._fs.read(name)  # a failing flash read must not fail the boot either
            if data is None:
                return None
            return decode(data)
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            self.corrupt.append(name)
            return None

    def _save(self, name, obj):
        tmp = name + ".tmp"
        self._fs.write(tmp, encode(obj))
        self._fs.rename(tmp, name)

    def load_settings(self):
        """Settings merged over defaults; values that make no sense fall back too."""
        out = dict(DEFAULT_SETTINGS)
        got = self._load(SETTINGS)
        if isinstance(got, dict):
            for key in DEFAULT_SETTINGS:
                v = got.get(key)
                if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                    out[key] = v
        if not 1 <= out["heat"] <= 3:
            out["heat"] = 1
        if not 1 <= out["massage"] <= 4:
            out["massage"] = 1
        if not 1 <= out["intensity"] <= 3:
            out["intensity"] = 2
        if out["dose_eq_ms"] > 2 * limits.DOSE_LIMIT_EQ_MS:
            out["dose_eq_ms"] = 2 * limits.DOSE_LIMIT_EQ_MS
        return out

    def save_settings(self, settings):
        self._save(SETTINGS, settings)

    def load_faults(self):
        got = self._load(FAULT_LOG)
        if not isinstance(got, list):
            return []
        return [e for e in got if isinstance(e, dict)][-limits.FAULT_LOG_MAX:]

    def append_fault(self, entry, log=None):
        """Save the fault log with `entry` appended, the oldest entries dropped beyond
        FAULT_LOG_MAX; returns the saved list. `log` is the log as already loaded (the
        controller keeps it); None reads it from storage first (a crash record at exit)."""
        if log is None:
            log = self.load_faults()
        log = log[1 - limits.FAULT_LOG_MAX:] + [entry]
        self._save(FAULT_LOG, log)
        return log

    def record_fault(self, entry, left, log, heater):
        """A latched fault's flash writes, best effort: first, for a heater fault, the latch
        that keeps heat refused after a reset (SR-12), then the log entry. Returns the log
        (unchanged when the flash failed: a full or failing flash must not stop the loop)."""
        if heater:
            try:
                self.save_latch(entry["code"], left)
            except OSError:
                pass
        try:
            return self.append_fault(entry, log)
        except OSError:
            return log

    def save_latch(self, code, left):
        self._save(LATCH, {"code": code, "left": left})

    def load_latch(self):
        """(code, switch-left index) of the heater fault latched before the reset, or None.
        A save is atomic (the rename), so power loss leaves the old or the new latch; a file
        that fails its check anyway reads as none, with the `store_corrupt` event."""
        got = self._load(LATCH)
        if not isinstance(got, dict):
            return None
        code = got.get("code")
        left = got.get("left")
        if code not in FAULT_CODES or code in MOTOR_FAULTS:
            return None
        if not isinstance(left, int) or isinstance(left, bool) or not 0 <= left <= 3:
            left = 0
        return code, left

    def clear_latch(self):
        self._fs.remove(LATCH)

    def set_service_flag(self):
        self._fs.write(SERVICE_FLAG, b"1")

    def take_service_flag(self):
        """True once after `service` asked for it; the flag is gone afterwards."""
        try:
            flag = self._fs.read(SERVICE_FLAG)
        except OSError:
            flag = None  # unreadable: boot normally rather than not at all
        if flag is None:
            return False
        self._fs.remove(SERVICE_FLAG)
        # A write cut by power loss leaves an empty file: that was no completed request.
        return flag == b"1"
