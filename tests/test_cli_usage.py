"""Issue 13's command-line defects: JSON for every failure, options a command would ignore,
port and URL errors, and the small inconsistencies (case, positional intensity, help)."""

import json
import socket

import pytest

import host.cli as cli
from host.errors import EXIT_NO_CONNECTION, EXIT_OK, EXIT_USAGE

from cushion.schema import FAULT_KINDS, LEVELS_C

SIM = "sim://?speed=200"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err, *words):
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("cushion: "), err
    for w in words:
        assert w in err, (w, err)


@pytest.fixture(autouse=True)
def no_env_port(monkeypatch):
    monkeypatch.delenv("CUSHION_PORT", raising=False)


# -- item 7: --json for usage errors and run; ignored options refused ------------------------

@pytest.mark.parametrize("argv", [
    ["--json", "heat", "scorching"],
    ["--json"],
    ["massage", "wave", "--intensity", "9", "--json"],
    ["--json", "watch", "--seconds", "-1"],
])
def test_usage_errors_are_json_with_json(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    obj = json.loads(out)
    assert obj["ok"] is False and obj["error"] == "usage" and obj["exit_code"] == 2
    one_line(err, obj["detail"])


def test_run_json_is_one_object_with_every_verdict(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "j"\nambient_c = 22.0\nduration_s = 10\n'
                    'steps = [ { at_s = 0, send = "heat high" } ]\n'
                    'expect = [ { max_pad_c = 50.0 }, { min_pad_c = 40.0 } ]\n')
    code, out, _ = run(capsys, "--json", "run", str(path))
    assert code == 1
    obj = json.loads(out)
    assert (obj["ok"], obj["scenario"], obj["exit_code"]) == (False, "j", 1)
    assert [e["passed"] for e in obj["expectations"]] == [True, False]
    assert obj["steps"][0]["text"] == "send 'heat high'" and obj["steps"][0]["reply"]["ok"]
    code, out, err = run(capsys, "--json", "run", str(tmp_path / "missing.toml"))
    assert code == EXIT_USAGE and json.loads(out)["error"] == "usage"
    one_line(err, "missing.toml")


@pytest.mark.parametrize("argv, words", [
    (["campaign", "c.toml", "--port", "sim://"], "cushion campaign takes no --port"),
    (["ports", "--port", "/dev/ttyACM0"], "cushion ports takes no --port"),
    (["--timeout", "1", "ports"], "cushion ports takes no --timeout"),
    (["sim", "--port", "sim://"], "cushion sim takes no --port"),
    (["sim", "--timeout", "2", "--json"], "cushion sim takes no --json and --timeout"),
])
def test_options_a_command_would_ignore_are_refused(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert (json.loads(out)["detail"] in err) if "--json" in argv else out == ""
    one_line(err, words)


# -- item 11: port and URL errors -------------------------------------------------------------

@pytest.mark.parametrize("url, words", [
    ("socket://127.0.0.1", "needs a host and a port number"),
    ("socket://127.0.0.1:99999", "needs a host and a port number"),
    ("socket://:4000", "needs a host and a port number"),
    ("sim:", "a URL is sim://"),
    ("sim:?speed=3", "a URL is sim://"),
])
def test_malformed_urls_are_usage_errors_that_say_the_form(capsys, url, words):
    code, _, err = run(capsys, "--port", url, "status")
    assert code == EXIT_USAGE
    one_line(err, words)
    assert "'<='" not in err and "plugged in" not in err


def test_a_refused_connection_says_could_not_open_once(capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = "socket://127.0.0.1:%d" % sock.getsockname()[1]
    sock.close()
    code, _, err = run(capsys, "--port", url, "status")
    assert code == EXIT_NO_CONNECTION
    one_line(err, "could not open " + url, "refused")
    assert err.lower().count("could not open") == 1


def test_a_bad_cushion_port_names_the_variable(capsys, monkeypatch):
    monkeypatch.setenv("CUSHION_PORT", "gopher://x")
    code, _, err = run(capsys, "status")
    assert code == EXIT_USAGE
    one_line(err, "gopher://x", "CUSHION_PORT")
    monkeypatch.setenv("CUSHION_PORT", "socket://127.0.0.1")
    code, _, err = run(capsys, "--json", "info")
    assert code == EXIT_USAGE
    one_line(err, "CUSHION_PORT")


# -- item 16: small inconsistencies -------------------------------------------------------------

def test_massage_intensity_is_accepted_positionally_as_the_protocol_does(capsys):
    code, out, _ = run(capsys, "--port", SIM, "--json", "massage", "knead", "3")
    assert code == EXIT_OK and json.loads(out)["intensity"] == 3
    code, _, err = run(capsys, "--port", SIM, "massage", "knead", "3", "--intensity", "1")
    assert code == EXIT_USAGE
    one_line(err, "disagree")


def test_levels_and_modes_are_case_insensitive_like_the_protocol(capsys):
    code, out, _ = run(capsys, "--port", SIM, "--json", "heat", "HIGH")
    assert code == EXIT_OK and json.loads(out)["heat"] == "high"
    code, out, _ = run(capsys, "--port", SIM, "--json", "massage", "Wave")
    assert code == EXIT_OK and json.loads(out)["massage"] == "wave"


def help_text(capsys, *argv):
    with pytest.raises(SystemExit) as e:
        cli.main(list(argv) + ["--help"])
    assert e.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_heat_help_gives_the_temperatures_from_the_schema(capsys):
    text = help_text(capsys, "heat")
    for name, c in LEVELS_C.items():
        assert f"{name} {c:.1f} C" in text


def test_help_covers_intensity_run_options_and_fault_kinds(capsys):
    assert "intensity 1 (gentle) .. 3 (strong)" in help_text(capsys, "massage")
    run_help = help_text(capsys, "run")
    assert "plot the run to F.png" in run_help and "trace to F.csv" in run_help
    sim_help = help_text(capsys, "sim")
    assert all(kind in sim_help for kind in FAULT_KINDS)
    assert "128+N" in help_text(capsys)
