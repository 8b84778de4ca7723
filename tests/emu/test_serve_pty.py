"""`cushion sim --chip --pty` never splices lines: a pty reader that reads slowly gets whole
lines, in order; what it could not take is dropped as whole lines and counted.

The board is a stand-in that writes lines in chunks cut anywhere (as USB packets are), far
faster than the reader reads: no emulator is needed for what the server does with bytes."""

import json
import os
import threading
import time
from types import SimpleNamespace

from hal_emu.serve import ChipServer

LINES = 3000
CHUNK = 97  # cuts lines at every offset over the run


class FastBoard:
    """A PacedChip stand-in: everything at once, in odd-sized chunks."""

    def __init__(self):
        text = b"".join(b'{"event": "telemetry", "n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 50))
                        for i in range(LINES))
        self.chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
        self.board = SimpleNamespace(close=lambda: None)
        self.fed = b""

    def feed(self, data):
        self.fed += data

    def advance(self):
        return self.chunks.pop(0) if self.chunks else b""

    def seconds_to_next_step(self):
        return 0.0

    def wall_s(self):
        return 0.0  # (no speed check)


def _slow_reader(path, got, done):
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        while not done.is_set():
            try:
                got.extend(os.read(fd, 128))
            except BlockingIOError:
                pass
            time.sleep(0.002)  # ~64 KB/s of wall time: slower than the board writes
        while True:  # what is left in the pty once the server stopped writing
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                break
            if not data:
                break
            got.extend(data)
    finally:
        os.close(fd)


def test_a_slow_pty_reader_gets_whole_lines_and_the_lost_ones_are_counted():
    board = FastBoard()
    server = ChipServer(board, pty=True)
    got, done = bytearray(), threading.Event()
    reader = threading.Thread(target=_slow_reader, args=(server.urls[0], got, done))
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while (board.chunks or server.pty.queue) and time.monotonic() < deadline:
            server.step()
            time.sleep(0.0005)
        time.sleep(0.05)
    finally:
        done.set()
        reader.join(10)
        dropped = server.pty_lines_dropped
        server.close()
    assert not board.chunks and not server.pty.queue, "the server did not drain its queue"
    lines = bytes(got).split(b"\n")
    assert lines[-1] == b"", "the last line arrived cut"
    numbers = []
    for raw in lines[:-1]:
        obj = json.loads(raw)  # a spliced line would not parse
        assert raw == b'{"event": "telemetry", "n": %d, "pad": "%s"}' % (
            obj["n"], b"x" * (obj["n"] % 50))
        numbers.append(obj["n"])
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert dropped > 0, "the reader kept up: the test did not test a slow reader"
    assert len(numbers) + dropped == LINES
