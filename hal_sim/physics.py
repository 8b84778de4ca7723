# Physical model of the heated lumbar cushion: heating element, pad surface, the user's back,
# two pad thermistors, the analog front end, the 12 V supply and the vibration motors.
#
# Runs unchanged under CPython and MicroPython (unix and WebAssembly ports): plain classes,
# plain floats, no dataclasses / typing / enum / random, and a small integer PRNG so that
# ADC noise is the same in every VM. `Cushion.step` uses only + - * / on floats, so the same
# seed and the same inputs give bit-identical state in CPython and MicroPython; `math.exp` is
# used only when a temperature is turned into ADC counts (see docs/simulator.md, "Physics and
# calibration", for every parameter and where its value comes from).
#
# Units: seconds, degrees C, volts, amperes, ohms, watts, joules, J/K (heat capacity),
# W/K (thermal conductance). Duties are fractions 0..1.

import math

# Fault values for the supply (the fault injector sets `Cushion.supply_v` to these).
SUPPLY_NOMINAL_V = 12.0
SUPPLY_LOW_V = 10.0
SUPPLY_HIGH_V = 15.0

# Analog front end (docs/hardware.md). Codes use the `V / Vref * 4095` convention rounded to
# nearest, which reproduces the reference points (25 C -> 2048, 45 C -> 1241, 50 C -> 1081,
# supply 12.0 V -> 2612).
ADC_MAX = 4095
ADC_VREF_V = 3.3
NTC_R25_OHM = 10000.0
NTC_BETA_K = 3950.0
NTC_SERIES_OHM = 10000.0  # the fixed resistor on the high side of the divider
VIN_DIVIDER = 10.0 / 57.0  # 47 k over 10 k: full scale 18.81 V
VIN_FULL_SCALE_V = ADC_VREF_V / VIN_DIVIDER
MOTOR_SENSE_V_PER_A = 2.0  # 0.1 ohm shunt, amplifier gain 20: full scale 1.65 A
MOTOR_FULL_SCALE_A = ADC_VREF_V / MOTOR_SENSE_V_PER_A

_T0_K = 273.15
_INV_T25 = 1.0 / (25.0 + _T0_K)

# ADC noise in LSB, drawn by 4 bits of the PRNG: mean 0, standard deviation ~0.94 LSB,
# range -2..+2.
_NOISE = (-2, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2)


def ntc_ratio(temp_c):
    """Divider output / reference for an NTC at temp_c (NTC on the low side)."""
    t = temp_c + _T0_K
    if t < 1.0:
        t = 1.0
    x = NTC_BETA_K * (1.0 / t - _INV_T25)
    if x > 700.0:  # colder than about -200 C: keep exp() finite
        return 1.0
    r = math.exp(x)  # R_ntc / R25; the series resistor equals R25
    return r / (r + NTC_SERIES_OHM / NTC_R25_OHM)


def _code(v):
    """Round a reading in LSB (float) to an ADC code 0..4095."""
    if v <= 0.0:
        return 0
    c = int(v + 0.5)
    if c > ADC_MAX:
        return ADC_MAX
    return c


def ntc_counts12(temp_c):
    """Ideal 12-bit ADC code (no noise) of a pad thermistor at temp_c."""
    return _code(ntc_ratio(temp_c) * ADC_MAX)


def counts12_to_c(counts):
    """Temperature for a 12-bit thermistor code: the exact inverse of the divider and the
    beta equation (counts may be a float). Codes at the rails (<= 0, >= 4095) have no finite
    temperature and are clamped one LSB inside them."""
    c = counts
    if c < 0.5:
        c = 0.5
    elif c > ADC_MAX - 0.5:
        c = ADC_MAX - 0.5
    ratio = c / ADC_MAX
    r = ratio / (1.0 - ratio) * (NTC_SERIES_OHM / NTC_R25_OHM)
    return 1.0 / (_INV_T25 + math.log(r) / NTC_BETA_K) - _T0_K


def read_u16(code12):
    """12-bit code to the `read_u16` scale (rp2: r << 4 | r >> 8)."""
    return (code12 << 4) | (code12 >> 8)


