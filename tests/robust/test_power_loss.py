"""SR-15 and SR-1 across power loss at every write point of the store.

The whole system, not the Store alone (tests/fw/test_store.py covers Store with a cut write):
the real firmware in the simulator saves settings (on stop, auto-off, intensity change) and
appends to the fault log (on a fault latch). The storage cuts that write after k bytes, for
every k from 0 to the full length (a full write whose rename never happened included), the
board loses power (PowerLoss escapes the tick) and boots again on the same storage
(Simulation.power_cycle). After the reboot the settings and the fault log hold exactly the old
or the new version, the boot succeeds with every output off, and later saves work.

A second storage class (OpCutStorage) cuts the power before any storage operation (write,
rename, remove) as well as inside writes, so every point of the save sequence is hit.
"""

import pytest

from cushion import store as store_mod
from cushion.store import FAULT_LOG, SETTINGS, Store, decode, encode
from hal_sim import Simulation
from hal_sim.board import MemStorage, PowerLoss
from tests.robust._common import tick_n

OLD_SETTINGS = {"heat": 3, "massage": 2, "intensity": 1, "dose_eq_ms": 0}


class OpCutStorage(MemStorage):
    """Storage whose power dies at operation number `cut_op` (0-based, counting write, rename
    and remove), after `cut_bytes` bytes if that operation is a write."""

    def __init__(self):
        super().__init__()
        self.ops = 0
        self.cut_op = None
        self.cut_bytes = 0

    def _tick(self):
        n = self.ops
        self.ops += 1
        return self.cut_op is not None and n == self.cut_op

    def write(self, name, data):
        if self._tick():
            self.files[name] = bytes(data)[:self.cut_bytes]
            self.cut_op = None
            raise PowerLoss()
        super().write(name, data)

    def rename(self, old, new):
        if self._tick():
            self.cut_op = None
            raise PowerLoss()
        super().rename(old, new)

    def remove(self, name):
        if self._tick():
            self.cut_op = None
            raise PowerLoss()
        super().remove(name)


def _seeded_storage(cls=MemStorage, faults=1):
    st = cls()
    Store(st).save_settings(dict(OLD_SETTINGS))
    s = Store(st)
    for i in range(faults):
        s.append_fault({"code": "overheat", "uptime_s": 10 + i, "temp_c100": 5001,
                        "temp2_c100": 4990, "vin_mv": 12000})
    return st


def _file_obj(st, name):
    data = st.files.get(name)
    return None if data is None else decode(data)


def _check_rebooted(sim, old_settings, new_settings, old_log, new_log, full=True):
    ctl = sim.ctl
    assert ctl is not None, "boot failed (service mode)"
    boots = [e for e in sim.events if e.get("event") == "boot"]
    assert boots and boots[-1]["reset_cause"] == "power_on"
    corrupt = [e for e in sim.events if e.get("event") == "store_corrupt"]
    assert not corrupt, "a cut write must never leave a corrupt main file: %r" % corrupt
    assert ctl.settings in (old_settings, new_settings), ctl.settings
    assert ctl.fault_log in (old_log, new_log), ctl.fault_log
    # SR-1: nothing runs after the reboot until a user action.
    for _ in range(tick_n(2)):
        sim.step()
        assert sim.heater_duty == 0.0 and sim.motor_duty == 0.0
    assert not ctl.session.active and ctl.heat.level == 0
    assert ctl.safety.fault is None  # a latched fault does not survive a reboot as a latch
    if not full:
        return
    # and the store still works: a later save round-trips
    assert sim.command("massage wave 3")["ok"]
    assert sim.command("stop")["ok"]
    assert _file_obj(sim.board.storage, SETTINGS)["intensity"] == 3
    assert sim.board.storage.files.get(SETTINGS + ".tmp") is None


def _settings_save_scenario(st):
    """Boot on `st`, change settings in RAM, then `stop` (which saves them)."""
    sim = Simulation(storage=st)
    assert sim.command("massage knead 3")["ok"]
    assert sim.command("heat medium")["ok"]
    return sim


def _new_settings_bytes():
    st = _seeded_storage()
    sim = _settings_save_scenario(st)
    sim.command("stop")
    return st.files[SETTINGS], decode(st.files[SETTINGS])


