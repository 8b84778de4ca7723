"""`cushion sim`: serve ONE simulated cushion on a TCP socket and/or a pty until a signal.

Both front doors lead to the same board, like two programs opening the same tty: whatever any
client writes reaches the firmware's serial input, and whatever the firmware writes goes to
every client attached at that moment (replies carry the request id, so each client can tell
its own).  Clients may come and go; the cushion keeps running at `speed` x real time.

pty details (REFERENCE "Serial ports from the host"):
 - the slave is set raw at once, or the line discipline would echo our input back and turn
   `\\n` into `\\r\\n`;
 - we keep a slave fd open ourselves, so that reading the master never fails with EIO while no
   client has the slave open (and so a client may leave and come back);
 - writes to the master are non-blocking and dropped when the pty buffer is full, which is
   what happens while nobody reads: like a board talking to an unplugged cable.
"""

import errno
import os
import selectors
import signal
import socket
import sys
import tty

from host.simclock import PacedSimulation


class _Stop(Exception):
    pass


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


class SimServer:
    def __init__(self, paced, listen=None, pty=False, out=None):
        self.paced = paced
        self.out = out or sys.stdout
        self.sel = selectors.DefaultSelector()
        self.listener = None
        self.clients = []          # connected sockets
        self.master = self.slave = None
        self.urls = []
        if listen is not None:
            self._open_listener(*listen)
        if pty:
            self._open_pty()

    def _open_listener(self, host, port):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        lst = socket.socket(family, socket.SOCK_STREAM)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind((host, port))
        lst.listen(4)
        lst.setblocking(False)
        self.listener = lst
        self.sel.register(lst, selectors.EVENT_READ, "accept")
        bound_port = lst.getsockname()[1]
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        self.urls.append(f"socket://{shown}:{bound_port}")

    def _open_pty(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)                 # at once: no echo, no \n -> \r\n
        os.set_blocking(self.master, False)
        self.sel.register(self.master, selectors.EVENT_READ, "pty")
        self.urls.append(os.ttyname(self.slave))

    def announce(self):
        """Print each URL on its own line and flush, so a parent process can read them."""
        for url in self.urls:
            self.out.write(url + "\n")
        self.out.flush()

    # -- I/O -----------------------------------------------------------------------------

    def _broadcast(self, data):
        for conn in list(self.clients):
            try:
                conn.sendall(data)
            except OSError:
                self._drop(conn)
        if self.master is not None:
            try:
                os.write(self.master, data)
            except BlockingIOError:
                pass            # nobody is reading the pty: the bytes are lost, as on a board
            except OSError as exc:
                if exc.errno not in (errno.EIO, errno.EAGAIN):
                    raise

    def _drop(self, conn):
        if conn in self.clients:
            self.clients.remove(conn)
            try:
                self.sel.unregister(conn)
            except (KeyError, ValueError):
                pass
            conn.close()

    def _handle(self, key):
        what = key.data
        if what == "accept":
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return
            conn.setblocking(True)
            conn.settimeout(1.0)      # sendall to a client that stopped reading: give up
            self.clients.append(conn)
            self.sel.register(conn, selectors.EVENT_READ, "client")
        elif what == "client":
            conn = key.fileobj
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if data:
                self.paced.feed(data)
            else:
                self._drop(conn)      # client left; the listener takes the next one
        elif what == "pty":
            try:
                data = os.read(self.master, 4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno == errno.EIO:   # cannot happen while we hold the slave; be safe
                    return
                raise
            self.paced.feed(data)

    def serve_forever(self):
        """Print the URLs, then serve until SIGINT or SIGTERM."""
        def stop(signum, frame):
            raise _Stop()
        # Handlers first, URLs second: a parent that reads the URL may signal us at once.
        old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.announce()
            while True:
                out = self.paced.advance()
                if out:
                    self._broadcast(out)
                wait = self.paced.seconds_to_next_tick()
                for key, _ in self.sel.select(timeout=wait):
                    self._handle(key)
        except _Stop:
            pass
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            self.close()

    def close(self):
        for conn in list(self.clients):
            self._drop(conn)
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for fd in (self.master, self.slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = None
        self.sel.close()


def serve(listen=None, pty=False, speed=1.0, ambient_c=22.0, faults=(), seed=1, out=None,
          pad=None, params=()):
    """Build the simulated cushion, print its URLs, serve until SIGINT/SIGTERM.  Returns 0.
    `pad` / `params`: a corner and parameters of the plant envelope (ambient_c None: the
    pad's own)."""
    if listen is None and not pty:
        listen, pty = ("127.0.0.1", 0), True     # nothing asked: offer both
    paced = PacedSimulation(speed=speed, ambient_c=ambient_c, faults=faults, seed=seed,
                            pad=pad, params=params)
    server = SimServer(paced, listen=listen, pty=pty, out=out)
    server.serve_forever()
    return 0
