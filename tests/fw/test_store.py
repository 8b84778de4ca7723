"""SR-15: cushion.store. Atomic saves (a write cut at every byte leaves the last good
version), checksummed files, corrupt files -> defaults plus a store_corrupt event, and a boot
that never fails."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cushion import limits, store
from cushion.store import DEFAULT_SETTINGS, FAULT_LOG, SERVICE_FLAG, SETTINGS, Store
from hal_sim.double import PowerLoss

from .fakehal import MemStorage, Rig

GOOD = {"heat": 3, "massage": 4, "intensity": 1, "dose_eq_ms": 12345}


def test_crc16_ccitt_false_check_value():
    assert store.crc16(b"123456789") == 0x29B1


def test_encode_decode_roundtrip():
    for obj in (GOOD, [], [{"code": "overheat"}], {"a": "b" * 300}):
        data = store.encode(obj)
        assert data.endswith(b"\n")
        assert store.decode(data) == obj


def test_save_goes_through_a_tmp_file_and_a_rename():
    fs = MemStorage()
    Store(fs).save_settings(GOOD)
    assert fs.ops == [("write", SETTINGS + ".tmp"), ("rename", SETTINGS + ".tmp", SETTINGS)]
    assert Store(fs).load_settings() == GOOD


def test_cut_after_every_byte_keeps_the_old_settings():
    fs = MemStorage()
    Store(fs).save_settings(GOOD)
    old_file = fs.files[SETTINGS]
    new = dict(GOOD, heat=1, intensity=3, dose_eq_ms=999)
    size = len(store.encode(new))
    for k in range(size + 1):
        fs.cut_next_write(k)
        with pytest.raises(PowerLoss):
            Store(fs).save_settings(new)
        assert fs.files[SETTINGS] == old_file
        s = Store(fs)
        assert s.load_settings() == GOOD, k
        assert s.corrupt == []
    Store(fs).save_settings(new)  # the power is back: the next save works over the leftover
    assert Store(fs).load_settings() == new


def test_cut_after_every_byte_keeps_the_old_fault_log():
    fs = MemStorage()
    s = Store(fs)
    s.append_fault({"code": "overheat", "uptime_s": 5})
    before = Store(fs).load_faults()
    size = len(store.encode(before + [{"code": "sensor_open", "uptime_s": 9}]))
    for k in range(0, size + 1, 3):
        fs.cut_next_write(k)
        with pytest.raises(PowerLoss):
            Store(fs).append_fault({"code": "sensor_open", "uptime_s": 9})
        assert Store(fs).load_faults() == before


def test_fault_log_is_bounded_and_keeps_the_newest():
    fs = MemStorage()
    s = Store(fs)
    for i in range(limits.FAULT_LOG_MAX + 5):
        s.append_fault({"code": "overheat", "uptime_s": i})
    log = Store(fs).load_faults()
    assert len(log) == limits.FAULT_LOG_MAX
    assert log[-1]["uptime_s"] == limits.FAULT_LOG_MAX + 4


def corruptions():
    good = store.encode(GOOD)
    yield "empty", b""
    yield "garbage", b"\x00\xff garbage"
    yield "truncated", good[:-3]
    yield "no check line", json.dumps(GOOD).encode() + b"\n"
    yield "wrong crc", good[:-5] + b"0000\n" if not good.endswith(b"0000\n") else b"x\n1111\n"
    yield "non-hex crc", json.dumps(GOOD).encode() + b"\nzzzz\n"
    body = b"{not json"
    yield "bad json, good crc", body + b"\n%04x\n" % store.crc16(body)
    body = b"\xff\xfe"
    yield "bad utf-8, good crc", body + b"\n%04x\n" % store.crc16(body)


@pytest.mark.parametrize("what, data", list(corruptions()))
def test_corrupt_settings_mean_defaults_and_an_event(what, data):
    fs = MemStorage({SETTINGS: data})
    rig = Rig(storage=fs)
    assert rig.ctl.settings == DEFAULT_SETTINGS
    evs = rig.events("store_corrupt")
    if data:
        assert [e["file"] for e in evs] == [SETTINGS], what
    assert rig.hal.heater == 0 and not rig.hal.enabled
    rig.tick(5)
    assert rig.cmd("status")["ok"] is True


def test_every_single_bit_flip_is_detected():
    good = store.encode(GOOD)
    for i in range(len(good)):
        for bit in (0, 3, 7):
            bad = bytearray(good)
            bad[i] ^= 1 << bit
            s = Store(MemStorage({SETTINGS: bytes(bad)}))
            assert s.load_settings() == DEFAULT_SETTINGS, (i, bit)
            assert s.corrupt == [SETTINGS]


def test_corrupt_fault_log_is_reported_and_starts_empty():
    rig = Rig(storage=MemStorage({FAULT_LOG: b"[{\"code\": \n0000\n"}))
    assert [e["file"] for e in rig.events("store_corrupt")] == [FAULT_LOG]
    assert rig.cmd("faults")["log"] == []


def test_boot_event_comes_first_and_corrupt_events_only_once():
    fs = MemStorage({SETTINGS: b"junk", FAULT_LOG: b"junk"})
    rig = Rig(storage=fs)
    names = [m.get("event") for _, m in rig.hal.sent]
    assert names[0] == "boot"
    assert sorted(e["file"] for e in rig.events("store_corrupt")) == [FAULT_LOG, SETTINGS]
    rig.tick(20)
    assert len(rig.events("store_corrupt")) == 2


@pytest.mark.parametrize("bad", [
    {"heat": 0}, {"heat": 4}, {"heat": "high"}, {"heat": True}, {"massage": 9},
    {"intensity": 0}, {"intensity": 7}, {"dose_eq_ms": -1}, {"heat": 1.5}])
def test_nonsense_values_fall_back(bad):
    s = Store(MemStorage({SETTINGS: store.encode(dict(GOOD, **bad))}))
    got = s.load_settings()
    key = next(iter(bad))
    assert got[key] == DEFAULT_SETTINGS[key]
    for k in GOOD:
        if k != key:
            assert got[k] == GOOD[k]


def test_dose_from_storage_is_bounded():
    s = Store(MemStorage({SETTINGS: store.encode(dict(GOOD, dose_eq_ms=10**12))}))
    assert s.load_settings()["dose_eq_ms"] == 2 * limits.DOSE_LIMIT_EQ_MS


@pytest.mark.parametrize("obj", [[1, 2], "text", 42, None])
def test_settings_that_are_not_an_object_mean_defaults(obj):
    s = Store(MemStorage({SETTINGS: store.encode(obj)}))
    assert s.load_settings() == DEFAULT_SETTINGS


def test_unreadable_storage_never_fails_the_boot():
    fs = MemStorage({SETTINGS: store.encode(GOOD)})
    fs.fail_reads = True
    rig = Rig(storage=fs)
    assert rig.ctl.settings == DEFAULT_SETTINGS
    assert rig.events("store_corrupt")
    rig.tick(3)
    assert rig.cmd("status")["ok"] is True


def test_failing_writes_never_stop_the_controller():
    rig = Rig(temp_c=30.0)
    rig.hal.storage.fail_writes = True
    rig.cmd("heat high")
    rig.cmd("massage pulse")
    rig.cmd("stop")
    rig.cmd("heat high")
    rig.hal.set_temp(51.0)
    rig.tick(2)  # SR-2 judges two readings
    assert rig.faults() == ["overheat"]
    assert rig.hal.heater == 0 and not rig.hal.enabled
    assert rig.cmd("faults")["active"] == ["overheat"]


def test_settings_and_fault_log_survive_a_reboot():
    rig = Rig(temp_c=30.0)
    rig.cmd("heat medium")
    rig.cmd("massage wave 1")
    rig.tick(5)
    rig.cmd("stop")
    rig.hal.set_temp(50.5)
    rig.tick(2)  # SR-2 judges two readings
    rig.reboot()
    rig.hal.set_temp(30.0)
    assert rig.ctl.settings["heat"] == 2
    assert rig.ctl.settings["massage"] == 3
    assert rig.ctl.settings["intensity"] == 1
    assert [e["code"] for e in rig.ctl.fault_log] == ["overheat"]
    assert rig.events("store_corrupt") == []


def test_service_flag_is_one_shot():
    fs = MemStorage()
    s = Store(fs)
    assert s.take_service_flag() is False
    s.set_service_flag()
    assert s.take_service_flag() is True
    assert s.take_service_flag() is False
    assert SERVICE_FLAG not in fs.files


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_any_bytes_in_storage_boot_with_outputs_off(settings_bytes, faults_bytes):
    rig = Rig(storage=MemStorage({SETTINGS: settings_bytes, FAULT_LOG: faults_bytes}))
    s = rig.ctl.settings
    assert 1 <= s["heat"] <= 3 and 1 <= s["massage"] <= 4 and 1 <= s["intensity"] <= 3
    rig.tick(2)
    assert rig.hal.heater == 0 and rig.hal.motor_duty == 0
    assert not rig.hal.bad_lines
