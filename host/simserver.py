"""`cushion sim`: serve ONE simulated cushion on a TCP socket and/or a pty until a signal.

Both front doors lead to the same board, like two programs opening the same tty: whatever a
client writes reaches the firmware's serial input, and the firmware's replies and events go
to every client attached at that moment (replies carry the request id, so each client can tell
its own).  Telemetry is the exception: each client has its own subscription and period
(host/simfanout.py), so one client's `telemetry off` never ends another's stream.  Each client
has its own bounded queue (host/simpeers.py): a client that stops reading never holds the
others up.  A third socket carries the control channel (host/simcontrol.py).  How the pty is
set up (REFERENCE "Serial ports from the host") is PtyPeer.open's.
"""

import ipaddress
import selectors
import sys

from .simboard import ServedSimulation
from .serving import listen_on, serve_until_signal
from .simclock import speed_report
from .simcontrol import SCHEME, ControlChannel
from .simfanout import TelemetryFanout
from .simpeers import PtyPeer, SocketPeer, whole_lines


# Wall seconds of serving after which the speed achieved is measured (and warned about).
SPEED_CHECK_S = 3.0


def parse_listen(text):
    """`HOST:PORT` (or `:PORT`, or `PORT`) -> (host, port); ValueError otherwise."""
    host, sep, port = str(text).rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port)
    except ValueError:
        raise ValueError(f"--listen must be HOST:PORT, e.g. 127.0.0.1:0 (got {text!r})")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0..65535 (got {port})")
    return host, port


