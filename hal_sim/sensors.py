# The analog front end of the simulated cushion: the NTC dividers, the supply divider, the
# motor and heater current amplifiers, the reference, and the 12-bit ADC with its noise.
#
# Plain functions and constants (CPython and MicroPython alike). Codes use the
# `V / Vref * 4095` convention rounded to nearest, which reproduces the reference points of
# docs/hardware.md (25 C -> 2048, 45 C -> 1241, 50 C -> 1081, supply 12.0 V -> 2612).

import math

from cushion import limits

ADC_MAX = 4095
ADC_VREF_V = 3.3
NTC_R25_OHM = 10000.0
NTC_BETA_K = 3950.0
NTC_SERIES_OHM = 10000.0  # the fixed resistor on the high side of the divider
VIN_DIVIDER = 10.0 / 57.0  # 47 k over 10 k: full scale 18.81 V
VIN_FULL_SCALE_V = ADC_VREF_V / VIN_DIVIDER
MOTOR_SENSE_V_PER_A = 2.0  # 0.1 ohm shunt, amplifier gain 20: full scale 1.65 A
MOTOR_FULL_SCALE_A = ADC_VREF_V / MOTOR_SENSE_V_PER_A
# Heater: 0.05 ohm low-side shunt, amplifier gain 20 (1 V/A): full scale 3.3 A, the firmware's
# limits.HEATER_FULL_SCALE_MA. The amplifier's RC filter averages the 500 Hz PWM, so the ADC
# sees the mean element current over the tick.
HEATER_FULL_SCALE_A = limits.HEATER_FULL_SCALE_MA / 1000.0
# Fixed reference: an LM4040-2.0 shunt reference (2.048 V, 0.1 %) on the analog switch; the
# firmware's limits.REF_NOMINAL_COUNTS is its code at a correct ADC.
REF_V = 2.048

_T0_K = 273.15
_INV_T25 = 1.0 / (25.0 + _T0_K)

# ADC noise in LSB, drawn by 4 bits of the PRNG: mean 0, range -2..+2 (times the pad's
# adc_noise_lsb / NOISE_STD_LSB). Its standard deviation is NOISE_STD_LSB, ~0.94 LSB.
NOISE_TABLE = (-2, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2)
NOISE_STD_LSB = math.sqrt(sum(v * v for v in NOISE_TABLE) / len(NOISE_TABLE))


def ntc_ratio(temp_c, r25_scale=1.0, beta_k=NTC_BETA_K):
    """Divider output / reference for an NTC at temp_c (NTC on the low side). r25_scale and
    beta_k describe this part (1 + its R25 tolerance, its own beta)."""
    t = temp_c + _T0_K
    if t < 1.0:
        t = 1.0
    x = beta_k * (1.0 / t - _INV_T25)
    if x > 700.0:  # colder than about -200 C: keep exp() finite
        return 1.0
    r = r25_scale * math.exp(x)  # R_ntc / R25 nominal; the series resistor equals R25
    return r / (r + NTC_SERIES_OHM / NTC_R25_OHM)


def code(v):
    """Round a reading in LSB (float) to an ADC code 0..4095."""
    if v <= 0.0:
        return 0
    c = int(v + 0.5)
    if c > ADC_MAX:
        return ADC_MAX
    return c


def ntc_counts12(temp_c):
    """Ideal 12-bit ADC code (no noise) of a nominal pad thermistor at temp_c."""
    return code(ntc_ratio(temp_c) * ADC_MAX)


def counts12_to_c(counts):
    """Temperature for a 12-bit thermistor code: the exact inverse of the nominal divider and
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
