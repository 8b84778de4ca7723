# One pad's parameters (DESIGN section 9): the reference pad's values, each with where it comes
# from; hal_sim/envelope.py holds the ranges real pads span (docs/simulator.md, "Physics and
# calibration" and "The plant envelope"). Units as in physics.py. Plain class, MicroPython-safe.

from hal_sim.sensors import NOISE_STD_LSB


class PadParams:
    """One pad (DESIGN section 9); the defaults are the reference pad, hal_sim/envelope.py
    holds the ranges real pads span. Plain attributes; change them before building a Cushion
    (it derives its coefficients once, in __init__, or in `Cushion.set_params`). Per-sensor
    parameters are two-element lists [sensor A, sensor B]."""

    def __init__(self, **overrides):
        # Heating element and supply
        self.r_element_ohm = 7.2       # at 20 C: 20.0 W at 12.0 V
        self.r_element_tc = 0.0        # resistance per K above 20 C (CuNi wire: ~0)
        self.power_scale = 1.0         # element power, by resistance (0.8..1.2)
        self.r_supply_ohm = 0.10       # adapter + cable + connector + MOSFET/switch
        self.supply_limit_a = 3.0      # the adapter's current limit (a 12 V 3 A adapter)
        # Thermal masses (J/K)
        self.c_element_j_per_k = 40.0  # element wire/film + aluminium spreader
        self.c_surface_j_per_k = 100.0 # cover, fleece and the top layer of foam
        self.mass_scale = 1.0          # variation of thermal mass (0.7..1.3)
        # Thermal conductances (W/K)
        self.g_element_surface = 1.20  # spreader to the pad surface
        self.g_element_ambient = 0.030 # element through the foam backing to the room
        self.g_surface_ambient = 0.190 # exposed cover to the room air (convection + radiation)
        self.g_surface_back = 0.135    # pad surface to the user's back through clothing
        self.g_surface_open = 0.050    # that face to still air when nobody is on it (sheltered
                                       # by the seat back it is strapped to)
        self.loss_scale = 1.0          # scales the surface's losses (0.4 blanket .. 1.5 leaning)
        self.back_present = True       # False: nobody on the cushion
        self.back_c = 34.0             # the user's back
        # Thermistors: first-order lags (s), placement, tolerance
        self.sensor_tau_s = [6.0, 8.0]            # pressed into the pad
        self.sensor_tau_detached_s = [15.0, 15.0] # hanging in air (epoxy bead in still air)
        self.hotspot_c = [0.0, 0.0]    # reads this much below the surface per 20 W of flux
        self.ntc_r25_error = [0.0, 0.0]   # fraction (+-0.03 for a 3 % part)
        self.ntc_beta_error = [0.0, 0.0]  # fraction (+-0.02)
        # ADC
        self.adc_noise_lsb = NOISE_STD_LSB  # standard deviation of the noise, LSB
        self.adc_spike_per_s = 0.0     # rate of one-sample spikes, per channel
        self.adc_spike_lsb = 400.0     # a spike's size (either sign)
        # Motors
        self.motor_tau_s = 0.20        # speed follows duty
        self.motor_i_base_a = 0.10     # friction/no-load current whenever driven
        self.motor_i_speed_a = 0.40    # extra current at full speed (0.50 A total)
        self.motor_i_drive_a = 1.30    # current per unit of (commanded - actual) speed:
                                       # inrush and stall (1.40 A stalled at full duty)
        # Thermal cut-out in series with the element (hal_sim/cutout.py); None: not fitted
        self.cutout_c = None           # the temperature this part opens at
        self.cutout_reset_c = None     # a thermostat closes again here; None: one-shot link
        self.cutout_tau_s = 10.0       # its lag behind the surface on the hottest track
        for k in overrides:
            if not hasattr(self, k):
                raise AttributeError("PadParams has no parameter " + k)
            setattr(self, k, overrides[k])
