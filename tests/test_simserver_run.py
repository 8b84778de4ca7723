"""`cushion run SCENARIO --port URL`: a scenario against a served sim (every step, through its
control channel) and against a board (a served sim's serial line, treated as a board)."""

import textwrap

import pytest

from tests.simserved import cushion, served

FULL = """
name = "sensor opens while heating"
ambient_c = 22.0
duration_s = 12
steps = [
  { at_s = 0, send = "heat high" },
  { at_s = 1, press = "massage" },
  { at_s = 4, inject = "sensor_open" },
  { at_s = 8, repair = "sensor_open" },
  { at_s = 9, send = "clear" },
]
expect = [
  { state = "active", at_s = 2, heat = "high", massage = "continuous" },
  { event = "fault", code = "sensor_open", within_s = [4, 6] },
  { heater_off_after_s = 5, until_s = 8 },
  { max_pad_c = 50.0 },
  { state = "active", at_s = 11, massage = "continuous" },
]
"""

SEND_ONLY = """
name = "heat low from the host"
ambient_c = 22.0
duration_s = 2
steps = [ { at_s = 0, send = "heat low" }, { at_s = 1.5, send = "stop" } ]
expect = [
  { state = "active", at_s = 1, heat = "low" },
  { event = "fault", within_s = [0, 2], code = "overheat" },
]
"""


def write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_every_step_runs_on_a_served_sim_through_its_control_channel(tmp_path):
    with served("--listen", "127.0.0.1:0", "--speed", "10") as (proc, urls, ctl):
        res = cushion("run", write(tmp_path, FULL), "--port", ctl)
        assert res.returncode == 0, res.stdout + res.stderr
        out = res.stdout
        assert "steps[2] 4 s" in out and "inject sensor_open" in out
        assert out.count("PASS expect[") == 5
        assert out.splitlines()[-1].startswith("PASS: 5 of 5 expectations passed")


def test_a_failed_expectation_on_a_port_exits_1(tmp_path):
    with served("--listen", "127.0.0.1:0", "--speed", "10") as (proc, urls, ctl):
        res = cushion("run", write(tmp_path, SEND_ONLY), "--port", ctl)
        assert res.returncode == 1
        assert "PASS expect[0] state active at 1 s with heat=low" in res.stdout
        assert "FAIL expect[1] event fault" in res.stdout


@pytest.mark.parametrize("which", [0, 1], ids=["socket", "pty"])
def test_a_board_runs_send_steps_and_refuses_the_rest_before_starting(tmp_path, which):
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "1") as (proc, urls, ctl):
        res = cushion("run", write(tmp_path, FULL), "--port", urls[which])
        assert res.returncode == 2
        assert res.stdout == ""                                    # nothing ran
        assert ("a board cannot do steps[1] press, steps[2] inject, steps[3] repair, "
                "expect[2] heater_off_after_s, expect[3] max_pad_c") in res.stderr
        res = cushion("--json", "status", port=urls[which])
        assert '"heat": "off"' in res.stdout                        # not even the send
        res = cushion("run", write(tmp_path, SEND_ONLY), "--port", urls[which])
        assert "PASS expect[0] state active at 1 s with heat=low" in res.stdout


def test_a_bad_scenario_is_refused_before_connecting(tmp_path):
    bad = write(tmp_path, SEND_ONLY.replace('send = "stop"', 'sned = "stop"'))
    res = cushion("run", bad, "--port", "simctl://127.0.0.1:9")
    assert res.returncode == 2 and "steps[1]" in res.stderr


def test_send_steps_on_sim_url_like_a_board(tmp_path):
    res = cushion("run", write(tmp_path, SEND_ONLY), "--port", "sim://?speed=1")
    assert res.returncode == 1                                   # no overheat: expect[1] fails
    assert "PASS expect[0] state active at 1 s with heat=low" in res.stdout
    res = cushion("run", write(tmp_path, FULL), "--port", "sim://")
    assert res.returncode == 2 and "a board cannot do steps[1] press" in res.stderr


def test_several_files_on_a_port_are_checked_first_and_json_is_one_object(tmp_path):
    good = write(tmp_path, SEND_ONLY)
    full = tmp_path / "full.toml"
    full.write_text(textwrap.dedent(FULL))
    res = cushion("run", good, str(full), "--port", "sim://?speed=1")
    assert res.returncode == 2 and res.stdout == ""                 # the second: refused
    assert f"{full}: a board cannot do steps[1] press" in res.stderr
    res = cushion("--json", "run", good, good, "--port", "sim://?speed=2")
    assert res.returncode == 1
    import json
    obj = json.loads(res.stdout)                                    # stdout: the one object
    assert obj["exit_code"] == 1 and len(obj["scenarios"]) == 2
    assert [e["passed"] for e in obj["scenarios"][0]["expectations"]] == [True, False]
    assert "PASS expect[0]" in res.stderr                           # the lines: on stderr
    res = cushion("run", good, "--port", "sim://", "--csv", str(tmp_path / "x.csv"))
    assert res.returncode == 2 and "not with --port" in res.stderr