class PadParams:
    """The reference pad (DESIGN section 9). Plain attributes; change them before building a
    Cushion (it derives its coefficients once, in __init__, or in `Cushion.set_params`)."""

    def __init__(self, **overrides):
        # Heating element and supply
        self.r_element_ohm = 7.2       # 20.0 W at 12.0 V
        self.power_scale = 1.0         # benchmark variation of element power (0.8..1.2)
        self.r_supply_ohm = 0.10       # adapter + cable + connector + MOSFET/switch
        # Thermal masses (J/K)
        self.c_element_j_per_k = 40.0  # element wire/film + aluminium spreader
        self.c_surface_j_per_k = 100.0 # cover, fleece and the top layer of foam
        self.mass_scale = 1.0          # benchmark variation of thermal mass (0.7..1.3)
        # Thermal conductances (W/K)
        self.g_element_surface = 1.20  # spreader to the pad surface
        self.g_element_ambient = 0.030 # element through the foam backing to the room
        self.g_surface_ambient = 0.190 # exposed cover to the room air (convection + radiation)
        self.g_surface_back = 0.135    # pad surface to the user's back through clothing
        self.back_c = 34.0             # the user's back (always present)
        # Thermistors: first-order lags (s)
        self.sensor_tau_s = [6.0, 8.0]            # pressed into the pad
        self.sensor_tau_detached_s = [15.0, 15.0] # hanging in air (epoxy bead in still air)
        # Motors
        self.motor_tau_s = 0.20        # speed follows duty
        self.motor_i_base_a = 0.10     # friction/no-load current whenever driven
        self.motor_i_speed_a = 0.40    # extra current at full speed (0.50 A total)
        self.motor_i_drive_a = 1.30    # current per unit of (commanded - actual) speed:
                                       # inrush and stall (1.40 A stalled at full duty)
        for k in overrides:
            if not hasattr(self, k):
                raise AttributeError("PadParams has no parameter " + k)
            setattr(self, k, overrides[k])


