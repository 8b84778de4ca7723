# Physical model of the heated lumbar cushion: heating element, pad surface, the user's back,
# two pad thermistors. The power stage (supply, cut-off switch, MOSFET, heater shunt) is
# hal_sim/power.py, the optional thermal cut-out in series with it hal_sim/cutout.py, the
# vibration motors hal_sim/motors.py, the analog front end (dividers, amplifiers, ADC)
# hal_sim/sensors.py.
#
# Runs unchanged under CPython and MicroPython (unix and WebAssembly ports): plain classes,
# plain floats, no dataclasses / typing / enum / random, and a small integer PRNG so that
# ADC noise is the same in every VM. `Cushion.step` uses only + - * / on floats, so the same
# seed and the same inputs give bit-identical state in CPython and MicroPython; `math.exp` is
# used only when a temperature is turned into ADC counts (see docs/simulator.md, "Physics and
# calibration" and "The plant envelope", for every parameter and where its value comes from).
#
# Units: seconds, degrees C, volts, amperes, ohms, watts, joules, J/K (heat capacity),
# W/K (thermal conductance). Duties are fractions 0..1.

from hal_sim import cutout
from hal_sim.motors import Motors
from hal_sim.pad import PadParams  # noqa: F401 - re-exported: every user imports it from here
from hal_sim.power import PowerStage
from hal_sim.sensors import (  # noqa: F401 - re-exported: the physics' public names
    ADC_MAX, ADC_VREF_V, HEATER_FULL_SCALE_A, MOTOR_FULL_SCALE_A, NOISE_STD_LSB, NOISE_TABLE,
    NTC_BETA_K, REF_V, VIN_FULL_SCALE_V, code, counts12_to_c, ntc_counts12, ntc_ratio,
    read_u16,
)

# Fault values for the supply (the fault injector sets `Cushion.supply_v` to these).
SUPPLY_NOMINAL_V = 12.0
SUPPLY_LOW_V = 10.0
SUPPLY_HIGH_V = 15.0
# Heat flux into the surface that `PadParams.hotspot_c` is quoted at: the element's nominal
# full power (20 W at 12 V).
HOTSPOT_REF_W = 20.0


