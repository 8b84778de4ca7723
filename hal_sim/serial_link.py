"""The host's end of a Simulation's serial line: bytes in, the firmware's output split
into lines and parsed (events, replies, anything else kept as a bad line), `command()` that
waits for a reply, and the `serial_noise` fault's random bytes. A part of Simulation
(hal_sim/simulation.py), kept here so that each module has one job.
Runs under CPython and in the MicroPython VMs.
"""

import json

from cushion.protocol import request_id


class SimulationError(Exception):
    pass


class LineNoise:
    """The `serial_noise` fault's bytes: a few random bytes per tick, now and then a newline
    so that lines complete; the same seed gives the same bytes (hal_sim and hal_emu)."""

    def __init__(self, seed):
        self._rng = (seed * 2654435761 + 12345) & 0x7FFFFFFF or 1

    def take(self):
        """One tick's bytes."""
        out = bytearray()
        for _ in range(self._rand(4)):
            b = self._rand(256)
            out.append(10 if b < 24 else b)
        return bytes(out)

    def _rand(self, n):
        x = (self._rng * 1103515245 + 12345) & 0x7FFFFFFF
        self._rng = x
        return (x >> 8) % n


class SerialLink:
    """Simulation's serial methods; they use its board, clock and tick (`step`)."""

    # -- serial -------------------------------------------------------------------------
    def serial_in(self, data):
        self.board.rx.extend(data)

    def serial_out(self):
        out = bytes(self._out)
        self._out = bytearray()
        return out

    def _collect_output(self):
        tx = self.board.tx
        if not tx:
            return
        if self._bridge:
            self._out.extend(tx)
        self._line.extend(tx)
        self.board.tx = bytearray()
        while True:
            cut = self._line.find(b"\n")
            if cut < 0:
                break
            raw = bytes(self._line[:cut])
            self._line = self._line[cut + 1:]
            self._take_line(raw)

    def _take_line(self, raw):
        try:
            obj = json.loads(raw)
        except ValueError:
            self.bad_lines.append(raw)
            return
        if not isinstance(obj, dict):
            self.bad_lines.append(raw)
        elif "event" in obj:
            obj["sim_s"] = self.now_s
            self.events.append(obj)
        elif "ok" in obj:
            obj["sim_s"] = self.now_s
            self.replies.append(obj)
        else:
            self.bad_lines.append(raw)

    def command(self, line, timeout_s=5.0):
        """Send one request line and run until its reply; returns the parsed reply."""
        if isinstance(line, str):
            line = line.encode()
        if self.ctl is None:
            raise SimulationError("the board is in service mode (REPL); power_cycle() first")
        want = request_id(line)
        seen = len(self.replies)
        self.serial_in(line.rstrip(b"\r\n") + b"\n")
        n = int(timeout_s * 1000) // self.tick_ms
        for _ in range(n):
            self.step()
            while seen < len(self.replies):
                reply = self.replies[seen]
                seen += 1
                # with an id, wait for that id (noise on the line may draw other replies)
                if want is None or reply.get("id") == want:
                    return reply
        raise SimulationError("no reply to %r within %s s" % (line, timeout_s))

    def _add_noise(self):
        self.board.rx.extend(self._line_noise.take())
