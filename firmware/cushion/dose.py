"""Thermal dose (SR-8): CEM43 accumulated over a rolling 3 h window.

CEM43 = sum(dt_min * R ** (43 - T)), R = 0.5 at or above 43 C and 0.25 below
(Sapareto and Dewey 1984). Kept in integer "equivalent milliseconds" in one-minute
buckets, so the window rolls without floats or allocation: each tick adds
dt_ms * rate, where rate is R ** (43 - T) in Q12 fixed point.

The policy lives here too: above the limit the heat is capped at low until the window has
rolled back under 9/10 of it, and the dose is saved as it grows, so that unplugging the
cushion mid-session does not wipe it.
"""

from micropython import const

from cushion import limits

_Q = const(12)
_QMASK = const(4095)

# R ** (43 - T) in Q12 for whole degrees 30..52 C; interpolated in between. Below 30 C
# the rate is under 4096 * 0.25**13 (effectively 0), above 52 C it is clamped (the pad is
# then far past the overheat cut-off).
_T0_C100 = const(3000)
_RATE_Q12 = (
    0, 0, 0, 0, 0, 0, 0, 1, 4, 16, 64, 256, 1024,  # 30..42 C: 4096 * 0.25 ** (43 - T)
    4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152,  # 43..52 C
)
_RATE_LAST = const(22)

# what update() reports
NOTHING = const(0)
CAPPED = const(1)  # the dose just passed the limit: event, heat capped at low, save
SAVE = const(2)  # the dose grew by DOSE_SAVE_STEP_EQ_MS since the last save: save it


def rate_q12(c100):
    """R ** (43 - T) in Q12 for a temperature in centi-degrees."""
    d = c100 - _T0_C100
    if d <= 0:
        return 0
    i = d // 100
    if i >= _RATE_LAST:
        return _RATE_Q12[_RATE_LAST]
    lo = _RATE_Q12[i]
    return lo + (_RATE_Q12[i + 1] - lo) * (d - i * 100) // 100


class ThermalDose:
    """CEM43 in equivalent milliseconds over the last DOSE_BUCKETS minutes."""

    def __init__(self):
        self.buckets = [0] * limits.DOSE_BUCKETS
        self._index = 0
        self._bucket_ms = 0  # time spent in the current bucket
        self._frac = 0  # sub-millisecond remainder, Q12
        self.total_eq_ms = 0
        self.capped = False  # heat limited to low (SR-8)
        self.saved_eq_ms = 0  # the total the last settings save held
        self._since_save_ms = 0  # time since the last cadence save, up to DOSE_SAVE_MIN_MS

    def update(self, dt_ms, c100):
        """One tick: account dt_ms at c100 and apply the policy. Returns CAPPED, SAVE or
        NOTHING; the caller saves the settings for both (and sets saved_eq_ms when it does)."""
        self.add(dt_ms, c100)
        since = self._since_save_ms + dt_ms
        if since > limits.DOSE_SAVE_MIN_MS:
            since = limits.DOSE_SAVE_MIN_MS
        self._since_save_ms = since
        total = self.total_eq_ms
        if total > limits.DOSE_LIMIT_EQ_MS:
            if not self.capped:
                self.capped = True
                self.saved_eq_ms = total
                return CAPPED
        elif self.capped and total < limits.DOSE_LIMIT_EQ_MS * 9 // 10:
            self.capped = False  # the window rolled on: full levels are back
        # Saved as it grows, at most once per DOSE_SAVE_MIN_MS: flash writes scale with the
        # dose, not with time.
        if (total - self.saved_eq_ms >= limits.DOSE_SAVE_STEP_EQ_MS
                and since >= limits.DOSE_SAVE_MIN_MS):
            self._since_save_ms = 0
            self.saved_eq_ms = total
            return SAVE
        return NOTHING

    def add(self, dt_ms, c100):
        """Account dt_ms spent at c100. Integers only; nothing allocated."""
        acc = self._frac + dt_ms * rate_q12(c100)
        whole = acc >> _Q
        self._frac = acc & _QMASK
        self.buckets[self._index] += whole
        self.total_eq_ms += whole
        self._bucket_ms += dt_ms
        if self._bucket_ms >= limits.DOSE_BUCKET_MS:
            self._bucket_ms -= limits.DOSE_BUCKET_MS
            i = self._index + 1
            if i >= limits.DOSE_BUCKETS:
                i = 0
            self._index = i
            # the oldest minute leaves the window
            self.total_eq_ms -= self.buckets[i]
            self.buckets[i] = 0

    def restore(self, eq_ms):
        """After a reboot the time the board was off is unknown: assume none passed."""
        if eq_ms > 0:
            self.buckets[self._index] += eq_ms
            self.total_eq_ms += eq_ms
        self.saved_eq_ms = self.total_eq_ms

    def over_limit(self):
        return self.total_eq_ms > limits.DOSE_LIMIT_EQ_MS

    def cem43_x10(self):
        """Equivalent minutes, in tenths, for reporting."""
        return self.total_eq_ms // 6000
