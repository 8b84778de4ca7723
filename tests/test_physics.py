"""The cushion's physical model (hal_sim/physics.py): calibration against DESIGN section 9,
fault flags, the analog front end, energy bookkeeping, determinism, and the same numbers in
the real MicroPython VMs."""

import math
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal_sim import physics
from hal_sim.physics import (
    ADC_MAX,
    Cushion,
    PadParams,
    counts12_to_c,
    ntc_counts12,
    read_u16,
)

DT = 0.05  # the firmware tick


def full_power(c, seconds, dt=DT, duty=1.0, enabled=True, motor=0.0):
    for _ in range(int(round(seconds / dt))):
        c.step(dt, duty, enabled, motor, 1)


def time_to(c, pred, limit_s, dt=DT, duty=1.0):
    """Step at `duty` until pred(c) holds; the simulated time it took (None if never)."""
    n = 0
    while n * dt < limit_s:
        c.step(dt, duty, True, 0.0, 1)
        n += 1
        if pred(c):
            return n * dt
    return None


def code12(u16):
    return u16 >> 4


# ---- calibration targets (DESIGN section 9) -------------------------------------------------

def test_warm_up_to_45c_in_design_window():
    c = Cushion(ambient_c=22.0)
    t_a = t_b = None
    n = 0
    while (t_a is None or t_b is None) and n < 400 / DT:
        c.step(DT, 1.0, True, 0.0, 1)
        n += 1
        if t_a is None and c.sensor_c[0] >= 45.0:
            t_a = n * DT
        if t_b is None and c.sensor_c[1] >= 45.0:
            t_b = n * DT
    assert t_a is not None and t_b is not None
    for t in (t_a, t_b):
        assert 180.0 <= t <= 300.0  # DESIGN window
        assert 215.0 <= t <= 245.0  # calibrated to the middle (~230 s); see docs/simulator.md
    assert t_a < t_b  # sensor B is the slower one


def test_warm_up_seen_through_the_adc():
    c = Cushion(ambient_c=22.0, seed=3)
    target = ntc_counts12(45.0)
    t = time_to(c, lambda c: code12(c.adc_temp(0)) <= target, 400)
    assert t is not None and 180.0 <= t <= 300.0


def test_full_power_settles_near_80c():
    c = Cushion(ambient_c=22.0)
    full_power(c, 4 * 3600, dt=1.0)
    before = c.pad_c
    full_power(c, 600, dt=1.0)
    assert abs(c.pad_c - before) < 0.05  # settled
    assert 75.0 <= c.pad_c <= 85.0
    assert abs(c.pad_c - 80.0) < 1.0
    e, s = c.steady_state(1.0)
    assert abs(s - c.pad_c) < 0.01 and abs(e - c.element_c) < 0.01
    assert 75.0 <= min(c.sensor_c) and max(c.sensor_c) <= 85.0


def test_element_runs_hotter_than_surface():
    c = Cushion(ambient_c=22.0)
    for _ in range(int(3600 / DT)):
        c.step(DT, 1.0, True, 0.0, 1)
        assert c.element_c > c.pad_c
    assert c.element_c - c.pad_c > 10.0  # ~14 C at full power, steady


def test_sensor_lag_step_response_63_percent():
    # Huge thermal mass: the surface holds still while the sensors follow it.
    c = Cushion(PadParams(mass_scale=1e6), ambient_c=22.0)
    c.pad_c = c.element_c = 52.0
    goal = 22.0 + 0.632 * 30.0
    t63 = [None, None]
    n = 0
    while None in t63 and n < 30 / DT:
        c.step(DT, 0.0, False, 0.0, 1)
        n += 1
        for i in (0, 1):
            if t63[i] is None and c.sensor_c[i] >= goal:
                t63[i] = n * DT
    assert abs(c.pad_c - 52.0) < 0.01
    for i, tau in enumerate(c.params.sensor_tau_s):
        assert 5.0 <= t63[i] <= 10.0
        assert abs(t63[i] - tau) <= 2 * DT
    assert t63[0] != t63[1]


