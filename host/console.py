"""`cushion console`: an interactive session with the cushion, like `mpremote repl`.

Type protocol requests as in a serial terminal (`status`, `heat high`, `telemetry on 500`);
the console adds the id and checksum, so a typo on the line is caught by the firmware instead
of acted on.  Replies and events (telemetry, faults, auto-off) are printed as they come, in
colour on a terminal.  Lines starting with `!` go to a served simulator's control channel
(`--control simctl://...`): `!inject sensor_open sensor=1`, `!press heat --hold 2` is
`!press heat hold_s=2`.  Line editing, history and tab completion come from prompt_toolkit.
Ctrl-C or Ctrl-D (or `exit`) leaves, with telemetry switched off.
"""

import json
import sys
import threading

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import NestedCompleter, WordCompleter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.shortcuts import print_formatted_text

import hal_sim  # noqa: F401  (first: gives the firmware modules their micropython shim)
from cushion.names import LEVEL_NAMES, MODE_NAMES  # noqa: E402
from cushion.schema import FAULT_KINDS  # noqa: E402

from .errors import CliError, DeviceRefused  # noqa: E402

INTENSITY = {"1": None, "2": None, "3": None}
VERBS = {
    "status": None, "info": None, "stop": None, "clear": None, "faults": None, "help": None,
    "service": None,
    "heat": {name: None for name in LEVEL_NAMES},
    "massage": {name: (INTENSITY if name != "off" else None) for name in MODE_NAMES},
    "telemetry": {"on": {"500": None, "1000": None}, "off": None},
    "exit": None,
}
KWARGS = {"sensor=0": None, "sensor=1": None, "sensor=both": None}
CONTROL = {
    "!inject": {kind: KWARGS for kind in FAULT_KINDS},
    "!repair": {kind: KWARGS for kind in FAULT_KINDS},
    "!press": {b: {"hold_s=2": None} for b in ("power", "heat", "massage")},
    "!power-cycle": None, "!reset": None, "!truth": None,
}
STYLE = {"ok": "ansigreen", "error": "ansired bold", "event": "ansiyellow",
         "telemetry": "ansicyan", "fault": "ansired bold", "info": "ansibrightblack"}


class _Completer(NestedCompleter):
    """Completes the first word as a whole WORD, so that `!in` offers `!inject`."""

    def get_completions(self, document, complete_event):
        if " " not in document.text_before_cursor.lstrip():
            words = WordCompleter(list(self.options), WORD=True)
            yield from words.get_completions(document, complete_event)
        else:
            yield from super().get_completions(document, complete_event)


def completer(with_control):
    nested = NestedCompleter.from_nested_dict({**VERBS, **(CONTROL if with_control else {})})
    return _Completer(nested.options)


def describe(msg):
    """(style, one line) for a reply or an event."""
    body = {k: v for k, v in msg.items() if k not in ("ok", "id", "event")}
    text = " ".join(f"{k}={json.dumps(v)}" for k, v in body.items())
    if "event" in msg:
        name = msg["event"]
        style = "telemetry" if name == "telemetry" else ("fault" if name == "fault" else "event")
        return style, f"[{name}] {text}"
    if msg.get("ok") is True:
        return "ok", "ok " + text if text else "ok"
    return "error", "error {}: {}".format(msg.get("error"), msg.get("detail", ""))


class Console:
    def __init__(self, client, control=None, session=None, out=None, color=None):
        self.client = client
        self.control = control
        self.session = session
        if session is None and sys.stdin.isatty():
            self.session = PromptSession(completer=completer(control is not None))
        self.out = out or sys.stdout
        self.color = self.out.isatty() if color is None else color
        self.lock = threading.Lock()          # the client is one conversation at a time
        self._stop = threading.Event()

    def show(self, style, text):
        if self.color:
            print_formatted_text(FormattedText([(STYLE[style], text)]))
        else:
            self.out.write(text + "\n")
            self.out.flush()

    def _events(self):
        while not self._stop.is_set():
            with self.lock:
                try:
                    msg = self.client.next_event(0.05)
                except CliError as exc:
                    self.show("error", str(exc))
                    self._stop.set()
                    return
            if msg is not None:
                self.show(*describe(msg))
            else:
                self._stop.wait(0.05)

    def do(self, line):
        """Carry out one typed line; return False to leave."""
        line = line.strip()
        if not line:
            return True
        if line in ("exit", "quit"):
            return False
        if line.startswith("!"):
            return self._control(line[1:])
        with self.lock:
            try:
                reply = self.client.request(line)
            except DeviceRefused as exc:
                reply = exc.reply
            except CliError as exc:
                self.show("error", exc.message)
                return True
        self.show(*describe(reply))
        return True

    def _control(self, line):
        if self.control is None:
            self.show("error", "no control channel: give --control simctl://... "
                               "(printed by `cushion sim`)")
            return True
        try:
            reply = self.control.request(line)
        except (OSError, ValueError) as exc:
            self.show("error", f"control channel: {exc}")
            return True
        self.show(*describe(reply))
        return True

    def _prompted(self):
        with patch_stdout(raw=True):
            while not self._stop.is_set():
                try:
                    text = self.session.prompt("cushion> ")
                except (EOFError, KeyboardInterrupt):
                    break
                if not self.do(text):
                    break

    def _piped(self, lines):
        """Not on a terminal (`cushion console < requests.txt`): one request per line."""
        for text in lines:
            if self._stop.is_set() or not self.do(text):
                break

    def run(self, lines=None):
        info = self.client.info or {}
        self.show("info", "connected to {} {} on {} at {}; Ctrl-D or Ctrl-C leaves".format(
            info.get("fw"), info.get("version"), info.get("board"), self.client.port))
        reader = threading.Thread(target=self._events, name="console-events", daemon=True)
        reader.start()
        try:
            if self.session is not None:
                self._prompted()
            else:
                self._piped(sys.stdin if lines is None else lines)
        except KeyboardInterrupt:
            pass
        finally:
            self._stop.set()
            reader.join(timeout=2)
            self._telemetry_off()
        return 0

    def _telemetry_off(self):
        try:
            with self.lock:
                self.client.request("telemetry off", timeout=1.0)
        except CliError:
            pass


def add_parser(sub, common):
    p = sub.add_parser("console", parents=[common], help="an interactive session (Ctrl-D leaves)",
                       description=__doc__.split("\n\n", 1)[1])
    p.add_argument("--control", metavar="URL",
                   help="control channel of a served sim (the simctl:// URL `cushion sim` "
                        "prints), for !inject, !repair, !press, !power-cycle, !reset")
    return p


def cmd_console(args, out):
    from .commands import connect
    from .simcontrol import open_control
    control = open_control(args.control, timeout=args.timeout) if args.control else None
    client = connect(args)
    try:
        return Console(client, control=control).run()
    finally:
        client.close()
        if control is not None:
            control.close()
