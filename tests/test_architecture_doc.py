"""docs/architecture.md names real files, tables and methods: a rename that forgets the page
fails here."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()
SEARCH = ("", "firmware/", "firmware/cushion/")


def _exists(name):
    return any((ROOT / base / name).exists() for base in SEARCH)


def test_every_file_the_page_names_exists():
    names = set(re.findall(r"`?((?:[\w.]+/)+[\w.]*\.(?:py|md|toml))`?", DOC))
    names |= {"docs/" + n for n in re.findall(r"\]\(([\w.]+\.md)\)", DOC)}
    missing = sorted(n for n in names if not _exists(n))
    assert names and not missing, missing


def test_the_tables_and_methods_it_names_are_there():
    src = {p: (ROOT / p).read_text() for p in (
        "firmware/cushion/commands.py", "firmware/cushion/controller.py",
        "firmware/cushion/outputs.py", "hal_sim/scenario/judge.py",
        "hal_sim/scenario/validate.py", "firmware/boards/__init__.py")}
    assert "_VERBS = (" in src["firmware/cushion/commands.py"]
    assert "def poll(self, now)" in src["firmware/cushion/commands.py"]
    assert "def _report(self, now)" in src["firmware/cushion/controller.py"]
    assert "def apply(" in src["firmware/cushion/outputs.py"]
    assert "JUDGES = {" in src["hal_sim/scenario/judge.py"]
    assert "EXPECT_KINDS = (" in src["hal_sim/scenario/validate.py"]
    assert "def make_hal()" in src["firmware/boards/__init__.py"]


def test_the_tick_steps_run_in_the_order_the_page_gives():
    tick = (ROOT / "firmware/cushion/controller.py").read_text()
    body = tick[tick.index("    def tick(self, now):"):tick.index("    def _report(")]
    order = ["r.update(hal)", "self.safety.check(", "self.session.update(",
             "panel.on_buttons(", "self.dose.update(", "heat.update(", "self.vib.update(",
             "self.out.apply(", "self._report(now)", "console.poll(now)", "hal.wdt_feed()"]
    at = [body.find(s) for s in order]
    assert -1 not in at and at == sorted(at), list(zip(order, at))
