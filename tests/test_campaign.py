"""Campaigns without a cluster (hal_sim/campaign): spec validation naming the field, the
exact binomial bound, the judging table, sessions drawn from their seed alone, the results
file (resume, dedup, torn lines) and a replay that reproduces a session's figures."""

import json
import math
import pathlib

import pytest

from hal_sim import envelope  # first: hal_sim puts the firmware's `micropython` shim in place
from cushion.schema import FAULT_KINDS  # noqa: I001
from hal_sim.campaign import cli, rules, session, stats
from hal_sim.campaign.results import ResultsDir
from hal_sim.campaign.spec import SpecError, load_spec, spec_hash, validate_spec

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "campaigns" / "example.toml"

# Short sessions: the fault in the first half minute, watched 40 s, 5 s after detection.
SMALL = {"name": "small", "seed": 3,
         "session": {"levels": ["high"], "run_on_s": 40.0, "settle_s": 5.0},
         "faults": {"inject_s": [5.0, 30.0], "fault_free": 0.2,
                    "args": {"sensor_open": {"sensor": [0, 1]}}},
         "followup": {"power_cycle": 0.2, "reset": 0.2, "after_s": [1.0, 10.0]}}


def bad(data):
    with pytest.raises(SpecError) as info:
        validate_spec(data)
    return str(info.value)


# -- the spec ------------------------------------------------------------------------------

def test_example_spec_is_valid_and_covers_every_fault_kind():
    spec = load_spec(EXAMPLE)
    assert spec["faults"]["kinds"] == list(FAULT_KINDS)
    assert spec["sessions"] == 2000 and spec["pads"]["corners"] == list(envelope.CORNERS)


def test_defaults_fill_an_empty_spec():
    spec = validate_spec({})
    assert spec["faults"]["kinds"] == list(FAULT_KINDS) and spec["session"]["levels"]
    assert spec_hash(spec) == spec_hash(validate_spec({}))


@pytest.mark.parametrize("data, field, words", [
    ({"sesions": 3}, "sesions", "unknown key"),
    ({"sessions": 0}, "sessions", "integer in 1.."),
    ({"seed": -1}, "seed", "integer"),
    ({"faults": {"kinds": ["sensor_open", "sensor_nope"]}}, "faults.kinds", "sensor_nope"),
    ({"faults": {"kinds": []}}, "faults.kinds", "non-empty"),
    ({"faults": {"fault_free": 1.5}}, "faults.fault_free", "0..1"),
    ({"faults": {"inject_s": [30, 10]}}, "faults.inject_s", "lo <= hi"),
    ({"faults": {"args": {"no_such_fault": {}}}}, "faults.args.no_such_fault", "unknown key"),
    ({"faults": {"args": {"sensor_open": {"bogus_arg": 1}}}}, "faults.args.sensor_open",
     "refuses"),
    ({"faults": {"args": {"sensor_open": {"sensor": [0, 7]}}}}, "faults.args.sensor_open",
     "sensor=7"),
    ({"faults": {"args": {"sensor_open": {"sensor": {"lo": 1}}}}},
     "faults.args.sensor_open.sensor", "both"),
    ({"session": {"levels": ["off"]}}, "session.levels", "unknown name"),
    ({"session": {"massage": ["shiatsu"]}}, "session.massage", "shiatsu"),
    ({"session": {"intensity": [0, 3]}}, "session.intensity", "integers"),
    ({"session": {"run_on_s": "long"}}, "session.run_on_s", "number"),
    ({"pads": {"ranges": {"no_field": [1, 2]}}}, "pads.ranges.no_field", "unknown key"),
    ({"pads": {"ranges": {"ambient_c": [0, 90]}}}, "pads.ranges.ambient_c", "50"),
    ({"pads": {"ranges": {"mass_scale": [0, 1]}}}, "pads.ranges.mass_scale", "lo"),
    ({"pads": {"corner_weight": 0.5}}, "pads.corners", "at least one corner"),
    ({"pads": {"corners": ["lukewarm"]}}, "pads.corners", "lukewarm"),
    ({"followup": {"power_cycle": 0.7, "reset": 0.6}}, "followup", "at most 1"),
    ({"followup": {"reheat": "yes"}}, "followup.reheat", "true or false"),
    ({"followup": {"reset": 0.1, "after_s": [5, 400]}}, "followup.after_s", "run_on_s"),
])
def test_each_spec_error_names_its_field(data, field, words):
    msg = bad(data)
    assert msg.startswith("`%s`" % field) and words in msg, msg


