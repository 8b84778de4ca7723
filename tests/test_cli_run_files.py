"""`cushion run FILE... [-v]` (several files, globs) and progress on long work (issue 13).

On a terminal (a real pty from the `pty` module) `run` of several files and `watch --seconds`
draw a tqdm bar on stderr; anywhere else they write plain lines, and with --json stdout stays
one JSON object (or JSON lines) with the progress on stderr.
"""

import csv
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import host.cli as cli
from host.csvlog import CSV_FIELDS, TRUTH_FIELDS
from host.errors import EXIT_OK, EXIT_REFUSED, EXIT_USAGE

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = """name = "{name}"
ambient_c = 22.0
duration_s = 10
steps = [ {{ at_s = 0, send = "heat high" }} ]
expect = [ {{ max_pad_c = {max_c} }} ]
"""


def write(tmp_path, name, max_c=50.0):
    path = tmp_path / f"{name}.toml"
    path.write_text(SCENARIO.format(name=name, max_c=max_c))
    return str(path)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def on_a_terminal(*argv):
    """Run `cushion ARGV` with stdin, stdout and stderr on a pty; (exit code, what it drew)."""
    pid, fd = pty.fork()
    if pid == 0:                                          # the child: a terminal's program
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "host.cli", *argv])
    # a terminal 100 columns wide (a fresh pty has no size, and tqdm would draw nothing)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    drawn = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:                                   # EIO: the child closed the pty
            break
        if not data:
            break
        drawn += data
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), drawn.decode("utf-8", "replace")


