"""docs/emulator.md's example runs as written (with the session's prebuilt deploy set)."""

import functools
import re

import pytest

import hal_emu
from host.flash import REPO_ROOT

pytestmark = pytest.mark.emu


def test_the_python_example_in_docs_emulator_md_runs(uf2, shipped, monkeypatch):
    text = (REPO_ROOT / "docs" / "emulator.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    monkeypatch.setattr(hal_emu, "EmulatedBoard",
                        functools.partial(hal_emu.EmulatedBoard, uf2=uf2, files=shipped))
    exec(compile(blocks[0], "docs/emulator.md", "exec"), {})
