"""`cushion dashboard`: who may reach it (token, Host, Origin), what it lets through, and that
it streams and controls a cushion on sim:// and on a served sim (socket and pty).  The real
browser test is tests/test_dashboard_browser.py."""

import asyncio
import io
import json
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from host.client import CushionClient
from host.cli import main
from host.dashboard.guard import Guard, command_line
from host.dashboard.server import Dashboard
from tests.simserved import served


@contextmanager
def running(port_url):
    client = CushionClient.connect(port_url)
    dash = Dashboard(client, "127.0.0.1", 0, out=io.StringIO())
    stop = asyncio.Event()
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(dash.serve(ready=ready.set, stop=stop),), daemon=True)
    thread.start()
    assert ready.wait(10)
    end = time.monotonic() + 10
    while "telemetry" not in dash.device.last:           # streaming: the start-up is over
        assert time.monotonic() < end
        time.sleep(0.02)
    try:
        yield dash
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        client.close()


def ws_url(dash, token=None):
    return f"ws://127.0.0.1:{dash.port}/ws?token={dash.token if token is None else token}"


def origin(dash):
    return f"http://127.0.0.1:{dash.port}"


def messages(ws, want, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        msg = json.loads(ws.recv(timeout=end - time.monotonic()))
        if want(msg):
            return msg
    raise AssertionError("no such message")


def http_status(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def sim_dash():
    with running("sim://?speed=20") as dash:
        yield dash


def test_the_page_needs_the_token_and_our_host(sim_dash):
    d = sim_dash
    assert http_status(d.url)[0] == 200
    assert f"page.js?token={d.token}" in http_status(d.url)[1]
    base = f"http://127.0.0.1:{d.port}"
    assert http_status(base + "/page.js?token=" + d.token)[0] == 200
    for url, headers in ((base + "/", {}), (base + "/?token=nope", {}),
                         (base + "/page.js", {}),
                         (d.url, {"Host": f"rebound.example:{d.port}"}),
                         (d.url, {"Origin": "http://evil.example"})):
        status, body = http_status(url, headers)
        assert status == 403, (url, headers)


@pytest.mark.parametrize("how", ["no token", "wrong token", "foreign origin", "bad host"])
def test_the_stream_refuses_strangers_and_nothing_changes(sim_dash, how):
    d = sim_dash
    sim = d.client.ser.simulation
    replies = len(sim.replies)
    kwargs = {"origin": origin(d)}
    url = ws_url(d)
    if how == "no token":
        url = f"ws://127.0.0.1:{d.port}/ws"
    elif how == "wrong token":
        # the last character changed (the token is random: it may already end in "x")
        url = ws_url(d, token=d.token[:-1] + ("y" if d.token.endswith("x") else "x"))
    elif how == "foreign origin":
        kwargs["origin"] = "http://evil.example"
    else:
        kwargs["additional_headers"] = {"Host": f"evil.example:{d.port}"}
    with pytest.raises(InvalidStatus) as info:
        with ws_connect(url, open_timeout=5, **kwargs) as ws:
            ws.send(json.dumps({"cmd": "heat", "level": "high"}))
    assert info.value.response.status_code == 403
    time.sleep(0.3)
    assert sim.state()["heat"] == "off"
    assert len(sim.replies) == replies                     # not one line reached it


def test_commands_are_checked_as_strictly_as_serial_lines():
    assert command_line({"cmd": "heat", "level": "high"}) == "heat high"
    assert command_line({"cmd": "massage", "mode": "knead", "intensity": 3}) == "massage knead 3"
    assert command_line({"cmd": "stop"}) == "stop"
    for bad in ({"cmd": "heat", "level": "high; service"}, {"cmd": "heat", "level": "HOT"},
                {"cmd": "service"}, {"cmd": "heat"}, {"cmd": "stop", "now": True},
                {"cmd": "massage", "mode": "wave", "intensity": True},
                {"cmd": "massage", "mode": "wave", "intensity": 4}, ["heat", "high"],
                {"cmd": "telemetry", "on": 100}):
        with pytest.raises(ValueError):
            command_line(bad)


def test_a_bad_command_from_the_page_sends_nothing(sim_dash):
    d = sim_dash
    sim = d.client.ser.simulation
    with ws_connect(ws_url(d), origin=origin(d)) as ws:
        messages(ws, lambda m: m["type"] == "event")
        before = len(sim.replies)
        for text in ("{not json", json.dumps({"cmd": "service"}),
                     json.dumps({"cmd": "heat", "level": "max"})):
            ws.send(text)
            assert messages(ws, lambda m: m["type"] == "refused")["detail"]
        time.sleep(0.3)
        assert len(sim.replies) == before                  # not one line went to the device


def test_guard_names_for_loopback_and_beyond():
    g = Guard("t", "127.0.0.1", 8000)
    assert {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"} <= g.hosts
    assert Guard("t", "192.0.2.7", 8000).hosts == {"192.0.2.7:8000"}


def test_serving_beyond_loopback_needs_a_flag(capsys):
    assert main(["--port", "sim://", "dashboard", "--listen", "0.0.0.0:0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def drive(dash, truth):
    with ws_connect(ws_url(dash), origin=origin(dash)) as ws:
        assert messages(ws, lambda m: m["type"] == "info")["info"]["fw"] == "cushion"
        tel = messages(ws, lambda m: m["type"] == "event" and m["event"]["event"] == "telemetry")
        assert {"temp_c", "temp2_c", "setpoint_c", "heater_pct", "motor_pct"} <= set(tel["event"])
        ws.send(json.dumps({"cmd": "heat", "level": "high"}))
        reply = messages(ws, lambda m: m["type"] == "reply")
        assert reply["request"] == "heat high" and reply["reply"]["ok"] is True
        assert truth()["heat"] == "high"
        ws.send(json.dumps({"cmd": "massage", "mode": "wave", "intensity": 3}))
        assert messages(ws, lambda m: m["type"] == "reply")["reply"]["massage"] == "wave"
        ws.send(json.dumps({"cmd": "stop"}))
        messages(ws, lambda m: m["type"] == "reply")
        assert truth()["heat"] == "off"


def test_stream_and_controls_on_sim(sim_dash):
    drive(sim_dash, lambda: sim_dash.client.ser.simulation.state())


@pytest.mark.parametrize("which", [0, 1], ids=["socket", "pty"])
def test_stream_and_controls_on_a_served_sim(which):
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, _ctl):
        with running(urls[which]) as dash:
            other = CushionClient.connect(urls[1 - which])
            try:
                drive(dash, lambda: other.request("status"))
            finally:
                other.close()
