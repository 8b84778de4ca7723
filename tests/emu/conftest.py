"""The emulated chip's tests: the real MicroPython rp2 port in rp2040js (hal_emu).

They need node with rp2040js (`make setup`) and the MicroPython RPI_PICO v1.27.0 image in
$MICROPYTHON_RP2_UF2 (`.ci/run` sets it); without the image they skip, saying where to get it.
Time in them is emulated time (`board.now_s`), never the wall clock.
"""

import os

import pytest

from hal_emu import image


def _need_image():
    try:
        return image.uf2_path()
    except image.ImageError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def uf2():
    return _need_image()


@pytest.fixture(scope="session")
def shipped(tmp_path_factory):
    """The deploy set ({board path: bytes}), built once into a private directory."""
    _need_image()
    return image.shipped_files(out_root=tmp_path_factory.mktemp("mpy"))


@pytest.fixture
def emu(uf2, shipped):
    from hal_emu import EmulatedBoard
    board = EmulatedBoard(uf2=uf2, files=shipped)
    yield board
    board.close()


@pytest.fixture
def chip_env(uf2):
    """The environment for a `cushion ... --chip` subprocess."""
    env = dict(os.environ)
    env[image.UF2_ENV] = str(uf2)
    return env
