"""Campaigns on real Dask clusters: the default LocalCluster (2 worker processes), a real
`dask scheduler` with two `dask worker` processes on 127.0.0.1 reached through --scheduler,
a worker killed mid-campaign, a resumed campaign, and the same rows on 1 and on 2 workers."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import tomllib

import pytest

import hal_sim  # noqa: F401 - the firmware's `micropython` shim
from hal_sim.campaign.results import ResultsDir
from hal_sim.campaign.runner import run_missing
from hal_sim.campaign.session import session_seeds
from hal_sim.campaign.spec import validate_spec

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
SPEC_TOML = """
name = "dask test"
seed = 5
[session]
levels = ["medium", "high"]
run_on_s = 40.0
settle_s = 5.0
[faults]
inject_s = [5.0, 30.0]
fault_free = 0.2
[faults.args]
sensor_open = { sensor = [0, 1] }
[followup]
power_cycle = 0.1
reset = 0.1
after_s = [1.0, 10.0]
"""


@pytest.fixture()
def spec_file(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_text(SPEC_TOML)
    return f


def cushion(*args, timeout=240):
    return subprocess.run([str(BIN / "cushion"), "campaign", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def rows_of(out):
    lines = (pathlib.Path(out) / "results.jsonl").read_text().splitlines()
    rows = [json.loads(x) for x in lines]
    return rows, {r["seed"]: r for r in rows}


def test_local_cluster_two_workers_then_one_worker_gives_the_same_rows(spec_file, tmp_path):
    two, one = tmp_path / "two", tmp_path / "one"
    p = cushion(spec_file, "--sessions", 24, "--workers", 2, "--out", two)
    assert p.returncode == 0, p.stderr
    assert "24 of 24 sessions done (24 ran now, 0 skipped)" in p.stdout
    assert "local cluster of 2 worker(s)" in (two / "report.md").read_text()
    assert (two / "report-pad.png").stat().st_size > 5000
    rows2, by_seed2 = rows_of(two)
    assert sorted(by_seed2) == session_seeds(5, 24) and len(rows2) == 24
    assert all(r["verdict"] != "error" for r in rows2)
    p = cushion(spec_file, "--sessions", 24, "--workers", 1, "--out", one)
    assert p.returncode == 0, p.stderr
    _, by_seed1 = rows_of(one)
    assert by_seed1 == by_seed2  # a session is its seed: the same on any worker count


def test_resume_runs_only_the_missing_sessions(spec_file, tmp_path):
    spec = validate_spec(tomllib.loads(SPEC_TOML))
    spec["sessions"] = None  # as the command stores it: the count is not part of the identity
    out = tmp_path / "out"
    seeds = session_seeds(5, 12)
    r = ResultsDir(str(out))
    r.claim(spec)
    r.load()
    first = run_missing(spec, seeds[:8], r, workers=2)
    assert first["ran"] == 8
    # a kill mid-write: drop two rows, leave half a line
    lines = (out / "results.jsonl").read_text().splitlines(keepends=True)
    (out / "results.jsonl").write_text("".join(lines[:6]) + lines[6][:20])
    p = cushion(spec_file, "--sessions", 12, "--workers", 2, "--out", out)
    assert p.returncode == 0, p.stderr
    assert "12 of 12 sessions done (6 ran now, 6 skipped)" in p.stdout
    rows, by_seed = rows_of(out)
    assert len(rows) == 12 and sorted(by_seed) == seeds
    p = cushion(spec_file, "--sessions", 12, "--out", out)
    assert "(0 ran now, 12 skipped)" in p.stdout and p.returncode == 0
    # another spec in the same directory is refused, and nothing is written
    spec_file.write_text(SPEC_TOML.replace("fault_free = 0.2", "fault_free = 0.3"))
    p = cushion(spec_file, "--sessions", 12, "--out", out)
    assert p.returncode == 2 and "another spec" in p.stderr
    assert len(rows_of(out)[0]) == 12


class DaskCluster:
    """A `dask scheduler` and `dask worker`s as processes on 127.0.0.1, free ports."""

    def __init__(self, tmp, n_workers, nanny=True):
        self.file = tmp / "scheduler.json"
        self.procs = []
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.procs.append(self._start(["scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", self.file], env))
        self.address = self._address()
        self.workers = [self._start(["worker", self.address, "--host", "127.0.0.1",
                                     "--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
                                    + ([] if nanny else ["--no-nanny"]), env)
                        for _ in range(n_workers)]
        self.procs += self.workers
        self._wait_workers(n_workers)

    def _start(self, args, env):
        return subprocess.Popen([str(BIN / "dask"), *map(str, args)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _address(self):
        for _ in range(300):
            try:
                return json.loads(self.file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        raise RuntimeError("the dask scheduler did not start")

    def _wait_workers(self, n):
        from distributed import Client
        with Client(self.address, timeout="20s") as c:
            c.wait_for_workers(n, timeout=60)

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_real_scheduler_and_two_workers_through_scheduler(spec_file, tmp_path):
    cluster = DaskCluster(tmp_path, 2)
    try:
        out = tmp_path / "out"
        p = cushion(spec_file, "--sessions", 20, "--scheduler", cluster.address, "--out", out)
        assert p.returncode == 0, p.stderr
        assert cluster.address.startswith("tcp://127.0.0.1:")
        rows, by_seed = rows_of(out)
        assert len(rows) == 20 and sorted(by_seed) == session_seeds(5, 20)
        assert cluster.address in (out / "report.md").read_text()
    finally:
        cluster.close()


def test_a_worker_killed_mid_campaign_loses_no_session(spec_file, tmp_path):
    cluster = DaskCluster(tmp_path, 2, nanny=False)  # no nanny: a killed worker stays dead
    try:
        out = tmp_path / "out"
        n = 80
        camp = subprocess.Popen([str(BIN / "cushion"), "campaign", str(spec_file), "--sessions",
                                 str(n), "--scheduler", cluster.address, "--out", str(out)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        results = out / "results.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if results.exists() and results.read_text().count("\n") >= 10:
                break
            time.sleep(0.05)
        done_at_kill = results.read_text().count("\n")
        assert done_at_kill < n - 10, "the campaign finished before the kill"
        cluster.workers[0].send_signal(signal.SIGKILL)
        stdout, stderr = camp.communicate(timeout=240)
        assert camp.returncode == 0, stderr
        assert cluster.workers[0].wait(timeout=10) == -signal.SIGKILL
        rows, by_seed = rows_of(out)
        assert len(rows) == n and sorted(by_seed) == session_seeds(5, n)  # complete, once each
        assert all(r["verdict"] != "error" for r in rows)
    finally:
        cluster.close()