def test_sensors_lag_the_warming_surface_by_their_time_constant():
    c = Cushion(ambient_c=22.0)
    pads = []
    for _ in range(int(200 / DT)):
        c.step(DT, 1.0, True, 0.0, 1)
        pads.append(c.pad_c)
    for i in (0, 1):
        s = c.sensor_c[i]
        k = max(j for j, p in enumerate(pads) if p <= s)  # when the pad was where the sensor is
        delay = (len(pads) - 1 - k) * DT
        assert 5.0 <= delay <= 10.0
        assert abs(delay - c.params.sensor_tau_s[i]) < 0.5


def test_energy_balance_closes():
    c = Cushion(ambient_c=22.0)
    full_power(c, 300)
    full_power(c, 300, duty=0.3, motor=0.8)
    full_power(c, 300, duty=0.0)
    c.ambient_c = 30.0
    full_power(c, 120, dt=0.2, duty=0.7)
    assert c.energy_in_j > 5000.0
    out = c.energy_to_ambient_j + c.energy_to_back_j + c.stored_energy_j()
    assert abs(c.energy_in_j - out) <= 0.005 * c.energy_in_j
    assert abs(c.energy_in_j - out) <= 1e-6 * c.energy_in_j  # implicit Euler books it exactly


def test_energy_components_have_the_right_signs():
    c = Cushion(ambient_c=22.0)
    full_power(c, 60)
    # at first the pad is colder than the back: the user warms the pad
    assert c.energy_to_back_j < 0.0
    full_power(c, 600)
    assert c.energy_to_back_j > 0.0 and c.energy_to_ambient_j > 0.0
    assert abs(c.energy_in_j - c.heater_power_w * 660) < 0.01 * c.energy_in_j


def test_cold_and_hot_ambient_stay_plausible():
    # 0 C room at the lowest supply: full power still holds well above 45 C
    cold = Cushion(ambient_c=0.0, supply_v=10.8)
    t = time_to(cold, lambda c: min(c.sensor_c) >= 45.0, 1500, dt=0.5)
    assert t is not None and t < 900.0  # within one session
    full_power(cold, 4 * 3600, dt=1.0)
    assert cold.pad_c - 45.0 >= 10.0  # ~56.4 C: 11 C of headroom for a controller
    assert cold.element_c > cold.pad_c
    # hot room at the highest supply: hotter, faster, still finite and sane
    hot = Cushion(ambient_c=35.0, supply_v=13.2)
    t_hot = time_to(hot, lambda c: min(c.sensor_c) >= 45.0, 600, dt=0.5)
    assert t_hot is not None and t_hot < 230.0
    full_power(hot, 4 * 3600, dt=1.0)
    assert 85.0 < hot.pad_c < 110.0
    # heater off: the pad sits between the room and the user's back
    idle = Cushion(ambient_c=0.0)
    full_power(idle, 4 * 3600, dt=1.0, duty=0.0)
    assert 0.0 < idle.pad_c < 34.0


def test_implicit_integration_is_stable_and_dt_independent():
    ref = Cushion()
    full_power(ref, 300, dt=DT)
    for dt in (0.01, 0.5, 1.0, 5.0):
        c = Cushion()
        full_power(c, 300, dt=dt)
        assert abs(c.pad_c - ref.pad_c) < 0.05 * (1 + dt * 10)
    # a very coarse step (far beyond every time constant) still rises monotonically
    c = Cushion()
    last = c.pad_c
    for _ in range(50):
        c.step(60.0, 1.0, True, 0.0, 1)
        assert c.pad_c >= last - 1e-9 and c.pad_c < 81.0
        last = c.pad_c
    # the time constants dwarf the firmware tick
    p = c.params
    assert min(p.sensor_tau_s) / DT >= 100
    assert p.c_element_j_per_k / p.g_element_surface / DT >= 100
    assert p.motor_tau_s / DT >= 4  # the motor lag is implicit too: monotone for any dt


