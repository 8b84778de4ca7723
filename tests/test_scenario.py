"""Scenario files (hal_sim/scenario.py): validation messages, every expectation kind passing
and failing, exit codes, and the example scenarios in scenarios/."""

import pathlib
import subprocess
import sys

import pytest

from hal_sim.scenario import ScenarioError, main, run_files, run_scenario, validate_scenario

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))

# Example scenarios that are meant to fail today, each with the reason its file states.
# strict xfail: when the firmware is fixed the test turns red and this entry must go.
KNOWN_FAILING: dict[str, str] = {}

BASE = {"name": "t", "ambient_c": 22.0, "duration_s": 100, "expect": [{"max_pad_c": 50}]}


def bad(**changes):
    """validate BASE with `changes`; returns the error message (it must be an error)."""
    data = dict(BASE)
    data.update(changes)
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data)
    return str(info.value)


# -- validation: one test per kind of mistake ----------------------------------------------

def test_a_valid_minimal_scenario_gets_defaults():
    sc = validate_scenario(dict(BASE))
    assert sc["supply_v"] == 12.0 and sc["seed"] == 1 and sc["start_ticks_ms"] == 0
    assert sc["steps"] == [] and sc["expect"][0]["kind"] == "max_pad_c"


def test_toml_syntax_error_names_the_line(tmp_path, capsys):
    f = tmp_path / "broken.toml"
    f.write_text('name = "x"\nambient_c = 22.0\nduration_s = = 900\n')
    assert main([str(f)]) == 2
    err = capsys.readouterr().err
    assert "broken.toml" in err and "TOML syntax error" in err and "line 3" in err


def test_missing_required_key():
    data = dict(BASE)
    del data["duration_s"]
    with pytest.raises(ScenarioError, match="missing `duration_s`"):
        validate_scenario(data)


def test_missing_expect():
    data = dict(BASE)
    del data["expect"]
    with pytest.raises(ScenarioError, match="missing `expect`"):
        validate_scenario(data)
    assert "non-empty array" in bad(expect=[])


def test_unknown_top_level_key_lists_the_known_ones():
    msg = bad(duraton_s=5)
    assert "unknown key `duraton_s`" in msg and "duration_s" in msg and "expect" in msg


@pytest.mark.parametrize("key, value, words", [
    ("duration_s", 0, "`duration_s` must be a number > 0"),
    ("duration_s", "900", "`duration_s` must be a number > 0"),
    ("duration_s", 10**6, "at most"),
    ("ambient_c", 80, "`ambient_c` must be a number in -20..50"),
    ("ambient_c", True, "`ambient_c` must be a number"),  # TOML true is not 1
    ("ambient_c", float("nan"), "`ambient_c` must be a number"),
    ("supply_v", 1, "`supply_v` must be a number in 5..20"),
    ("seed", 1.5, "`seed` must be an integer"),
    ("start_ticks_ms", 1 << 30, "`start_ticks_ms` must be an integer in 0..1073741823"),
    ("name", "", "`name` must be a non-empty string"),
])
def test_top_level_types_and_ranges(key, value, words):
    assert words in bad(**{key: value})


def test_step_at_s_negative_names_the_step():
    msg = bad(steps=[{"at_s": 0, "send": "a"}, {"at_s": 1, "send": "b"},
                     {"at_s": -1, "send": "c"}])
    assert msg.startswith("steps[2]: `at_s` must be a number >= 0")


def test_step_missing_at_s():
    assert bad(steps=[{"send": "heat high"}]) == "steps[0]: missing `at_s`"


def test_step_after_the_end():
    assert "steps[0]: `at_s` = 200 is after the run ends" in bad(
        steps=[{"at_s": 200, "send": "x"}])


def test_step_needs_exactly_one_action():
    assert "steps[0]: needs one of `send`, `press`" in bad(steps=[{"at_s": 0}])
    msg = bad(steps=[{"at_s": 0, "send": "x", "press": "heat"}])
    assert msg.startswith("steps[0]: has both `send` and `press`")


