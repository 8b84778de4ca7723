"""`--trace`: every line sent and received, timestamped, for any command, on stderr or into a
file; against sim:// in this process and against a served sim over the socket and the pty."""

import re

import pytest

from host import trace
from host.cli import main
from tests.simserved import cushion, served

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+\d+\.\d{3} (\S+) ([<>]) (.*)$")


def parse(text):
    # `watch --seconds` also says how far it is on stderr (README, "Running scenario files")
    rows = [LINE.match(ln) for ln in text.splitlines()
            if ln.strip() and not ln.startswith("cushion watch: ")]
    assert rows and all(rows), text
    return [m.groups() for m in rows]


def check_status_traffic(rows, port):
    assert {r[0] for r in rows} == {port}
    sent = [r[2] for r in rows if r[1] == ">"]
    got = [r[2] for r in rows if r[1] == "<"]
    req = [s for s in sent if " status*" in s]
    assert len(req) == 1
    req_id = re.match(r"#(\d+) status\*[0-9A-F]{2}$", req[0]).group(1)
    assert any(g.startswith('{"ok": true, "id": %s, "state": ' % req_id) for g in got)
    assert any(" info*" in s for s in sent)                 # the handshake is traced too


def test_trace_on_stderr_with_sim(capsys):
    assert main(["--trace", "--port", "sim://", "status"]) == 0
    cap = capsys.readouterr()
    assert cap.out.startswith("state ")                    # stdout is unchanged
    check_status_traffic(parse(cap.err), "sim://")


def test_trace_into_a_file_after_the_command(tmp_path, capsys):
    dest = tmp_path / "wire.log"
    assert main(["--port", "sim://", "heat", "low", "--trace", str(dest)]) == 0
    assert capsys.readouterr().err == ""
    rows = parse(dest.read_text())
    assert any(r[2].startswith("#") and " heat low*" in r[2] for r in rows)
    assert any('"heat": "low"' in r[2] for r in rows if r[1] == "<")


def test_a_trace_file_that_cannot_be_written_is_a_usage_error(tmp_path, capsys):
    assert main(["--trace", str(tmp_path / "no" / "such.log"), "--port", "sim://",
                 "status"]) == 2
    assert capsys.readouterr().err.startswith("cushion: cannot write the trace to ")


def test_noise_is_escaped_not_hidden():
    assert trace.escape(b'\x03{"ok"\xff\\\r') == '\\x03{"ok"\\xff\\\\\\r'


@pytest.mark.parametrize("which", [0, 1], ids=["socket", "pty"])
def test_trace_against_a_served_sim(which):
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, _ctl):
        res = cushion("--trace", "status", port=urls[which])
        assert res.returncode == 0
        check_status_traffic(parse(res.stderr), urls[which])
        res = cushion("--trace", "--json", "watch", "--seconds", "0.5", "--period", "100",
                      port=urls[which])
        rows = parse(res.stderr)
        assert sum('"event": "telemetry"' in r[2] for r in rows) >= 3
        assert any(" telemetry off*" in r[2] for r in rows if r[1] == ">")
