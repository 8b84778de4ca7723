"""`cushion sim --chip`: serve the emulated Pico's USB serial on a pty and/or socket://.

The chip runs in lockstep with the physics at most `speed` times real time (it may be
slower: busy code emulates at a fraction of real time). Bytes from any client go to the
USB host side; what the board sends goes to every client. The pty is host/simpeers.py's
PtyPeer, as for the HAL-level `cushion sim`: whole lines are queued and written as the
reader takes them (a short write keeps its remainder), and a reader that stops reading
loses whole lines, counted, never part of one.
"""

import selectors
import sys
import time

from hal_emu.board import EmulatedBoard

MAX_BURST_S = 0.05  # wall time spent stepping before looking at the clients again


class PacedChip:
    """An EmulatedBoard kept at (at most) `speed` x wall-clock time; `faults` are (kind,
    seconds) pairs injected at that emulated second after power-on (`cushion sim --fault`)."""

    def __init__(self, board, speed=1.0, clock=time.monotonic, faults=()):
        self.board = board
        self.speed = float(speed)
        self.clock = clock
        self.pending = sorted(faults, key=lambda f: f[1])
        self.injected = []
        self._t0 = clock() - board.now_s / (self.speed or 1.0)
        self._start = (clock(), board.now_s)

    def wall_s(self):
        return self.clock() - self._start[0]

    def achieved_speed(self):
        """Emulated seconds per wall second since serving began."""
        wall = self.wall_s()
        return (self.board.now_s - self._start[1]) / wall if wall > 0 else self.speed

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
            while self.pending and self.board.now_s >= self.pending[0][1]:
                kind, at_s = self.pending.pop(0)
                self.board.inject(kind)
                self.injected.append((kind, at_s, self.board.now_s))
            self.board.step()
        if self.speed and self.seconds_behind() > 1.0:  # slower than asked: no later burst
            self._t0 = self.clock() - self.board.now_s / self.speed
        return self.board.serial_out()

    def seconds_to_next_step(self):
        if not self.speed:
            return 0.0
        return max(0.0, self.board.step_ms / 1000 - self.seconds_behind()) / self.speed


class ChipServer:
    def __init__(self, paced, listen=None, pty=True, log=None):
        self.paced = paced
        self.log = log or sys.stderr
        self._speed_checked = False
        self.sel = selectors.DefaultSelector()
        self.clients = []
        self.listener = self.pty = None
        self.urls = []
        self._line = bytearray()  # the board's output since its last newline
        if listen is not None:
            self.listener, addr = _serving().listen_on(*listen)
            self.sel.register(self.listener, selectors.EVENT_READ, "accept")
            self.urls.append("socket://" + addr)
        if pty:
            self.pty = _peers().PtyPeer.open()  # raw, non-blocking; we hold the slave open
            self.sel.register(self.pty.master, selectors.EVENT_READ, "pty")
            self.urls.append(self.pty.name)

    def poll(self, timeout):
        for key, _ in self.sel.select(timeout=timeout):
            if key.data == "accept":
                conn, _ = self.listener.accept()
                conn.settimeout(1.0)
                self.clients.append(conn)
                self.sel.register(conn, selectors.EVENT_READ, "client")
                continue
            if key.data == "pty":
                data = self.pty.receive()
                if data is None:
                    continue
            else:
                try:
                    data = key.fileobj.recv(4096)
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
        if self.pty is not None:
            self._line += data
            for line in _peers().whole_lines(self._line):
                self.pty.send(line)
            if self._line and not self._line.startswith(b"{"):  # REPL text (service): as is
                self.pty.send(bytes(self._line))
                self._line = bytearray()

    @property
    def pty_lines_dropped(self):
        """Whole lines the pty's reader lost by not reading (its queue was full)."""
        return self.pty.dropped_lines if self.pty is not None else 0

    def _drop(self, conn):
        self.clients.remove(conn)
        self.sel.unregister(conn)
        conn.close()

    def serve(self, stop):
        """Step and serve until stop() is true (from a thread: tests, the bench)."""
        while not stop():
            self.step()

    def serve_forever(self, out=None):
        """Print the URLs (one a line), serve until SIGINT or SIGTERM, then say the speed
        achieved."""
        _serving().serve_until_signal(self.urls, out or sys.stdout, self.step, self.close)
        achieved, _warning = _simclock().speed_report(self.paced.speed,
                                                      self.paced.achieved_speed())
        self.log.write(f"cushion sim: {achieved}\n")
        self.log.flush()

    def _check_speed(self):
        """Once it can be measured, warn if the emulator cannot keep the speed asked for."""
        if self._speed_checked or self.paced.wall_s() < _host("simserver").SPEED_CHECK_S:
            return
        self._speed_checked = True
        _note, warning = _simclock().speed_report(self.paced.speed, self.paced.achieved_speed())
        if warning:
            self.log.write(f"cushion sim: {warning}\n")
            self.log.flush()

    def step(self):
        self._check_speed()
        data = self.paced.advance()
        if data:
            self.broadcast(data)
        if self.pty is not None and self.pty.queue:
            self.pty.flush()  # what the reader takes now; the rest at the next step
        self.poll(self.paced.seconds_to_next_step())

    def close(self):
        for conn in list(self.clients):
            self._drop(conn)
        if self.pty is not None:
            self.pty.close()
        if self.listener is not None:
            self.listener.close()
        self.sel.close()
        self.paced.board.close()


def _host(sub):
    from hal_emu import hostpkg
    return hostpkg.module(sub)


def _serving():
    return _host("serving")


def _peers():
    return _host("simpeers")


def _simclock():
    return _host("simclock")


def serve_chip(listen=None, pty=False, speed=1.0, ambient_c=22.0, uf2=None, out=None,
               supply_v=12.0, params=None, faults=()):
    """Boot the emulated board, print its URLs (one a line), serve until SIGINT/SIGTERM.
    `params` (a hal_sim PadParams) and `supply_v` make it any pad of the envelope; `faults`
    (kind, seconds) are injected at that emulated second, as `cushion sim --fault` does."""
    faults = list(faults)
    from hal_emu.faults import FaultInjector
    for kind, _at in faults:  # before booting: a bad one is a usage error, not a crash later
        if kind not in FaultInjector.KINDS:
            raise ValueError("fault %s cannot be injected on the emulated chip" % kind)
    if listen is None and not pty:
        listen, pty = ("127.0.0.1", 0), True
    board = EmulatedBoard(uf2=uf2, ambient_c=ambient_c, supply_v=supply_v, params=params,
                          wait_boot=False)
    ChipServer(PacedChip(board, speed=speed, faults=faults), listen=listen,
               pty=pty).serve_forever(out)
    return 0