def test_step_is_cheap():
    c = Cushion()
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(18000):
            c.step(DT, 0.5, True, 0.5, 1)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.5  # a 15-minute session; typically ~0.03 s (a few microseconds a step)


# ---- supply and motors ----------------------------------------------------------------------

def test_supply_sags_under_heater_and_motor_load():
    c = Cushion(supply_v=12.0)
    c.step(DT, 0.0, True, 0.0, 1)
    assert c.vin_v == 12.0
    assert abs(code12(c.adc_vin()) - 2612) <= 2  # docs/hardware.md: 12.0 V -> 2612
    c.step(DT, 1.0, True, 0.0, 1)
    v_heat = c.vin_v
    assert 11.6 < v_heat < 11.95
    assert 19.0 < c.heater_power_w < 20.0  # ~20 W element, less the sag
    for _ in range(100):
        c.step(DT, 1.0, True, 1.0, 1)
    assert c.vin_v < v_heat - 0.03
    # the ADC sees the sag
    nominal = 12.0 / physics.VIN_FULL_SCALE_V * ADC_MAX
    assert code12(c.adc_vin()) < nominal - 10
    # half duty: half the average power
    c.step(DT, 0.5, True, 0.0, 1)
    assert abs(c.heater_power_w - 0.5 * 12.0 ** 2 * (7.2 / 7.3) ** 2 / 7.2) < 1e-9


def test_supply_voltage_is_settable_and_power_follows_v_squared():
    c = Cushion()
    c.step(DT, 1.0, True, 0.0, 1)
    p12 = c.heater_power_w
    for v in (physics.SUPPLY_LOW_V, 10.8, 13.2, physics.SUPPLY_HIGH_V):
        c.supply_v = v
        c.step(DT, 1.0, True, 0.0, 1)
        assert abs(c.heater_power_w / p12 - (v / 12.0) ** 2) < 1e-9
    c.supply_v = physics.SUPPLY_HIGH_V
    c.step(DT, 0.0, True, 0.0, 1)
    assert abs(code12(c.adc_vin()) - 15.0 / physics.VIN_FULL_SCALE_V * ADC_MAX) <= 2.5


def test_power_scale_and_mass_scale():
    base = Cushion()
    base.step(DT, 1.0, True, 0.0, 1)
    strong = Cushion(PadParams(power_scale=1.2))
    strong.step(DT, 1.0, True, 0.0, 1)
    assert 1.19 < strong.heater_power_w / base.heater_power_w < 1.2
    heavy = Cushion(PadParams(mass_scale=1.3))
    light = Cushion(PadParams(mass_scale=0.7))
    t_heavy = time_to(heavy, lambda c: c.sensor_c[0] >= 45.0, 600)
    t_light = time_to(light, lambda c: c.sensor_c[0] >= 45.0, 600)
    assert t_light < 230 < t_heavy
    with pytest.raises(AttributeError):
        PadParams(no_such_parameter=1)


def test_motor_speed_follows_duty_with_a_lag():
    c = Cushion()
    n = 0
    while c.motor_speed < 0.632:
        c.step(DT, 0.0, False, 1.0, 1)
        n += 1
    assert 0.1 <= n * DT <= 0.35  # ~0.2 s time constant
    full_power(c, 3, duty=0.0, enabled=False, motor=1.0)
    assert c.motor_speed > 0.99
    assert 0.45 <= c.motor_current_a <= 0.55  # ~0.5 A at full duty
    full_power(c, 3, duty=0.0, enabled=False, motor=0.125)
    assert 0.12 <= c.motor_current_a <= 0.2  # ~150 mA at low duty
    assert c.motor_duty_delivered == 0.125
    full_power(c, 2, duty=0.0, enabled=False, motor=0.0)
    assert c.motor_current_a == 0.0 and c.motor_speed < 0.01
    # reversing at speed without a coast: a current spike (plugging)
    full_power(c, 3, duty=0.0, enabled=False, motor=1.0)
    c.step(DT, 0.0, False, 1.0, -1)
    assert c.motor_current_a > 1.5
    assert code12(c.adc_motor_current()) >= ADC_MAX - 2  # the amplifier clips at 1.65 A


