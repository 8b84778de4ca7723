"""The two TOML formats QA writes, scenarios and campaign specs, read their files and show a
wrong value the same way (hal_sim/tomlfields.py): the same file problem gets the same words
from both, and a value is shown as it was written."""

import datetime

import pytest

from hal_sim import tomlfields  # first: hal_sim puts the firmware's `micropython` shim in place
from hal_sim.campaign.spec import SpecError, load_spec, validate_spec  # noqa: I001
from hal_sim.scenario import ScenarioError, load_scenario, validate_scenario

LOADERS = (pytest.param(load_scenario, ScenarioError, "scenario", id="scenario"),
           pytest.param(load_spec, SpecError, "campaign spec", id="campaign"))


@pytest.fixture(params=("missing", "directory", "not_utf8", "syntax"))
def bad_file(request, tmp_path):
    path = tmp_path / "x.toml"
    if request.param == "directory":
        path.mkdir()
    elif request.param == "not_utf8":
        path.write_bytes(b'name = "\xff\xfe"\n')
    elif request.param == "syntax":
        path.write_text("name = [\n")
    return request.param, path


@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
def test_a_bad_file_gets_the_same_words_from_both_formats(load, error, what, bad_file):
    kind, path = bad_file
    with pytest.raises(error) as info:
        load(path)
    expected = {"missing": "no such file",
                "directory": "is a directory, not a %s file" % what,
                "not_utf8": "TOML syntax error: the file is not UTF-8",
                "syntax": "TOML syntax error: "}[kind]
    assert str(info.value).startswith(expected), str(info.value)


@pytest.mark.parametrize(("value", "shown"), [
    (True, "true"), (False, "false"), ("a \"b\"", '"a \\"b\\""'), ({"x": 1}, "a table"),
    ([], "[]"), ([1, "x", {"y": 2}], '[1, "x", a table]'), (2.5, "2.5"),
    (datetime.date(2026, 12, 1), "2026-12-01"),
])
def test_a_value_is_shown_as_toml_wrote_it(value, shown):
    assert tomlfields.show(value) == shown


def test_both_formats_show_a_wrong_array_by_its_items():
    with pytest.raises(ScenarioError, match=r"not \[1, true\]"):
        validate_scenario({"name": "x", "ambient_c": [1, True], "duration_s": 10,
                           "expect": [{"max_pad_c": 50}]})
    with pytest.raises(SpecError, match=r"not \[0, 5\]"):
        validate_spec({"session": {"intensity": [0, 5]}})


def test_both_formats_bound_the_room_and_the_supply_alike():
    lo, hi = tomlfields.AMBIENT_RANGE
    with pytest.raises(ScenarioError, match="ambient_c"):
        validate_scenario({"name": "x", "ambient_c": hi + 1, "duration_s": 10,
                           "expect": [{"max_pad_c": 50}]})
    with pytest.raises(SpecError, match="pads.ranges.ambient_c"):
        validate_spec({"pads": {"ranges": {"ambient_c": [lo, hi + 1]}}})
    validate_spec({"pads": {"ranges": {"ambient_c": [lo, hi],
                                       "supply_v": list(tomlfields.SUPPLY_RANGE)}}})
