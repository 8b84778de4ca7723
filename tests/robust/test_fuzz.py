"""SR-14 serial fuzzing: random and mutated lines and raw bytes.

- Parser level (fast): 100 000 lines through cushion.protocol.parse, and a 100 000-line byte
  stream through LineReader, compared with a reference line splitter (line ends, control
  bytes, backspace, `#` resync, overlong lines).
- Whole system: 5 000 lines by default (50 000 behind `slow`) through sim.serial_in. Every
  output line is well-formed JSON (sim.bad_lines stays empty), every request line gets exactly
  one reply; the documented drops are lines left empty (only `\\n` or `\\r\\n`, control
  bytes, backspaces) and whatever precedes a `#` in a line; a line over 128 bytes gets one
  `line_too_long` reply. No tick is skipped (sim.ticks_run + 1 per step) and the watchdog
  never resets the board.
"""

import json
import random

import pytest

from cushion import limits, protocol
from hal_sim import Simulation

SEED = 20240501
CORPUS = [b"status", b"info", b"heat high", b"heat low", b"heat off", b"massage knead 3",
          b"massage wave", b"stop", b"clear", b"faults", b"telemetry on 500", b"telemetry off",
          b"help", b"#12 status", b"#999999 heat medium",
          b"status*%02X" % protocol.checksum(b"status")]
CODES = {protocol.UNKNOWN_COMMAND, protocol.BAD_ARGUMENT, protocol.BAD_ENCODING,
         protocol.BAD_CHECKSUM, protocol.BAD_ID}


def _mutate(rng, line):
    b = bytearray(line)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randint(0, len(b))
        if op == 0 and b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[pos:pos] = bytes([rng.randrange(256)])
        elif op == 2 and b:
            del b[rng.randrange(len(b))]
        elif op == 3:
            b[pos:pos] = rng.choice(CORPUS)
        elif op == 4:
            b[pos:pos] = rng.choice([b"*", b"#", b" ", b"\t", b"\x00", b"\x03", b"\xff",
                                     b"99999999", b"-1", b"\r", b"*00", b"\xc3\xa9"])
        else:
            b = b * rng.randint(1, 12)
    return bytes(b)


def gen_lines(n, seed=SEED, allow_newline=False):
    """n request lines (no newline inside unless allow_newline): a third random bytes, a
    third printable random text, a third mutated valid lines."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.randrange(3)
        if kind == 0:
            line = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        elif kind == 1:
            line = bytes(rng.randrange(32, 127) for _ in range(rng.randint(0, 140)))
        else:
            line = _mutate(rng, rng.choice(CORPUS))
        if not allow_newline:
            line = line.replace(b"\n", b"")
        out.append(line)
    return out


def test_parser_100k_lines_only_protocol_errors():
    n_ok = n_err = 0
    for line in gen_lines(100_000):
        try:
            req_id, verb, args = protocol.parse(line)
        except protocol.ProtocolError as e:
            n_err += 1
            assert e.code in CODES, e.code
            assert e.req_id is None or 1 <= e.req_id <= 999_999
            obj = json.loads(protocol.error(e.req_id, e.code, e.detail))
            assert obj["ok"] is False and obj["error"] == e.code
            continue
        n_ok += 1
        assert req_id is None or 1 <= req_id <= 999_999
        assert verb and verb == verb.lower() and verb.isprintable() and " " not in verb
        assert all(isinstance(a, str) and a for a in args)
    assert n_ok > 1000 and n_err > 50_000  # both paths were exercised


def _reference_split(stream):
    """What LineReader must return for a byte stream: (line or 'TOO_LONG'), empty dropped.

    The rules of docs/protocol.md, one byte at a time on a list: BS and DEL take back a
    character (all of a UTF-8 one), other control bytes but tab and CR are dropped, a `#`
    starts the line again, and a line longer than LINE_MAX (not counting a final CR) is
    lost for good once it got too long."""
    out = []
    for seg in stream.split(b"\n")[:-1]:
        cur, lost = [], False
        for b in seg:
            if b in (8, 127):
                if not lost and cur:
                    gone = cur.pop()
                    if 0x80 <= gone < 0xC0:
                        while cur and 0x80 <= cur[-1] < 0xC0:
                            cur.pop()
                        if cur and cur[-1] >= 0xC0:
                            cur.pop()
            elif b < 32 and b not in (9, 13):
                pass
            elif b == ord("#") and (cur or lost):
                cur, lost = [b], False
            elif not lost:
                cur.append(b)
                if len(cur) > limits.LINE_MAX and cur[limits.LINE_MAX:] != [13]:
                    lost = True
        if lost:
            out.append("TOO_LONG")
            continue
        if cur and cur[-1] == 13:
            cur.pop()
        if cur:
            out.append(bytes(cur))
    return out


def test_line_reader_100k_lines_matches_the_reference_split():
    rng = random.Random(SEED + 1)
    lines = gen_lines(100_000, seed=SEED + 1)
    stream = b"".join(ln + rng.choice([b"\n", b"\r\n", b"\n\n", b"\r\r\n"]) for ln in lines)
    reader = protocol.LineReader()
    got = []
    for byte in stream:
        r = reader.push(byte)
        if r is protocol.LineReader.TOO_LONG:
            got.append("TOO_LONG")
        elif r is not None:
            assert len(r) <= limits.LINE_MAX and b"\n" not in r
            got.append(r)
    assert got == _reference_split(stream)


def _expected_replies(stream):
    return len(_reference_split(stream))


def _through_sim(n, seed):
    rng = random.Random(seed)
    sim = Simulation()
    sim.command("heat low")
    lines = gen_lines(n, seed=seed, allow_newline=True)
    # never ask for the REPL: `service` hands the port over by design (not a crash)
    lines = [b"status" if ln.strip().lower().split(b"*")[0].endswith(b"service") else ln
             for ln in lines]
    stream = b"\n" + b"".join(ln + rng.choice([b"\n", b"\r\n"]) for ln in lines)
    want = _expected_replies(stream)
    before = len(sim.replies)
    sim.serial_in(stream)
    steps = 0
    while sim.board.rx or steps < 10:
        t = sim.ticks_run
        sim.step()
        steps += 1
        assert sim.ticks_run == t + 1, "tick skipped"
        if sim.board.rx == bytearray() and steps > 10:
            break
    for _ in range(5):
        sim.step()
    assert not sim.resets, sim.resets
    assert not sim.bad_lines, sim.bad_lines[:5]
    assert sim.board.wdt_feeds >= steps
    assert len(sim.replies) - before == want
    assert sim.pad_c <= 52.0
    return sim


def test_whole_system_5k_fuzzed_lines():
    _through_sim(5_000, SEED + 2)


@pytest.mark.slow
def test_whole_system_50k_fuzzed_lines():
    _through_sim(50_000, SEED + 3)


def test_whole_system_raw_bytes_and_floods():
    rng = random.Random(SEED + 4)
    sim = Simulation()
    sim.command("heat medium")
    for chunk in (bytes(rng.randrange(256) for _ in range(20_000)), b"\x00" * 5000,
                  b"\x03" * 500, b"a" * 10_000 + b"\n", b"\r" * 3000 + b"\n",
                  b"\xff" * 4096 + b"\n", (b"status\n" * 2000)):
        sim.serial_in(chunk)
        while sim.board.rx:
            t = sim.ticks_run
            sim.step()
            assert sim.ticks_run == t + 1
        sim.run(0.2)
    assert not sim.resets and not sim.bad_lines
    assert sim.ctl.safety.fault is None
    assert sim.command("status")["heat"] in ("medium", "off", "low", "high")
