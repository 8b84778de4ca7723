"""The host CLI: start-up time of `cushion --help` (median of 5 subprocess runs) and the
round trip of one `status` request through host.client.CushionClient (median of 20, after
the connection's own handshake), over `sim://` (in-process simulated cushion at 1x real
time, the default) and over `socket://` to a `cushion sim --listen 127.0.0.1:0` server
started for the purpose (and stopped afterwards). The firmware answers in its next 50 ms
tick, so at 1x a round trip is bounded below by the wait for that tick."""

import os
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT


def _cushion_cmd():
    exe = Path(sys.executable).parent / "cushion"
    if exe.is_file():
        return [str(exe)]
    return [sys.executable, "-m", "host.cli"]


def help_time(runs=5):
    cmd = _cushion_cmd() + ["--help"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=60)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise RuntimeError("cushion --help failed: %s" % proc.stderr.decode()[-300:])
    return statistics.median(times), cmd


def roundtrip(url, runs=20):
    from host.client import CushionClient
    client = CushionClient.connect(url, timeout=5.0)
    try:
        client.request("status")  # warm
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            reply = client.request("status")
            times.append((time.perf_counter() - t) * 1000)
            assert reply.get("ok") is True
    finally:
        client.close()
    return statistics.median(times)


def _start_server(timeout=20.0):
    cmd = _cushion_cmd() + ["sim", "--listen", "127.0.0.1:0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            if b"\n" in buf:
                first = buf.split(b"\n", 1)[0].decode().strip()
                return proc, first
        elif proc.poll() is not None:
            break
    return proc, buf.decode(errors="replace").strip()


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run():
    out = {"notes": {}}
    try:
        out["help_s"], cmd = help_time()
        out["help_cmd"] = " ".join(Path(c).name for c in cmd)
    except Exception as e:  # noqa: BLE001 - report, do not crash the bench
        out["help_s"] = None
        out["notes"]["help_s"] = "not measured: %s" % e
    rt = {}
    try:
        rt["sim"] = roundtrip("sim://")
    except Exception as e:  # noqa: BLE001
        rt["sim"] = None
        out["notes"]["sim"] = "not measured: %s: %s" % (type(e).__name__, e)
    proc = None
    try:
        proc, first = _start_server()
        if not first.startswith("socket://"):
            err = ""
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-300:]
            raise RuntimeError("`cushion sim --listen` printed %r first %s" % (first, err))
        rt["socket"] = roundtrip(first)
        out["socket_url"] = first
    except Exception as e:  # noqa: BLE001
        rt["socket"] = None
        out["notes"]["socket"] = "not measured: %s: %s" % (type(e).__name__, e)
    finally:
        if proc is not None:
            _stop(proc)
    out["status_roundtrip_ms"] = rt
    return out
