"""Who may talk to the dashboard: the token, the Host and Origin headers, the commands.

The dashboard drives a heater, so nobody but the person who started it may reach it:
 - a random token, printed in the URL at start (as Jupyter does), is required on every
   request, the page, its script and the WebSocket alike (compared in constant time);
 - the Host header must name the address we serve on, which defeats DNS rebinding (a foreign
   name resolving to 127.0.0.1 arrives with its own name in Host);
 - an Origin header, when present (browsers always send one on a WebSocket), must be our own,
   so that another page open in the same browser cannot open the stream or send commands;
 - commands are a closed table checked word by word, as strictly as the firmware checks a
   serial line: a request that is not exactly one of them is refused and sends nothing.
"""

import hmac
import ipaddress
import secrets
import urllib.parse

import hal_sim  # noqa: F401  (first: gives the firmware modules their micropython shim)
from cushion.names import LEVEL_NAMES, MODE_NAMES  # noqa: E402

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token():
    return secrets.token_urlsafe(24)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    def __init__(self, token, host, port):
        self.token = token
        names = set(LOOPBACK_NAMES) if is_loopback(host) else set()
        names.add(f"[{host}]" if ":" in host else host)
        self.hosts = {f"{n}:{port}" for n in names}
        self.origins = {f"http://{h}" for h in self.hosts}

    def check(self, path, headers):
        """None if the request may go on, else (HTTP status, reason) to refuse it with."""
        hosts = headers.get_all("Host")
        if len(hosts) != 1 or hosts[0] not in self.hosts:
            return 403, f"wrong Host header {', '.join(hosts)!r}"
        origins = headers.get_all("Origin")
        if len(origins) > 1 or (origins and origins[0] not in self.origins):
            return 403, f"foreign Origin {', '.join(origins)!r}"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        given = query.get("token", [""])
        if len(given) != 1 or not hmac.compare_digest(given[0].encode(), self.token.encode()):
            return 403, "missing or wrong token (use the URL `cushion dashboard` printed)"
        return None


def command_line(msg):
    """A control message from the page -> the request line to send; ValueError if not valid.

    {"cmd": "heat", "level": "high"}   {"cmd": "massage", "mode": "wave", "intensity": 2}
    {"cmd": "stop"}                    {"cmd": "clear"}
    """
    if not isinstance(msg, dict):
        raise ValueError("a command is a JSON object")
    cmd = msg.get("cmd")
    allowed = {"heat": {"cmd", "level"}, "massage": {"cmd", "mode", "intensity"},
               "stop": {"cmd"}, "clear": {"cmd"}}
    if cmd not in allowed:
        raise ValueError("cmd must be one of " + ", ".join(allowed))
    extra = set(msg) - allowed[cmd]
    if extra:
        raise ValueError("unexpected field(s) for {}: {}".format(cmd, ", ".join(sorted(extra))))
    if cmd == "heat":
        level = msg.get("level")
        if level not in LEVEL_NAMES:
            raise ValueError("level must be one of " + ", ".join(LEVEL_NAMES))
        return "heat " + level
    if cmd == "massage":
        mode = msg.get("mode")
        if mode not in MODE_NAMES:
            raise ValueError("mode must be one of " + ", ".join(MODE_NAMES))
        line = "massage " + mode
        if "intensity" in msg:
            n = msg["intensity"]
            if isinstance(n, bool) or n not in (1, 2, 3):
                raise ValueError("intensity must be 1, 2 or 3")
            line += f" {n}"
        return line
    return cmd
