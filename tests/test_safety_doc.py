"""docs/safety.md stays true: every requirement it names has a test, and every test it names
exists. Test functions are found by parsing the test files with `ast` (fast, no imports)."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "safety.md"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
SR_REF = re.compile(r"\bSR-(\d+)\b")
HAZARDS = ("overheat", "long exposure", "sensor failure", "switch failure", "supply fault",
           "hang or crash", "stray serial input", "power loss during a write", "motor stall",
           "common-cause", "adc reference", "stopped or jumping clock", "stops reading",
           "reset during a fault")


def _doc():
    return DOC.read_text(encoding="utf-8")


def _test_functions(path, cache={}):  # noqa: B006 - a per-process cache on purpose
    if path not in cache:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    node.name.startswith("test"):
                names.add(node.name)
        cache[path] = names
    return cache[path]


def _sections(text):
    """(heading, body) for each '### ' hazard section."""
    parts = re.split(r"^### ", text, flags=re.M)[1:]
    return [(p.splitlines()[0], p) for p in parts]


def _traceability(text):
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\|\s*SR-(\d+)\s*\|(.*)\|\s*$", line)
        if m:
            rows.setdefault(int(m.group(1)), []).extend(TEST_REF.findall(m.group(2)))
    return rows


def test_every_named_test_exists():
    refs = TEST_REF.findall(_doc())
    assert refs, "docs/safety.md names no tests"
    missing = []
    for path, name in refs:
        if not (ROOT / path).is_file():
            missing.append("%s (no such file)" % path)
        elif name not in _test_functions(path):
            missing.append("%s::%s" % (path, name))
    assert not missing, "docs/safety.md names tests that do not exist: %s" % missing


def test_every_named_requirement_has_a_test():
    text = _doc()
    rows = _traceability(text)
    named = {int(n) for n in SR_REF.findall(text)}
    assert set(range(1, 20)) <= named, "SR-1..SR-19 must all appear"
    untested = sorted(n for n in named if not rows.get(n))
    assert not untested, "requirements with no test in the traceability table: %s" % (
        ["SR-%d" % n for n in untested])


def test_every_hazard_has_a_cause_a_mitigation_and_tests():
    sections = _sections(_doc())
    headings = " | ".join(h.lower() for h, _ in sections)
    for hazard in HAZARDS:
        assert hazard in headings, "hazard missing: %s" % hazard
    for heading, body in sections:
        assert "Cause:" in body, heading
        assert "Mitigation:" in body and SR_REF.search(body), heading
        assert TEST_REF.search(body), "%s names no test" % heading


@pytest.mark.parametrize("doc", ["SR-99 `tests/test_safety_doc.py::test_nope`"])
def test_the_checker_catches_a_bad_doc(doc, monkeypatch):
    """The check itself is not vacuous: a made-up test and an untested SR are caught."""
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, encoding=None: doc
                        if self == DOC else _orig_read(self, encoding=encoding))
    with pytest.raises(AssertionError):
        test_every_named_test_exists()
    with pytest.raises(AssertionError):
        test_every_named_requirement_has_a_test()


_orig_read = pathlib.Path.read_text
