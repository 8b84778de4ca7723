"""Raspberry Pi Pico (RP2040): the pin map and the HAL of docs/hardware.md on ``machine``.

Power stage (the same on every board): the heater MOSFET gate and the H-bridge enable have
external pull-down resistors, so they are off while the chip is in reset and until
``Board()`` drives them; RP2040 pads also come out of reset as inputs with pull-downs.

PWM on the RP2040: GPIO 2n and 2n+1 are channels A and B of slice (n & 7) and share one
frequency. The heater (500 Hz) and the motor (20 kHz) therefore sit on different slices, and
the other channel of each of those slices is left unused or used as a plain GPIO, never as
PWM at another frequency.

ADC: only GP26..GP28 (ADC0..ADC2) reach the header; GP29/ADC3 measures VSYS/3 on the Pico
board. Thermistors A and B get ADC0 and ADC1. The supply divider, the motor current, the
heater current and the fixed reference share ADC2 through the 4-way analog switch of
boards/analog.py, selected by ANALOG_SELECT_PIN (bit 0) and ANALOG_SELECT1_PIN (bit 1).
"""

import io
import select
import time

import machine
from micropython import const

from boards.base import MachineBoard

# ---- pin map (GPIO numbers) ------------------------------------------------------------
# Power outputs: driven off first thing in Board().
HEATER_CUTOFF_PIN = const(4)  # cut-off switch in series with the element; high = closed
HEATER_PWM_PIN = const(2)  # heater MOSFET gate: PWM slice 1 A (GP3 = 1 B stays unused)
MOTOR_PWM_PIN = const(6)  # H-bridge EN (phase/enable driver): PWM slice 3 A
MOTOR_DIR_PIN = const(7)  # H-bridge PH, plain GPIO (not PWM): high = +1 (forward)

# Buttons to GND, internal pull-ups (active low).
BUTTON_POWER_PIN = const(10)
BUTTON_HEAT_PIN = const(11)
BUTTON_MASSAGE_PIN = const(12)

# LEDs, active high. GP25 is the Pico's onboard LED (not on a Pico W: that one is on the
# wireless chip).
LED_SESSION_PIN = const(25)
LED_HEAT_LOW_PIN = const(16)
LED_HEAT_MEDIUM_PIN = const(17)
LED_HEAT_HIGH_PIN = const(18)
LED_MASSAGE_PIN = const(19)
LED_FAULT_PIN = const(20)

# Analog inputs.
THERM_A_PIN = const(26)  # ADC0, pad sensor A
THERM_B_PIN = const(27)  # ADC1, pad sensor B
ANALOG_SHARED_PIN = const(28)  # ADC2: the 4-way switch's output
ANALOG_SELECT_PIN = const(13)  # switch select bit 0
ANALOG_SELECT1_PIN = const(14)  # switch select bit 1 (sources: boards/analog.py)

# ---- timing ----------------------------------------------------------------------------
HEATER_PWM_HZ = const(500)  # resistive load: slow gate edges are fine, switching loss small
MOTOR_PWM_HZ = const(20_000)  # above hearing: no motor whine
# After moving the analog switch, before converting: the switch charges the ADC pin and its
# own tens of pF through at most ~8 k (0.4 us a time constant), so 10 us is 25 of them.
MUX_SETTLE_US = const(10)

# machine.reset() on rp2 is a reboot forced through the watchdog, so machine.reset_cause()
# reports WDT_RESET for it too. The watchdog REASON register tells them apart: bit 0 TIMER
# (it timed out), bit 1 FORCE (a requested reboot). Address for the RP2040 (a Pico 2 /
# RP2350 has its watchdog at 0x400D8000).
WATCHDOG_REASON_ADDR = const(0x40058008)
_REASON_FORCE = const(2)

