"""`cushion dashboard [--listen 127.0.0.1:8000]`: a live web page for any port.

One asyncio server (the `websockets` library) answers three paths, each only with the token
and with our own Host (and Origin, when there is one; guard.py):
    /?token=T            the page (page.html)
    /page.js, /page.css  its script and style (?token=T as well)
    /ws?token=T          the WebSocket: events out (telemetry, faults...), commands in
The device itself is handled by a thread (device.py).
"""

import asyncio
import json
import sys
from pathlib import Path

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from .device import Device
from .guard import Guard, command_line, is_loopback, new_token

HERE = Path(__file__).resolve().parent
MAX_MESSAGE = 1024
FILES = {"/": ("page.html", "text/html; charset=utf-8"),
         "/page.js": ("page.js", "text/javascript; charset=utf-8"),
         "/page.css": ("page.css", "text/css; charset=utf-8")}


def _response(status, reason, body, ctype="text/plain; charset=utf-8"):
    headers = Headers([
        ("Content-Type", ctype), ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'self'; connect-src 'self'; "
                                    "frame-ancestors 'none'"),
    ])
    return Response(status, reason, headers, body)


class Dashboard:
    def __init__(self, client, host="127.0.0.1", port=8000, token=None, out=None):
        self.client = client
        self.host, self.port = host, port
        self.token = token or new_token()
        self.out = out or sys.stdout
        self.sockets = set()
        self.loop = None
        self.guard = None
        self.device = None
        self.url = None

    # -- HTTP ----------------------------------------------------------------------------

    def process_request(self, connection, request):
        if self.guard is None:                             # not serving yet
            return _response(503, "Service Unavailable", b"starting\n")
        refused = self.guard.check(request.path, request.headers)
        if refused:
            return _response(refused[0], "Forbidden", (refused[1] + "\n").encode())
        path = request.path.split("?", 1)[0]
        if path == "/ws":
            return None                                   # on to the WebSocket handshake
        if path not in FILES:
            return _response(404, "Not Found", b"not found\n")
        name, ctype = FILES[path]
        body = (HERE / name).read_text().replace("{{TOKEN}}", self.token).encode()
        return _response(200, "OK", body, ctype)

    # -- the WebSocket -------------------------------------------------------------------

    async def handler(self, ws):
        self.sockets.add(ws)
        try:
            for cached in list(self.device.last.values()):
                await ws.send(json.dumps(cached))
            async for text in ws:
                await self._command(ws, text)
        except ConnectionClosed:
            pass
        finally:
            self.sockets.discard(ws)

    async def _command(self, ws, text):
        try:
            line = command_line(json.loads(text))
        except ValueError as exc:        # bad JSON too: nothing goes to the device
            await ws.send(json.dumps({"type": "refused", "detail": str(exc)}))
            return

        def answer(msg):
            self.loop.call_soon_threadsafe(asyncio.ensure_future, self._send(ws, msg))
        self.device.submit(line, answer)

    async def _send(self, ws, msg):
        try:
            await ws.send(json.dumps(msg))
        except ConnectionClosed:
            pass

    def _publish(self, msg):
        """From the device thread: to every page."""
        def fan_out():
            for ws in list(self.sockets):
                asyncio.ensure_future(self._send(ws, msg))
        self.loop.call_soon_threadsafe(fan_out)

    # -- running -------------------------------------------------------------------------

    async def serve(self, ready=None, stop=None):
        self.loop = asyncio.get_running_loop()
        async with serve(self.handler, self.host, self.port, max_size=MAX_MESSAGE,
                         process_request=self.process_request, server_header=None,
                         compression=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            shown = f"[{self.host}]" if ":" in self.host else self.host
            self.guard = Guard(self.token, self.host, self.port)
            self.url = f"http://{shown}:{self.port}/?token={self.token}"
            self.device = Device(self.client, self._publish)
            self.device.start()
            self.out.write(f"dashboard for {self.client.port}: {self.url}\n")
            self.out.flush()
            if ready is not None:
                ready()
            try:
                await (stop or asyncio.Event()).wait()
            finally:
                await asyncio.get_running_loop().run_in_executor(None, self.device.stop)


def add_parser(sub, common):
    p = sub.add_parser("dashboard", parents=[common],
                       help="a live web page: chart, state, events, controls (loopback)",
                       description="Serve a live web page for the cushion on --port: a chart "
                                   "of both pad sensors, the set-point and the duties, state, "
                                   "events, a fault banner and controls. It serves on "
                                   "loopback behind a random token printed at start.")
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8000",
                   help="address to serve on (default 127.0.0.1:8000; port 0 picks one)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --listen address beyond loopback (anyone who has the URL "
                        "can then drive the heater)")
    return p


def cmd_dashboard(args, out):
    from ..commands import connect
    from ..errors import EXIT_OK, UsageError
    from ..simserver import parse_listen
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        raise UsageError(str(exc))
    if not is_loopback(host):
        if not args.allow_remote:
            raise UsageError(f"--listen {args.listen} is beyond loopback: anyone who reaches "
                             "it with the URL can drive the heater; add --allow-remote if "
                             "you mean it")
        sys.stderr.write(f"cushion: WARNING: the dashboard serves on {host}, beyond "
                         "loopback: anyone with the URL can drive the heater\n")
    client = connect(args)
    dash = Dashboard(client, host, port, out=out.stream)
    try:
        asyncio.run(dash.serve())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise UsageError(f"cannot serve the dashboard on {args.listen}: {exc}")
    finally:
        client.close()
    return EXIT_OK
