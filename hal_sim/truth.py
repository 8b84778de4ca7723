"""The physical truth of a simulated cushion, as `pad_c`, `sensor_c`, `heater_duty`,
`motor_duty` and `cutout_open` (docs/simulator.md): what tests judge safety by, never what
the firmware says about itself. A part of Simulation (hal_sim/simulation.py) and of
hal_emu's EmulatedBoard, each of which has its `cushion` (hal_sim/physics.py). Runs under
CPython and in the MicroPython VMs.
"""


class PadTruth:
    """The truth properties, read from `self.cushion`."""

    @property
    def pad_c(self):
        """The pad surface under the user's back, C."""
        return self.cushion.pad_c

    @property
    def sensor_c(self):
        """Where the two thermistors physically sit, C (a tuple)."""
        return (self.cushion.sensor_c[0], self.cushion.sensor_c[1])

    @property
    def heater_duty(self):
        """The fraction of full power the element really got over the last step (0..1)."""
        return self.cushion.heater_duty_delivered

    @property
    def motor_duty(self):
        """Likewise for the motors."""
        return self.cushion.motor_duty_delivered

    @property
    def cutout_open(self):
        """The thermal cut-out has opened the element's circuit (False when none is fitted)."""
        return self.cushion.cutout_open
