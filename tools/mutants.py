"""`make test-mutants`: switch each protection off in turn and show that a test notices.

Each entry of MUTANTS names a protection, the firmware file it lives in, one exact piece of
its code and what replaces it (the protection switched off). For each one the whole
firmware/ tree is copied to a temporary directory, that one edit is made there, and the
entry's chosen fast tests run against the copy (PYTHONPATH puts it ahead of the installed
tree), stopping at the first failure. The table printed at the end says which test caught
each protection; a protection that no test catches, or a table entry whose code is no longer
in the file, fails the run (exit 1).

    python -m tools.mutants [--list] [NAME ...]
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FW = "tests/fw/test_safety.py"
PW = "tests/fw/test_safety_power.py"
MATRIX = "tests/robust/test_fault_matrix.py::test_fault_detected_and_heater_off"

# (protection, file under firmware/cushion/, the code, its replacement, the tests to run)
MUTANTS = [
    ("SR-2 overheat", "safety.py", "            self._latch(OVERHEAT)",
     "            pass", [FW + "::test_sr2_overheat_even_with_the_heat_off"]),
    ("SR-3 sensor open", "safety.py", "            self._latch(SENSOR_OPEN)",
     "            pass", [FW, MATRIX]),
    ("SR-3 sensor short", "safety.py", "            self._latch(SENSOR_SHORT)",
     "            pass", [FW, MATRIX]),
    ("SR-4 no heat rise", "safety.py", "                self._latch(NO_HEAT_RISE)",
     "                pass",
     [FW + "::test_sr4_flat_reading_at_full_duty_latches_no_heat_rise"]),
    ("SR-5a thermal runaway", "safety.py", "            self._latch(THERMAL_RUNAWAY)",
     "            pass", [FW]),
    ("SR-5b stuck on (stored heat)", "safety.py", "            self._latch(HEATER_STUCK_ON)",
     "            pass", [FW]),
    ("SR-6 sensor mismatch", "safety.py", "            self._latch(SENSOR_MISMATCH)",
     "            pass", [FW]),
    ("SR-9 supply high", "safety.py", "            self._latch(SUPPLY_HIGH)",
     "            pass", [FW]),
    ("SR-9 supply low pause", "supply.py", "            self.paused = True\n",
     "            pass\n", [FW, MATRIX]),
    ("SR-9 resume held", "supply.py",
     "        if self.paused and good:",
     "        if self.paused and source_mv >= limits.SUPPLY_RESUME_MV:", [FW]),
    ("SR-13 motor stall", "safety.py",
     "                    self.motor_fault = MOTOR_STALL\n"
     "                    self._new = MOTOR_STALL",
     "                    pass", [FW]),
    ("SR-7 auto-off", "controller.py",
     "        if timer == AUTO_OFF:\n            self.end_session()",
     "        if False:\n            self.end_session()", ["tests/fw/test_session.py"]),
    ("SR-8 dose cap", "controller.py",
     "        if self.dose.capped and heat.level > limits.HEAT_LOW:",
     "        if False:", ["tests/fw/test_dose.py"]),
    ("SR-12 sensors in range", "safety.py",
     "            return Supervisor.SENSOR_OUT_OF_RANGE",
     "            pass", [PW]),
    ("SR-12 supply in range", "safety.py",
     "            return Supervisor.SUPPLY_STILL_HIGH",
     "            pass", [FW]),
    ("SR-12 sensors agree", "safety.py",
     "            return Supervisor.SENSORS_DISAGREE", "            pass", [FW]),
    ("SR-12 pad below 40 C", "safety.py",
     "            return Supervisor.PAD_TOO_WARM", "            pass", [FW]),
    ("SR-12 persisted latch", "controller.py",
     "            self.safety.restore(latched[0], latched[1])", "            pass", [FW, PW]),
    ("SR-12 latch saved", "store.py",
     '                self.save_latch(entry["code"], left)',
     "                pass", [PW]),
    ("SR-17 switch self-test", "outputs.py",
     "        elif enable and not test.passed and not test.step():",
     "        elif False:", [PW]),
    ("SR-16 heater current", "safety.py",
     "        code = self.power.check(readings.heater_ma, vin_mv, duty, applied.enabled)",
     "        code = None", [PW]),
    ("SR-18 ADC reference", "safety.py", "        code = self.ref.check(readings.ref_c12)",
     "        code = None", [PW]),
    ("SR-19 clock", "safety.py",
     "        code = self.clock.check(dt if raw_dt is None else raw_dt)", "        code = None",
     [PW]),
    ("energy check", "safety.py",
     "        code = self.energy.check(hot, setpoint, vin_mv * readings.heater_ma // 1000, dt)",
     "        code = None", [PW]),
    ("SR-9 measured source", "safety.py",
     "        source = self.supply.source_mv(vin_mv, readings.heater_ma + readings.motor_ma)",
     "        source = vin_mv", [PW, "tests/sim/test_envelope_no_false_trips.py"]),
    ("latched fault opens both switches", "outputs.py",
     "        if not allowed:\n            heater = 0",
     "        if False:\n            heater = 0", [FW]),
]

_FAILED = re.compile(r"^FAILED (\S+)", re.M)


def run_one(name, path, old, new, tests):
    """(caught by, seconds); 'caught by' is None when every test passed."""
    src = ROOT / "firmware" / "cushion" / path
    text = src.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit("mutants: %r: the code to switch off is not in %s exactly once: "
                         "update tools/mutants.py" % (name, path))
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        fw = pathlib.Path(tmp) / "firmware"
        shutil.copytree(ROOT / "firmware", fw, ignore=shutil.ignore_patterns("__pycache__"))
        (fw / "cushion" / path).write_text(text.replace(old, new), encoding="utf-8")
        env = dict(os.environ,
                   PYTHONPATH=str(fw) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider",
             "-m", "", "-rf"] + tests,
            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        took = time.monotonic() - t0
    if proc.returncode == 0:
        return None, took
    m = _FAILED.search(proc.stdout)
    if m is None:
        return "(pytest exit %d: %s)" % (proc.returncode, proc.stdout[-200:].strip()), took
    return m.group(1), took


def main(argv):
    if "--list" in argv:
        for m in MUTANTS:
            print(m[0])
        return 0
    chosen = [m for m in MUTANTS if not argv or m[0] in argv]
    rows = []
    for name, path, old, new, tests in chosen:
        caught, took = run_one(name, path, old, new, tests)
        rows.append((name, caught, took))
        print("%-36s %s (%.0f s)" % (name, caught or "NOT CAUGHT", took), flush=True)
    print()
    print("| protection switched off | caught by | s |")
    print("|---|---|---|")
    for name, caught, took in rows:
        print("| %s | %s | %.0f |" % (name, "`%s`" % caught if caught else "**nothing**", took))
    missed = [r[0] for r in rows if r[1] is None]
    if missed:
        print("\nmutants: no test caught: %s" % ", ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