def test_settings_write_cut_at_every_byte_keeps_old_or_new():
    new_bytes, new_settings = _new_settings_bytes()
    assert new_settings != OLD_SETTINGS
    old_log = _file_obj(_seeded_storage(), FAULT_LOG)
    seen = set()
    for k in range(len(new_bytes) + 1):
        st = _seeded_storage()
        sim = _settings_save_scenario(st)
        st.cut_after = k
        with pytest.raises(PowerLoss):
            sim.command("stop")
        sim.power_cycle()
        seen.add("new" if sim.ctl.settings == new_settings else "old")
        _check_rebooted(sim, OLD_SETTINGS, new_settings, old_log, old_log)
    assert seen == {"old"}  # the rename never happened: every cut keeps the old version


def test_fault_log_append_cut_at_every_byte_keeps_old_or_new():
    base = _seeded_storage()
    old_log = _file_obj(base, FAULT_LOG)
    # the new log: as the firmware writes it when sensor_open latches
    dry = _seeded_storage()
    sim = Simulation(storage=dry)
    sim.inject("sensor_open")
    sim.run(0.2)
    new_bytes = dry.files[FAULT_LOG]
    new_log = decode(new_bytes)
    assert len(new_log) == len(old_log) + 1 and new_log[-1]["code"] == "sensor_open"
    for k in range(len(new_bytes) + 1):
        st = _seeded_storage()
        sim = Simulation(storage=st)
        assert sim.command("heat high")["ok"]
        sim.inject("sensor_open")
        st.cut_after = k
        with pytest.raises(PowerLoss):
            sim.run(0.2)
        # the heater was cut before the write was tried (outputs first, log after)
        assert sim.board.heater_permille == 0 and not sim.board.heater_enabled
        sim.repair("sensor_open")
        sim.power_cycle()
        _check_rebooted(sim, OLD_SETTINGS, OLD_SETTINGS, old_log, new_log)


def _rotation(ks):
    st0 = _seeded_storage(faults=store_mod.limits.FAULT_LOG_MAX)
    old_log = _file_obj(st0, FAULT_LOG)
    assert len(old_log) == store_mod.limits.FAULT_LOG_MAX
    entry = {"code": "supply_high", "uptime_s": 99, "temp_c100": 3000, "temp2_c100": 3000,
             "vin_mv": 15000}
    new_log = (old_log + [entry])[-store_mod.limits.FAULT_LOG_MAX:]
    n = len(encode(new_log))
    for k in ks(n):
        st = MemStorage()
        st.files = dict(st0.files)
        st.cut_after = k
        with pytest.raises(PowerLoss):
            Store(st).append_fault(entry)
        sim = Simulation(storage=st)
        _check_rebooted(sim, OLD_SETTINGS, OLD_SETTINGS, old_log, new_log, full=k % 97 == 0)


def test_full_fault_log_rotation_cut_sampled():
    """A full log (16 entries) drops its oldest on append: a cut must not lose both. Default
    run: every 23rd byte plus the first and last few (the slow variant takes every byte)."""
    _rotation(lambda n: sorted(set(range(0, n + 1, 23)) | {0, 1, 2, n - 2, n - 1, n}))


@pytest.mark.slow
def test_full_fault_log_rotation_cut_at_every_byte():
    _rotation(lambda n: range(n + 1))


@pytest.mark.parametrize("cut_bytes", [0, 1, 7, 30, 10_000])
def test_power_loss_before_every_storage_operation(cut_bytes):
    """Cut at every operation of the save sequence (write tmp / rename), at several byte
    offsets inside the writes, during `stop` and during a fault latch."""
    new_bytes, new_settings = _new_settings_bytes()
    for op in range(4):
        st = _seeded_storage(OpCutStorage)
        old_log = _file_obj(st, FAULT_LOG)
        sim = _settings_save_scenario(st)
        st.ops = 0
        st.cut_op = op
        st.cut_bytes = cut_bytes
        try:
            sim.command("stop")
            sim.inject("sensor_short")
            sim.run(0.2)
        except PowerLoss:
            pass
        sim.repair("sensor_short")
        sim.power_cycle()
        ctl = sim.ctl
        sim.step()  # heater_duty is what the element got over the last tick: take one
        assert ctl.settings in (OLD_SETTINGS, new_settings)
        assert len(ctl.fault_log) in (len(old_log), len(old_log) + 1)
        assert ctl.fault_log[:len(old_log)] == old_log
        assert not [e for e in sim.events if e.get("event") == "store_corrupt"]
        assert sim.heater_duty == 0.0 and not ctl.session.active


