"""The `cushion watch --plot` picture, drawn on its own Agg figure (no pyplot, no globals).

Top: both pad sensors as the firmware read them, the set-point while heating and the 50 C
overheat line, over shaded heat-state bands (warming, holding, fault) and event markers.
Bottom: heater and motor duty.  Telemetry samples the duty every period (0.5..60 s), far
slower than the wave (4 s) and pulse (0.5 s) massage change it, so a line through the
samples would zig-zag at random; the duty is drawn as the mean of a few neighbouring samples
with their min..max as a band (the envelope), and the samples themselves as dots.
"""

import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

import hal_sim  # noqa: F401,I001  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.limits import OVERHEAT_C100
from .errors import UsageError

FILE_TYPES = frozenset(FigureCanvasAgg.get_supported_filetypes())
OVERHEAT_C = OVERHEAT_C100 / 100
STATE_BANDS = {"warming": ("#f6c88f", "heating up"), "holding": ("#b9e3b0", "holding"),
               "fault": ("#f4a3a3", "fault: heater held off")}
EVENT_COLOURS = {"fault": "#c0392b", "auto_off": "#1f3b73", "auto_off_warning": "#7f8fb3",
                 "dose_limit": "#8e44ad", "cleared": "#16a085", "crash": "#000000",
                 "boot": "#555555"}
PLAUSIBLE_C = (-30.0, 120.0)   # an open or shorted sensor reads far outside: off the axes
# The duty's mean and min..max span at least this many samples each side, and at least
# ENVELOPE_S seconds: several periods of the 4 s wave, so its mean holds still.
ENVELOPE = 2
ENVELOPE_S = 10.0



def _col(rows, name):
    out = []
    for r in rows:
        v = r.get(name)
        out.append(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                   else math.nan)
    return out


def _envelope(values, k):
    mean, lo, hi = [], [], []
    for i in range(len(values)):
        win = [v for v in values[max(0, i - k):i + k + 1] if not math.isnan(v)]
        mean.append(sum(win) / len(win) if win else math.nan)
        lo.append(min(win) if win else math.nan)
        hi.append(max(win) if win else math.nan)
    return mean, lo, hi


def _bands(rows):
    """[(start_s, end_s, name)] runs of the heat state (a fault state wins)."""
    spans, cur, start = [], None, 0.0
    for r in rows:
        name = "fault" if r.get("state") == "fault" else r.get("heat_state")
        if name != cur:
            if cur in STATE_BANDS:
                spans.append((start, r["time_s"], cur))
            cur, start = name, r["time_s"]
    if cur in STATE_BANDS and rows:
        spans.append((start, rows[-1]["time_s"], cur))
    return spans


def _event_label(ev):
    name = ev.get("event")
    if name == "fault":
        return "fault: " + str(ev.get("code", "?"))
    if name == "boot":
        return "reboot ({})".format(ev.get("reset_cause", "?"))
    return {"auto_off_warning": "auto-off warning", "auto_off": "auto-off",
            "dose_limit": "dose limit"}.get(name, name)


def plot(rows, events, path, title="cushion", period_s=0.5):
    """Draw the watch to `path` (its type from the name); UsageError if it cannot."""
    if not rows:
        raise UsageError(f"no telemetry came, so there is nothing to plot to {path}")
    fig = figure(rows, events, title, period_s)
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:       # unwritable, or an unknown file extension
        raise UsageError(f"cannot write the plot to {path}: {exc}")
    return path


def figure(rows, events, title="cushion", period_s=0.5):
    """The watch's picture as a matplotlib Figure on an Agg canvas."""
    t = _col(rows, "time_s")
    fig = Figure(figsize=(11, 6.5), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    used = set()
    for a, b, name in _bands(rows):
        used.add(name)
        for ax in (ax1, ax2):
            ax.axvspan(a, b, color=STATE_BANDS[name][0], alpha=0.45, lw=0, zorder=0)

    temps = {key: [v if PLAUSIBLE_C[0] <= v <= PLAUSIBLE_C[1] else math.nan
                   for v in _col(rows, key)] for key in ("temp_c", "temp2_c")}
    ax1.plot(t, temps["temp_c"], color="#1f77b4", lw=1.3, label="pad sensor A")
    ax1.plot(t, temps["temp2_c"], color="#2ca02c", lw=1.0, ls="--", label="pad sensor B")
    setpoint = [v if v > 0 else math.nan for v in _col(rows, "setpoint_c")]   # 0: heat off
    ax1.plot(t, setpoint, color="#d62728", lw=1.2, drawstyle="steps-post", label="set-point")
    ax1.axhline(OVERHEAT_C, color="#d62728", lw=0.8, ls=":",
                label=f"overheat cut-off {OVERHEAT_C:g} C")
    seen = [v for v in temps["temp_c"] + temps["temp2_c"] + setpoint if not math.isnan(v)]
    lo, hi = min(seen + [OVERHEAT_C]), max(seen + [OVERHEAT_C])
    margin = max(2.0, 0.06 * (hi - lo))
    ax1.set_ylim(lo - margin, hi + 3 * margin)          # headroom for the event labels
    ax1.set_ylabel("temperature (C)")
    ax1.grid(True, alpha=0.3)

    k = max(ENVELOPE, math.ceil(ENVELOPE_S / period_s))
    for key, colour, label in (("heater_pct", "#ff7f0e", "heater"),
                               ("motor_pct", "#9467bd", "motor")):
        values = _col(rows, key)
        mean, low, high = _envelope(values, k)
        ax2.fill_between(t, low, high, color=colour, alpha=0.15, lw=0)
        ax2.plot(t, mean, color=colour, lw=1.4,
                 label=f"{label} duty: mean of {2 * k + 1} samples, band min..max")
    ax2.set_ylim(-3, 105)
    ax2.set_ylabel("duty (%)")
    ax2.set_xlabel(f"time on the cushion's clock (s), a sample every {period_s:g} s")
    ax2.grid(True, alpha=0.3)
    ax2.set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + period_s)

    for ev in events:
        colour = EVENT_COLOURS.get(ev.get("event"))
        if colour is None:
            continue
        x = ev["time_s"]
        for ax in (ax1, ax2):
            ax.axvline(x, color=colour, lw=1.0)
        ax1.annotate(f"{_event_label(ev)} {x:.0f} s", xy=(x, 0.98),
                     xycoords=ax1.get_xaxis_transform(), xytext=(-2, 0),
                     textcoords="offset points", rotation=90, va="top", ha="right",
                     fontsize=8, color=colour)

    handles, labels = ax1.get_legend_handles_labels()
    for name in STATE_BANDS:
        if name in used:
            handles.append(Patch(color=STATE_BANDS[name][0], alpha=0.45))
            labels.append(STATE_BANDS[name][1])
    ax1.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
               borderaxespad=0)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
    ax1.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
