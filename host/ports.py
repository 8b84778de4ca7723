"""Which port to talk to, and opening it with failures turned into one-line messages.

Resolution order (DESIGN section 8): `--port`, then `CUSHION_PORT`, then the one USB serial
port whose VID:PID is a board we ship on.  With several candidates we refuse to guess: picking
the wrong one could send `heat high` to a colleague's cushion on the same desk.
"""

import errno
import os
import re
import urllib.parse
from collections import namedtuple

import serial
import serial.tools.list_ports

from .protocol_sim import SimURLError
from .errors import (CliError, ConnectionFailed, Disconnected, NoPort, PortBusy,
                         PortPermission, UsageError)


ENV_VAR = "CUSHION_PORT"
# URL schemes and their form, for the message when one is mistyped (`sim:`, `socket:x`).
URL_SCHEMES = {"sim": "sim://[?OPTIONS]", "socket": "socket://HOST:PORT",
               "rfc2217": "rfc2217://HOST:PORT", "loop": "loop://"}

# USB VID:PID of the boards the firmware runs on.  The ESP32 entries are USB-UART bridges,
# which other gadgets use too; that is one more reason to refuse when several match.
KNOWN_BOARDS = {
    (0x2E8A, 0x0005): "Raspberry Pi Pico (MicroPython)",
    (0x10C4, 0xEA60): "ESP32 via CP210x bridge",
    (0x1A86, 0x7523): "ESP32 via CH340 bridge",
    (0x303A, 0x1001): "ESP32-S3 native USB",
}

PortInfo = namedtuple("PortInfo", "device vid pid description serial_number board")


def list_ports(comports=None):
    """Every serial port the OS lists (ptys never appear), cushion candidates marked.

    `comports` is injectable so tests can pretend boards are plugged in.
    """
    comports = comports or serial.tools.list_ports.comports
    out = []
    for p in sorted(comports(), key=lambda p: p.device):
        board = KNOWN_BOARDS.get((p.vid, p.pid)) if p.vid is not None else None
        out.append(PortInfo(p.device, p.vid, p.pid, p.description or "",
                            p.serial_number or "", board))
    return out


def vid_pid(info):
    if info.vid is None:
        return "-"
    return f"{info.vid:04X}:{info.pid:04X}"


def resolve_port(cli_port=None, env=None, comports=None):
    """Return `(url, how)` where `how` says where the choice came from (for messages)."""
    if cli_port:
        return cli_port, "--port"
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        return env[ENV_VAR], ENV_VAR
    candidates = [p for p in list_ports(comports) if p.board]
    if len(candidates) == 1:
        return candidates[0].device, "auto-detected " + candidates[0].board
    if not candidates:
        raise NoPort("no cushion found: no USB serial port with a known board VID:PID "
                     "(Pico 2E8A:0005, CP210x 10C4:EA60, CH340 1A86:7523, ESP32-S3 "
                     "303A:1001); plug it in, or give --port / CUSHION_PORT "
                     "(sim:// for a simulated cushion)")
    listing = ", ".join(f"{p.device} ({vid_pid(p)} {p.board})" for p in candidates)
    raise UsageError(f"several possible cushions, not guessing: {listing}; choose one with --port "
                     "or CUSHION_PORT")


def _errno_of(exc):
    """pyserial puts the OS errno in args[0] for device paths, or only in the text."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    if exc.args and isinstance(exc.args[0], int):
        return exc.args[0]
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError) and cause.errno:
        return cause.errno
    return None


def classify_open_error(port, exc):
    """Turn whatever opening `port` raised into the right CliError with a useful hint."""
    if isinstance(exc, SimURLError):               # our sim:// query rejected: says why
        return UsageError(_one_line(exc))
    if isinstance(exc, ValueError) and not isinstance(exc, serial.SerialException):
        return UsageError(f"bad port '{port}': {exc}")    # serial_for_url: unknown scheme
    text = str(exc)
    low = text.lower()
    code = _errno_of(exc)
    if isinstance(exc, PermissionError) or code == errno.EACCES or "permission denied" in low:
        return PortPermission(
            f"permission denied opening {port}: add yourself to the 'dialout' group "
            "(sudo usermod -aG dialout $USER) and log in again")
    if (code in (errno.EBUSY, errno.EAGAIN) or "resource busy" in low
            or "exclusively lock" in low or "temporarily unavailable" in low):
        return PortBusy(
            f"port {port} is busy: another program has it open (mpremote, a serial terminal, "
            "another cushion command, or ModemManager probing a new board for ~10 s)"
            )
    if code == errno.ENOENT or "no such file" in low:
        return NoPort(f"no such port {port}: is the cushion plugged in? (`cushion ports` lists "
                      "what is there)")
    if code in (errno.ENXIO, errno.ENODEV, errno.EIO):
        return Disconnected(f"port {port} is gone (unplugged or resetting)")
    return ConnectionFailed(f"could not open {port}: {_reason(port, text)}")


def _one_line(text):
    return " ".join(str(text).split())


def _reason(port, text):
    """pyserial's text without its own "could not open port PORT:" (we say that once)."""
    text = _one_line(text)
    head = re.match(r"could not open port " + re.escape(port) + r":\s*", text, re.I)
    return text[head.end():] if head else text


def check_url(port):
    """Catch malformed URLs that pyserial would report confusingly (or as a device path)."""
    scheme, sep, rest = port.partition(":")
    scheme = scheme.lower()
    if scheme in URL_SCHEMES and not rest.startswith("//"):
        raise UsageError(f"bad port '{port}': a URL is {URL_SCHEMES[scheme]}")
    if scheme in ("socket", "rfc2217"):
        host_port = urllib.parse.urlsplit(port)
        try:
            number = host_port.port
        except ValueError:
            number = -1
        if not host_port.hostname or number is None or not 0 < number < 65536:
            raise UsageError(f"bad port '{port}': it needs a host and a port number 1..65535, "
                             f"as in {URL_SCHEMES[scheme]}")


def open_port_for(cli_port, connect):
    """Resolve the port (--port, CUSHION_PORT, USB) and `connect(url)`; an error about a port
    that came from the environment variable says so, since the user did not type it."""
    port, how = resolve_port(cli_port)
    try:
        check_url(port)
        return connect(port)
    except CliError as exc:
        if how == ENV_VAR:
            exc.message += f" (the port came from {ENV_VAR})"
        raise


def open_serial(port, serial_for_url=None):
    """Open any pyserial URL (device path, COMn, socket://, rfc2217://, sim://).

    `exclusive=True` takes a lock on device paths so that we fail fast with "busy" rather than
    interleaving our lines with mpremote's raw REPL; the other URL handlers ignore it.
    """
    serial_for_url = serial_for_url or serial.serial_for_url
    check_url(port)
    try:
        ser = serial_for_url(port, baudrate=115200, timeout=0.05, write_timeout=2,
                             exclusive=True, do_not_open=True)
        ser.open()
    except (serial.SerialException, OSError, ValueError) as exc:
        raise classify_open_error(port, exc) from exc
    return ser
