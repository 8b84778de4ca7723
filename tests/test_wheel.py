"""The wheel as a user installs it: `python -m build`, then `pip install` into a fresh venv.

The venv is made away from the source tree and every command runs from an empty temporary
directory, so nothing can be imported from the checkout: what works here works for a user who
never cloned the repository.  The dependencies come from PyPI (or pip's cache).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

# About a minute: it builds the wheel and installs it with its dependencies (PyPI or pip cache).
# One xdist worker takes the whole module (`--dist loadgroup`), so the wheel is built once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "adc_reference_drift.toml"
# What the wheel may claim as top-level import names: product-specific ones only.
TOP_LEVEL = {"cushion", "cushion_host", "hal_sim", "hal_emu"}
SKIP_COPY = shutil.ignore_patterns(".venv", "node_modules", "build", "dist", ".git",
                                   "__pycache__", "*.egg-info", ".pytest_cache")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(cushion executable, venv python, wheel path, an empty working directory)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"                      # a copy: the build writes build/ and *.egg-info
    shutil.copytree(ROOT, src, ignore=SKIP_COPY)
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)],
                   check=True, capture_output=True, text=True, timeout=300)
    wheel = next(dist.glob("cushion_tools-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install",
                          "--quiet", str(wheel)], capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        pytest.fail("pip install of the wheel failed:\n" + res.stderr[-3000:])
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    return venv / "bin" / "cushion", py, wheel, cwd


def env_away_from_the_tree(tmp):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CUSHION_PORT", "VIRTUAL_ENV")}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")      # where an installed flash builds
    return env


def cushion(installed, *args, timeout=60):
    exe, _py, _wheel, cwd = installed
    return subprocess.run([str(exe), *args], cwd=cwd, env=env_away_from_the_tree(cwd),
                          capture_output=True, text=True, timeout=timeout)


def test_the_wheel_claims_no_generic_import_name_and_ships_the_firmware(installed):
    _exe, py, wheel, cwd = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} \
        == TOP_LEVEL
    shipped = {n.removeprefix("cushion_host/firmware/") for n in names
               if n.startswith("cushion_host/firmware/")}
    in_tree = {p.relative_to(ROOT / "firmware").as_posix()
               for p in (ROOT / "firmware").rglob("*.py") if "__pycache__" not in p.parts}
    assert shipped == in_tree
    assert {"cushion_host/dashboard/page.html", "hal_emu/harness.mjs"} <= set(names)
    # `host`, `tools`, `boards` are not importable from the installed tool
    res = subprocess.run([str(py), "-c", "import importlib.util as u; "
                          "print([n for n in ('host', 'tools', 'boards', 'main') "
                          "if u.find_spec(n)])"], cwd=cwd, capture_output=True, text=True,
                         env=env_away_from_the_tree(cwd))
    assert res.stdout.strip() == "[]", res.stderr


def test_the_readme_installs_the_wheel_this_test_builds(installed):
    readme = (ROOT / "README.md").read_text()
    wheel = installed[2]
    assert f"-m build --wheel       # writes dist/{wheel.name}" in readme
    assert f"bin/pip install dist/{wheel.name}" in readme
    assert "bin/cushion --port sim:// status" in readme


def test_installed_cushion_talks_to_a_sim_and_knows_its_version(installed):
    res = cushion(installed, "--port", "sim://", "--json", "status")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["state"] == "idle"
    res = cushion(installed, "--version")
    assert res.returncode == 0 and res.stdout.startswith("cushion (host tool) "), res.stderr


def test_installed_cushion_runs_a_scenario_file(installed):
    cwd = installed[3]
    shutil.copy(SCENARIO, cwd / SCENARIO.name)
    res = cushion(installed, "run", SCENARIO.name)
    assert res.returncode == 0, res.stdout + res.stderr
    passed = re.search(r"^PASS: (\d+) of (\d+) expectations passed", res.stdout, re.M)
    assert passed and passed[1] == passed[2], res.stdout


def test_installed_flash_builds_the_shipped_firmware_before_it_looks_for_the_board(installed):
    res = cushion(installed, "--port", "/dev/ttyNOSUCHBOARD", "flash")
    assert res.returncode == 3, res.stdout + res.stderr       # no board: a connection error
    assert "[1/5] building .mpy files from firmware/" in res.stdout
    built = installed[3] / "cache" / "cushion" / "mpy"
    assert (built / "main.py").is_file() and (built / "cushion" / "safety.mpy").is_file()
    assert (built / "boards" / "pico.mpy").is_file()


def test_installed_console_answers_a_typed_line(installed):
    exe, _py, _wheel, cwd = installed
    res = subprocess.run([str(exe), "--port", "sim://", "console"], input="status\n",
                         cwd=cwd, env=env_away_from_the_tree(cwd), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert 'state="idle"' in res.stdout


def _first_line(proc, deadline_s=30):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if line.strip():
            return line.strip()
    pytest.fail("no address printed")


def _serve(installed, *args):
    exe, _py, _wheel, cwd = installed
    return subprocess.Popen([str(exe), *args], cwd=cwd, env=env_away_from_the_tree(cwd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_installed_sim_serves_a_socket_that_status_reaches(installed):
    proc = _serve(installed, "sim", "--listen", "127.0.0.1:0")
    try:
        url = _first_line(proc)
        assert url.startswith("socket://127.0.0.1:")
        res = cushion(installed, "--port", url, "--json", "status")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["state"] == "idle"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_installed_dashboard_serves_its_page(installed):
    proc = _serve(installed, "--port", "sim://", "dashboard", "--listen", "127.0.0.1:0")
    try:
        line = _first_line(proc)
        url = line[line.index("http://"):]
        with urllib.request.urlopen(url, timeout=10) as reply:
            page = reply.read().decode()
        assert reply.status == 200 and "page.js" in page
    except OSError as exc:
        pytest.fail(f"the dashboard did not serve {line!r}: {exc}")
    finally:
        proc.send_signal(signal.SIGINT)                  # Ctrl-C, as a user stops it
        proc.wait(timeout=20)
