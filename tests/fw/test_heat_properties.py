"""HeatControl fed steps, spikes, rail readings, level changes and odd dt: the duty is always
an int in 0..1000 (0 whenever the heat is off or held off), and every integer the controller
keeps stays below 2**30, a MicroPython small int on rp2 (a larger one would allocate)."""

import random

import pytest

from cushion import heat

SMALL_INT = 1 << 30
ODD_DT_MS = (50, 50, 50, 0, 1, 49, 51, 100, 1000, 5000, -5)
RAIL_READINGS_C100 = (-8999, 52789, 0, 12000, -2000, 4500, 5000, 3000)


def stored_ints(obj, seen=None):
    """(name, value) of every int the object keeps, through lists and nested objects."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    for name, v in vars(obj).items():
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            yield name, v
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v):
                assert type(x) is int, (name, x)
                yield "%s[%d]" % (name, i), x
        elif hasattr(v, "__dict__"):
            yield from (("%s.%s" % (name, n), x) for n, x in stored_ints(v, seen))


def one_run(rnd):
    h = heat.HeatControl()
    h.set_level(rnd.randint(1, 3))
    c = rnd.randint(-9000, 53000) if rnd.random() < 0.33 else rnd.randint(2000, 4600)
    for _ in range(rnd.randint(200, 3000)):
        r = rnd.random()
        if r < 0.02:
            c = rnd.choice(RAIL_READINGS_C100)
        elif r < 0.05:
            c += rnd.randint(-800, 800)
        elif r < 0.06:
            h.set_level(rnd.randint(0, 3))
        elif r < 0.062:
            h.hold_off()
        elif r < 0.064:
            h.off()
        else:
            c += rnd.randint(-3, 3)
        d = h.update(c, rnd.choice(ODD_DT_MS))
        assert type(d) is int and 0 <= d <= 1000, d
        assert d == h.duty
        if h.state in (heat.OFF, heat.HELD_OFF):
            assert d == 0
        assert type(h.trend.rate) is int
        for name, v in stored_ints(h):
            assert -SMALL_INT < v < SMALL_INT, (name, v)


@pytest.mark.parametrize("seed", range(10))
def test_duty_and_stored_integers_stay_in_range_whatever_the_readings(seed):
    rnd = random.Random(seed)
    for _ in range(10):  # 100 runs of 200..3000 updates over the seeds
        one_run(rnd)


def test_a_reading_5_c_above_the_setpoint_never_asks_for_heat():
    h = heat.HeatControl()
    h.set_level(2)  # medium, 42 C
    for _ in range(400):
        h.update(4200, 50)
    for _ in range(600):
        assert h.update(4700, 50) == 0
