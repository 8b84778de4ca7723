"""The clients of a served sim: a TCP connection or the pty, each with its own bounded queue.

The server never blocks on a client.  Whole lines are queued per client and written as the
client takes them (a short write keeps its remainder at the head, so nobody gets half a line).
When a queue is full:
 - a socket client is stuck (connected, not reading): it is dropped, the others go on;
 - the pty cannot be dropped (it is the cable, whoever is at the other end): its oldest whole
   lines are dropped and counted, as bytes are lost on a board talking to a closed terminal.
"""

import collections
import errno
import fcntl
import os
import socket
import struct
import termios
import tty

SOCKET_QUEUE_BYTES = 256 * 1024
PTY_QUEUE_BYTES = 64 * 1024
KERNEL_SOCKET_BYTES = 64 * 1024
KERNEL_BYTES = 3072          # below the pty's 4 KiB line-discipline buffer
MAX_INPUT_LINE = 1024        # a longer run without a newline is passed on as it is


def whole_lines(buf):
    """Take the complete lines (each with its newline) off the front of bytearray `buf`."""
    lines = []
    nl = buf.find(b"\n")
    while nl >= 0:
        lines.append(bytes(buf[:nl + 1]))
        del buf[:nl + 1]
        nl = buf.find(b"\n")
    return lines


class Peer:
    queue_limit = SOCKET_QUEUE_BYTES

    def __init__(self, name):
        self.name = name
        self.queue = collections.deque()     # bytes objects, whole lines (or REPL text)
        self.queued = 0
        self.head_sent = 0                   # bytes of queue[0] already written
        self.dropped_lines = 0
        self.stuck = False
        self.telemetry_ms = 0                # this client's own subscription (0: off)
        self.last_telemetry_ms = None        # uptime_ms of the last telemetry it got
        self._inbuf = bytearray()

    # -- input: split into lines so requests can be looked at whole ------------------------

    def take_lines(self, data):
        """Append received bytes; return the complete lines (with their newline)."""
        self._inbuf += data
        out = whole_lines(self._inbuf)
        if len(self._inbuf) > MAX_INPUT_LINE:
            out.append(bytes(self._inbuf))
            self._inbuf = bytearray()
        return out

    def receive(self):
        """What the client sent: bytes, None when nothing is there now, b"" when it left."""
        try:
            return os.read(self.fileno(), 4096)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            # EIO: a pty with nobody on it (not while we hold its slave open; to be safe)
            return None if exc.errno == errno.EIO else b""

    def take_partial(self):
        """Bytes without a newline (the REPL reads keystrokes, not lines)."""
        data = bytes(self._inbuf)
        self._inbuf = bytearray()
        return data

    # -- output ------------------------------------------------------------------------------

    def send(self, data):
        if not data or self.stuck:
            return
        self.queue.append(data)
        self.queued += len(data)
        while self.queued > self.queue_limit:
            if not self.overflow():
                break

    def overflow(self):
        """The queue is full; return True if something was dropped from it."""
        self.stuck = True
        return False

    def _drop_oldest_whole(self):
        # never the head when part of it is out already: the reader would get half a line
        index = 1 if self.head_sent else 0
        if len(self.queue) <= index:
            return False
        line = self.queue[index]
        del self.queue[index]
        self.queued -= len(line)
        self.dropped_lines += 1
        return True

    def flush(self):
        """Write what the client takes now; return False if it is gone."""
        while self.queue:
            head = self.queue[0]
            try:
                n = self._write(memoryview(head)[self.head_sent:])
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EIO):   # EIO: pty with nobody there
                    return True
                return False
            if not n:
                return True
            self.head_sent += n
            if self.head_sent >= len(head):
                self.queue.popleft()
                self.queued -= len(head)
                self.head_sent = 0
        return True

    @property
    def wants_write(self):
        return bool(self.queue)

    def report(self):
        return {"name": self.name, "telemetry_ms": self.telemetry_ms, "queued": self.queued,
                "dropped_lines": self.dropped_lines}


class SocketPeer(Peer):
    def __init__(self, conn, name):
        super().__init__(name)
        conn.setblocking(False)
        # A fixed kernel buffer (no autotuning up to megabytes), so that a client that stops
        # reading fills its queue, and is dropped, within seconds.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SOCKET_BYTES)
        self.conn = conn

    def fileno(self):
        return self.conn.fileno()

    def _write(self, view):
        return self.conn.send(view)

    def close(self):
        self.conn.close()


class PtyPeer(Peer):
    """The pty.  Only whole lines are put into the kernel's buffer, and only as long as they
    fit below KERNEL_BYTES unread (FIONREAD on our own slave fd): a reader that flushes its
    input (pyserial's reset_input_buffer) then throws away whole lines, never the start of
    one whose end we would write later.  The server calls flush() every tick."""

    queue_limit = PTY_QUEUE_BYTES

    def __init__(self, master, slave, name):
        super().__init__(name)
        self.master = master
        self.slave = slave

    @classmethod
    def open(cls):
        """A new pty.  The slave is set raw at once, or the line discipline would echo our
        input back and turn `\\n` into `\\r\\n`; and we keep a slave fd open ourselves, so
        that reading the master never fails with EIO while no client has the slave open (and
        so a client may leave and come back)."""
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        return cls(master, slave, os.ttyname(slave))

    def close(self):
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def fileno(self):
        return self.master

    def _unread(self):
        try:
            return struct.unpack("i", fcntl.ioctl(self.slave, termios.FIONREAD, b"\0" * 4))[0]
        except OSError:
            return 0

    def flush(self):
        if self.queue and not self.head_sent:
            unread = self._unread()
            if unread and unread + len(self.queue[0]) > KERNEL_BYTES:
                return True                   # the reader is behind: wait for it
        return super().flush()

    def _write(self, view):
        room = KERNEL_BYTES - self._unread()
        if room < len(view) and self.head_sent == 0 and room < KERNEL_BYTES:
            raise BlockingIOError()
        return os.write(self.master, view)    # may take only part: the rest waits its turn

    @property
    def wants_write(self):
        return False                          # flushed every tick instead of on EVENT_WRITE

    def overflow(self):
        return self._drop_oldest_whole()