def piped(*argv):
    return subprocess.run([sys.executable, "-m", "host.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


# -- several files, globs, -v --------------------------------------------------------------

def test_several_files_run_in_turn_with_a_plain_line_each_and_the_worst_exit(capsys, tmp_path):
    a, b = write(tmp_path, "a"), write(tmp_path, "b", max_c=10.0)   # b's pad starts at 22 C
    code, out, _ = run(capsys, "run", a, b)
    assert code == EXIT_REFUSED
    lines = out.splitlines()
    assert lines.index(f"[1/2] {a}") < lines.index(f"scenario: a ({a})") \
        < lines.index(f"[2/2] {b}") < lines.index(f"scenario: b ({b})")
    assert [ln.split(":")[0] for ln in lines if ln.startswith(("PASS:", "FAIL:"))] \
        == ["PASS", "FAIL"]
    assert "\r" not in out


def test_a_quoted_glob_is_expanded_sorted_and_must_match(capsys, tmp_path):
    write(tmp_path, "b"), write(tmp_path, "a")
    code, out, _ = run(capsys, "run", str(tmp_path / "*.toml"))
    assert code == EXIT_OK
    assert [ln for ln in out.splitlines() if ln.startswith("scenario:")] == [
        f"scenario: a ({tmp_path / 'a.toml'})", f"scenario: b ({tmp_path / 'b.toml'})"]
    code, _, err = run(capsys, "run", str(tmp_path / "nothing*.toml"))
    assert code == EXIT_USAGE and "no scenario file matches" in err


def test_a_bad_file_among_several_is_named_before_any_runs(capsys, tmp_path):
    good, bad = write(tmp_path, "good"), tmp_path / "bad.toml"
    bad.write_text('name = "x"\nduration_s = -1\n')
    code, out, err = run(capsys, "run", good, str(bad))
    assert code == EXIT_USAGE and out == ""
    assert err.startswith(f"cushion: {bad}: ") and err.count("\n") == 1


def test_verbose_prints_each_step_and_reply_as_the_scenario_package_does(capsys, tmp_path):
    from hal_sim.scenario import main as hal_sim_run
    path = write(tmp_path, "v")
    code, out, _ = run(capsys, "run", path, "-v")
    assert code == EXIT_OK
    assert "steps[0] send 'heat high'" in out and "steps[0] -> ok" in out
    assert "event boot" in out or "event telemetry" not in out
    assert hal_sim_run([path, "-v"]) == EXIT_OK
    same = capsys.readouterr().out

    def wall(text):
        return [ln for ln in text.splitlines() if "simulated in" not in ln]
    assert wall(out) == wall(same)


def test_several_files_write_one_host_csv_each_the_same_as_json_mode(capsys, tmp_path):
    a, b = write(tmp_path, "a"), write(tmp_path, "b")
    human, machine = tmp_path / "h.csv", tmp_path / "m.csv"
    assert run(capsys, "run", a, b, "--csv", str(human))[0] == EXIT_OK
    code, out, err = run(capsys, "--json", "run", a, b, "--csv", str(machine))
    assert code == EXIT_OK
    obj = json.loads(out)                                  # stdout: one object
    assert [s["scenario"] for s in obj["scenarios"]] == ["a", "b"] and obj["ok"] is True
    assert obj["wrote"] == [str(tmp_path / "m-a.csv"), str(tmp_path / "m-b.csv")]
    assert f"[1/2] {a}" in err                             # the progress: on stderr
    for stem in ("a", "b"):
        text = (tmp_path / f"h-{stem}.csv").read_text()
        assert text == (tmp_path / f"m-{stem}.csv").read_text()
        rows = list(csv.DictReader(text.splitlines()))
        assert tuple(rows[0]) == CSV_FIELDS + TRUTH_FIELDS    # docs/csv.md, not t_ms
        assert len(rows) == 10 * 20 and rows[-1]["heat"] == "high"


def test_verbose_goes_with_chip(capsys, tmp_path, monkeypatch):
    # -v is no usage error on the chip any more (tests/emu/test_scenarios.py runs it there);
    # without the image, the image is what is asked for
    monkeypatch.delenv("MICROPYTHON_RP2_UF2", raising=False)
    code, _, err = run(capsys, "run", write(tmp_path, "c"), "--chip", "-v")
    assert code == EXIT_USAGE and "MICROPYTHON_RP2_UF2" in err and "not available" not in err


# -- progress: a bar on a terminal, plain lines elsewhere ----------------------------------

def test_run_of_several_files_draws_a_bar_on_a_terminal(tmp_path):
    a, b = write(tmp_path, "a"), write(tmp_path, "b")
    code, drawn = on_a_terminal("run", a, b)
    assert code == EXIT_OK, drawn
    assert "scenarios:" in drawn and "file/s" in drawn and "\r" in drawn
    assert f"\n[1/2] {a}" not in drawn.replace("\r\n", "\n")    # the bar, not plain lines
    assert drawn.count("PASS: 1 of 1 expectations passed") == 2


def test_run_of_several_files_through_a_pipe_has_no_bar(tmp_path):
    a, b = write(tmp_path, "a"), write(tmp_path, "b")
    res = piped("run", a, b)
    assert res.returncode == EXIT_OK
    assert "\r" not in res.stdout + res.stderr and res.stderr == ""
    assert f"[1/2] {a}\n" in res.stdout and f"[2/2] {b}\n" in res.stdout


def test_watch_seconds_draws_a_bar_on_a_terminal():
    code, drawn = on_a_terminal("--port", "sim://?speed=20", "watch", "--seconds", "2",
                                "--period", "500")
    assert code == EXIT_OK, drawn
    assert "cushion watch:" in drawn and "/2 [" in drawn and "\r" in drawn
    assert "pad " in drawn                                    # the samples, above the bar


def test_watch_seconds_elsewhere_says_how_far_it_is_on_stderr():
    res = piped("--port", "sim://?speed=20", "watch", "--seconds", "2", "--period", "500")
    assert res.returncode == EXIT_OK
    assert "cushion watch: 2 of 2 s" in res.stderr.splitlines()
    assert "\r" not in res.stdout + res.stderr and "cushion watch:" not in res.stdout
    res = piped("--port", "sim://?speed=20", "--json", "watch", "--seconds", "2")
    assert res.returncode == EXIT_OK
    assert all(json.loads(ln) for ln in res.stdout.splitlines())     # JSON lines only
    assert "cushion watch: 2 of 2 s" in res.stderr.splitlines()


def test_the_readme_run_example_is_what_run_prints(capsys, monkeypatch):
    """README "Running scenario files": the example's lines, `...` for any lines, but for
    the wall time."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```console\n$ cushion run 'scenarios/heater_stuck_on_*.toml'\n")[1]
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "run", "scenarios/heater_stuck_on_*.toml")
    assert code == EXIT_OK

    def wall(line):
        return re.sub(r"simulated in [\d.]+ s", "simulated in X s", line)
    want = [wall(ln) for ln in block.split("```")[0].splitlines()]
    regex = "".join(".*?" if ln == "..." else re.escape(ln + "\n") for ln in want)
    assert re.fullmatch(regex, "".join(wall(ln) + "\n" for ln in out.splitlines()), re.S), out
