"""Exit codes of the `cushion` tool and the expected failures that map onto them.

Every failure a user can run into in normal use (no board, wrong permissions, a busy port,
a cable pulled mid-command, a board that does not answer, a board that says no) is raised as a
`CliError` subclass carrying a one-line message and its exit code.  `cli.main` prints the
message on stderr and exits with the code; anything else that escapes is a bug and is allowed
to show its traceback.
"""

import os

EXIT_OK = 0
EXIT_REFUSED = 1        # the device answered {"ok": false, ...}, or a scenario expectation failed
EXIT_USAGE = 2          # the command line was wrong or incomplete (argparse uses 2 as well)
EXIT_NO_CONNECTION = 3  # no port, could not open it, lost it, or no reply in time
# Ended by a signal: the shell's 128+N (Ctrl-C, SIGINT 2: 130; SIGHUP 1: 129; SIGTERM 15: 143).
EXIT_SIGNAL_BASE = 128


class CliError(Exception):
    """An expected failure: a one-line message for stderr and an exit code."""

    exit_code = EXIT_NO_CONNECTION

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def as_json(self):
        """The machine-readable form printed on stdout with --json."""
        return {"ok": False, "error": self.kind, "detail": self.message,
                "exit_code": self.exit_code}

    kind = "error"


class UsageError(CliError):
    """The user has to say something differently (bad URL, several boards to choose from...)."""

    exit_code = EXIT_USAGE
    kind = "usage"


class DeviceRefused(CliError):
    """The cushion understood the request and said no (`"ok": false`).

    `code` is the firmware's error code (e.g. `fault_active`), `detail` its own words, which
    are shown to the user unchanged because they explain *why* better than we could.
    """

    exit_code = EXIT_REFUSED

    def __init__(self, request, reply):
        self.request = request
        self.reply = reply
        self.code = reply.get("error", "refused")
        self.detail = reply.get("detail") or ""
        text = f"device refused '{request}': {self.code}"
        if self.detail:
            text += ": " + self.detail
        super().__init__(text)

    @property
    def kind(self):
        return self.code

    def as_json(self):
        out = dict(self.reply)
        out.pop("id", None)
        out["exit_code"] = self.exit_code
        return out


def check_output_path(path, what, extensions):
    """A usage error now, before any work, for an output file that could not be written
    later: a name without one of `extensions` (".csv", ".png", ...), or a directory that
    is missing or not writable."""
    if not path:
        return
    if os.path.splitext(path)[1].lower() not in extensions:
        ends = sorted(extensions)
        raise UsageError(f"cannot write the {what} to {path}: the name must end in "
                         + (ends[0] if len(ends) == 1 else "one of " + ", ".join(ends)))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write the {what} to {path}: no such directory")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write the {what} to {path}: the directory is not writable")


class ConnectionFailed(CliError):
    """Could not talk to a cushion at all (exit 3)."""

    exit_code = EXIT_NO_CONNECTION
    kind = "no_connection"


def _connection_failure(name, kind, doc, base=ConnectionFailed):
    """A ConnectionFailed subclass: its own `except` and its own JSON `error` kind."""
    return type(name, (base,), {"kind": kind, "__doc__": doc, "__module__": __name__})


# The ways a connection fails (all exit 3), each with the `error` kind --json shows.
NoPort = _connection_failure("NoPort", "no_port", "No such port, or none given and no board found.")
PortPermission = _connection_failure(
    "PortPermission", "permission_denied", "The port exists but this user may not open it.")
PortBusy = _connection_failure("PortBusy", "port_busy", "Another program has the port open.")
Disconnected = _connection_failure(
    "Disconnected", "disconnected", "The port went away mid-command (a cable pulled).")
ReplyTimeout = _connection_failure("ReplyTimeout", "timeout", "No reply came in time.")
NotACushion = _connection_failure(
    "NotACushion", "not_a_cushion", "Something answered `info`, but not a cushion's firmware.")


class AtRepl(ReplyTimeout):
    """The board answers with the MicroPython REPL: it is in service mode (after `service`,
    or a soft reset from the raw REPL, which runs no main.py)."""

    kind = "at_repl"
    simulated = False          # a served simulated board, whose REPL runs no Python


class Stopped(BaseException):
    """A signal that ends the command (SIGTERM from a cancelled job, SIGHUP from a closed
    terminal), raised in the main thread so that cleanup (`finally`) runs as for Ctrl-C.

    A BaseException like KeyboardInterrupt, so that `except Exception` never swallows it.
    """

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = EXIT_SIGNAL_BASE + signum
