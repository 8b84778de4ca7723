"""`cushion watch`: switch telemetry on, show it live, keep it as CSV and/or a plot.

Telemetry is switched off again however the watch ends (time up, Ctrl-C, an error), so the
board is not left chattering at the next program that opens the port.
"""

import csv
import json
import math
import os
import sys
import time

from host.errors import CliError, ReplyTimeout, UsageError

# CSV columns: our own time axis first, then the status fields of DESIGN section 7.
CSV_FIELDS = ("time_s", "state", "heat", "massage", "intensity", "temp_c", "temp2_c",
              "setpoint_c", "heater_pct", "motor_pct", "remaining_s", "vin", "fault",
              "dose_cem43", "uptime_ms")

DEFAULT_PERIOD_MS = 500


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
                    if k not in ("event", "id"))
    return "{} s  ** {} {}".format(_num(t, ".1f", 7), ev.get("event"), rest).rstrip()


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


def watch(client, seconds=None, period_ms=DEFAULT_PERIOD_MS, csv_path=None, plot_path=None,
          json_lines=False, out=None, clock=time.monotonic):
    """Run the watch; returns the telemetry rows (dicts with `time_s` added)."""
    out = out or sys.stdout
    rows = []
    csv_file = writer = None
    if plot_path and not os.path.isdir(os.path.dirname(os.path.abspath(plot_path))):
        raise UsageError(f"cannot write the plot to {plot_path}: no such directory")
    if csv_path:
        try:
            csv_file = open(csv_path, "w", newline="")
        except OSError as exc:
            raise UsageError(f"cannot write {csv_path}: {exc.strerror or exc}")
        writer = csv.DictWriter(csv_file, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        csv_file.flush()
    tclock = _Clock(clock)
    end = None if seconds is None else clock() + seconds
    # No telemetry for this long means the board stopped talking: say so rather than hang.
    silence_limit = max(3 * period_ms / 1000.0, client.timeout)
    try:
        client.request(f"telemetry on {int(period_ms)}")
        if not json_lines:
            out.write(f"watching {client.port} (Ctrl-C to stop)\n")
            out.flush()
        last_seen = clock()
        while end is None or clock() < end:
            wait = 0.25 if end is None else max(0.0, min(0.25, end - clock()))
            ev = client.next_event(wait)
            if ev is None:
                quiet = clock() - last_seen
                if quiet > silence_limit:
                    raise ReplyTimeout(f"no telemetry from {client.port} for {quiet:.1f} s")
                continue
            last_seen = clock()
            t = tclock.at(ev) if ev.get("event") == "telemetry" else tclock.last
            if json_lines:
                line = dict(ev)
                line["time_s"] = round(t, 3)
                out.write(json.dumps(line, sort_keys=True) + "\n")
            elif ev.get("event") == "telemetry":
                out.write(format_telemetry(t, ev) + "\n")
            else:
                out.write(format_event(t, ev) + "\n")
            out.flush()
            if ev.get("event") == "telemetry":
                row = dict(ev)
                row["time_s"] = round(t, 3)
                rows.append(row)
                if writer:
                    writer.writerow(row)
                    csv_file.flush()
    except KeyboardInterrupt:
        pass                                   # Ctrl-C is the normal end of an open watch
    finally:
        try:
            client.request("telemetry off", timeout=min(client.timeout, 1.0))
        except (CliError, KeyboardInterrupt):
            pass                               # best effort: we may have lost the port
        if csv_file:
            csv_file.close()
        if plot_path:
            plot(rows, plot_path, title=f"cushion on {client.port}")
    return rows


def plot(rows, path, title="cushion"):
    """Temperatures and set-point above, heater and motor duty below; PNG via Agg."""
    try:
        import matplotlib
        matplotlib.use("Agg")                  # no display needed (CI, ssh)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise UsageError(f"--plot needs matplotlib: {exc}")

    def col(name):
        out = []
        for r in rows:
            v = r.get(name)
            out.append(v if isinstance(v, (int, float)) and not isinstance(v, bool)
                       else math.nan)
        return out

    t = col("time_s")
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
    ax1.plot(t, col("temp_c"), label="pad sensor A")
    ax1.plot(t, col("temp2_c"), label="pad sensor B")
    ax1.step(t, col("setpoint_c"), where="post", linestyle="--", label="set-point")
    ax1.set_ylabel("temperature (C)")
    ax1.legend(loc="best")
    ax1.grid(True, alpha=0.3)
    ax1.set_title(title)
    ax2.step(t, col("heater_pct"), where="post", label="heater")
    ax2.step(t, col("motor_pct"), where="post", label="motor")
    ax2.set_ylabel("duty (%)")
    ax2.set_xlabel("time (s)")
    ax2.set_ylim(-5, 105)
    ax2.legend(loc="best")
    ax2.grid(True, alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:       # unwritable, or an unknown file extension
        raise UsageError(f"cannot write the plot to {path}: {exc}")
    finally:
        plt.close(fig)
