"""SR-9 judged on the adapter's own voltage, not the terminal voltage under load.

The supply divider reads the voltage at the board's input, which sags by the load current
times the source's resistance (adapter, lead, plug: 0.05 to 0.5 ohm across the envelope).
A fixed allowance for that sag either pauses a weak but in-spec adapter all the time (10.8 V
behind 0.3 ohm reads 10.37 V with the heater on) or lets a low stiff one run. So the source
resistance is measured: every step of the load current (the heater switching) gives
delta-V / delta-I, and the supply is judged as the terminal voltage plus that drop.

The pause itself (`low`) starts on one reading under SUPPLY_LOW_MV and ends only after the
source has read SUPPLY_RESUME_MV or more for SUPPLY_RESUME_MS: an ADC spike on the supply
channel would otherwise turn the heater on at 10 V for a tick.
"""

from cushion import limits
from cushion.sustained import Sustained


class SupplyEstimate:
    def __init__(self):
        self.r_mohm = limits.SUPPLY_R_START_MOHM
        self._learnt = False  # the first measured step replaces the design's value
        self._v = 0
        self._i = -1  # no reading yet
        self.paused = False
        self._good = Sustained(limits.SUPPLY_RESUME_MS)  # the supply back, for long enough

    def source_mv(self, vin_mv, load_ma):
        """This tick's terminal voltage and load current in; the source's voltage out."""
        last_i = self._i
        if last_i >= 0:
            di = load_ma - last_i
            if di >= limits.SUPPLY_STEP_MA or di <= -limits.SUPPLY_STEP_MA:
                r = (self._v - vin_mv) * 1000 // di
                # a reading that no source explains (an ADC spike on either channel) is
                # not learnt from
                if 0 <= r <= limits.SUPPLY_R_MAX_MOHM:
                    if self._learnt:
                        self.r_mohm += (r - self.r_mohm) // 2
                    else:
                        self.r_mohm = r
                        self._learnt = True
        self._v = vin_mv
        self._i = load_ma
        return vin_mv + self.r_mohm * load_ma // 1000

    def low(self, hal, now, source_mv):
        """SR-9's pause for a low supply (never latched); True while the heater must wait."""
        if source_mv < limits.SUPPLY_LOW_MV:
            self.paused = True
        good = self._good.held(hal, now, source_mv >= limits.SUPPLY_RESUME_MV)
        if self.paused and good:
            self.paused = False
        return self.paused