def test_step_unknown_key():
    msg = bad(steps=[{"at_s": 0, "sned": "heat high"}])
    assert msg.startswith("steps[0]: unknown key `sned`; expected one of at_s, send")


def test_step_not_a_table():
    assert bad(steps=["heat high"]).startswith("steps[0]: a step is a table")
    assert "`steps` must be an array" in bad(steps={"at_s": 0})


def test_press_unknown_button():
    msg = bad(steps=[{"at_s": 0, "press": "hot"}])
    assert msg.startswith("steps[0]: unknown button `press`") and "power, heat, massage" in msg


def test_press_hold_range_and_only_with_press():
    assert "steps[0]: `hold_s` must be a number in 0..60" in bad(
        steps=[{"at_s": 0, "press": "heat", "hold_s": -1}])
    assert bad(steps=[{"at_s": 0, "send": "x", "hold_s": 1}]) == \
        "steps[0]: `hold_s` goes only with `press`"


def test_press_that_runs_past_the_end():
    assert "steps[0]: the press" in bad(steps=[{"at_s": 99.95, "press": "heat"}])


def test_step_inside_a_press_is_refused():
    msg = bad(steps=[{"at_s": 10, "press": "power", "hold_s": 3}, {"at_s": 12, "send": "x"}])
    assert msg.startswith("steps[1]: at 12 s, but steps[0] (press power, held 3 s)")


@pytest.mark.parametrize("kind", ["inject", "repair"])
def test_unknown_fault_lists_the_faults(kind):
    msg = bad(steps=[{"at_s": 0, kind: "melted"}])
    assert msg.startswith("steps[0]: unknown fault `%s`" % kind)
    assert "sensor_detached" in msg and "loop_hang" in msg


def test_send_must_be_one_line_of_text():
    assert "steps[0]: `send` must be a non-empty string" in bad(steps=[{"at_s": 0, "send": 7}])
    assert "steps[0]: `send` is one line" in bad(steps=[{"at_s": 0, "send": "a\nb"}])


def test_power_cycle_must_be_true():
    assert bad(steps=[{"at_s": 0, "power_cycle": False}]) == \
        "steps[0]: `power_cycle` must be true, not false"


def test_expectation_unknown_key_names_index_and_key():
    msg = bad(expect=[{"max_pad_c": 50}, {"max_pad": 52}])
    assert msg.startswith("expect[1]: unknown key `max_pad`; expected one of event, no_event,")


def test_expectation_extra_key_for_its_kind():
    msg = bad(expect=[{"max_pad_c": 50, "within_s": [0, 1]}])
    assert msg.startswith("expect[0]: unknown key `within_s`; expected one of max_pad_c, after_s")


def test_expectation_two_kinds():
    assert bad(expect=[{"max_pad_c": 50, "min_pad_c": 20}]).startswith(
        "expect[0]: has both `max_pad_c` and `min_pad_c`")
    assert bad(expect=[{"event": "fault", "max_pad_c": 50}]).startswith(
        "expect[0]: has both `event` and `max_pad_c`")


def test_event_unknown_name_field_and_fault_code():
    assert bad(expect=[{"event": "auto-off"}]).startswith("expect[0]: unknown event `event`")
    msg = bad(expect=[{"no_event": "fault", "cod": "overheat"}])
    assert msg.startswith("expect[0]: unknown key `cod` for a `fault` event") and "code" in msg
    msg = bad(expect=[{"event": "fault", "code": "overheet"}])
    assert msg.startswith("expect[0]: unknown fault code `overheet`") and "overheat" in msg


def test_event_with_a_key_of_another_kind():
    assert bad(expect=[{"event": "fault", "at_s": 3}]).startswith(
        "expect[0]: `at_s` does not go with `event`")


def test_event_field_value_type():
    assert "expect[0]: field `code` must be a string, number, boolean or a [low, high]" in bad(
        expect=[{"event": "fault", "code": {"a": 1}}])


