"""docs/protocol.md's examples that tests/test_protocol_client_sim.py does not read: the
bytes a terminal sends (typing to the board) with their replies, and the event lines, whose
fields must be the schema's."""

import ast
import json
import re
from pathlib import Path

import pytest

from hal_sim import Simulation  # first: it puts the firmware on the path

from cushion.commands import RESYNC_MS
from cushion.schema import EVENT_FIELDS

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
BYTES_EXAMPLE = re.compile(r'^(b".*")\s+-> (\{.*\})$')


def bytes_examples():
    out = []
    for line in DOC.read_text().splitlines():
        m = BYTES_EXAMPLE.match(line.strip())
        if m:
            out.append((ast.literal_eval(m.group(1)), json.loads(m.group(2))))
    return out


def event_examples():
    """Every `{"event": ...}` object in the doc's text blocks (one may span lines)."""
    out = []
    text = None
    for line in DOC.read_text().splitlines():
        line = line.strip()
        if text is None and not line.startswith('{"event": '):
            continue
        text = line if text is None else text + " " + line
        try:
            out.append(json.loads(text))
        except ValueError:
            continue
        text = None
    return out


def test_the_doc_has_typing_examples():
    sent = [raw for raw, _ in bytes_examples()]
    assert any(b"\x7f" in raw for raw in sent) and any(b"\x08" in raw for raw in sent)
    assert any(raw.startswith(b"\x03#") for raw in sent)


@pytest.mark.parametrize("raw, documented", bytes_examples(), ids=repr)
def test_typing_example_gets_the_documented_reply(raw, documented):
    sim = Simulation()
    before = len(sim.replies)
    sim.serial_in(raw)
    sim.run(0.2)
    got = [{k: v for k, v in r.items() if k != "sim_s"} for r in sim.replies[before:]]
    assert got == [documented]


def test_every_documented_event_has_the_schema_fields():
    examples = event_examples()
    assert {e["event"] for e in examples} >= {"boot", "fault", "telemetry"}
    for e in examples:
        assert set(e) - {"event"} == set(EVENT_FIELDS[e["event"]]), e


def test_the_documented_resync_silence_is_the_firmwares():
    assert "after %d ms without a byte" % RESYNC_MS in DOC.read_text()
