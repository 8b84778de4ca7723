"""The control channel of `cushion sim` (docs/protocol.md, "Simulator control channel").

A served simulated cushion is reached on its serial line like a board, and on a second,
separate socket for what no board lets a host do: inject and repair faults, press buttons,
power-cycle, reset.  One request per line, one JSON reply per line:

    [#<id> ]inject KIND [key=value ...]     repair KIND [key=value ...]
    press BUTTON [hold_s=S]                 power-cycle        reset
    truth                                   urls               help

A bad line is answered {"ok": false, "error": ..., "detail": ...} and changes nothing.
`cushion sim-control URL ...` (below) is the command-line client; URL is the simctl:// URL
that `cushion sim` prints.  A real board has no such channel, so any other URL is refused.
"""

import json
import math
import re
import socket
import urllib.parse

SCHEME = "simctl"
MAX_LINE = 512
KEYWORDS = ("sensor", "value_c", "rate_c_per_min", "fraction", "percent", "seconds")
VERBS = ("inject", "repair", "press", "power-cycle", "reset", "truth", "urls", "help")
HELP = ("inject KIND [key=value ...] | repair KIND [key=value ...] | press BUTTON [hold_s=S] "
        "| power-cycle | reset | truth | urls | help; keywords: " + ", ".join(KEYWORDS))
_ID = re.compile(r"#([1-9][0-9]{0,5}) +")
_KEY = re.compile(r"[a-z_][a-z0-9_]*\Z")


class ControlError(Exception):
    def __init__(self, code, detail):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _value(key, text):
    if key == "sensor":
        if text == "both":
            return text
        if text in ("0", "1"):
            return int(text)
        raise ControlError("bad_argument", f"sensor must be 0, 1 or both (got {text!r})")
    try:
        value = float(text)
    except ValueError:
        raise ControlError("bad_argument", f"{key} must be a number (got {text!r})") from None
    if not math.isfinite(value):
        raise ControlError("bad_argument", f"{key} must be a finite number (got {text!r})")
    return value


def parse_keywords(words, allowed=KEYWORDS):
    out = {}
    for word in words:
        key, sep, text = word.partition("=")
        if not sep or not _KEY.match(key) or not text:
            raise ControlError("bad_argument", f"expected key=value, got {word!r}")
        if key not in allowed:
            raise ControlError("bad_argument", "unknown keyword {!r}; known: {}".format(
                key, ", ".join(allowed)))
        if key in out:
            raise ControlError("bad_argument", f"{key} given twice")
        out[key] = _value(key, text)
    return out


def parse_line(raw):
    """bytes -> (id or None, verb, [words]); ControlError for a malformed line."""
    if len(raw) > MAX_LINE:
        raise ControlError("line_too_long", f"a control line has at most {MAX_LINE} bytes")
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ControlError("bad_encoding", "a control line is printable ASCII") from None
    if any(not (32 <= ord(c) < 127) and c != "\t" for c in text):
        raise ControlError("bad_encoding", "a control line is printable ASCII")
    req_id = None
    m = _ID.match(text)
    if m:
        req_id, text = int(m.group(1)), text[m.end():]
    words = text.split()
    if not words:
        raise ControlError("unknown_command", "empty request; " + HELP)
    return req_id, words[0].lower(), words[1:]


class ControlChannel:
    """Carries out control lines on a ServedSimulation (host/simboard.py)."""

    def __init__(self, served, urls, clients=lambda: []):
        self.served = served
        self.urls = urls
        self.clients = clients

    def handle(self, raw):
        """One request line (bytes) -> one reply line (bytes)."""
        req_id = None
        try:
            req_id, verb, words = parse_line(raw)
            body = self._do(verb, words)
            reply = {"ok": True, "id": req_id, **body}
        except ControlError as exc:
            reply = {"ok": False, "id": req_id, "error": exc.code, "detail": exc.detail}
        return (json.dumps(reply) + "\n").encode()

    def _do(self, verb, words):
        served = self.served
        if verb in ("inject", "repair"):
            if not words:
                raise ControlError("bad_argument", f"usage: {verb} KIND [key=value ...]")
            kind, kwargs = words[0], parse_keywords(words[1:])
            try:
                getattr(served, verb)(kind, **kwargs)
            except (TypeError, ValueError) as exc:    # the simulator refused: nothing changed
                raise ControlError("bad_argument", str(exc)) from None
            return {"done": verb, "fault": kind, **kwargs, "faults": served.truth()["faults"]}
        if verb == "press":
            if not words:
                raise ControlError("bad_argument", "usage: press BUTTON [hold_s=S]")
            hold = parse_keywords(words[1:], ("hold_s",)).get("hold_s", 0.1)
            try:
                served.press(words[0], hold)
            except ValueError as exc:
                raise ControlError("bad_argument", str(exc)) from None
            return {"done": "press", "button": words[0], "hold_s": hold}
        if words and verb in ("power-cycle", "reset", "truth", "urls", "help"):
            raise ControlError("bad_argument", f"{verb} takes no arguments")
        if verb == "power-cycle":
            served.power_cycle()
            return {"done": "power-cycle"}
        if verb == "reset":
            served.reset()
            return {"done": "reset"}
        if verb == "truth":
            return {**served.truth(), "clients": self.clients()}
        if verb == "urls":
            return {"serial": list(self.urls)}
        if verb == "help":
            return {"help": HELP}
        raise ControlError("unknown_command", f"unknown request {verb!r}; " + HELP)