def test_cli_spec_error_is_one_line_and_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('[faults]\nkinds = ["sensor_open", "typo_fault"]\n')
    from host.cli import main
    assert main(["campaign", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "`faults.kinds`" in err[0] and "typo_fault" in err[0]
    f.write_text("sessions = [\n")
    assert main(["campaign", str(f), "--out", str(tmp_path / "out")]) == 2
    assert "TOML syntax error" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # a bad spec changes nothing


# -- statistics ----------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 30, 2000, 100000])
def test_zero_violations_bound_is_the_closed_form_about_3_over_n(n):
    ub = stats.upper_bound(0, n)
    assert ub == pytest.approx(1 - 0.05 ** (1 / n), rel=1e-12)
    if n >= 1000:
        assert ub == pytest.approx(3 / n, rel=0.01)


@pytest.mark.parametrize("k, n, table", [(1, 10, 0.3942), (5, 100, 0.1023), (2, 20, 0.2826)])
def test_bound_matches_clopper_pearson_tables(k, n, table):
    ub = stats.upper_bound(k, n)
    assert ub == pytest.approx(table, abs=1e-4)
    assert stats.binom_cdf(k, n, ub) == pytest.approx(0.05, abs=1e-9)


def test_percentiles_and_empty():
    assert stats.percentile([], 50) is None
    assert stats.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert stats.upper_bound(3, 3) == 1.0 and math.isclose(stats.binom_cdf(0, 1, 0.5), 0.5)


# -- judging -------------------------------------------------------------------------------

def outcome(rule=None, pad=45.0, after=0.0, before=None):
    return {"rule": rule, "max_pad_c": pad, "heater_on_after_latch_s": after,
            "tripped_before_fault": before, "detect_s": None if rule is None else 1.0,
            "watched_s": 100.0}


def test_every_fault_kind_has_an_expected_outcome():
    assert set(FAULT_KINDS) <= set(rules.EXPECTED)


@pytest.mark.parametrize("kind, out, verdict, words", [
    ("sensor_open", outcome("sensor_open"), "ok", ""),
    ("sensor_drift", outcome("overheat"), "missed", "SR-2 is the last line"),
    ("overheat", outcome("overheat"), "ok", ""),
    ("sensor_detached", outcome("no_heat_rise"), "missed", "meant for sensor_mismatch"),
    ("heater_open", outcome("thermal_runaway"), "ok", ""),
    ("heater_stuck_on", outcome(None), "missed", "not detected"),
    ("mosfet_leak", outcome(None), "missed", "not detected"),
    ("heater_stuck_on", outcome("heater_stuck_on", pad=52.4), "missed", "52.40 C"),
    ("sensor_open", outcome("sensor_open", after=0.5), "missed", "after the latch"),
    (None, outcome(None), "ok", ""),
    (None, outcome("heater_stuck_on"), "false_trip", "fault-free"),
    (None, outcome(None, pad=53.0), "unsafe", "53.00 C"),
    ("supply_low", outcome(None), "ok", ""),
    ("supply_low", outcome("thermal_runaway"), "false_trip", "no latch by design"),
    ("loop_hang", outcome(rules.WATCHDOG), "ok", ""),
    ("loop_hang", outcome(None), "missed", "no watchdog reset"),
    ("sensor_open", outcome("sensor_open", before="heater_stuck_on"), "false_trip",
     "before any fault"),
])
def test_judge(kind, out, verdict, words):
    got, reasons = rules.judge(kind, out)
    assert got == verdict and words in " ".join(reasons), (got, reasons)


# -- sessions ------------------------------------------------------------------------------

def test_a_session_is_drawn_from_its_seed_alone():
    spec = validate_spec(SMALL)
    a, _ = session.draw(spec, 12345)
    b, _ = session.draw(validate_spec(SMALL), 12345)
    assert a == b and json.loads(json.dumps(a)) == a
    plans = [session.draw(spec, s)[0] for s in session.session_seeds(3, 200)]
    assert len({(p["fault"], p["inject_s"], p["sim_seed"]) for p in plans}) > 150
    assert all(p["massage"] != "off" for p in plans if p["fault"] == "motor_stall")
    assert all(5.0 <= p["inject_s"] <= 30.0 and p["level"] == "high" for p in plans)
    assert {p["followup"] for p in plans} == {None, "power_cycle", "reset"}


def test_corners_and_explicit_ranges():
    spec = validate_spec({"pads": {"corner_weight": 1.0, "corners": ["hot_corner"]}})
    plan, cond = session.draw(spec, 5)
    assert cond == envelope.corner("hot_corner") and plan["corner"] == "hot_corner"
    spec = validate_spec({"pads": {"ranges": {"ambient_c": [39.0, 40.0],
                                              "sensor_tau_s": [14.0, 15.0]}}})
    for seed in range(20):
        plan, cond = session.draw(spec, seed)
        assert 39.0 <= cond.ambient_c <= 40.0 and plan["ambient_c"] == cond.ambient_c
        assert all(14.0 <= t <= 15.0 for t in cond.pad.sensor_tau_s)


def test_a_session_row_is_reproducible_and_judged_by_truth():
    spec = validate_spec(dict(SMALL, faults=dict(SMALL["faults"], kinds=["sensor_open"],
                                                 fault_free=0.0)))
    seed = session.session_seeds(3, 1)[0]
    row = session.run_seed(spec, seed)
    assert row == session.run_seed(spec, seed)
    assert row["fault"] == "sensor_open" and row["rule"] == "sensor_open"
    assert row["verdict"] == "ok" and row["detect_s"] <= 0.1 and row["max_pad_c"] < 52


# -- results file --------------------------------------------------------------------------

def test_results_dedup_torn_line_and_spec_guard(tmp_path):
    spec = validate_spec(SMALL)
    r = ResultsDir(str(tmp_path))
    r.claim(spec)
    assert r.add({"seed": 1, "verdict": "ok"}) and not r.add({"seed": 1, "verdict": "ok"})
    r.add({"seed": 2, "verdict": "ok"})
    r.close()
    with open(r.rows_path, "a") as f:
        f.write('{"seed": 1, "verdict": "ok"}\n{"seed": 3, "verd')  # a duplicate, a torn line
    again = ResultsDir(str(tmp_path))
    again.claim(spec)
    assert sorted(again.load()) == [1, 2]
    assert open(r.rows_path).read().endswith("\n")  # the torn line is cut off
    with pytest.raises(SpecError, match="another spec"):
        ResultsDir(str(tmp_path)).claim(validate_spec(dict(SMALL, seed=4)))


# -- replay --------------------------------------------------------------------------------

def test_replay_reproduces_the_sessions_figures_exactly(tmp_path, capsys):
    spec = validate_spec(dict(SMALL, faults=dict(SMALL["faults"], kinds=["sensor_detached"],
                                                 fault_free=0.0)))
    seed = session.session_seeds(3, 2)[1]
    r = ResultsDir(str(tmp_path))
    r.claim(spec)
    r.add(session.run_seed(spec, seed))
    r.close()
    from host.cli import main
    assert main(["campaign", "--replay", str(seed), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "reproduces the campaign's row exactly" in text
    base = tmp_path / ("replay-%d" % seed)
    assert base.with_suffix(".png").stat().st_size > 10000
    replayed = json.loads(base.with_suffix(".json").read_text())["row"]
    stored = r.load()[seed]
    assert replayed == stored
    # the CSV trace carries the same truth the row was judged by
    import csv
    with open(base.with_suffix(".csv")) as f:
        pads = [float(row["pad_c"]) for row in csv.DictReader(f)]
    assert max(pads) == pytest.approx(stored["max_pad_c"], abs=1e-4)
    # a changed row is reported as a difference, exit 1
    r.rows[seed] = dict(stored, max_pad_c=stored["max_pad_c"] + 0.01)
    (tmp_path / "results.jsonl").write_text(json.dumps(r.rows[seed]) + "\n")
    assert cli.run(_args(replay=seed, out=str(tmp_path))) == 1
    text = capsys.readouterr().out
    assert "DIFFERS" in text and "max_pad_c" in text


def _args(**kw):
    import argparse
    base = dict(spec=None, sessions=None, seed=None, workers=None, scheduler=None, out=None,
                report=None, replay=None)
    base.update(kw)
    return argparse.Namespace(**base)


# -- docs/campaigns.md ---------------------------------------------------------------------

DOC = (ROOT / "docs" / "campaigns.md").read_text()


def test_doc_spec_examples_are_valid():
    import re
    import tomllib
    blocks = re.findall(r"```toml\n(.*?)```", DOC, re.S)
    assert blocks
    for b in blocks:
        validate_spec(tomllib.loads(b))


def test_doc_rule_table_is_the_code_table():
    import re
    rows = dict(re.findall(r"^\| ([a-z_]+) \| ([a-z_ ]+) \|$", DOC, re.M))
    rows.pop("fault")  # the header
    assert rows == {kind: rules.describe(kind) for kind in rules.EXPECTED}


def test_doc_options_are_the_cli_options(capsys):
    from host.cli import main
    with pytest.raises(SystemExit):
        main(["campaign", "--help"])
    help_text = capsys.readouterr().out
    for opt in ("--sessions", "--seed", "--workers", "--scheduler", "--out", "--report",
                "--replay"):
        assert opt in help_text and opt in DOC


def test_bench_results_campaign_shape():
    res = ROOT / "bench" / "results.json"
    data = json.loads(res.read_text()) if res.is_file() else {}
    if "campaign" not in data:
        pytest.skip("bench/results.json has no campaign figures yet (run `make bench`)")
    c = data["campaign"]
    if "campaign" in data.get("errors", {}):
        return  # the bench recorded why it has no figures
    assert set(c["sessions_per_s"]) == {"1", "2"}
    assert all(v > 0 for v in c["sessions_per_s"].values()) and c["scaling_efficiency"] > 0
    assert c["same_rows_on_1_and_2"] is True


def test_cli_without_spec_or_campaign_dir_exits_2(tmp_path, capsys):
    from host.cli import main
    assert main(["campaign"]) == 2
    assert "give a SPEC.toml" in capsys.readouterr().err
    assert main(["campaign", "--replay", "5"]) == 2
    assert "--replay needs --out" in capsys.readouterr().err
    assert main(["campaign", "--replay", "5", "--out", str(tmp_path)]) == 2
    assert "no campaign here" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["power_cycle", "reset"])
def test_a_follow_up_happens_once_and_the_user_reheats(what):
    spec = validate_spec({"session": {"levels": ["high"], "run_on_s": 60.0, "settle_s": 5.0},
                          "faults": {"fault_free": 1.0, "inject_s": [10.0, 10.0]},
                          "followup": {what: 1.0, "after_s": [5.0, 5.0]}})
    row, sim = session.run_session(spec, 77, record=True)
    assert row["followup"] == what and row["followup_s"] == 15.0
    assert len(sim.resets) == 1 and 15.0 <= sim.resets[0][0] <= 15.05 + 1e-9  # one reboot
    later = [r["heater_duty"] for r in sim.trace if r["t_ms"] > 16000]
    assert max(later) > 0.5  # heating again after the reboot, on the user's `heat high`
    assert row["verdict"] == "ok" and row["end_s"] == 70.0  # fault-free: watched run_on_s


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    import io

    from hal_sim.campaign.runner import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    for stream, bar in ((Tty(), True), (io.StringIO(), False)):
        p = Progress(20, stream)
        for i in range(20):
            p.update({"verdict": "ok" if i % 5 else "missed"})
        p.close()
        text = stream.getvalue()
        assert (p.bar is not None) == bar
        if bar:
            assert "20/20" in text and "not_ok=4" in text
        else:
            assert text.count("\n") == 10 and "campaign: 20/20 sessions, 4 not ok" in text


def test_doc_error_example_is_what_the_command_prints(tmp_path, monkeypatch, capsys):
    import re
    line = re.search(r"^(cushion campaign: spec\.toml: .*), \.\.\.$", DOC, re.M).group(1)
    (tmp_path / "spec.toml").write_text('[faults]\nkinds = ["sensor_open", "typo_fault"]\n')
    monkeypatch.chdir(tmp_path)
    from host.cli import main
    assert main(["campaign", "spec.toml"]) == 2
    assert capsys.readouterr().err.startswith(line)