def test_stall_current():
    c = Cushion()
    c.motor_stalled = True
    full_power(c, 2, duty=0.0, enabled=False, motor=1.0)
    assert c.motor_speed == 0.0
    assert 1.2 <= c.motor_current_a <= 1.5
    ma = code12(c.adc_motor_current()) * physics.MOTOR_FULL_SCALE_A / ADC_MAX
    assert 1.2 <= ma <= 1.5
    c.motor_stalled = False
    full_power(c, 2, duty=0.0, enabled=False, motor=1.0)
    assert c.motor_current_a < 0.6 and c.motor_speed > 0.99


# ---- fault flags ----------------------------------------------------------------------------

def test_sensor_open_and_short_read_the_rails():
    c = Cushion(seed=11)
    c.sensor_open[0] = True
    c.sensor_short[1] = True
    for _ in range(200):
        c.step(DT, 0.0, True, 0.0, 1)
        assert code12(c.adc_temp(0)) >= ADC_MAX - 2
        assert code12(c.adc_temp(1)) <= 2
    c.sensor_open[0] = False
    c.sensor_short[1] = False
    assert abs(code12(c.adc_temp(0)) - ntc_counts12(c.sensor_c[0])) <= 2
    assert abs(code12(c.adc_temp(1)) - ntc_counts12(c.sensor_c[1])) <= 2


def test_detached_sensor_heads_to_ambient():
    c = Cushion(ambient_c=22.0)
    full_power(c, 300)
    c.sensor_detached[1] = True
    full_power(c, 90)
    assert abs(c.sensor_c[0] - c.pad_c) < 2.0
    assert c.sensor_c[1] < 24.0  # in the air, ~15 s time constant
    assert c.pad_c - c.sensor_c[1] > 25.0
    assert code12(c.adc_temp(1)) > ntc_counts12(25.0)
    c.sensor_detached[1] = False
    full_power(c, 60)
    assert abs(c.sensor_c[1] - c.pad_c) < 2.0


def test_drifting_sensor_reads_colder_than_truth():
    c = Cushion(ambient_c=22.0)
    c.sensor_drift_c_per_min[0] = -1.0
    full_power(c, 300)
    assert abs(c.sensor_drift_offset_c[0] + 5.0) < 1e-6
    assert abs(c.sensor_c[0] - c.sensor_c[1]) < 1.0  # physically both on the pad
    read0 = counts12_to_c(code12(c.adc_temp(0)))
    read1 = counts12_to_c(code12(c.adc_temp(1)))
    assert 4.0 < read1 - read0 < 6.5
    assert abs(c.reading_c(0) - (c.sensor_c[0] - 5.0)) < 1e-9
    c.sensor_drift_c_per_min[0] = 0.0  # repaired
    c.step(DT, 1.0, True, 0.0, 1)
    assert c.sensor_drift_offset_c[0] == 0.0


def test_heater_stuck_on_heats_with_pwm_zero_but_not_with_cutoff_open():
    c = Cushion()
    c.heater_stuck_on = True
    full_power(c, 120, duty=0.0, enabled=True)
    assert c.heater_duty_delivered == 1.0
    assert c.pad_c > 32.0
    off = Cushion()
    off.heater_stuck_on = True
    full_power(off, 120, duty=1.0, enabled=False)
    assert off.heater_duty_delivered == 0.0 and off.heater_power_w == 0.0
    assert off.energy_in_j == 0.0
    assert off.element_c < 24.0  # only the user's back warms it