# -- the client side ---------------------------------------------------------------------

def parse_url(url):
    """`simctl://HOST:PORT` -> (host, port); ValueError saying why for anything else."""
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme != SCHEME:
        if parts.scheme == "sim":
            raise ValueError(f"{url} is a private in-process simulator: serve one with "
                             f"`cushion sim` and give the {SCHEME}:// URL it prints")
        raise ValueError(f"{url} is a serial port: a real board has no control channel "
                         f"(only `cushion sim` offers one; give the {SCHEME}:// URL it prints)")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ValueError(f"control URL must be {SCHEME}://HOST:PORT (got {url!r})")
    return parts.hostname, port


def open_control(url, timeout=2.0):
    """A ControlClient for `url`, or the CLI's error: a usage error for a bad URL, no
    connection (exit 3) when nothing answers there."""
    from .errors import ConnectionFailed, UsageError
    try:
        return ControlClient(url, timeout=timeout)
    except ValueError as exc:
        raise UsageError(str(exc))
    except OSError as exc:
        raise ConnectionFailed(f"cannot reach the control channel {url}: {exc}")


class ControlClient:
    def __init__(self, url, timeout=2.0):
        host, port = parse_url(url)
        self.url = url
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rwb")
        self.timeout = timeout

    def request(self, line):
        """Send one control line; return the parsed reply (ok or not)."""
        self.file.write(line.encode("ascii", "replace") + b"\n")
        self.file.flush()
        raw = self.file.readline()
        if not raw:
            raise ConnectionError(f"{self.url} closed the control channel")
        return json.loads(raw)

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- `cushion sim-control URL ...` -----------------------------------------------------------

def add_parser(sub, common):
    p = sub.add_parser("sim-control", parents=[common],
                       help="control a served simulator (cushion sim): faults, buttons, resets",
                       description="Send one request on the control channel of a served "
                                   "simulator; URL is the simctl:// URL `cushion sim` prints. "
                                   "A real board has no control channel and is refused.")
    p.add_argument("url", metavar="URL")
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    acts.required = True
    for verb, text in (("inject", "inject a fault"), ("repair", "repair an injected fault")):
        a = acts.add_parser(verb, help=text, description=text)
        a.add_argument("kind", metavar="KIND", help="fault kind (cushion.schema.FAULT_KINDS)")
        a.add_argument("keywords", nargs="*", metavar="KEY=VALUE",
                       help="fault arguments: " + ", ".join(KEYWORDS))
    a = acts.add_parser("press", help="press a button (power, heat, massage)")
    a.add_argument("button", choices=("power", "heat", "massage"))
    a.add_argument("--hold", type=float, default=0.1, metavar="S",
                   help="hold it S simulated seconds (default 0.1; 2 is a long press)")
    acts.add_parser("power-cycle", help="power lost and back (storage persists)")
    acts.add_parser("reset", help="reset the board (leaves service mode too)")
    acts.add_parser("truth", help="what the simulator knows: pad temperature, faults, clients")
    return p


def control_line(args):
    if args.action in ("inject", "repair"):
        return " ".join([args.action, args.kind, *args.keywords])
    if args.action == "press":
        return f"press {args.button} hold_s={args.hold:g}"
    return args.action


def cmd_sim_control(args, out):
    from .errors import EXIT_OK, ConnectionFailed, DeviceRefused
    client = open_control(args.url, timeout=args.timeout)
    line = control_line(args)
    try:
        with client:
            reply = client.request(line)
    except (OSError, ValueError) as exc:
        raise ConnectionFailed(f"control channel {args.url} failed during '{line}': {exc}")
    if not reply.get("ok"):
        raise DeviceRefused(line, reply)
    reply.pop("id", None)
    human = "ok: " + " ".join(f"{k}={v}" for k, v in reply.items() if k != "ok")
    out.obj(reply, human)
    return EXIT_OK
