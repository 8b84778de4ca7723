"""The README's examples for the served sim, sim-control, run --port, the console, --trace,
the dashboard and --version: each command line parses, and each output shown is what the
tool prints (addresses, ids and times aside)."""

import re
import subprocess
import sys
from pathlib import Path

from host.cli import COMMANDS, build_parser, main
from host.cliextra import COMMANDS as EXTRA
from host.cliextra import host_version, prepare_argv
from host.client import checksum
from tests.simserved import ENV, ROOT, cushion, served
from tests.test_trace import LINE

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
FIRST, LAST = "### A simulated cushion for other programs", "### Machine output and exit codes"
PART = README[README.index(FIRST):README.index(LAST)]


def blocks(title):
    text = PART[PART.index(title):]
    text = text[:text.find("\n### ", 1)]
    return re.findall(r"```console\n(.*?)```", text, re.S)


def examples(title):
    """[(command line, [output lines])] of a section's console blocks."""
    out = []
    for block in blocks(title):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            else:
                out[-1][1].append(line)
    return out


def cushion_argv(cmd):
    cmd = cmd.split("| ", 1)[-1]
    assert cmd.startswith("cushion "), cmd
    return cmd.split()[1:]


def test_every_command_line_shown_parses():
    parser = build_parser()
    n = 0
    for title in re.findall(r"^### .*$", PART, re.M):
        for cmd, _ in examples(title):
            argv = prepare_argv(cushion_argv(cmd), {**COMMANDS, **EXTRA})
            if "--version" not in argv:
                parser.parse_args(argv)
            n += 1
    assert n >= 10


def test_sim_control_examples():
    with served("--listen", "127.0.0.1:0", "--speed", "10") as (proc, urls, ctl):
        for cmd, shown in examples("### Sharing a served sim"):
            argv = [ctl if a.startswith("simctl://") else a for a in cushion_argv(cmd)]
            res = cushion(*argv)
            text = (res.stdout + res.stderr).splitlines()
            assert text == shown, cmd


def test_run_on_a_board_example():
    (cmd, shown), = examples("### Running a scenario against a port")
    res = subprocess.run([sys.executable, "-m", "host.cli", *cushion_argv(cmd)], cwd=ROOT,
                         env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stderr.splitlines() == shown


def test_console_example():
    (cmd, shown), = examples("### The console")
    typed = re.match(r"printf '(.*)' \|", cmd).group(1).replace("\\n", "\n")
    res = subprocess.run([sys.executable, "-m", "host.cli", *cushion_argv(cmd)], cwd=ROOT,
                         env=ENV, input=typed, capture_output=True, text=True, timeout=60)
    assert res.stdout.splitlines() == shown


def mask(text):
    text = re.sub(r"#\d+ ", "#ID ", text)
    text = re.sub(r'"id": \d+', '"id": ID', text)
    return re.sub(r"\*[0-9A-F]{2}$", "*XX", text)


def test_trace_example(capsys):
    (cmd, shown), = examples("### Tracing the line traffic")
    rows = [LINE.match(ln) for ln in shown[:-1]]
    assert all(rows)
    for m in rows:
        sent = m.group(3)
        if m.group(2) == ">" and "*" in sent:
            body, check = sent.rsplit("*", 1)
            assert checksum(body) == check                   # the example's own checksums
    assert main(cushion_argv(cmd)) == 0
    cap = capsys.readouterr()
    assert cap.out.splitlines() == shown[-1:]
    got = [LINE.match(ln).groups() for ln in cap.err.splitlines()]
    assert [(p, d, mask(t)) for p, d, t in got] == [
        (m.group(1), m.group(2), mask(m.group(3))) for m in rows]


def test_version_example(capsys):
    for cmd, shown in examples("### Versions"):
        assert main(cushion_argv(cmd)) == 0
        want = [ln.replace("0.1.0", host_version()) for ln in shown]
        assert capsys.readouterr().out.splitlines() == want


def test_dashboard_example_and_picture():
    (cmd, shown), = examples("### The dashboard")
    assert cushion_argv(cmd)[-1] == "dashboard"
    form = r"dashboard for (\S+): http://127\.0\.0\.1:\d+/\?token=[\w.-]+"
    assert re.fullmatch(form, shown[0])
    from tests.test_dashboard import running
    with running("sim://") as dash:
        assert re.fullmatch(form, dash.out.getvalue().strip())
    assert (ROOT / "docs" / "dashboard.png").stat().st_size > 10000
