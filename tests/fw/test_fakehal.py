"""The fake HAL itself: if it is wrong, every other test here is too."""

import pytest

from hal_sim.double import PowerLoss

from .fakehal import (
    FakeHAL,
    MemStorage,
    Rig,
    beta_c,
    motor_counts12,
    ntc_counts12,
    u16,
    vin_counts12,
)

WRAP = 1 << 30


def test_read_u16_scale():
    assert u16(0) == 0 and u16(4095) == 65535 and u16(2048) == (2048 << 4 | 8)
    assert all(u16(c) >> 4 == c for c in range(4096))


def test_front_end_reference_points():
    assert ntc_counts12(25.0) == 2048
    assert ntc_counts12(45.0) == 1241
    assert ntc_counts12(50.0) == 1081
    assert vin_counts12(12.0) == 2612
    assert motor_counts12(1650) == 4095
    assert beta_c(2047.5) == pytest.approx(25.0, abs=1e-6)


@pytest.mark.parametrize("a", [0, 1, WRAP - 1, WRAP - 5000, 12345])
@pytest.mark.parametrize("d", [0, 1, -1, 50, 5000, -5000, (WRAP >> 1) - 1, -(WRAP >> 1)])
def test_ticks_add_and_diff_wrap_like_micropython(a, d):
    h = FakeHAL()
    b = h.ticks_add(a, d)
    assert 0 <= b < WRAP
    assert h.ticks_diff(b, a) == d


def test_clock_wraps():
    h = FakeHAL(start_ms=WRAP - 20)
    h.advance(50)
    assert h.ticks_ms() == 30 and h.elapsed == 50


def test_storage_cut_keeps_a_prefix_and_raises():
    fs = MemStorage()
    fs.cut_next_write(3)
    with pytest.raises(PowerLoss):
        fs.write("a", b"hello")
    assert fs.read("a") == b"hel"
    fs.write("a", b"hello")
    fs.rename("a", "b")
    assert fs.read("a") is None and fs.read("b") == b"hello"
    fs.remove("b")
    fs.remove("b")
    assert fs.read("b") is None


def test_serial_both_ways_and_parsed_replies():
    rig = Rig()
    out = rig.send("#5 status")
    assert [m["id"] for m in out] == [5]
    buf = bytearray(4)
    rig.hal.rx.extend(b"abcdef")
    assert rig.hal.serial_readinto(buf) == 4 and bytes(buf) == b"abcd"
    assert rig.hal.serial_readinto(buf) == 2 and bytes(rig.hal.rx) == b""
    assert rig.hal.serial_readinto(buf) == 0


def test_feeds_record_the_reads_before_them():
    h = FakeHAL()
    h.wdt_feed()
    h.read_temp(0)
    h.read_temp(1)
    h.wdt_feed()
    assert [r for _, r in h.feeds] == [False, True]
