# The thermal cut-out: a temperature-operated part in series with the heating element, the
# protection that works without the firmware (docs/hardware.md, "The power stage"). It sits
# in the cover layer on the element's hottest track, next to sensor A, so it senses the pad
# surface there (physics.Cushion.pad_c) through its own case and contact: a first-order lag.
#
# Two kinds of part open the circuit at a temperature:
# - a thermal link (IEC 60691): one-shot, it opens once and never conducts again;
# - a bimetal thermostat (IEC 60730-2-9), self-resetting: it opens at its opening temperature
#   and closes again once it has cooled by its reset differential.
#
# A PadParams with `cutout_c` None (the default) has no cut-out fitted, so every test that
# does not ask for one judges the firmware alone. MicroPython-safe like physics.py.


class ThermalCutout:
    """One cut-out part. `open_c`: the temperature this part opens at (a part's own value
    within its rating's tolerance); `reset_c`: where a thermostat closes again, None for a
    one-shot link; `tau_s`: its lag behind the surface it is mounted on."""

    def __init__(self, open_c, tau_s, reset_c=None, temp_c=22.0):
        self.open_c = float(open_c)
        self.reset_c = None if reset_c is None else float(reset_c)
        self.tau_s = float(tau_s)
        self.temp_c = float(temp_c)  # the part's own temperature
        self.open = False
        self.opens = 0          # how many times it has opened
        self.first_open_s = None  # the cushion's time_s when it first opened
        self._dt = -1.0
        self._k = 0.0

    def step(self, dt_s, surface_c, time_s):
        """Follow the surface over dt_s (implicit, like the thermistors) and switch."""
        if dt_s != self._dt:
            self._k = dt_s / (self.tau_s + dt_s)
            self._dt = dt_s
        t = self.temp_c + (surface_c - self.temp_c) * self._k
        self.temp_c = t
        if not self.open:
            if t >= self.open_c:
                self.open = True
                self.opens += 1
                if self.first_open_s is None:
                    self.first_open_s = time_s
        elif self.reset_c is not None and t <= self.reset_c:
            self.open = False


def for_params(p, part, temp_c):
    """The cut-out a PadParams fits: None when it fits none, else `part` (the one fitted now,
    its temperature and contacts kept) re-rated, or a new part at temp_c."""
    if p.cutout_c is None:
        return None
    if part is None:
        return ThermalCutout(p.cutout_c, p.cutout_tau_s, p.cutout_reset_c, temp_c)
    part.open_c = float(p.cutout_c)
    part.reset_c = None if p.cutout_reset_c is None else float(p.cutout_reset_c)
    part.tau_s = float(p.cutout_tau_s)
    part._dt = -1.0
    return part