def test_stale_tmp_files_are_ignored_and_replaced():
    st = _seeded_storage()
    st.files[SETTINGS + ".tmp"] = b'{"heat": 3, "massa'  # a cut write from an earlier life
    st.files[FAULT_LOG + ".tmp"] = encode([{"code": "overheat"}])[:-3]
    old_log = _file_obj(st, FAULT_LOG)
    sim = Simulation(storage=st)
    assert sim.ctl.settings == OLD_SETTINGS
    assert sim.ctl.fault_log == old_log
    assert not [e for e in sim.events if e.get("event") == "store_corrupt"]
    assert sim.command("massage pulse 2")["ok"]
    assert sim.command("stop")["ok"]
    assert _file_obj(st, SETTINGS)["intensity"] == 2


@pytest.mark.parametrize("name", [SETTINGS, FAULT_LOG])
@pytest.mark.parametrize("junk", [b"", b"\x00" * 64, b"\xff" * 300, b"{}\nzzzz\n", b"[1,2"])
def test_corrupt_main_file_with_stale_tmp_boots_with_defaults_and_an_event(name, junk):
    st = _seeded_storage()
    st.files[name] = junk
    st.files[name + ".tmp"] = b"garbage"
    sim = Simulation(storage=st)
    ctl = sim.ctl
    assert ctl is not None
    corrupt = [e["file"] for e in sim.events if e.get("event") == "store_corrupt"]
    assert corrupt == [name]
    if name == SETTINGS:
        assert ctl.settings == store_mod.DEFAULT_SETTINGS
    else:
        assert ctl.fault_log == []
    sim.run(1)
    assert sim.heater_duty == 0.0 and sim.motor_duty == 0.0
    assert sim.ctl is ctl  # no reset loop
    assert sim.command("status")["state"] == "idle"
    # heating still needs a user action, and then works
    assert sim.command("heat low")["ok"]
    sim.run(2)
    assert sim.heater_duty > 0.0


def test_repeated_power_loss_during_saves_never_corrupts():
    """Power cycles, each cutting a different save at a different byte, on one storage."""
    st = _seeded_storage()
    valid = [dict(OLD_SETTINGS)]
    for i in range(40):
        sim = Simulation(storage=st)
        assert sim.ctl.settings in valid
        intensity = 1 + i % 3
        sim.command("massage knead %d" % intensity)
        sim.command("heat %s" % ("low", "medium", "high")[i % 3])
        s = dict(sim.ctl.settings)
        s["intensity"] = intensity
        valid.append(s)
        st.cut_after = (i * 7) % 70 if i % 4 else None
        try:
            sim.command("stop")
        except PowerLoss:
            pass
        sim.power_cycle()
    sim = Simulation(storage=st)
    assert sim.ctl.settings in valid
    assert not [e for e in sim.events if e.get("event") == "store_corrupt"]


def test_latch_write_cut_at_every_byte_boots_safe_and_keeps_the_heat_off():
    """SR-12 across power loss: the latch is the first write after a heater fault latches,
    with both switches already open. Cut anywhere in it, the board boots with the old state
    (no latch) or the new one (the latch), never a failed boot, and the element stays off."""
    dry = Simulation()
    assert dry.command("heat high")["ok"]
    dry.run(1.0)
    dry.inject("supply_high")
    dry.run(0.3)
    new_bytes = dry.board.storage.files[store_mod.LATCH]
    assert decode(new_bytes)["code"] == "supply_high"
    for k in range(len(new_bytes) + 1):
        sim = Simulation()
        assert sim.command("heat high")["ok"]
        sim.run(1.0)
        sim.inject("supply_high")
        sim.board.storage.cut_after = k
        with pytest.raises(PowerLoss):
            sim.run(0.3)
        assert sim.board.heater_permille == 0 and not sim.board.heater_enabled
        sim.power_cycle()
        assert sim.state()["fault"] in (None, "supply_high")
        for _ in range(tick_n(2.0)):
            sim.step()
            assert sim.heater_duty == 0.0
    # uncut, the latch is back after the power cycle and heat is refused until `clear`
    dry.power_cycle()
    assert dry.state()["fault"] == "supply_high"
    assert dry.command("heat high")["error"] == "fault_active"
