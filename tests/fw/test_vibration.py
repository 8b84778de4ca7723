"""cushion.vibration: each mode's duty pattern, intensities, soft start and the knead coast;
alone and as the motor() calls the Controller makes."""

import pytest

from cushion.vibration import (
    INTENSITY_DUTY,
    MODE_CONTINUOUS,
    MODE_KNEAD,
    MODE_OFF,
    MODE_PULSE,
    MODE_WAVE,
    Vibration,
)

from .fakehal import TICK, FakeHAL, Rig


class Driver:
    """A Vibration on the fake clock, updated every tick; records (t since start, duty, dir)."""

    def __init__(self, mode, intensity=3, start_ms=0):
        self.hal = FakeHAL(start_ms=start_ms)
        self.vib = Vibration(self.hal)
        self.t = 0
        self.rows = []
        self.vib.set_mode(mode, intensity, self.hal.ticks_ms())

    def run(self, ms):
        """Tick for ms; returns the rows of this run."""
        first = len(self.rows)
        for _ in range(ms // TICK):
            self.hal.advance(TICK)
            self.t += TICK
            d = self.vib.update(self.hal.ticks_ms(), TICK)
            self.rows.append((self.t, d, self.vib.direction))
        return self.rows[first:]


def first_at(rows, duty):
    return next(t for t, d, _ in rows if d == duty)


def test_off_is_zero():
    d = Driver(MODE_OFF)
    assert all(duty == 0 for _, duty, _ in d.run(2000))


@pytest.mark.parametrize("intensity, duty", [(1, 400), (2, 700), (3, 1000)])
def test_intensity_duties(intensity, duty):
    assert INTENSITY_DUTY[intensity] == duty
    rows = Driver(MODE_CONTINUOUS, intensity).run(2000)
    assert rows[-1][1] == duty
    assert max(d for _, d, _ in rows) == duty


def test_soft_start_reaches_full_duty_within_300_ms_but_not_at_once():
    rows = Driver(MODE_CONTINUOUS, 3).run(1000)
    duties = [d for _, d, _ in rows]
    reached = first_at(rows, 1000)
    assert reached <= 300, duties[:8]
    assert reached >= 250, duties[:8]  # about 6 ticks of ramp, not a jump
    assert all(b - a <= 1000 * TICK // 300 + 1 for a, b in zip([0] + duties, duties))
    assert duties[:6] == sorted(duties[:6])


@pytest.mark.parametrize("intensity", [1, 2])
def test_soft_start_lower_intensities_reach_their_duty_within_300_ms(intensity):
    rows = Driver(MODE_CONTINUOUS, intensity).run(1000)
    assert first_at(rows, INTENSITY_DUTY[intensity]) <= 300
    assert rows[0][1] < INTENSITY_DUTY[intensity]


def test_falls_are_immediate():
    d = Driver(MODE_CONTINUOUS, 3)
    d.run(1000)
    d.vib.off()
    assert d.vib.update(d.hal.ticks_ms(), TICK) == 0


def test_pulse_half_second_on_half_second_off():
    rows = Driver(MODE_PULSE, 2).run(6000)
    for t, duty, _ in rows:
        if (t // 500) % 2 == 0:
            assert duty > 0, t
        else:
            assert duty == 0, t
    # every on-phase reaches the intensity's duty (soft start fits in 500 ms)
    for k in range(0, 6000, 1000):
        assert max(d for t, d, _ in rows if k <= t < k + 500) == 700


def test_wave_ramps_up_and_down_over_about_4_s():
    rows = Driver(MODE_WAVE, 3).run(12000)
    steady = [(t, d) for t, d, _ in rows if t >= 4000]
    by_t = dict(steady)
    for t, d in steady:
        if t + 4000 in by_t:
            assert by_t[t + 4000] == d  # periodic, period 4 s
        phase = t % 4000
        if 0 < phase < 2000:
            assert by_t.get(t + TICK, 10**6) >= d or (t + TICK) % 4000 == 2000
    period = [d for t, d in steady if 4000 <= t < 8000]
    lo, hi = min(period), max(period)
    assert hi == 1000 and 150 <= lo <= 300
    t_hi = next(t for t, d in steady if d == hi) % 4000
    t_lo = next(t for t, d in steady if d == lo) % 4000
    assert abs(t_hi - 2000) <= 100 and (t_lo <= 100 or t_lo >= 3900)
    # smooth: no jumps, it is a ramp
    ds = [d for _, d in steady]
    assert max(abs(b - a) for a, b in zip(ds, ds[1:])) <= 50


def test_wave_intensity_scales_the_peak():
    rows = Driver(MODE_WAVE, 1).run(8000)
    assert max(d for _, d, _ in rows) == 400
    assert min(d for t, d, _ in rows if t > 1000) >= 150


def check_reversals(rows, coast_min=200):
    """Every direction change happens at a nonzero duty after >= coast_min at zero duty;
    returns the times of the reversals."""
    revs = []
    for i in range(1, len(rows)):
        if rows[i][2] != rows[i - 1][2]:
            j = i - 1
            while j >= 0 and rows[j][1] == 0:
                j -= 1
            assert j >= 0
            zero_from = rows[j + 1][0]
            assert rows[i][0] - zero_from >= coast_min, (rows[i][0], zero_from)
            revs.append(rows[i][0])
    return revs


def test_knead_reverses_every_60_s_after_a_coast_at_zero():
    d = Driver(MODE_KNEAD, 3)
    rows = d.run(185000)
    revs = check_reversals(rows)
    assert len(revs) == 3
    assert 60000 <= revs[0] <= 60600
    for a, b in zip(revs, revs[1:]):
        assert 60000 <= b - a <= 60600
    # runs at full duty in between
    assert [dd for t, dd, _ in rows if 10000 <= t <= 50000] == [1000] * 801
    dirs = [r[2] for r in rows]
    assert set(dirs) == {1, -1}


def test_knead_reversal_at_a_ticks_wrap():
    d = Driver(MODE_KNEAD, 2, start_ms=(1 << 30) - 30000)
    revs = check_reversals(d.run(125000))
    assert len(revs) == 2 and 60000 <= revs[0] <= 60600


def test_set_same_mode_keeps_phase_and_bad_intensity_is_ignored():
    d = Driver(MODE_PULSE, 2)
    d.run(700)  # in the off half
    d.vib.set_mode(MODE_PULSE, 9, d.hal.ticks_ms())
    assert d.vib.intensity == 2
    rows = d.run(100)
    assert [r[1] for r in rows] == [0, 0]


# -- the Controller's motor() calls --------------------------------------------------------

def motor_rows(rig, t0):
    """motor() calls after the tick at t0, as (ms after t0, duty, direction)."""
    return [(c.t - t0, c.args[0], c.args[1]) for c in rig.hal.calls("motor", t0 + 1)]


@pytest.mark.parametrize("intensity, duty", [(1, 400), (2, 700), (3, 1000)])
def test_controller_massage_intensity_duty(intensity, duty):
    rig = Rig()
    rig.cmd("massage continuous %d" % intensity)
    rig.tick(20)
    assert rig.hal.motor_duty == duty
    assert rig.cmd("status")["motor_pct"] == duty // 10


def test_controller_soft_start_within_300_ms_of_the_command():
    rig = Rig()
    rig.cmd("massage continuous 3")
    t0 = rig.hal.elapsed  # the tick that took the command
    rig.tick(20)
    rows = motor_rows(rig, t0)
    reached = next(t for t, d, _ in rows if d == 1000)
    assert 250 <= reached <= 300, rows[:8]


def test_controller_pulse_calls():
    rig = Rig()
    rig.cmd("massage pulse 3")
    t0 = rig.hal.elapsed
    rig.run_s(5)
    rows = motor_rows(rig, t0)
    assert len(rows) == 100  # one motor() call per tick
    for t, d, _ in rows:
        assert (d > 0) == ((t // 500) % 2 == 0), (t, d)


def test_controller_knead_calls_coast_before_reversing():
    rig = Rig()
    rig.hal.recording = True
    rig.cmd("massage knead 3")
    t0 = rig.hal.elapsed
    rig.run_s(125)
    rows = motor_rows(rig, t0)
    revs = check_reversals(rows)
    assert len(revs) == 2
    assert 60000 <= revs[0] <= 60600


def test_controller_massage_off_stops_the_motor_on_the_next_tick():
    rig = Rig()
    rig.cmd("massage continuous 2")
    rig.tick(20)
    rig.cmd("massage off")
    t0 = rig.hal.elapsed
    rig.tick()
    assert motor_rows(rig, t0) == [(TICK, 0, 1)]
