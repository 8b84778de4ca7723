"""Control quality: our firmware (through hal_sim.Simulation) and two peers driven on the same
simulated pad (hal_sim.physics.Cushion at the 50 ms tick, reading the same ADC codes).

Figures per session (DESIGN section 5 set-points; issue 6 definitions):
- warmup_ratio: time for the hotter physical pad sensor (Cushion.sensor_c, i.e. trace
  sensor_a_c/sensor_b_c) to come within 0.5 C of the set-point, divided by the same time with
  the element at constant full power on the bare physics (the physical limit of that pad);
- overshoot_c: the hotter physical sensor's maximum over the session minus the set-point;
- band_c: peak-to-peak of the pad truth (pad_c) over the last 8 minutes of 15.
"""

import math

from bench.common import (AMBIENT_C, LEVELS, SEED, SESSION_S, SETPOINT_C, TICK_S,
                          session_metrics)

import hal_sim  # noqa: F401  (sets up `micropython` and the firmware path)
from hal_sim.physics import Cushion, PadParams, counts12_to_c
from hal_sim.simulation import Simulation

N_TICKS = int(round(SESSION_S / TICK_S))

VARIATIONS = {
    "element_-20%": ({"power_scale": 0.8}, AMBIENT_C),
    "element_+20%": ({"power_scale": 1.2}, AMBIENT_C),
    "mass_-30%": ({"mass_scale": 0.7}, AMBIENT_C),
    "mass_+30%": ({"mass_scale": 1.3}, AMBIENT_C),
    "ambient_0C": ({}, 0.0),
    "ambient_35C": ({}, 35.0),
}


def full_power_time(setpoint, params=None, ambient_c=AMBIENT_C, limit_s=3600.0):
    """Seconds for the hotter sensor to reach setpoint-0.5 at constant full power."""
    c = Cushion(PadParams(**(params or {})), ambient_c=ambient_c, seed=SEED)
    thr = setpoint - 0.5
    n = 0
    while n * TICK_S < limit_s:
        c.step(TICK_S, 1.0, True, 0.0, 1)
        n += 1
        if max(c.sensor_c) >= thr:
            return n * TICK_S
    return None


# -- ours --------------------------------------------------------------------------------

def run_ours(level, params=None, ambient_c=AMBIENT_C):
    sim = Simulation(ambient_c=ambient_c, seed=SEED, params=PadParams(**(params or {})))
    n_events = len(sim.events)
    sim.serial_in(("heat %s\n" % level).encode())
    t0 = sim.now_ms
    times, pad, hot = [], [], []
    for _ in range(N_TICKS):
        sim.step()
        times.append((sim.now_ms - t0) / 1000)
        pad.append(sim.pad_c)
        s = sim.sensor_c
        hot.append(s[0] if s[0] > s[1] else s[1])
    sp = SETPOINT_C[level]
    tf = full_power_time(sp, params, ambient_c)
    m = session_metrics(times, pad, hot, sp, tf)
    faults = [e.get("code") for e in sim.events[n_events:] if e.get("event") == "fault"]
    m["faults"] = faults
    m["max_pad_c"] = max(pad)
    m["reply"] = sim.replies[0] if sim.replies else None
    return m


# -- peers on the bare physics -------------------------------------------------------------

def _reading(c):
    """What a controller reads: both thermistors through the 12-bit ADC (with the simulator's
    noise), converted with the exact beta inverse; the hotter one, as our firmware uses."""
    a = counts12_to_c(c.adc_temp(0) >> 4)
    b = counts12_to_c(c.adc_temp(1) >> 4)
    return a if a > b else b


def _run_peer(controller, setpoint, params=None, ambient_c=AMBIENT_C):
    c = Cushion(PadParams(**(params or {})), ambient_c=ambient_c, seed=SEED)
    duty = controller(0.0, _reading(c))
    times, pad, hot = [], [], []
    for i in range(N_TICKS):
        c.step(TICK_S, duty, True, 0.0, 1)
        t = (i + 1) * TICK_S
        times.append(t)
        pad.append(c.pad_c)
        s = c.sensor_c
        hot.append(s[0] if s[0] > s[1] else s[1])
        duty = controller(t, _reading(c))
    tf = full_power_time(setpoint, params, ambient_c)
    m = session_metrics(times, pad, hot, setpoint, tf)
    m["max_pad_c"] = max(pad)
    return m


def bang_bang(setpoint, hyst=1.0):
    """Thermostat: on below set-point - hyst, off above set-point + hyst, else unchanged."""
    state = {"on": True}

    def ctl(_t, temp):
        if temp < setpoint - hyst:
            state["on"] = True
        elif temp > setpoint + hyst:
            state["on"] = False
        return 1.0 if state["on"] else 0.0
    return ctl


