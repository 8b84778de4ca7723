"""`cushion sim --chip`: serve the emulated Pico's USB serial on a pty and/or socket://.

The chip runs in lockstep with the physics at most `speed` times real time (it may be
slower: busy code emulates at a fraction of real time). Bytes from any client go to the
USB host side; what the board sends goes to every client (as the pty of a real board
would, a client that stops reading loses bytes rather than stalling the board).
"""

import errno
import os
import selectors
import sys
import time
import tty

from hal_emu.board import EmulatedBoard

MAX_BURST_S = 0.05  # wall time spent stepping before looking at the clients again


class PacedChip:
    """An EmulatedBoard kept at (at most) `speed` x wall-clock time."""

    def __init__(self, board, speed=1.0, clock=time.monotonic):
        self.board = board
        self.speed = float(speed)
        self.clock = clock
        self._t0 = clock() - board.now_s / (self.speed or 1.0)

    def feed(self, data):
        self.board.serial_in(data)

    def seconds_behind(self):
        if not self.speed:  # 0: as fast as the emulator goes
            return self.board.step_ms / 1000
        return (self.clock() - self._t0) * self.speed - self.board.now_s

    def advance(self):
        """Step until caught up (or MAX_BURST_S of wall time); returns what the board sent."""
        start = self.clock()
        step_s = self.board.step_ms / 1000
        while self.seconds_behind() >= step_s and self.clock() - start < MAX_BURST_S:
            self.board.step()
        if self.speed and self.seconds_behind() > 1.0:  # slower than asked: no later burst
            self._t0 = self.clock() - self.board.now_s / self.speed
        return self.board.serial_out()

    def seconds_to_next_step(self):
        if not self.speed:
            return 0.0
        return max(0.0, self.board.step_ms / 1000 - self.seconds_behind()) / self.speed


class ChipServer:
    def __init__(self, paced, listen=None, pty=True):
        self.paced = paced
        self.sel = selectors.DefaultSelector()
        self.clients = []
        self.listener = self.master = self.slave = None
        self.urls = []
        if listen is not None:
            self.listener, addr = _serving().listen_on(*listen)
            self.sel.register(self.listener, selectors.EVENT_READ, "accept")
            self.urls.append("socket://" + addr)
        if pty:
            self.master, self.slave = os.openpty()
            tty.setraw(self.slave)  # no echo, no \n -> \r\n
            os.set_blocking(self.master, False)
            self.sel.register(self.master, selectors.EVENT_READ, "pty")
            self.urls.append(os.ttyname(self.slave))

    def poll(self, timeout):
        for key, _ in self.sel.select(timeout=timeout):
            if key.data == "accept":
                conn, _ = self.listener.accept()
                conn.settimeout(1.0)
                self.clients.append(conn)
                self.sel.register(conn, selectors.EVENT_READ, "client")
                continue
            try:
                data = (os.read(self.master, 4096) if key.data == "pty"
                        else key.fileobj.recv(4096))
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                self.paced.feed(data)
            elif key.data == "client":
                self._drop(key.fileobj)

    def broadcast(self, data):
        for conn in list(self.clients):
            try:
                conn.sendall(data)
            except OSError:
                self._drop(conn)
        if self.master is not None:
            try:
                os.write(self.master, data)
            except BlockingIOError:
                pass  # nobody reads the pty: the bytes are lost, as on an unplugged cable
            except OSError as exc:
                if exc.errno not in (errno.EIO, errno.EAGAIN):
                    raise

    def _drop(self, conn):
        self.clients.remove(conn)
        self.sel.unregister(conn)
        conn.close()

    def serve(self, stop):
        """Step and serve until stop() is true (from a thread: tests, the bench)."""
        while not stop():
            self.step()

    def serve_forever(self, out=None):
        """Print the URLs (one a line), then serve until SIGINT or SIGTERM."""
        _serving().serve_until_signal(self.urls, out or sys.stdout, self.step, self.close)

    def step(self):
        data = self.paced.advance()
        if data:
            self.broadcast(data)
        self.poll(self.paced.seconds_to_next_step())

    def close(self):
        for conn in list(self.clients):
            self._drop(conn)
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        if self.listener is not None:
            self.listener.close()
        self.sel.close()
        self.paced.board.close()


def _serving():
    from hal_emu import hostpkg
    return hostpkg.module("serving")


def serve_chip(listen=None, pty=False, speed=1.0, ambient_c=22.0, uf2=None, out=None,
               supply_v=12.0, params=None):
    """Boot the emulated board, print its URLs (one a line), serve until SIGINT/SIGTERM.
    `params` (a hal_sim PadParams) and `supply_v` make it any pad of the envelope."""
    if listen is None and not pty:
        listen, pty = ("127.0.0.1", 0), True
    board = EmulatedBoard(uf2=uf2, ambient_c=ambient_c, supply_v=supply_v, params=params,
                          wait_boot=False)
    ChipServer(PacedChip(board, speed=speed), listen=listen, pty=pty).serve_forever(out)
    return 0
