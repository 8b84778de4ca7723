"""One PNG and one CSV per simulated run, from `sim.trace` and `sim.events`.

    sim = Simulation(record=True); ...; sim.run(900)
    plot_run(sim.trace, sim.events, "build/run.png", title="heat high")
    write_csv(sim.trace, "build/run.csv")

Headless: matplotlib's Agg backend is selected before pyplot could ever be imported, and the
figure is drawn on an Agg canvas directly (no pyplot, no global figure state), so it works
in CI, over ssh and from several threads. What is drawn comes as numbers from
hal_sim/plotdata.py. CPython only.

What the plot shows (docs/simulator.md, "Plots and the demo"):
- top: the pad surface (truth), where the two thermistors physically are, what the firmware
  read from each, the set-point, and the 50 C overheat trip line;
- below it: each sensor's reading minus the pad surface, where traces that lie on one line
  on the top panel come apart;
- then the heater duty (delivered and commanded) and the motor duty, each on its own panel
  so that a massage never hides the heater; for signals that change faster than one plot
  point (the PI's tick-to-tick duty, the 4 s wave massage) the line is the mean over the
  point's span and the shaded band its min..max, so nothing is hidden by the decimation;
- the supply at the board, when a supply fault was injected or it left its window;
- all: shaded bands for the heat state (warming, holding, fault), vertical markers with
  labels for fault, auto_off, auto_off_warning, dose_limit, cleared, crash and reboot
  events, and dotted markers for the scenario's steps (inject, repair, press, send...).
"""

import csv
import sys

import matplotlib

# Agg before pyplot is ever imported (nothing here imports pyplot, but a caller may later);
# if the caller already runs pyplot with another backend, leave theirs alone: the figure
# below is drawn on its own Agg canvas either way.
if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from hal_sim.plotdata import (  # noqa: E402
    OVERHEAT_C, SUPPLY_WINDOW_V, decimate, event_label, rows_per_point, sensor_lag,
    state_spans, step_marks, supply_shown, temperature_axis,
)

# heat state (cushion.names.HEAT_STATE_NAMES index) -> band colour and legend text
STATE_COLOURS = {1: ("#f6c88f", "warming"), 2: ("#b9e3b0", "holding"),
                 3: ("#f4a3a3", "fault (heater held off)")}
SERVICE_COLOUR = "#cccccc"
MARKED_EVENTS = {
    "fault": "#c0392b", "auto_off": "#1f3b73", "auto_off_warning": "#7f8fb3",
    "dose_limit": "#8e44ad", "cleared": "#16a085", "crash": "#000000", "boot": "#555555",
}
STEP_COLOUR = "#444444"
STEP_LINE = (0, (2, 3))  # dotted


def write_csv(trace, path):
    """Write the trace as CSV: a header row (the trace's keys, in row order; any key that
    appears only in later rows is added at the end), then one row per tick. Floats are
    written with 4 decimals. Returns the number of data rows."""
    if not trace:
        raise ValueError("empty trace: make the Simulation with record=True and run it")
    fields = list(trace[0])
    seen = set(fields)
    for row in trace:
        if len(row) != len(fields) or any(k not in seen for k in row):
            for k in row:
                if k not in seen:
                    seen.add(k)
                    fields.append(k)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for row in trace:
            w.writerow(["%.4f" % v if isinstance(v, float) else v
                        for v in (row.get(k, "") for k in fields)])
    return len(trace)


def plot_run(trace, events, path, title="", tick_ms=50, steps=()):
    """Draw one run to a PNG at `path`. `steps` are the scenario's steps as
    `(applied_s, text)`, marked on the time axis. Returns the path."""
    run_figure(trace, events, title, tick_ms, steps).savefig(path, format="png")
    return path


def run_figure(trace, events, title="", tick_ms=50, steps=()):
    """The run's picture as a matplotlib Figure on an Agg canvas (see plot_run)."""
    if not trace:
        raise ValueError("empty trace: make the Simulation with record=True and run it")
    k = rows_per_point(len(trace), tick_ms)
    d = decimate(trace, k)
    t_end = d["t"][-1]
    steps = list(steps)
    show_supply = supply_shown(trace, steps)

    fig = Figure(figsize=(14, 10.5 if show_supply else 9.5), dpi=100)
    FigureCanvasAgg(fig)
    ratios = [3, 1.2, 1.3, 1.3] + ([1.2] if show_supply else [])
    axes = fig.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    ax1, axd, axh, axm = axes[:4]

    shaded = _state_bands(axes, trace, tick_ms)
    _temperatures(ax1, d)
    _sensor_lag(axd, d)
    _duties(axh, axm, d)
    if show_supply:
        _supply(axes[4], trace, k)
    axes[-1].set_xlabel("simulated time (s)")
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlim(0, t_end)
    _event_markers(axes, events)
    _step_markers(axes, steps, t_end)
    _legends(axes, shaded, steps)
    step = "1 point per %g s" % (k * tick_ms / 1000)
    fig.suptitle((title + "\n" if title else "") + "simulated cushion, %.0f s, %s"
                 % (t_end, step), fontsize=10)
    fig.tight_layout()
    return fig


def _state_bands(axes, trace, tick_ms):
    """The heat state as shaded bands on every panel, from full-resolution rows; returns the
    codes it shaded (for the legend)."""
    used = set()
    for a, b, code in state_spans(trace, tick_ms):
        if code == "service":
            colour = SERVICE_COLOUR
        elif code in STATE_COLOURS:
            colour = STATE_COLOURS[code][0]
        else:
            continue  # heat off: no band
        used.add(code)
        for ax in axes:
            ax.axvspan(a, b, color=colour, alpha=0.45, lw=0, zorder=0)
    return used