def run_bang_bang(level):
    sp = SETPOINT_C[level]
    return _run_peer(bang_bang(sp), sp)


# Klipper klippy/extras/pid_calibrate.py: relay between target and target - 5 C at full
# power, peaks recorded at each switch, done after 12 peaks; Astrom-Hagglund with Klipper's
# d = heater_max_power (the full relay output), Ziegler-Nichols gains; the final pair of
# gains is taken from the cycle with the median period.
TUNE_PID_DELTA = 5.0
MAX_POWER = 1.0


def relay_autotune(setpoint, params=None, ambient_c=AMBIENT_C, limit_s=7200.0):
    c = Cushion(PadParams(**(params or {})), ambient_c=ambient_c, seed=SEED)
    heating = True
    peak, peak_t = 9999999.0, 0.0
    peaks = []
    t = 0.0
    duty = MAX_POWER
    while t < limit_s:
        c.step(TICK_S, duty, True, 0.0, 1)
        t += TICK_S
        temp = _reading(c)
        switched = False
        if heating and temp >= setpoint:
            heating = False
            switched = True
        elif not heating and temp <= setpoint - TUNE_PID_DELTA:
            heating = True
            switched = True
        if switched:
            peaks.append((peak, peak_t))
            peak = 9999999.0 if heating else -9999999.0
            if not heating and len(peaks) >= 12:
                break
        if heating:
            duty = MAX_POWER
            if temp < peak:
                peak, peak_t = temp, t
        else:
            duty = 0.0
            if temp > peak:
                peak, peak_t = temp, t

    def calc(pos):
        amplitude = 0.5 * abs(peaks[pos][0] - peaks[pos - 1][0])
        ku = 4.0 * MAX_POWER / (math.pi * amplitude)
        tu = peaks[pos][1] - peaks[pos - 2][1]
        ti, td = 0.5 * tu, 0.125 * tu
        kp = 0.6 * ku
        return {"Ku": ku, "Tu_s": tu, "amplitude_c": amplitude,
                "Kp": kp, "Ki": kp / ti, "Kd": kp * td}
    cycles = sorted((peaks[p][1] - peaks[p - 2][1], p) for p in range(4, len(peaks)))
    g = calc(cycles[len(cycles) // 2][1])
    g["peaks"] = len(peaks)
    g["relay_s"] = t
    g["units"] = "Kp: duty (0..1) per C; Ki: per C*s; Kd: per C/s"
    g["klipper_config"] = {"pid_Kp": g["Kp"] * 255, "pid_Ki": g["Ki"] * 255,
                           "pid_Kd": g["Kd"] * 255}  # Klipper's PID_PARAM_BASE
    return g


def klipper_pid(setpoint, kp, ki, kd, smooth_time=1.0):
    """klippy/extras/heaters.py ControlPID: derivative on the measurement smoothed over
    smooth_time, integral clamped so Ki*integ <= max power, integral kept only while the
    output is not saturated."""
    st = {"prev_temp": None, "prev_t": 0.0, "deriv": 0.0, "integ": 0.0}
    integ_max = MAX_POWER / ki if ki else 0.0

    def ctl(t, temp):
        if st["prev_temp"] is None:
            st["prev_temp"] = temp
            st["prev_t"] = t - TICK_S
        dt = t - st["prev_t"]
        dtemp = temp - st["prev_temp"]
        if dt >= smooth_time:
            deriv = dtemp / dt
        else:
            deriv = (st["deriv"] * (smooth_time - dt) + dtemp) / smooth_time
        err = setpoint - temp
        integ = st["integ"] + err * dt
        integ = max(0.0, min(integ_max, integ))
        co = kp * err + ki * integ - kd * deriv
        bounded = max(0.0, min(MAX_POWER, co))
        st["prev_temp"], st["prev_t"], st["deriv"] = temp, t, deriv
        if co == bounded:
            st["integ"] = integ
        return bounded
    return ctl


def run_klipper(level):
    sp = SETPOINT_C[level]
    g = relay_autotune(sp)
    m = _run_peer(klipper_pid(sp, g["Kp"], g["Ki"], g["Kd"]), sp)
    m["gains"] = g
    return m


def tasks():
    """(key, function, args) for every independent control session."""
    out = []
    for lv in LEVELS:
        out.append((("ours", lv), run_ours, (lv,)))
        out.append((("bang_bang", lv), run_bang_bang, (lv,)))
        out.append((("klipper_pid", lv), run_klipper, (lv,)))
        for name, (params, amb) in VARIATIONS.items():
            out.append((("var", name, lv), run_ours, (lv, params, amb)))
    return out
