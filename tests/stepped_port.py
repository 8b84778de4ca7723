"""A port onto a Simulation that moves only while the host waits: doc examples and pictures
come out the same on any machine (no wall-clock timing)."""


class SteppedPort:
    """A pyserial-like port whose far end is a Simulation that moves one tick per empty read:
    time passes only while the host waits, exactly as much as it waits."""

    portstr = "sim"

    def __init__(self, sim):
        self.sim = sim
        self.buf = bytearray()

    def write(self, data):
        self.sim.serial_in(bytes(data))
        return len(data)

    def flush(self):
        pass

    def read(self, size=1):
        if not self.buf:
            self.sim.step()
            self.buf += self.sim.serial_out()
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    @property
    def in_waiting(self):
        return len(self.buf)

    def reset_input_buffer(self):
        self.buf.clear()

    def close(self):
        pass