def _temperatures(ax1, d):
    t = d["t"]
    ax1.plot(t, d["pad"], color="black", lw=1.8, label="pad surface (truth)")
    ax1.plot(t, d["sa"], color="#1f77b4", lw=0.9, ls=":", label="where sensor A is (truth)")
    ax1.plot(t, d["sb"], color="#2ca02c", lw=0.9, ls=":", label="where sensor B is (truth)")
    ax1.plot(t, d["fa"], color="#1f77b4", lw=1.1, label="sensor A as the firmware reads it")
    ax1.plot(t, d["fb"], color="#2ca02c", lw=1.1, ls="--",
             label="sensor B as the firmware reads it")
    ax1.plot(t, d["sp"], color="#d62728", lw=1.2, drawstyle="steps-post", label="set-point")
    ax1.axhline(OVERHEAT_C, color="#d62728", lw=0.8, ls=":",
                label="overheat cut-off %g C" % OVERHEAT_C)
    ylim, off = temperature_axis(d)
    ax1.set_ylim(*ylim)
    if off:
        ax1.text(0.01, 0.02, "a firmware reading is off scale: %.0f .. %.0f C"
                 % (min(off), max(off)), transform=ax1.transAxes, fontsize=8,
                 color="#7f0000")
    ax1.set_ylabel("temperature (C)")


def _sensor_lag(axd, d):
    """The sensors against the pad: on the top panel they lie on one line, here they part."""
    for key, colour, ls, label in (("fa", "#1f77b4", "-", "sensor A read minus pad"),
                                   ("fb", "#2ca02c", "--", "sensor B read minus pad")):
        axd.plot(d["t"], sensor_lag(d[key], d["pad"]), color=colour, lw=1.0, ls=ls,
                 label=label)
    axd.axhline(0, color="black", lw=0.6)
    axd.set_ylabel("sensor lag (C)")


def _duties(axh, axm, d):
    """Each on its own panel, so that the massage never hides the heater."""
    t = d["t"]
    axh.fill_between(t, d["hd_lo"], d["hd_hi"], color="#ff7f0e", alpha=0.25, lw=0,
                     label="heater min..max per point")
    axh.plot(t, d["hd"], color="#ff7f0e", lw=1.2, label="heater delivered (mean)")
    axh.plot(t, d["hc"], color="#8c4a00", lw=0.8, ls="--", label="heater commanded (mean)")
    axm.fill_between(t, d["md_lo"], d["md_hi"], color="#9467bd", alpha=0.25, lw=0,
                     label="motor min..max per point")
    axm.plot(t, d["md"], color="#9467bd", lw=1.0, label="motor delivered (mean)")
    for ax, name in ((axh, "heater (%)"), (axm, "motor (%)")):
        ax.set(ylim=(-3, 110), yticks=[0, 50, 100], ylabel=name)


def _supply(axs, trace, k):
    axs.plot([r["t_ms"] / 1000 for r in trace[::k]], [r["vin_v"] for r in trace[::k]],
             color="#555555", lw=1.0, label="supply at the board (V)")
    axs.axhspan(*SUPPLY_WINDOW_V, color="#dddddd", alpha=0.5, lw=0,
                label="supply window %g..%g V" % SUPPLY_WINDOW_V)
    axs.set_ylabel("supply (V)")


def _event_markers(axes, events):
    """A vertical line on every panel per marked event, labelled on the top panel."""
    ax1 = axes[0]
    for ev in events:
        name = ev.get("event")
        if name not in MARKED_EVENTS or (name == "boot" and ev.get("sim_s", 0) == 0):
            continue
        x = ev.get("sim_s", 0.0)
        colour = MARKED_EVENTS[name]
        for ax in axes:
            ax.axvline(x, color=colour, lw=1.0, ls="-." if name == "auto_off_warning" else "-")
        ax1.annotate("%s %.1f s" % (event_label(ev), x), xy=(x, 0.985),
                     xycoords=ax1.get_xaxis_transform(), xytext=(-2, 0),
                     textcoords="offset points", rotation=90, va="top", ha="right",
                     fontsize=8, color=colour)


def _step_markers(axes, steps, t_end):
    """The scenario's steps: dotted lines, labelled along the bottom of the top panel."""
    ax1 = axes[0]
    for x, texts in step_marks(steps, t_end):
        for ax in axes:
            ax.axvline(x, color=STEP_COLOUR, lw=0.7, ls=STEP_LINE)
        ax1.annotate("%s, %.0f s" % ("; ".join(texts), x), xy=(x, 0.02),
                     xycoords=ax1.get_xaxis_transform(),
                     xytext=(2, 0), textcoords="offset points", rotation=90, va="bottom",
                     ha="left", fontsize=7, color=STEP_COLOUR)


def _legends(axes, shaded, steps):
    """Outside the axes, on the right: nothing of the data hides behind them. The top one
    also explains the shading and the step lines."""
    ax1 = axes[0]
    handles, labels = ax1.get_legend_handles_labels()
    handles.append(Patch(facecolor="white", edgecolor="#999999", lw=0.5))
    labels.append("heat state: off (no shading)")
    for code in (1, 2, 3):
        if code in shaded:
            handles.append(Patch(color=STATE_COLOURS[code][0], alpha=0.45))
            labels.append("heat state: " + STATE_COLOURS[code][1])
    if "service" in shaded:
        handles.append(Patch(color=SERVICE_COLOUR, alpha=0.45))
        labels.append("service (REPL)")
    if steps:
        handles.append(Line2D([], [], color=STEP_COLOUR, lw=0.7, ls=STEP_LINE))
        labels.append("scenario step")
    ax1.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
               borderaxespad=0)
    for ax in axes[1:]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