def test_telemetry_fields_may_share_a_name_with_a_kind():
    sc = validate_scenario(dict(BASE, expect=[{"event": "telemetry", "state": "idle"}]))
    assert sc["expect"][0]["fields"] == {"state": "idle"}


@pytest.mark.parametrize("window", [[5, 1], [1], "0-5", [-1, 5], [0, True]])
def test_within_s_shape(window):
    assert bad(expect=[{"event": "fault", "within_s": window}]).startswith(
        "expect[0]: `within_s` must be [start, end]")


def test_within_s_after_the_end():
    assert "expect[0]: `within_s` starts at 200 s, after the run ends" in bad(
        expect=[{"event": "fault", "within_s": [200, 300]}])


def test_pad_limit_types_and_span():
    assert bad(expect=[{"max_pad_c": "50"}]).startswith(
        "expect[0]: `max_pad_c` must be a number")
    assert bad(expect=[{"min_pad_c": 30, "after_s": 50, "until_s": 10}]) == \
        "expect[0]: `until_s` = 10 is before `after_s` = 50"
    assert "expect[0]: `after_s` must be a number >= 0" in bad(
        expect=[{"min_pad_c": 30, "after_s": -5}])


def test_heater_off_after_the_end():
    assert "expect[0]: `heater_off_after_s` = 500 is after the run ends" in bad(
        expect=[{"heater_off_after_s": 500}])


def test_state_value_and_at_s():
    msg = bad(expect=[{"state": "on", "at_s": 3}])
    assert msg.startswith("expect[0]: unknown state `state`") and "idle, active, fault" in msg
    assert bad(expect=[{"state": "idle"}]) == "expect[0]: `state` needs `at_s` (when to look)"
    assert bad(expect=[{"state": "idle", "at_s": 1, "heat_state": "hot"}]).startswith(
        "expect[0]: unknown heat_state `heat_state`")
    assert "expect[0]: `at_s` must be a number in 0..100" in bad(
        expect=[{"state": "idle", "at_s": 101}])


def test_expectation_not_a_table():
    assert bad(expect=["max_pad_c = 50"]).startswith("expect[0]: an expectation is a table")


