"""A recording stand-in for MicroPython's ``machine`` module. Tests only, never deployed.

Put this directory first on ``sys.path`` (the unix port lets a file shadow its own small
built-in ``machine``). Every call on a stand-in object is appended to ``LOG`` as
``(object, method, args)`` while ``RECORD`` is true; a test turns ``RECORD`` off to measure
allocation (nothing here allocates then). Inputs are set by the test:

- ``INPUT_LEVELS[gpio]``: level an input pin reads (default: 1 with a pull-up, else 0);
- ``ADC_U16[gpio]`` / ``ADC_UV[gpio]``: what ``read_u16()`` / ``read_uv()`` return; a value
  may be a callable taking no argument (e.g. to model an analog switch);
- ``RESET_CAUSE`` and ``MEM32[address]``.

Limits checked the way the rp2 port checks them (ValueError): PWM frequency 8 Hz..62.5 MHz,
duty_u16 0..65535, WDT id 0 and timeout up to ``WDT_MAX_MS`` (8388 ms on the RP2040).
``use_rp2_constants()`` removes the reset constants the rp2 port does not have.
"""

LOG = []
RECORD = True

INPUT_LEVELS = {}
ADC_U16 = {}
ADC_UV = {}
MEM32 = {}
PINS = {}  # gpio -> the latest Pin object made for it

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
RESET_CAUSE = PWRON_RESET

PWM_MIN_HZ = 8
PWM_MAX_HZ = 62_500_000
WDT_MAX_MS = 8388


def _log(obj, method, args):
    # Callers test RECORD first, so that not even the args tuple is built while it is off.
    LOG.append((obj, method, args))


def _gpio(pin):
    return pin.id if isinstance(pin, Pin) else pin


def level(gpio):
    """The level the firmware last drove on ``gpio`` (None if it never made that pin)."""
    pin = PINS.get(gpio)
    return None if pin is None else pin._value


def use_rp2_constants():
    """machine on rp2 has only PWRON_RESET and WDT_RESET."""
    g = globals()
    for name in ("HARD_RESET", "DEEPSLEEP_RESET", "SOFT_RESET"):
        if name in g:
            del g[name]


def clear():
    """Forget everything recorded and every input a test set."""
    global RECORD, RESET_CAUSE
    LOG.clear()
    for table in (INPUT_LEVELS, ADC_U16, ADC_UV, MEM32, PINS):
        table.clear()
    RECORD = True
    RESET_CAUSE = PWRON_RESET


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self.mode = mode
        self.pull = pull
        self._value = 0 if value is None else (1 if value else 0)
        PINS[id] = self
        if RECORD:
            _log(self, "init", (id, mode, pull, value))

    def init(self, mode=-1, pull=-1, value=None):
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull
        if value is not None:
            self._value = 1 if value else 0
        if RECORD:
            _log(self, "init", (self.id, mode, pull, value))

    def value(self, v=None):
        if v is None:
            if RECORD:
                _log(self, "value", ())
            if self.mode == Pin.OUT:
                return self._value
            default = 1 if self.pull == Pin.PULL_UP else 0
            return INPUT_LEVELS.get(self.id, default)
        self._value = 1 if v else 0
        if RECORD:
            _log(self, "value", (self._value,))
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def __repr__(self):
        return "Pin(%d)" % self.id


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None, duty_ns=None, invert=None):
        self.pin = pin
        self.gpio = _gpio(pin)
        self._freq = None
        self._duty = None
        if RECORD:
            _log(self, "init", (self.gpio, freq, duty_u16))
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)

    def freq(self, f=None):
        if f is None:
            return self._freq
        if not PWM_MIN_HZ <= f <= PWM_MAX_HZ:
            raise ValueError("freq out of range")
        self._freq = f
        if RECORD:
            _log(self, "freq", (f,))
        return None

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        if not 0 <= d <= 65535:
            raise ValueError("duty_u16 must be from 0 to 65535")
        self._duty = d
        if RECORD:
            _log(self, "duty_u16", (d,))
        return None

    def deinit(self):
        if RECORD:
            _log(self, "deinit", ())

    def __repr__(self):
        return "PWM(%d)" % self.gpio


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.pin = pin
        self.gpio = _gpio(pin)
        self._atten = atten
        if RECORD:
            _log(self, "init", (self.gpio, atten))

    def atten(self, a):
        self._atten = a
        if RECORD:
            _log(self, "atten", (a,))

    def _source(self, table):
        v = table.get(self.gpio, 0)
        return v() if callable(v) else v

    def read_u16(self):
        if RECORD:
            _log(self, "read_u16", ())
        return self._source(ADC_U16)

    def read_uv(self):
        if RECORD:
            _log(self, "read_uv", ())
        return self._source(ADC_UV)

    def __repr__(self):
        return "ADC(%d)" % self.gpio


class WDT:
    def __init__(self, id=0, timeout=5000):
        if id != 0:
            raise ValueError("WDT(%d) doesn't exist" % id)
        if not 1 <= timeout <= WDT_MAX_MS:
            raise ValueError("timeout exceeds %d" % WDT_MAX_MS)
        self.timeout = timeout
        if RECORD:
            _log(self, "init", (id, timeout))

    def feed(self):
        if RECORD:
            _log(self, "feed", ())

    def __repr__(self):
        return "WDT"


class _Mem:
    def __getitem__(self, addr):
        if RECORD:
            _log(self, "read", (addr,))
        return MEM32.get(addr, 0)

    def __repr__(self):
        return "mem32"


mem32 = _Mem()


class _Machine:
    def __repr__(self):
        return "machine"


_MACHINE = _Machine()


def reset_cause():
    if RECORD:
        _log(_MACHINE, "reset_cause", ())
    return RESET_CAUSE


def reset():
    # The real one never returns; the test reads the LOG instead.
    if RECORD:
        _log(_MACHINE, "reset", ())