class Cushion:
    """The cushion's physics. Call `step` once per firmware tick (or any dt); read the ADC
    through `adc_temp`, `adc_vin`, `adc_motor_current`; judge safety by `pad_c`."""

    def __init__(self, params=None, ambient_c=22.0, supply_v=SUPPLY_NOMINAL_V, seed=1):
        self.params = params if params is not None else PadParams()
        self.ambient_c = float(ambient_c)
        self.supply_v = float(supply_v)
        # faults
        self.heater_open = False
        self.heater_stuck_on = False
        self.motor_stalled = False
        self.sensor_detached = [False, False]
        self.sensor_open = [False, False]
        self.sensor_short = [False, False]
        self.sensor_drift_c_per_min = [0.0, 0.0]
        self.sensor_drift_offset_c = [0.0, 0.0]  # accumulated drift (reset when the rate is 0)
        # state: everything at ambient
        a = self.ambient_c
        self.element_c = a
        self.pad_c = a
        self.sensor_c = [a, a]
        self._speed = 0.0  # signed motor speed, -1..1
        # last step's outputs
        self.heater_duty_delivered = 0.0
        self.heater_power_w = 0.0
        self.motor_duty_delivered = 0.0
        self.motor_speed = 0.0
        self.motor_current_a = 0.0
        self.vin_v = self.supply_v
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
        self.set_params(self.params)

    # ---- parameters ------------------------------------------------------------------------
    def set_params(self, params):
        """(Re)derive the coefficients from a PadParams; the state is kept."""
        p = params
        self.params = p
        self._r_el = p.r_element_ohm / p.power_scale
        self._c_e = p.c_element_j_per_k * p.mass_scale
        self._c_s = p.c_surface_j_per_k * p.mass_scale
        self._cached_dt = -1.0

    def _derive_dt(self, dt):
        # Backward (implicit) Euler for the two thermal nodes: a 2x2 linear solve whose matrix
        # depends only on dt, so it is factored once per distinct dt.
        p = self.params
        ges = p.g_element_surface
        a11 = self._c_e / dt + ges + p.g_element_ambient
        a22 = self._c_s / dt + ges + p.g_surface_ambient + p.g_surface_back
        self._a11 = a11
        self._a22 = a22
        self._inv_det = 1.0 / (a11 * a22 - ges * ges)
        t = p.sensor_tau_s
        td = p.sensor_tau_detached_s
        self._ks = [dt / (t[0] + dt), dt / (t[1] + dt)]
        self._ksd = [dt / (td[0] + dt), dt / (td[1] + dt)]
        self._km = dt / (p.motor_tau_s + dt)
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

        # -- motors: speed lags the commanded (signed) duty; stalled rotor does not turn
        md = motor_duty
        if md < 0.0:
            md = 0.0
        elif md > 1.0:
            md = 1.0
        target = -md if motor_dir < 0 else md
        sp = self._speed
        if self.motor_stalled:
            sp = 0.0
        else:
            sp = sp + (target - sp) * self._km
        self._speed = sp
        if md > 0.0:
            slip = target - sp
            if slip < 0.0:
                slip = -slip
            aspd = sp if sp >= 0.0 else -sp
            im = p.motor_i_base_a + p.motor_i_speed_a * aspd + p.motor_i_drive_a * slip
        else:
            im = 0.0  # bridge off: the rotor coasts, no supply current
        self.motor_current_a = im
        self.motor_duty_delivered = md
        self.motor_speed = sp if sp >= 0.0 else -sp

        # -- heater: conducts while the MOSFET is on AND the cut-off switch is closed
        if self.heater_open or not heater_enabled:
            f = 0.0
        elif self.heater_stuck_on:
            f = 1.0
        else:
            f = heater_duty
            if f < 0.0:
                f = 0.0
            elif f > 1.0:
                f = 1.0
        rs = p.r_supply_ohm
        v_off = self.supply_v - rs * im  # terminal voltage with the heater off
        if v_off < 0.0:
            v_off = 0.0
        r_el = self._r_el
        v_on = v_off * r_el / (r_el + rs)  # ... and while it conducts
        pw = f * v_on * v_on / r_el
        self.heater_duty_delivered = f
        self.heater_power_w = pw
        self.vin_v = v_off + f * (v_on - v_off)  # what the (filtered) divider sees

        # -- thermal: implicit Euler, element <-> surface -> ambient and back
        ta = self.ambient_c
        tb = p.back_c
        ges = p.g_element_surface
        gea = p.g_element_ambient
        gsa = p.g_surface_ambient
        gsb = p.g_surface_back
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

        # -- thermistors: first-order lags toward the surface (or the air when detached)
        sc = self.sensor_c
        det = self.sensor_detached
        drate = self.sensor_drift_c_per_min
        doff = self.sensor_drift_offset_c
        for i in (0, 1):
            if det[i]:
                sc[i] = sc[i] + (ta - sc[i]) * self._ksd[i]
            else:
                sc[i] = sc[i] + (ts - sc[i]) * self._ks[i]
            r = drate[i]
            if r:
                doff[i] = doff[i] + r * dt_s / 60.0
            elif doff[i]:
                doff[i] = 0.0
        self.time_s += dt_s

    def steady_state(self, heater_fraction=1.0, motor_current_a=0.0):
        """(element_c, pad_c) this pad would settle at with the heater conducting this
        fraction of the time, at the present ambient and supply voltage (no state change)."""
        p = self.params
        rs = p.r_supply_ohm
        r_el = self._r_el
        v_on = (self.supply_v - rs * motor_current_a) * r_el / (r_el + rs)
        pw = heater_fraction * v_on * v_on / r_el
        ges = p.g_element_surface
        gea = p.g_element_ambient
        ta = self.ambient_c
        a11 = ges + gea
        a22 = ges + p.g_surface_ambient + p.g_surface_back
        r1 = pw + gea * ta
        r2 = p.g_surface_ambient * ta + p.g_surface_back * p.back_c
        inv = 1.0 / (a11 * a22 - ges * ges)
        return ((r1 * a22 + ges * r2) * inv, (a11 * r2 + ges * r1) * inv)

    def stored_energy_j(self):
        """Heat stored in the two masses since the start (sum of C * dT)."""
        return (self._c_e * (self.element_c - self._e0_element_c)
                + self._c_s * (self.pad_c - self._e0_pad_c))

    # ---- ADC ----------------------------------------------------------------------------
    def _noise(self):
        x = self._rng
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._rng = x
        return _NOISE[(x >> 7) & 15]

    def reading_c(self, i):
        """The temperature thermistor i reports electrically (its physical temperature plus
        any drift); open/short are not reflected here."""
        return self.sensor_c[i] + self.sensor_drift_offset_c[i]

    def adc_temp(self, i):
        """Thermistor i, read_u16 scale."""
        if self.sensor_open[i]:
            v = ADC_MAX
        elif self.sensor_short[i]:
            v = 0.0
        else:
            v = ntc_ratio(self.sensor_c[i] + self.sensor_drift_offset_c[i]) * ADC_MAX
        return read_u16(_code(v + self._noise()))

    def adc_vin(self):
        """Supply divider (terminal voltage under load), read_u16 scale."""
        v = self.vin_v / VIN_FULL_SCALE_V * ADC_MAX
        return read_u16(_code(v + self._noise()))

    def adc_motor_current(self):
        """Motor shunt amplifier, read_u16 scale (clips at 1.65 A)."""
        v = self.motor_current_a / MOTOR_FULL_SCALE_A * ADC_MAX
        return read_u16(_code(v + self._noise()))
