"""HeatControl fed steps, spikes, rail readings and odd dt: the duty stays an int in
0..1000 and every stored number stays below 2**30 (a MicroPython small int on rp2)."""

import random
import sys

sys.path.insert(0, __file__.rsplit("/", 3)[0])
import hal_sim  # noqa: F401  (micropython shim + firmware path)
from cushion import heat

LIM = 1 << 30


def check(h):
    for k, v in vars(h).items():
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            assert -LIM < v < LIM, (k, v)
        elif isinstance(v, list):
            assert all(type(x) is int and -LIM < x < LIM for x in v), k


def main(n_runs=300, seed=7):
    rnd = random.Random(seed)
    worst = 0
    for run in range(n_runs):
        h = heat.HeatControl()
        h.set_level(rnd.randint(1, 3))
        c = rnd.randint(-9000, 53000) if run % 3 == 0 else rnd.randint(2000, 4600)
        for _ in range(rnd.randint(200, 3000)):
            r = rnd.random()
            if r < 0.02:
                c = rnd.choice((-8999, 52789, 0, 12000, -2000, 4500, 5000, 3000))
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
            dt = rnd.choice((50, 50, 50, 0, 1, 49, 51, 100, 1000, 5000, -5))
            d = h.update(c, dt)
            assert type(d) is int and 0 <= d <= 1000, d
            assert d == h.duty
            if h.state in (heat.OFF, heat.HELD_OFF):
                assert d == 0
            assert type(h.rate_c100_per_s) is int
            check(h)
            worst = max(worst, max(abs(x) for x in h._ring), abs(h._i_acc), abs(h._filt))
    # a reading that steps 5 C above the set-point while holding never asks for heat
    h = heat.HeatControl()
    h.set_level(2)
    for _ in range(400):
        h.update(4200, 50)
    for _ in range(600):
        assert h.update(4700, 50) == 0
    print("ok: %d runs, largest stored magnitude %d (limit %d)" % (n_runs, worst, LIM))


if __name__ == "__main__":
    main()
