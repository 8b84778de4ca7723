"""hal_sim: the simulated cushion that the whole firmware runs on in tests and CI."""

try:
    import micropython  # noqa: F401  (the real one in a MicroPython VM)
except ImportError:  # CPython: the firmware's `from micropython import const` needs a stand-in
    from hal_sim import _mpshim  # noqa: F401

try:
    import cushion  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    import sys

    sys.path.append(__file__.rsplit("/", 2)[0] + "/firmware")

from hal_sim.simulation import FAULTS, Simulation, SimulationError  # noqa: E402

__all__ = ["FAULTS", "Simulation", "SimulationError"]
