"""`cushion watch`: switch telemetry on, show it live, keep it as CSV and/or a plot.

Telemetry is switched off again however the watch ends (time up, Ctrl-C, SIGTERM, SIGHUP, an
error), and the CSV and the plot are written, so the board is not left chattering at the
next program that opens the port and a capture cut short is not lost.  The signal then ends
the command with the shell's 128+N (host/cli.py).
"""

import json
import math
import sys
import time

from .csvlog import CsvLog, check_csv_path
from .errors import CliError, ReplyTimeout, Stopped, check_output_path
from .progress import Progress
from .protocol_sim import Serial as SimSerial

DEFAULT_PERIOD_MS = 500
DEFAULT_MAX_LINES_PER_S = 10.0


def _num(value, fmt, width):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, fmt).rjust(width)
    return "--".rjust(width)


def format_telemetry(t, ev):
    """One readable line: time, both temps, set-point, heater %, motor %, state, remaining."""
    return "{} s  pad {} / {} C  set {} C  heater {} %  motor {} %  {:<14} {}".format(
        _num(t, ".1f", 7),
        _num(ev.get("temp_c"), ".1f", 5), _num(ev.get("temp2_c"), ".1f", 5),
        _num(ev.get("setpoint_c"), ".1f", 5),
        _num(ev.get("heater_pct"), ".0f", 3), _num(ev.get("motor_pct"), ".0f", 3),
        str(ev.get("state", "?")) + ("/" + ev["heat_state"] if ev.get("heat_state") else ""),
        "" if ev.get("remaining_s") in (None, 0) else
        "{} s left".format(_num(ev.get("remaining_s"), ".0f", 0).strip()),
    ).rstrip() + ("  FAULT " + str(ev["fault"]) if ev.get("fault") else "")


def format_event(t, ev):
    rest = " ".join(f"{k}={v}" for k, v in sorted(ev.items())
                    if k not in ("event", "id", "time_s", "uptime_ms"))
    return "{} s  ** {} {}".format(_num(t, ".1f", 7), ev.get("event"), rest).rstrip()


def check_plot_path(path):
    """A usage error now, before any watching, for a plot that could not be written later."""
    from .watchplot import FILE_TYPES
    check_output_path(path, "plot", tuple("." + t for t in FILE_TYPES))


class _Clock:
    """Seconds since the first telemetry, on the device's own clock (uptime_ms) when it has
    one: with a simulated cushion at 50x speed the axis then shows cushion time."""

    def __init__(self, host_clock):
        self.host_clock = host_clock
        self.host0 = host_clock()
        self.up0 = self.prev_up = None
        self.offset = 0.0
        self.last = 0.0

    def at(self, ev):
        up = ev.get("uptime_ms")
        if isinstance(up, int) and not isinstance(up, bool):
            if self.up0 is None:
                self.up0 = up
            elif up < self.prev_up:          # the device rebooted: carry on from here
                self.offset, self.up0 = self.last, up
            self.prev_up = up
            self.last = self.offset + (up - self.up0) / 1000.0
        else:
            self.last = self.host_clock() - self.host0
        return self.last


class _Printer:
    """Telemetry lines for a person: at most `max_per_s` a wall second (a simulator at speed
    50 sends a hundred), events always; the CSV, the plot and JSON lines get every sample."""

    def __init__(self, out, json_lines, max_per_s, clock):
        self.out, self.json_lines, self.clock = out, json_lines, clock
        self.gap = 1.0 / max_per_s
        self.next_at = None
        self.skipped = 0

    def show(self, t, ev):
        if self.json_lines:
            line = dict(ev, time_s=round(t, 3))
            self.out.write(json.dumps(line, sort_keys=True) + "\n")
        elif ev.get("event") == "telemetry":
            now = self.clock()
            if self.next_at is not None and now < self.next_at:
                self.skipped += 1
                return
            self.next_at = now + self.gap
            self.out.write(format_telemetry(t, ev) + "\n")
        else:
            self.out.write(format_event(t, ev) + "\n")
        self.out.flush()


def watch(client, seconds=None, period_ms=DEFAULT_PERIOD_MS, csv_path=None, plot_path=None,
          json_lines=False, out=None, clock=time.monotonic,
          max_lines_per_s=DEFAULT_MAX_LINES_PER_S, err=None):
    """Run the watch; returns the telemetry rows (dicts with `time_s` added)."""
    out = out or sys.stdout
    err = err or sys.stderr
    note = err if json_lines else out          # "wrote F": off stdout when it is JSON lines
    check_csv_path(csv_path)
    check_plot_path(plot_path)
    rows, events = [], []
    log = CsvLog(csv_path) if csv_path else None
    # --seconds: a bar on a terminal, else a line on stderr every tenth of the time
    progress = Progress(math.ceil(seconds) if seconds else 0, "s", lines=out, plain=err,
                        bar=not json_lines, err=err, desc="cushion watch", every=0.1)
    printer = _Printer(progress.lines, json_lines, max_lines_per_s, clock)
    tclock = _Clock(clock)
    start = clock()
    end = None if seconds is None else start + seconds
    # No telemetry for this long means the board stopped talking: say so rather than hang.
    silence_limit = max(3 * period_ms / 1000.0, client.timeout)
    try:
        client.request(f"telemetry on {int(period_ms)}")
        if not json_lines:
            progress.lines.write(f"watching {client.port} (Ctrl-C to stop)\n")
            progress.lines.flush()
        last_seen = clock()
        while end is None or clock() < end:
            progress.advance_to(int(clock() - start))
            wait = 0.25 if end is None else max(0.0, min(0.25, end - clock()))
            ev = client.next_event(wait)
            if ev is None:
                quiet = clock() - last_seen
                if quiet > silence_limit:
                    raise ReplyTimeout(f"no telemetry from {client.port} for {quiet:.1f} s")
                continue
            last_seen = clock()
            is_sample = ev.get("event") == "telemetry"
            t = tclock.at(ev)          # every event carries the board's uptime_ms
            printer.show(t, ev)
            if is_sample:
                rows.append(dict(ev, time_s=round(t, 3)))
                if log:
                    log.write(rows[-1])
            else:
                events.append(dict(ev, time_s=round(t, 3)))
    finally:
        if end is not None and clock() >= end:
            progress.advance_to(progress.total)
        progress.close()
        try:
            client.request("telemetry off", timeout=min(client.timeout, 1.0))
        except (CliError, KeyboardInterrupt, Stopped):
            pass                               # best effort: we may have lost the port
        if log:
            log.close()
            _say(note, f"wrote {csv_path} ({len(rows)} samples)")
        if plot_path and not rows:
            _say(note, f"no telemetry came, so {plot_path} was not written")
        elif plot_path:
            from .watchplot import plot
            plot(rows, events, plot_path, title=f"cushion watch on {client.port}",
                 period_s=period_ms / 1000.0)
            _say(note, f"wrote {plot_path}")
        if printer.skipped:
            _say(note, f"{printer.skipped} of {len(rows)} samples not printed (at most "
                       f"{max_lines_per_s:g} lines a second; --csv and --json keep them all)")
        _report_speed(client, note, err)
    return rows


def _say(stream, text):
    stream.write(text + "\n")
    stream.flush()


def _report_speed(client, note, err):
    """On a sim:// cushion: the speed achieved, and a warning when it fell short."""
    if not isinstance(client.ser, SimSerial):
        return
    from .simclock import speed_report
    paced = client.ser.paced
    achieved, warning = speed_report(paced.speed, paced.achieved_speed())
    _say(note, achieved)
    if warning:
        _say(err, "cushion: " + warning)