class Cushion(PowerStage, Motors):
    """The cushion's physics. Call `step` once per firmware tick (or any dt); read the ADC
    through `adc_temp`, `adc_vin`, `adc_motor_current`, `adc_heater_current`, `adc_ref`;
    judge safety by `pad_c`."""

    def __init__(self, params=None, ambient_c=22.0, supply_v=SUPPLY_NOMINAL_V, seed=1):
        self.params = params if params is not None else PadParams()
        self.ambient_c = float(ambient_c)
        self._init_power(float(supply_v))
        self._init_motors()
        # faults
        self.sensor_detached = [False, False]
        self.sensor_open = [False, False]
        self.sensor_short = [False, False]
        self.sensor_offset_c = [0.0, 0.0]
        self.sensor_drift_c_per_min = [0.0, 0.0]
        self.sensor_drift_offset_c = [0.0, 0.0]  # accumulated drift (reset when the rate is 0)
        self.adc_gain = 1.0  # every analog reading is multiplied by this (adc_reference)
        # state: everything at ambient
        a = self.ambient_c
        self.element_c = a
        self.pad_c = a
        self.sensor_c = [a, a]
        self.cutout = None  # the cut-out part, made by set_params when PadParams fits one
        self.surface_flux_w = 0.0  # element -> surface (last step)
        # energy bookkeeping (J)
        self.energy_in_j = 0.0
        self.energy_to_ambient_j = 0.0
        self.energy_to_back_j = 0.0
        self._e0_element_c = a
        self._e0_pad_c = a
        self.time_s = 0.0
        # PRNG (xorshift32); seed 0 is mapped to a fixed non-zero state
        s = (int(seed) * 2654435761 + 0x6D2B79F5) & 0xFFFFFFFF
        self._rng = s if s else 0x9E3779B9
        self._spike_thr = 0
        self.set_params(self.params)

    # ---- parameters ------------------------------------------------------------------------
    def set_params(self, params):
        """(Re)derive the coefficients from a PadParams; the state is kept."""
        p = params
        self.params = p
        self._power_params(p)
        self._c_e = p.c_element_j_per_k * p.mass_scale
        self._c_s = p.c_surface_j_per_k * p.mass_scale
        k = p.loss_scale
        self._gsa = p.g_surface_ambient * k
        self._gsb = 0.0
        if p.back_present:
            self._gsb = p.g_surface_back * k
        else:
            self._gsa += p.g_surface_open * k
        hs = p.hotspot_c
        self._hs = [hs[0] / HOTSPOT_REF_W, hs[1] / HOTSPOT_REF_W]
        self._ntc_r25 = [1.0 + p.ntc_r25_error[0], 1.0 + p.ntc_r25_error[1]]
        self._ntc_beta = [NTC_BETA_K * (1.0 + p.ntc_beta_error[0]),
                          NTC_BETA_K * (1.0 + p.ntc_beta_error[1])]
        self._noise_k = p.adc_noise_lsb / NOISE_STD_LSB
        self._cached_dt = -1.0
        self.cutout = cutout.for_params(p, self.cutout, self.pad_c)
        self.cutout_open = self.cutout is not None and self.cutout.open

    def _derive_dt(self, dt):
        # Backward (implicit) Euler for the two thermal nodes: a 2x2 linear solve whose matrix
        # depends only on dt, so it is factored once per distinct dt.
        p = self.params
        ges = p.g_element_surface
        a11 = self._c_e / dt + ges + p.g_element_ambient
        a22 = self._c_s / dt + ges + self._gsa + self._gsb
        self._a11 = a11
        self._a22 = a22
        self._inv_det = 1.0 / (a11 * a22 - ges * ges)
        t = p.sensor_tau_s
        td = p.sensor_tau_detached_s
        self._ks = [dt / (t[0] + dt), dt / (t[1] + dt)]
        self._ksd = [dt / (td[0] + dt), dt / (td[1] + dt)]
        self._motor_dt(dt)
        # a spike on a reading: probability rate * dt, as a 24-bit threshold
        self._spike_thr = int(p.adc_spike_per_s * dt * 16777216.0)
        self._cached_dt = dt

    # ---- the physics -----------------------------------------------------------------------
    def step(self, dt_s, heater_duty, heater_enabled, motor_duty, motor_dir):
        """Advance the physics by dt_s seconds with these outputs held over the step.
        heater_duty: PWM duty of the heater MOSFET (0..1); heater_enabled: cut-off switch
        closed; motor_duty 0..1; motor_dir +1/-1."""
        if dt_s <= 0.0:
            return
        if dt_s != self._cached_dt:
            self._derive_dt(dt_s)
        p = self.params

        # -- motors, then the heater: the power stage gives the element's mean power
        im = self._motor_step(motor_duty, motor_dir)
        pw = self._heater_step(heater_duty, heater_enabled, im, self.element_c)

        # -- thermal: implicit Euler, element <-> surface -> ambient and back
        ta = self.ambient_c
        tb = p.back_c
        ges = p.g_element_surface
        gea = p.g_element_ambient
        gsa = self._gsa
        gsb = self._gsb
        r1 = self._c_e / dt_s * self.element_c + pw + gea * ta
        r2 = self._c_s / dt_s * self.pad_c + gsa * ta + gsb * tb
        inv = self._inv_det
        te = (r1 * self._a22 + ges * r2) * inv
        ts = (self._a11 * r2 + ges * r1) * inv
        self.element_c = te
        self.pad_c = ts
        self.energy_in_j += pw * dt_s
        self.energy_to_ambient_j += (gsa * (ts - ta) + gea * (te - ta)) * dt_s
        self.energy_to_back_j += gsb * (ts - tb) * dt_s
        flux = ges * (te - ts)
        self.surface_flux_w = flux
        cut = self.cutout
        if cut is not None:  # it switches for the next step (power.py reads cutout_open)
            cut.step(dt_s, ts, self.time_s + dt_s)
            self.cutout_open = cut.open

        # -- thermistors: first-order lags toward their spot on the surface (which reads below
        #    the hottest point in proportion to the heat flux), or the air when detached
        sc = self.sensor_c
        det = self.sensor_detached
        drate = self.sensor_drift_c_per_min
        doff = self.sensor_drift_offset_c
        hs = self._hs
        for i in (0, 1):
            if det[i]:
                sc[i] = sc[i] + (ta - sc[i]) * self._ksd[i]
            else:
                sc[i] = sc[i] + (ts - hs[i] * flux - sc[i]) * self._ks[i]
            r = drate[i]
            if r:
                doff[i] = doff[i] + r * dt_s / 60.0
            elif doff[i]:
                doff[i] = 0.0
        self.time_s += dt_s

    def steady_state(self, heater_fraction=1.0, motor_current_a=0.0):
        """(element_c, pad_c) this pad would settle at with the heater conducting this
        fraction of the time, at the present ambient and supply voltage (no state change;
        the element's resistance taken at 20 C and no current limit)."""
        p = self.params
        pw = heater_fraction * self.full_power_w(motor_current_a)
        ges = p.g_element_surface
        gea = p.g_element_ambient
        ta = self.ambient_c
        a11 = ges + gea
        a22 = ges + self._gsa + self._gsb
        r1 = pw + gea * ta
        r2 = self._gsa * ta + self._gsb * p.back_c
        inv = 1.0 / (a11 * a22 - ges * ges)
        return ((r1 * a22 + ges * r2) * inv, (a11 * r2 + ges * r1) * inv)

    def stored_energy_j(self):
        """Heat stored in the two masses since the start (sum of C * dT)."""
        return (self._c_e * (self.element_c - self._e0_element_c)
                + self._c_s * (self.pad_c - self._e0_pad_c))

    # ---- ADC ----------------------------------------------------------------------------
    def _adc(self, lsb):
        """A reading of `lsb` (ideal 12-bit LSB, float) through the ADC: its gain, its noise
        (xorshift32) and spikes, rounded and clamped to a code, on the read_u16 scale.
        Written out in one function: it runs four times per tick."""
        x = self._rng
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        v = lsb * self.adc_gain + NOISE_TABLE[(x >> 7) & 15] * self._noise_k
        if self._spike_thr:
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            if (x & 0xFFFFFF) < self._spike_thr:
                s = self.params.adc_spike_lsb
                v += s if x & 0x1000000 else -s
        self._rng = x
        if v <= 0.0:
            return 0
        c = int(v + 0.5)
        if c > ADC_MAX:
            c = ADC_MAX
        return (c << 4) | (c >> 8)  # read_u16 scale (rp2: r << 4 | r >> 8)

    def reading_c(self, i):
        """The temperature thermistor i reports electrically (its physical temperature plus
        any offset and drift); open/short and the part's tolerance are not reflected here."""
        return self.sensor_c[i] + self.sensor_offset_c[i] + self.sensor_drift_offset_c[i]

    def adc_temp(self, i):
        """Thermistor i, read_u16 scale."""
        if self.sensor_open[i]:
            v = ADC_MAX
        elif self.sensor_short[i]:
            v = 0.0
        else:
            v = ntc_ratio(self.sensor_c[i] + self.sensor_offset_c[i]
                          + self.sensor_drift_offset_c[i],
                          self._ntc_r25[i], self._ntc_beta[i]) * ADC_MAX
        return self._adc(v)

    def adc_vin(self):
        """Supply divider (terminal voltage under load), read_u16 scale."""
        return self._adc(self.vin_v / VIN_FULL_SCALE_V * ADC_MAX)

    def adc_motor_current(self):
        """Motor shunt amplifier, read_u16 scale (clips at 1.65 A)."""
        return self._adc(self.motor_current_a / MOTOR_FULL_SCALE_A * ADC_MAX)

    def adc_heater_current(self):
        """Heater low-side shunt amplifier (mean over the PWM), read_u16 scale."""
        return self._adc(self.heater_current_a / HEATER_FULL_SCALE_A * ADC_MAX)

    def adc_ref(self):
        """The fixed reference (LM4040-2.0), read_u16 scale."""
        return self._adc(REF_V / ADC_VREF_V * ADC_MAX)
