"""The two peers, driven on the bare physics (hal_sim.physics.Cushion at the 50 ms tick),
reading the same ADC codes as our firmware, each tuned the way its users tune it for the pad
in front of them: the +-1 C bang-bang thermostat as it comes, and Klipper's PID with a fresh
relay autotune (klippy/extras/pid_calibrate.py) on that very pad and set-point.

A peer's run is two back-to-back sessions like ours: at the restart the controller starts
afresh (Klipper clears its integral and derivative state when a heater is set again)."""

import math

from bench.common import SEED, SESSION_S, SESSIONS, TICK_S, session_metrics

import hal_sim  # noqa: F401  (sets up `micropython` and the firmware path)
from hal_sim.physics import Cushion, counts12_to_c

N_TICKS = int(round(SESSION_S / TICK_S))


def cushion(cond):
    return Cushion(cond.pad, ambient_c=cond.ambient_c, supply_v=cond.supply_v, seed=SEED)


def full_power_time(setpoint, cond, limit_s=3600.0):
    """Seconds for the hotter sensor to reach setpoint-0.5 at constant full power on this
    pad (the physical limit), or None if it never does within limit_s."""
    c = cushion(cond)
    thr = setpoint - 0.5
    n = 0
    while n * TICK_S < limit_s:
        c.step(TICK_S, 1.0, True, 0.0, 1)
        n += 1
        s = c.sensor_c
        if s[0] >= thr or s[1] >= thr:
            return n * TICK_S
    return None


def reading(c):
    """What a controller reads: both thermistors through the 12-bit ADC (with the simulator's
    noise), converted with the exact beta inverse; the hotter one, as our firmware uses."""
    a = counts12_to_c(c.adc_temp(0) >> 4)
    b = counts12_to_c(c.adc_temp(1) >> 4)
    return a if a > b else b


def run_peer(make_controller, setpoint, cond):
    c = cushion(cond)
    times, pad, hot = [], [], []
    t = 0.0
    for _session in range(SESSIONS):
        controller = make_controller()
        duty = controller(t, reading(c))
        for _ in range(N_TICKS):
            c.step(TICK_S, duty, True, 0.0, 1)
            t += TICK_S
            times.append(t)
            pad.append(c.pad_c)
            s = c.sensor_c
            hot.append(s[0] if s[0] > s[1] else s[1])
            duty = controller(t, reading(c))
    m = session_metrics(times, pad, hot, setpoint, full_power_time(setpoint, cond),
                        first_end_s=SESSION_S)
    m["max_pad_c"] = max(pad)
    m["faults"] = []
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


def run_bang_bang(level, cond, setpoint):
    return run_peer(lambda: bang_bang(setpoint), setpoint, cond)


# Klipper klippy/extras/pid_calibrate.py: relay between target and target - 5 C at full
# power, peaks recorded at each switch, done after 12 peaks; Astrom-Hagglund with Klipper's
# d = heater_max_power (the full relay output), Ziegler-Nichols gains; the final pair of
# gains is taken from the cycle with the median period.
TUNE_PID_DELTA = 5.0
MAX_POWER = 1.0


def relay_autotune(setpoint, cond, limit_s=7200.0):
    """The gains, or None when the pad cannot complete the relay test (it never reaches
    the set-point at full power, as Klipper's calibration would time out)."""
    c = cushion(cond)
    heating = True
    peak, peak_t = 9999999.0, 0.0
    peaks = []
    t = 0.0
    duty = MAX_POWER
    while t < limit_s:
        c.step(TICK_S, duty, True, 0.0, 1)
        t += TICK_S
        temp = reading(c)
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
    if len(peaks) < 5:
        return None

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


def run_klipper(level, cond, setpoint):
    g = relay_autotune(setpoint, cond)
    if g is None:
        return {"warmup_ratio": None, "overshoot_c": None, "hold_band_c": None,
                "band_c": None, "faults": [], "gains": None,
                "why": "the relay autotune never reaches the set-point on this pad"}
    m = run_peer(lambda: klipper_pid(setpoint, g["Kp"], g["Ki"], g["Kd"]), setpoint, cond)
    m["gains"] = g
    return m