def _is_loopback(host):
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SimServer:
    def __init__(self, paced, listen=None, pty=False, control=("127.0.0.1", 0), out=None,
                 log=None):
        self.paced = paced
        self.out = out or sys.stdout
        self.log = log or sys.stderr
        self.sel = selectors.DefaultSelector()
        self.listeners = []
        self.peers = []                 # SocketPeers and the PtyPeer
        self.pty_peer = None
        self.urls = []                  # the serial URLs
        self.control_url = None
        self.fanout = TelemetryFanout(self._to_firmware)
        self.fanout.peers = self.peers
        self._fw_buf = bytearray()
        self._ctl_peers = {}
        self._reported_drops = 0
        self._speed_checked = False
        if listen is not None:
            lst, addr = listen_on(*listen)
            self._add_listener(lst, "accept")
            self.urls.append("socket://" + addr)
        if pty:
            self._open_pty()
        if control is not None:
            lst, addr = listen_on(*control)
            self._add_listener(lst, "accept-control")
            self.control_url = f"{SCHEME}://{addr}"
        self.control = ControlChannel(paced, self.urls,
                                      lambda: [p.report() for p in self.peers])

    def _to_firmware(self, data):
        if not self.paced.sim.in_service:      # the REPL is nobody's to talk to but a client's
            self.paced.feed(data)

    def _add_listener(self, lst, what):
        self.listeners.append(lst)
        self.sel.register(lst, selectors.EVENT_READ, what)

    def _open_pty(self):
        self.pty_peer = PtyPeer.open()
        self._add_peer(self.pty_peer)
        self.urls.append(self.pty_peer.name)

    # -- peers ---------------------------------------------------------------------------

    def _add_peer(self, peer):
        self.peers.append(peer)
        self.sel.register(peer.fileno(), selectors.EVENT_READ, peer)

    def _watch_writes(self, peer):
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if peer.wants_write else 0)
        self.sel.modify(peer.fileno(), events, peer)

    def _drop(self, peer, why=None):
        if peer not in self.peers or peer is self.pty_peer:
            return
        self.peers.remove(peer)
        self.sel.unregister(peer.fileno())
        peer.close()
        if why:
            self.log.write(f"cushion sim: dropped client {peer.name}: {why}\n")
            self.log.flush()
        self.fanout.forget(peer)

    def _deliver(self, routed):
        touched = set()
        for peer, line in routed:
            for p in ([peer] if peer is not None else list(self.peers)):
                p.send(line)
                touched.add(p)
        for p in touched:
            if p.stuck:
                self._drop(p, f"not reading ({p.queued} bytes queued)")
            elif p.flush():
                self._watch_writes(p)
            else:
                self._drop(p)
        self._report_pty_drops()

    def _report_pty_drops(self):
        p = self.pty_peer
        if p is not None and p.dropped_lines >= 2 * self._reported_drops + 100:
            self._reported_drops = p.dropped_lines
            self.log.write(f"cushion sim: the pty reader is slow: {p.dropped_lines} whole lines "
                           "dropped so far\n")
            self.log.flush()

    # -- I/O -----------------------------------------------------------------------------

    def _firmware_output(self, data):
        """Route what the board wrote: JSON lines one by one, the REPL's text as it comes."""
        if self.paced.sim.in_service and not self._fw_buf:
            self._deliver([(None, data)])
            return
        self._fw_buf += data
        routed = []
        for line in whole_lines(self._fw_buf):
            routed += self.fanout.firmware_line(line, self.peers)
        if self._fw_buf and not self._fw_buf.startswith(b"{"):    # REPL text, no newline
            routed.append((None, bytes(self._fw_buf)))
            self._fw_buf = bytearray()
        self._deliver(routed)

    def _from_peer(self, peer, data):
        if self.paced.sim.in_service:
            self.paced.feed(peer.take_partial() + data)    # the REPL wants keystrokes
            return
        for line in peer.take_lines(data):
            self.fanout.client_line(peer, line)

    def _handle(self, key, mask):
        what = key.data
        if what in ("accept", "accept-control"):
            try:
                conn, addr = key.fileobj.accept()
            except BlockingIOError:
                return
            name = "%s:%s" % addr[:2]
            if what == "accept":
                self._add_peer(SocketPeer(conn, name))
            else:
                conn.setblocking(False)
                self._ctl_peers[conn] = SocketPeer(conn, name)
                self.sel.register(conn, selectors.EVENT_READ, ("control", conn))
            return
        if isinstance(what, tuple):
            self._control(what[1])
            return
        peer = what
        if mask & selectors.EVENT_WRITE:
            if not peer.flush():
                self._drop(peer)
                return
            self._watch_writes(peer)
        if mask & selectors.EVENT_READ:
            data = peer.receive()
            if data is None:
                return
            if data:
                self._from_peer(peer, data)
            elif peer is not self.pty_peer:
                self._drop(peer)               # client left; the listener takes the next one

    def _control(self, conn):
        peer = self._ctl_peers[conn]
        try:
            data = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.sel.unregister(conn)
            del self._ctl_peers[conn]
            conn.close()
            return
        for line in peer.take_lines(data):
            peer.send(self.control.handle(line))
        if peer.stuck or not peer.flush():
            self.sel.unregister(conn)
            del self._ctl_peers[conn]
            conn.close()

    def _check_speed(self):
        """Once the speed can be measured, warn if this computer cannot keep it up."""
        if self._speed_checked or self.paced.wall_s() < SPEED_CHECK_S:
            return
        self._speed_checked = True
        _note, warning = speed_report(self.paced.speed, self.paced.achieved_speed())
        if warning:
            self.log.write(f"cushion sim: {warning}\n")
            self.log.flush()

    def step(self, timeout):
        self._check_speed()
        out = self.paced.advance()
        if out:
            self._firmware_output(out)
        if self.pty_peer is not None and self.pty_peer.queue:
            self.pty_peer.flush()
        wait = min(timeout, self.paced.seconds_to_next_tick())
        for key, mask in self.sel.select(timeout=wait):
            self._handle(key, mask)

    def serve_forever(self):
        """Print the URLs, serve until SIGINT or SIGTERM, then say the speed achieved."""
        serve_until_signal(self.urls + ([self.control_url] if self.control_url else []),
                           self.out, lambda: self.step(1.0), self.close)
        achieved, _warning = speed_report(self.paced.speed, self.paced.achieved_speed())
        self.log.write(f"cushion sim: {achieved}\n")
        self.log.flush()

    def close(self):
        for peer in list(self.peers):
            self._drop(peer)
        for conn in list(self._ctl_peers):
            conn.close()
        for lst in self.listeners:
            lst.close()
        if self.pty_peer is not None:
            self.pty_peer.close()
        self.pty_peer = None
        self.sel.close()


def serve(listen=None, pty=False, speed=1.0, ambient_c=22.0, faults=(), seed=1, out=None,
          pad=None, params=(), control=("127.0.0.1", 0)):
    """Build the simulated cushion, print its URLs, serve until SIGINT/SIGTERM.  Returns 0.
    `pad` / `params`: a corner and parameters of the plant envelope (ambient_c None: the
    pad's own)."""
    if listen is None and not pty:
        listen, pty = ("127.0.0.1", 0), True     # nothing asked: offer both
    if control is not None and not _is_loopback(control[0]):
        sys.stderr.write(f"cushion sim: WARNING: the control channel serves on {control[0]}, "
                         "beyond loopback: anyone who reaches it can inject faults\n")
    paced = ServedSimulation(speed=speed, ambient_c=ambient_c, faults=faults, seed=seed,
                             pad=pad, params=params)
    server = SimServer(paced, listen=listen, pty=pty, control=control, out=out)
    server.serve_forever()
    return 0
