"""Unit tests of the firmware modules (firmware/cushion/) on a recording fake HAL.

Importing the fake first installs the `micropython` stand-in and puts firmware/ on sys.path,
so every test module here may import `cushion` at its top.
"""

from . import fakehal  # noqa: F401
