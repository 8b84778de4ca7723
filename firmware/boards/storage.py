"""The HAL's storage object: a flat directory of small files on the board's file system.

docs/hardware.md: ``read`` (None when missing), ``write`` (plain, NOT atomic: power may cut
it part-way), ``rename`` (atomic replace) and ``remove`` (quiet when missing).
``cushion/store.py`` builds atomic, checksummed files from these: write a temporary file,
then rename it over the real one.

Runs on MicroPython's ``os`` (littlefs on rp2 and esp32, VfsPosix on the unix port) and on
CPython's. Not called from the control tick, so allocating here is fine.

Rename over an existing file (checked in tests/test_boards.py, in the MicroPython VM on
littlefs2, FAT and the unix file system, and in CPython):

- littlefs (rp2 and esp32 flash: ``lfs_rename``) and POSIX ``rename(2)`` replace the target
  atomically: a power cut leaves the old or the new file under the name, never neither.
- FAT (``VfsFat``, e.g. an SD card) also replaces, but NOT atomically: MicroPython's
  VfsFat.rename removes the existing target and then renames. In that window the target
  name is missing and the new data exists only under the old (temporary) name, so a reader
  that finds the target missing must look for the temporary file. The boards here use
  littlefs; this matters only if /data ever moves to FAT.
- CPython: ``os.replace`` (``os.rename`` refuses an existing target on Windows).
"""

import errno
import os

# os.replace (CPython) replaces on every OS; MicroPython's os.rename already replaces.
_replace = getattr(os, "replace", None) or os.rename


def _errno(err):
    return err.args[0] if err.args else None


def _makedirs(path):
    """mkdir -p: MicroPython has no os.makedirs."""
    try:
        os.mkdir(path)
    except OSError as err:
        code = _errno(err)
        if code == errno.EEXIST:
            return
        parent = path.rsplit("/", 1)[0]
        if code != errno.ENOENT or not parent or parent == path:
            raise
        _makedirs(parent)
        os.mkdir(path)


class DirStorage:
    """Files ``<path>/<name>``; the directory is created when missing."""

    def __init__(self, path):
        path = path.rstrip("/")
        if path:
            _makedirs(path)
        self.path = path or "/"
        self._prefix = path + "/"

    def _file(self, name):
        return self._prefix + name

    def read(self, name):
        """The whole file as bytes, or None when there is no such file."""
        try:
            f = open(self._file(name), "rb")
        except OSError as err:
            if _errno(err) == errno.ENOENT:
                return None
            raise
        with f:
            return f.read()

    def write(self, name, data):
        """Create or truncate, then write. Not atomic on purpose: store.py makes it so."""
        with open(self._file(name), "wb") as f:
            f.write(data)

    def rename(self, old, new):
        """Rename ``old`` to ``new``, atomically replacing an existing ``new``.

        (On FAT not atomic: see the module doc.)
        """
        _replace(self._file(old), self._file(new))

    def remove(self, name):
        """Delete; no error when the file is already gone."""
        try:
            os.remove(self._file(name))
        except OSError as err:
            if _errno(err) != errno.ENOENT:
                raise