def test_missing_file_and_directory(tmp_path, capsys):
    assert main([str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2
    assert "directory" in capsys.readouterr().err


def test_bad_arguments_exit_2(capsys):
    assert main([]) == 2
    assert main(["a.toml", "--plott", "x.png"]) == 2
    assert "usage" in capsys.readouterr().err


# -- every expectation kind, passing and failing: one shared 300 s run ----------------------

SHARED = {
    "name": "shared run: heat high, sensor A off the pad at 250 s",
    "ambient_c": 22.0,
    "duration_s": 300,
    "steps": [
        {"at_s": 250, "inject": "sensor_detached"},  # listed first: steps run by at_s
        {"at_s": 0, "send": "heat high"},
        {"at_s": 0, "send": "massage pulse"},
    ],
    "expect": [
        # (index) kind, and whether it must pass
        {"event": "fault", "code": "sensor_mismatch", "within_s": [250, 280]},  # 0 pass
        {"event": "fault", "code": "sensor_mismatch", "within_s": [200, 250]},  # 1 fail
        {"event": "fault", "code": "overheat"},  # 2 fail: another code came
        {"event": "auto_off"},  # 3 fail: none at all
        {"no_event": "auto_off"},  # 4 pass
        {"no_event": "fault"},  # 5 fail
        {"no_event": "fault", "within_s": [0, 249]},  # 6 pass
        {"event": "fault", "temp2_c": [40, 50]},  # 7 pass: a range of values
        {"max_pad_c": 50},  # 8 pass
        {"max_pad_c": 40},  # 9 fail
        {"min_pad_c": 21.5},  # 10 pass
        {"min_pad_c": 30},  # 11 fail: 22 C at the start
        {"min_pad_c": 38, "after_s": 240},  # 12 pass
        {"heater_off_after_s": 270},  # 13 pass
        {"heater_off_after_s": 100},  # 14 fail
        {"state": "active", "at_s": 100, "heat": "high", "heat_state": "warming",
         "massage": "pulse"},  # 15 pass
        {"state": "idle", "at_s": 100},  # 16 fail
        {"state": "fault", "at_s": 290, "heat_state": "fault"},  # 17 pass
        {"state": "idle", "at_s": 0},  # 18 pass: before the first tick
        {"event": "boot", "reset_cause": "power_on", "within_s": [0, 0]},  # 19 pass
        {"max_pad_c": 45.0, "after_s": 280, "until_s": 300},  # 20 pass: cooling by then
    ],
}
MUST_PASS = {0, 4, 6, 7, 8, 10, 12, 13, 15, 17, 18, 19, 20}


@pytest.fixture(scope="module")
def shared():
    return run_scenario(SHARED)


def test_each_expectation_verdict(shared):
    verdicts = {o.index: o.passed for o in shared.outcomes}
    assert verdicts == {i: i in MUST_PASS for i in range(len(SHARED["expect"]))}, shared.report()
    assert shared.exit_code == 1 and not shared.passed


def test_outcome_lines_say_what_was_measured(shared):
    lines = [o.line for o in shared.outcomes]
    t = next(e["sim_s"] for e in shared.sim.events if e.get("code") == "sensor_mismatch")
    assert lines[0] == ("PASS expect[0] event fault code=sensor_mismatch within [250, 280] s: "
                        "first at %.2f s" % t)
    assert lines[1] == ("FAIL expect[1] event fault code=sensor_mismatch within [200, 250] s: "
                        "first at %.2f s" % t)
    assert lines[2].startswith("FAIL expect[2] event fault code=overheat: none matching; "
                               "first `fault` at")
    assert lines[3] == "FAIL expect[3] event auto_off: none"
    assert lines[5].startswith("FAIL expect[5] no_event fault: first at %.2f s" % t)
    top = max(shared.sim.trace, key=lambda r: r["pad_c"])
    assert lines[9] == "FAIL expect[9] max_pad_c 40.00 C: max %.2f C at %.2f s" % (
        top["pad_c"], top["t_ms"] / 1000)
    assert lines[8] == "PASS expect[8] max_pad_c 50.00 C: max %.2f C at %.2f s" % (
        top["pad_c"], top["t_ms"] / 1000)
    assert lines[11].startswith("FAIL expect[11] min_pad_c 30.00 C: min 22.00 C at 0.05 s")
    assert lines[14].startswith("FAIL expect[14] heater_off_after_s 100: on at 100.05 s")
    assert lines[16] == ("FAIL expect[16] state idle at 100 s: state=active (at 100.00 s)")
    assert "heater_off_after_s 270: off since %.2f s" % (t + 0.05) in lines[13]


def test_steps_run_in_time_order_at_tick_boundaries(shared):
    applied = {lg.index: lg.applied_s for lg in shared.steps}
    assert applied == {0: 250.0, 1: 0.0, 2: 0.0}
    assert [lg.reply["ok"] for lg in shared.steps if lg.reply is not None] == [True, True]


def test_steps_at_the_same_time_keep_file_order():
    def final_heat(first, second):
        r = run_scenario({"name": "order", "ambient_c": 22, "duration_s": 1,
                          "steps": [{"at_s": 0.5, "send": first}, {"at_s": 0.5, "send": second}],
                          "expect": [{"state": "active", "at_s": 1}]})
        return r.sim.status()["heat"]
    assert final_heat("heat low", "heat high") == "high"
    assert final_heat("heat high", "heat low") == "low"


def test_step_times_round_up_to_the_tick():
    r = run_scenario({"name": "t", "ambient_c": 22, "duration_s": 1,
                      "steps": [{"at_s": 0.33, "send": "heat low"}],
                      "expect": [{"state": "active", "at_s": 1}]})
    assert r.steps[0].applied_s == pytest.approx(0.35)
    assert r.passed


def test_scenario_settings_reach_the_simulation():
    r = run_scenario({"name": "t", "ambient_c": 5.0, "duration_s": 0.1, "seed": 7,
                      "supply_v": 11.0, "start_ticks_ms": (1 << 30) - 50,
                      "expect": [{"min_pad_c": -10}]})
    assert r.sim.cushion.ambient_c == 5.0 and r.sim.supply_v == 11.0
    assert r.sim.board.ticks_ms() == 50  # wrapped


# -- exit codes through main() -------------------------------------------------------------

def _write(tmp_path, text, name="s.toml"):
    f = tmp_path / name
    f.write_text(text)
    return str(f)


SHORT = """
name = "short"
ambient_c = 22.0
duration_s = 5
steps = [ { at_s = 0, send = "heat low" } ]
expect = [ %s ]
"""


def test_main_exit_0_when_all_pass(tmp_path, capsys):
    assert main([_write(tmp_path, SHORT % '{ state = "active", at_s = 4 }')]) == 0
    out = capsys.readouterr().out
    assert "PASS expect[0] state active at 4 s" in out and "PASS: 1 of 1" in out


def test_main_exit_1_when_one_fails(tmp_path, capsys):
    f = _write(tmp_path, SHORT % '{ state = "active", at_s = 4 }, { event = "auto_off" }')
    assert main([f]) == 1
    out = capsys.readouterr().out
    assert "FAIL expect[1] event auto_off: none" in out and "FAIL: 1 of 2" in out


def test_main_exit_2_for_a_bad_file_with_the_message_on_stderr(tmp_path, capsys):
    f = _write(tmp_path, SHORT % '{ state = "on", at_s = 4 }')
    assert main([f]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.strip() == "%s: expect[0]: unknown state `state` = \"on\"; expected one of " \
        "idle, active, fault, service" % f


def test_main_verbose_prints_steps_replies_and_events_as_they_happen(tmp_path, capsys):
    f = _write(tmp_path, SHORT.replace("duration_s = 5", "duration_s = 20").replace(
        '{ at_s = 0, send = "heat low" }',
        '{ at_s = 0, send = "heat low" }, { at_s = 10, inject = "sensor_open" }')
        % '{ state = "active", at_s = 4 }')
    assert main([f, "-v"]) == 0
    lines = capsys.readouterr().out.splitlines()
    want = ["    0.00 s  event boot reset_cause=power_on", "    0.00 s  steps[0] send 'heat low'",
            "    0.05 s  steps[0] -> ok", "   10.00 s  steps[1] inject sensor_open",
            "   10.05 s  event fault code=sensor_open"]
    found = [next((i for i, ln in enumerate(lines) if ln.startswith(w)), None) for w in want]
    assert None not in found and found == sorted(found), lines  # each line, in time order
    assert "PASS: 1 of 1" in lines[-1]
    assert main([f]) == 0
    assert "steps[0]" not in capsys.readouterr().out  # quiet without -v


def test_a_refused_send_is_an_error_naming_the_step_and_the_reply(tmp_path, capsys):
    # a scenario whose `send` the firmware refuses is wrong about the device: exit 1 with
    # a line that says so, not a later, unrelated failed expectation
    f = _write(tmp_path, SHORT.replace('send = "heat low"', 'send = "heat warm"')
               % '{ state = "active", at_s = 4 }')
    assert main([f]) == 1
    out = capsys.readouterr().out
    assert ("ERROR steps[0] send 'heat warm' at 0 s: the firmware refused it "
            "(error bad_argument: ") in out
    assert "expect[0]" not in out and out.rstrip().endswith("s)")
    assert "FAIL: steps[0] was refused" in out
    r = run_scenario(f)
    assert not r.passed and r.exit_code == 1 and r.outcomes == []
    assert r.refused.index == 0 and r.refused.reply["error"] == "bad_argument"
    assert r.report().startswith("ERROR steps[0]")


def test_run_files_runs_each_file_and_gives_the_worst_exit_code(tmp_path):
    import io
    good = _write(tmp_path, SHORT % '{ state = "active", at_s = 4 }', "good.toml")
    failing = _write(tmp_path, SHORT % '{ event = "auto_off" }', "failing.toml")
    broken = _write(tmp_path, SHORT % '{ state = "on", at_s = 4 }', "broken.toml")
    out, err = io.StringIO(), io.StringIO()
    assert run_files([good], out=out, err=err) == 0
    assert run_files([good, failing], csv=str(tmp_path / "t.csv"), out=out, err=err) == 1
    assert (tmp_path / "t-good.csv").stat().st_size > 0  # one CSV per file, named by it
    assert (tmp_path / "t-failing.csv").stat().st_size > 0
    assert run_files([pathlib.Path(failing), broken, good], out=out, err=err) == 2
    assert "broken.toml: expect[0]: unknown state" in err.getvalue()
    assert "wrote %s" % (tmp_path / "t-good.csv") in out.getvalue()


def test_python_dash_m_hal_sim_run(tmp_path):
    f = _write(tmp_path, SHORT % '{ state = "on", at_s = 4 }')
    p = subprocess.run([sys.executable, "-m", "hal_sim", "run", f], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "unknown state" in p.stderr
    p = subprocess.run([sys.executable, "-m", "hal_sim", "frobnicate"], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "usage" in p.stderr


# -- the example scenarios -----------------------------------------------------------------

def test_there_are_example_scenarios():
    names = {f.name for f in SCENARIOS}
    for must in ("sensor_detached_while_holding.toml", "normal_session_auto_off.toml",
                 "heater_stuck_on_while_holding.toml", "button_session.toml",
                 "power_cycle_boot_safe.toml"):
        assert must in names
    for name in KNOWN_FAILING:
        assert name in names, "stale KNOWN_FAILING entry %s" % name
        text = (ROOT / "scenarios" / name).read_text()
        assert "KNOWN TO FAIL" in text, "%s must say that it is meant to fail" % name


def test_the_design_example_is_the_design_example():
    sc = validate_scenario(__import__("tomllib").loads(
        (ROOT / "scenarios" / "sensor_detached_while_holding.toml").read_text()))
    assert sc["name"] == "sensor falls off the pad while holding"
    assert [(s["at_s"], s["kind"], s["value"]) for s in sc["steps"]] == [
        (0, "send", "heat high"), (300, "inject", "sensor_detached")]
    assert sc["expect"][0]["within"] == (300, 420)


@pytest.mark.parametrize("path", [
    pytest.param(f, id=f.name, marks=[pytest.mark.xfail(reason=KNOWN_FAILING[f.name],
                                                        strict=True)]
                 if f.name in KNOWN_FAILING else [])
    for f in SCENARIOS])
def test_example_scenario(path):
    result = run_scenario(path)
    assert result.passed, "%s\n%s" % (path.name, result.report())


def test_add_run_arguments_gives_another_parser_the_runners_options(tmp_path):
    import argparse

    from hal_sim.scenario import add_run_arguments
    p = add_run_arguments(argparse.ArgumentParser(prog="cushion run"))
    args = p.parse_args(["a.toml", "b.toml", "--plot", "p.png", "--csv", "t.csv", "-v"])
    assert (args.files, args.plot, args.csv, args.verbose) == (
        ["a.toml", "b.toml"], "p.png", "t.csv", True)


def test_replies_drawn_by_serial_noise_are_not_taken_for_a_refused_step():
    r = run_scenario({"name": "noise", "ambient_c": 22, "duration_s": 20,
                      "steps": [{"at_s": 0, "inject": "serial_noise"},
                                {"at_s": 5, "send": "heat low"},
                                {"at_s": 10, "repair": "serial_noise"}],
                      "expect": [{"max_pad_c": 50}]})
    assert any(not rep["ok"] for rep in r.sim.replies)  # the noise drew error replies
    assert r.refused is None and r.passed, r.report()
