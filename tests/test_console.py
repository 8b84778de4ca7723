"""`cushion console` driven non-interactively: prompt_toolkit's pipe input and DummyOutput,
against sim:// in this process and a served sim over the socket and the pty."""

import io
import threading
import time

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from host.client import CushionClient
from host.console import Console, completer, describe
from host.simcontrol import ControlClient
from tests.simserved import served


class Typist:
    """Run a Console in a thread and type into it."""

    def __init__(self, client, control=None):
        self.pipe_cm = create_pipe_input()
        self.pipe = self.pipe_cm.__enter__()
        session = PromptSession(input=self.pipe, output=DummyOutput(),
                                completer=completer(control is not None))
        self.out = io.StringIO()
        self.console = Console(client, control=control, session=session, out=self.out,
                               color=False)
        self.result = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.result = self.console.run()

    def type(self, text, wait_for=None, timeout=10.0):
        self.pipe.send_text(text)
        if wait_for is None:
            return
        end = time.monotonic() + timeout
        while wait_for not in self.out.getvalue():
            assert time.monotonic() < end, f"never saw {wait_for!r} in:\n{self.out.getvalue()}"
            time.sleep(0.02)

    def leave(self, key="\x04"):
        self.pipe.send_text(key)
        self.thread.join(timeout=10)
        self.pipe_cm.__exit__(None, None, None)
        assert not self.thread.is_alive()
        return self.out.getvalue()


def session_with(client, control=None, key="\x04"):
    t = Typist(client, control)
    t.type("heat high\n", wait_for='ok heat="high"')
    t.type("statux\x7fs\n", wait_for='ok state="active"')        # line editing: backspace
    t.type("massage knead 7\n", wait_for="error bad_argument: usage: massage")
    t.type("\x1b[A\x1b[A\x1b[A\n")                                 # history: heat high again
    t.type("telemetry on 100\n", wait_for="[telemetry] state=")
    return t.leave(key)


@pytest.mark.parametrize("key", ["\x04", "\x03"], ids=["ctrl-d", "ctrl-c"])
def test_console_on_sim_leaves_with_telemetry_off(key):
    client = CushionClient.connect("sim://?speed=10")
    try:
        text = session_with(client, key=key)
        assert text.startswith("connected to cushion ")
        assert text.count('ok heat="high"') == 2
        assert client.ser.simulation.ctl.console.telemetry_ms == 0        # the firmware's own state
    finally:
        client.close()


def test_tab_completion_of_verbs_and_arguments():
    comp = completer(True)

    def words(text):
        return sorted(c.text for c in comp.get_completions(Document(text), None))
    assert "heat" in words("he") and "help" in words("he")
    assert words("heat ") == ["high", "low", "medium", "off"]
    assert words("massage knead ") == ["1", "2", "3"]
    assert "sensor_detached" in words("!inject sensor_d")
    assert words("!inject sensor_open sen") == ["sensor=0", "sensor=1", "sensor=both"]
    assert "!inject" in words("!in")
    assert "!inject" not in [c.text for c in completer(False).get_completions(
        Document("!in"), None)]


def test_replies_and_events_have_their_own_styles():
    assert describe({"ok": True, "id": 3, "heat": "low"}) == ("ok", 'ok heat="low"')
    assert describe({"ok": False, "id": 3, "error": "fault_active", "detail": "x"}) == (
        "error", "error fault_active: x")
    assert describe({"event": "fault", "code": "overheat"})[0] == "fault"
    assert describe({"event": "telemetry", "state": "idle"})[0] == "telemetry"


@pytest.mark.parametrize("which", [0, 1], ids=["socket", "pty"])
def test_console_on_a_served_sim_with_its_control_channel(which):
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, ctl):
        client = CushionClient.connect(urls[which])
        control = ControlClient(ctl)
        try:
            t = Typist(client, control)
            t.type("heat low\n", wait_for='ok heat="low"')
            t.type("!inject sensor_open\n", wait_for='ok done="inject"')
            t.type("", wait_for='[fault] code="sensor_open"')
            t.type("!repair sensor_open\n", wait_for='ok done="repair"')
            t.type("telemetry on 200\n", wait_for="[telemetry]")
            t.leave()
            truth = control.request("truth")
            me = [c for c in truth["clients"] if c["telemetry_ms"]]
            assert me == []                                  # left with telemetry off
        finally:
            client.close()
            control.close()


def test_console_without_a_control_channel_says_how_to_get_one():
    client = CushionClient.connect("sim://?speed=10")
    try:
        t = Typist(client)
        t.type("!reset\n", wait_for="no control channel: give --control simctl://")
        t.leave()
    finally:
        client.close()


def test_console_command_reads_requests_from_a_pipe():
    import subprocess
    import sys

    from tests.simserved import ENV, ROOT
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, ctl):
        for url in urls:
            res = subprocess.run([sys.executable, "-m", "host.cli", "--port", url, "console",
                                  "--control", ctl], input="heat low\n!truth\nbogus\n",
                                 capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=60)
            assert res.returncode == 0, res.stderr
            lines = res.stdout.splitlines()
            assert lines[0].startswith("connected to cushion ")
            assert lines[1] == 'ok heat="low" capped=false'
            assert lines[2].startswith("ok sim_s=")
            assert lines[3].startswith("error unknown_command: ")
