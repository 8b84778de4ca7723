"""The MicroPython REPL of a served simulated board in service mode, as far as mpremote needs it.

After `service` a board hands its port to the REPL.  The simulator runs no Python, but a
served sim must still be left the way a board is left:

 - Ctrl-D at the friendly `>>>` prompt: soft reboot, which runs main.py, i.e. the firmware
   (the service flag is one-shot, so this boot is a normal one);
 - `mpremote reset` (raw REPL, `machine.reset()`): a hard reset into the firmware;
 - `mpremote soft-reset` (Ctrl-D in the raw REPL): a soft reboot that, as on the rp2 port,
   stays in the raw REPL and runs no main.py; the board is left at the REPL.

Anything else typed is answered with a hint instead of Python.
"""

CTRL_A, CTRL_B, CTRL_C, CTRL_D = 1, 2, 3, 4
BANNER = b"MicroPython (simulated cushion board); Type \"help()\" for more information.\r\n"
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
NO_PYTHON = b"the simulated board runs no Python"      # how a client tells it from a board
HINT = NO_PYTHON + b": Ctrl-D (soft reboot) or `mpremote reset` starts the firmware\r\n"
RESET_CALLS = (b"machine.reset()", b"machine.soft_reset()")
MAX_CODE = 16384
RAW_PASTE_PROBE = b"\x05A\x01"


class ServiceRepl:
    """Bytes in, bytes out; `boot()` is called when the firmware should start again."""

    def __init__(self, boot):
        self._boot = boot
        self.raw = False
        self._line = bytearray()
        self._code = bytearray()

    def enter(self):
        """The board just reset into service mode: the friendly REPL's banner and prompt."""
        self.raw = False
        self._line = bytearray()
        self._code = bytearray()
        return BANNER + b">>> "

    def feed(self, data):
        out = bytearray()
        for b in bytes(data):
            if self.raw:
                done = self._raw_byte(b, out)
            else:
                done = self._friendly_byte(b, out)
            if done:          # the firmware booted: the rest goes to it, like a board's
                break         # input typed during a reboot is lost
        return bytes(out)

    def _friendly_byte(self, b, out):
        if b == CTRL_D:
            out += b"MPY: soft reboot\r\n"
            self._boot("soft")
            return True
        if b == CTRL_A:
            self.raw = True
            self._code = bytearray()
            out += b"\r\n" + RAW_PROMPT
        elif b == CTRL_C:
            self._line = bytearray()
            out += b"\r\n>>> "
        elif b in (10, 13):
            text = bytes(self._line).strip()
            self._line = bytearray()
            out += b"\r\n" + (HINT if text else b"") + b">>> "
        elif b in (8, 127):
            if self._line:
                self._line.pop()
        elif len(self._line) < MAX_CODE:
            self._line.append(b)
        return False

    def _raw_byte(self, b, out):
        if b == CTRL_B:
            self.raw = False
            out += b"\r\n" + BANNER + b">>> "
        elif b == CTRL_C:
            self._code = bytearray()
        elif b == CTRL_D:
            code = bytes(self._code)
            self._code = bytearray()
            if not code.strip():
                # soft reboot from the raw REPL: no main.py, back to the raw REPL
                out += b"MPY: soft reboot\r\n" + RAW_PROMPT
                return False
            out += b"OK"
            if any(call in code for call in RESET_CALLS):
                self._boot("soft")        # a board resets at once: nothing after the OK
                return True
            out += b"\x04" + HINT.replace(b"\r\n", b"") + b"\r\n\x04>"
        elif b == CTRL_A:
            out += b"\r\n" + RAW_PROMPT
        elif len(self._code) < MAX_CODE:
            self._code.append(b)
            if self._code.endswith(RAW_PASTE_PROBE):
                del self._code[-len(RAW_PASTE_PROBE):]
                out += b"R\x00"          # raw-paste understood, not supported: plain raw
        return False