def test_heater_open_gives_no_heat():
    c = Cushion()
    c.heater_open = True
    full_power(c, 300, duty=1.0, enabled=True)
    assert c.heater_duty_delivered == 0.0 and c.energy_in_j == 0.0
    assert c.vin_v == c.supply_v  # no heater current: no sag
    assert c.pad_c < 25.0
    c.heater_open = False
    full_power(c, 60)
    assert c.heater_power_w > 19.0


def test_cutoff_and_pwm_both_needed():
    c = Cushion()
    c.step(DT, 0.6, False, 0.0, 1)
    assert c.heater_duty_delivered == 0.0
    c.step(DT, 0.6, True, 0.0, 1)
    assert c.heater_duty_delivered == 0.6
    c.step(DT, 1.7, True, 0.0, 1)
    assert c.heater_duty_delivered == 1.0
    c.step(DT, -0.2, True, 0.0, 1)
    assert c.heater_duty_delivered == 0.0


# ---- ADC and NTC ----------------------------------------------------------------------------

@pytest.mark.parametrize("temp_c, counts", [
    (25.0, 2048), (40.0, 1419), (45.0, 1241), (50.0, 1081), (60.0, 815)])
def test_ntc_table_points_from_reference(temp_c, counts):
    assert abs(ntc_counts12(temp_c) - counts) <= 1
    assert abs(counts12_to_c(counts) - temp_c) < 0.05


def test_ntc_inverse_and_monotonic():
    last = ADC_MAX + 1
    for t10 in range(-200, 1201):
        t = t10 / 10.0
        n = ntc_counts12(t)
        assert n <= last
        last = n
        if 0 < n < ADC_MAX:
            half_lsb_c = abs(counts12_to_c(n - 0.5) - counts12_to_c(n + 0.5)) / 2
            assert abs(counts12_to_c(n) - t) <= 1.05 * half_lsb_c  # rounded to nearest
    assert abs(counts12_to_c(2047.5) - 25.0) < 1e-9
    assert counts12_to_c(0) > 150.0 and counts12_to_c(ADC_MAX) < -60.0


def test_read_u16_scaling():
    assert read_u16(0) == 0
    assert read_u16(ADC_MAX) == 65535
    assert read_u16(2048) == 0x8008
    for r in range(ADC_MAX + 1):
        u = read_u16(r)
        assert u >> 4 == r and 0 <= u <= 65535
    c = Cushion()
    for _ in range(100):
        for u in (c.adc_temp(0), c.adc_temp(1), c.adc_vin(), c.adc_motor_current()):
            assert u == read_u16(u >> 4)


def test_adc_noise_is_small_and_centred():
    c = Cushion(seed=5)
    ideal = ntc_counts12(c.sensor_c[0])
    xs = [code12(c.adc_temp(0)) - ideal for _ in range(4000)]
    assert min(xs) >= -2 and max(xs) <= 2
    assert min(xs) < 0 < max(xs)
    mean = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
    assert abs(mean) < 0.1 and 0.6 < sd < 1.3


def test_deterministic_per_seed():
    def script(seed):
        c = Cushion(seed=seed)
        out = []
        for n in range(600):
            c.step(DT, 1.0 if n < 400 else 0.2, True, 0.5, 1 if n % 200 < 100 else -1)
            out += [c.adc_temp(0), c.adc_temp(1), c.adc_vin(), c.adc_motor_current()]
        return out, c.pad_c
    a, pa = script(1)
    b, pb = script(1)
    d, pd = script(2)
    assert a == b and pa == pb
    assert a != d and pa == pd  # noise differs, physics does not
    z1, _ = script(0)
    z2, _ = script(0)
    assert z1 == z2


# ---- properties -----------------------------------------------------------------------------

