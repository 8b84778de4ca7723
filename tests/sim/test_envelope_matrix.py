"""The fault-free matrix over the plant envelope's corners and the nominal pad, and a seeded
sweep of pads drawn from the envelope (`make test-slow`).

- Every corner at every level with massage on and off; the nominal pad at every level,
  ambient 0, 22 and 40 C, supply 10.8 V behind 0.3 ohm, 12 V behind 0.1 ohm and 13.2 V
  behind 0.05 ohm, massage on and off; SWEEP_PADS pads drawn with a seeded generator, each
  at a random level, massage on or off.
- Each a whole session: no fault latches, the true pad stays at or below 52 C, the heater is
  not paused for the supply, auto-off comes at 900 s.

The faults on the same corners, levels, rooms and adapters, and a 1,000-session sweep with a
fault each, are tests/robust/test_fault_matrix.py: each fault judged by its own rule, or
shown harmless for the reason docs/safety.md ("Known limits") gives.
"""

import itertools
import random

import pytest

from hal_sim import envelope

from . import LEVELS
from .envelope_cases import case_id, clean_session

pytestmark = pytest.mark.slow

SUPPLIES = ((10.8, 0.3), (12.0, 0.1), (13.2, 0.05))
SWEEP_PADS = 200
SWEEP_SEED = 20261201


def _nominal(ambient, supply, r_supply):
    return envelope.with_params(envelope.NOMINAL, "nominal_%g_%g_%g" % (ambient, supply, r_supply),
                                ambient_c=ambient, supply_v=supply, r_supply_ohm=r_supply)


def clean_cases():
    for name, level, massage in itertools.product(envelope.CORNERS, LEVELS, (True, False)):
        yield pytest.param(envelope.corner(name), level, massage, 1,
                           id=case_id("clean", name, level, "massage" if massage else "still"))
    for level, ambient, (v, rs), massage in itertools.product(
            LEVELS, (0.0, 22.0, 40.0), SUPPLIES, (True, False)):
        cond = _nominal(ambient, v, rs)
        yield pytest.param(cond, level, massage, 1,
                           id=case_id("clean", cond.name, level, "massage" if massage else "still"))


def sweep_cases():
    rng = random.Random(SWEEP_SEED)
    for i in range(SWEEP_PADS):
        cond = envelope.draw(rng, "pad%03d" % i)
        level = rng.choice(LEVELS)
        massage = rng.random() < 0.5
        seed = rng.randrange(1, 1 << 20)
        yield pytest.param(cond, level, massage, seed, id=case_id("sweep", i, "clean"))


def _check(cond, level, massage, seed):
    out = clean_session(cond, level, massage, seed)
    assert not out.problems, "; ".join("%s: %s" % p for p in out.problems) + (
        "\n" + cond.describe() if hasattr(cond, "describe") else "")


@pytest.mark.parametrize(("cond", "level", "massage", "seed"), list(clean_cases()))
def test_fault_free_session_over_the_envelope(cond, level, massage, seed):
    _check(cond, level, massage, seed)


@pytest.mark.parametrize(("cond", "level", "massage", "seed"), list(sweep_cases()))
def test_seeded_sweep_of_pads(cond, level, massage, seed):
    _check(cond, level, massage, seed)


def test_the_matrix_and_the_sweep_have_their_sizes():
    assert len(list(clean_cases())) == len(envelope.CORNERS) * 3 * 2 + 3 * 3 * 3 * 2
    assert len(list(sweep_cases())) == SWEEP_PADS >= 200