# The loop's second clock (SR-19): a DMA countdown paced by the DMA's pacing timer 3, which
# divides clk_sys and owes nothing to the TIMER that ticks_ms and sleep_ms count.
DMA_TIMER3_ADDR = const(0x5000042C)  # pacing timer 3: X (bits 31..16) / Y (15..0) of clk_sys
_TREQ_DMA_TIMER3 = const(0x3E)
PACE_PER_MS = const(2)  # countdown steps per ms
_MP_STREAM_POLL = const(3)  # the ioctl select.poll asks a stream


class _Countdown(io.IOBase):
    """The DMA countdown as a stream select.poll can wait on: readable once it has run out."""

    def __init__(self, dma):
        self._dma = dma

    def ioctl(self, req, arg):
        if req == _MP_STREAM_POLL and not self._dma.active():
            return arg & select.POLLIN
        return 0


class TimerFreeSleep:
    """sleep_ms and delay_us that return even when the TIMER stops.

    On rp2 time.sleep_ms and time.sleep_us wait for the TIMER: stopped, they never return,
    the loop stands still with the outputs as they were, and only the watchdog (2 s) ends it.
    Here a sleep is a select.poll wait (ticks_ms timeout) on a DMA countdown paced from
    clk_sys: the end of the countdown interrupts the wait (its IRQ wakes the port's WFE),
    so the loop keeps its period, ClockCheck sees ticks_ms stand still and turns the
    outputs off within CLOCK_STALL_TICKS passes. A steady sleep wakes two or three times.
    """

    def __init__(self):
        import rp2  # not in the tests' stand-in machine (tests/machine_stub): ImportError

        y = min(0xFFFF, machine.freq() // (PACE_PER_MS * 1000))  # faster above 131 MHz: safe
        machine.mem32[DMA_TIMER3_ADDR] = (1 << 16) | y
        self._word = bytearray(4)  # what the countdown copies onto itself
        dma = rp2.DMA()
        dma.config(read=self._word, write=self._word, count=1, ctrl=dma.pack_ctrl(
            size=2, inc_read=False, inc_write=False, treq_sel=_TREQ_DMA_TIMER3,
            irq_quiet=False))
        dma.irq(self._woken, hard=True)  # enabled: the countdown's end interrupts the wait
        self._dma = dma
        self._poll = select.poll()
        self._poll.register(_Countdown(dma), select.POLLIN)

    def _woken(self, _dma):
        pass

    def sleep_ms(self, ms):
        dma = self._dma
        if dma.active():  # the last countdown, if it outlived its sleep (well under 1 ms)
            self._poll.ipoll(2)
        if ms <= 0:
            return
        dma.config(count=ms * PACE_PER_MS, trigger=True)
        self._poll.ipoll(ms)

    @staticmethod
    def delay_us(us):
        # A poll of ticks_us takes over 1 us here, so `us` polls last at least `us`.
        t0 = time.ticks_us()
        n = us
        while n > 0 and time.ticks_diff(time.ticks_us(), t0) < us:
            n -= 1


class Board(MachineBoard):
    """The HAL for one Pico; USB CDC serial is the REPL's stdin/stdout."""

    name = "pico"
    pin_map = globals()  # the pin map above, by name (boards/base.py)

    def __init__(self, stdin=None, stdout=None, poll=None):
        super().__init__(stdin, stdout, poll)
        try:  # on the chip: sleeps that outlive a stopped TIMER (SR-19)
            sleep = TimerFreeSleep()
        except ImportError:
            return
        self.sleep_ms = sleep.sleep_ms
        self._switch.delay_us = sleep.delay_us

    # ---- reset cause ----------------------------------------------------------------
    def reset_cause(self):
        """"power_on", "watchdog", "soft" (machine.reset(), mpremote reset) or "unknown".

        rp2 knows only PWRON_RESET (power, RUN pin) and WDT_RESET; a soft reboot (Ctrl-D)
        resets no hardware and keeps reporting the last hard reset's cause.
        """
        cause = machine.reset_cause()
        if cause == machine.PWRON_RESET:
            return "power_on"
        if cause == machine.WDT_RESET:
            if machine.mem32[WATCHDOG_REASON_ADDR] & _REASON_FORCE:
                return "soft"
            return "watchdog"
        return "unknown"