commands = st.lists(
    st.tuples(st.sampled_from([0.01, 0.05, 0.1, 1.0, 10.0]),
              st.floats(-0.5, 1.5), st.booleans(), st.floats(0.0, 1.0),
              st.sampled_from([1, -1]), st.floats(0.0, 40.0), st.floats(9.0, 16.0),
              st.integers(0, 127)),
    min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(commands)
def test_physics_invariants(cmds):
    c = Cushion(seed=9)
    for dt, duty, en, md, mdir, amb, v, flags in cmds:
        c.ambient_c = amb
        c.supply_v = v
        c.heater_open = bool(flags & 1)
        c.heater_stuck_on = bool(flags & 2)
        c.motor_stalled = bool(flags & 4)
        c.sensor_detached[0] = bool(flags & 8)
        c.sensor_open[1] = bool(flags & 16)
        c.sensor_short[0] = bool(flags & 32)
        c.sensor_drift_c_per_min[1] = -1.0 if flags & 64 else 0.0
        c.step(dt, duty, en, md, mdir)
        assert 0.0 <= c.heater_duty_delivered <= 1.0
        assert 0.0 <= c.heater_power_w <= v * v / 7.2 + 1e-9
        assert 0.0 <= c.vin_v <= v
        assert 0.0 <= c.motor_speed <= 1.0
        assert c.motor_current_a >= 0.0
        if c.heater_open or not en:
            assert c.heater_power_w == 0.0
        for t in (c.pad_c, c.element_c, c.sensor_c[0], c.sensor_c[1]):
            assert -1.0 < t < 200.0
        for u in (c.adc_temp(0), c.adc_temp(1), c.adc_vin(), c.adc_motor_current()):
            assert 0 <= u <= 65535 and u == read_u16(u >> 4)
    out = c.energy_to_ambient_j + c.energy_to_back_j + c.stored_energy_j()
    assert abs(c.energy_in_j - out) <= 1e-6 * (1.0 + abs(c.energy_in_j) + abs(out))


# ---- the same numbers in the real MicroPython VMs -------------------------------------------

VM_SCRIPT = """
import struct
from hal_sim.physics import Cushion, PadParams, ntc_counts12
c = Cushion(PadParams(power_scale=1.1), ambient_c=21.5, seed=7)
for n in range(100):
    c.step(0.05, 1.0, True, 0.7, 1 if n < 50 else -1)
    print(c.adc_temp(0), c.adc_vin(), c.adc_motor_current())
c.sensor_detached[1] = True
c.sensor_drift_c_per_min[0] = -1.0
c.supply_v = 10.8
for n in range(4000):
    c.step(0.05, 0.6, True, 0.3, -1)
c.motor_stalled = True
c.step(1.0, 1.0, True, 1.0, 1)
print(c.adc_temp(0), c.adc_temp(1), c.adc_vin(), c.adc_motor_current())
for t in (-10, 0, 25, 40, 45, 50, 60, 100):
    print(ntc_counts12(t))
for x in (c.pad_c, c.element_c, c.sensor_c[0], c.sensor_c[1], c.energy_in_j, c.stored_energy_j()):
    print(struct.pack('<d', x).hex())
"""


def _local_run():
    """VM_SCRIPT under CPython."""
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        exec(VM_SCRIPT, {"__name__": "vmcheck"})
    return buf.getvalue()


ROOT = str(Path(physics.__file__).resolve().parents[1])


@pytest.mark.vm
def test_bit_identical_in_micropython_unix_port():
    mpvm = pytest.importorskip("tools.mpvm")
    if not mpvm.have_unix():
        pytest.skip("micropython unix port not installed")
    vm = mpvm.run_unix(VM_SCRIPT, [ROOT + "/firmware", ROOT], heapsize="256k")
    assert vm.split() == _local_run().split()
    assert len(vm.split()) == 300 + 4 + 8 + 6


@pytest.mark.vm
def test_bit_identical_in_micropython_webassembly_port():
    mpvm = pytest.importorskip("tools.mpvm")
    if not mpvm.have_wasm():
        pytest.skip("node or the MicroPython WebAssembly package not installed")
    vm = mpvm.run_wasm("import sys\nsys.path.append('/lib')\n" + VM_SCRIPT,
                       {ROOT + "/firmware": "/fw", ROOT + "/hal_sim": "/lib/hal_sim"})
    assert vm.split() == _local_run().split()
