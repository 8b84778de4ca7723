"""The one CSV format of `cushion watch --csv` and `cushion run --csv` (docs/csv.md).

A header row, then one row per sample: `time_s` (seconds from the first sample), then the
telemetry fields of cushion.schema.STATUS_FIELDS in their wire units (C, %, V, s, names,
`True`/`False`, empty for none).  A run on the simulator has a sample per 50 ms tick and adds
the simulator's physical truth after them (TRUTH_FIELDS); the few telemetry fields its trace
does not record (intensity, remaining_s, vin, dose_cem43, dose_capped, uptime_ms) are empty
there.
"""

import csv

import hal_sim  # noqa: F401  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.schema import HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES, STATUS_FIELDS
from .errors import UsageError, check_output_path

CSV_FIELDS = ("time_s",) + STATUS_FIELDS
# The simulator's truth (hal_sim trace columns): pad surface and where the two thermistors
# physically are (C), the heater and motor duty really delivered (0..1), the supply (V).
TRUTH_FIELDS = ("pad_c", "sensor_a_c", "sensor_b_c", "heater_duty", "motor_duty", "vin_v",
                "motor_current_a")


def check_csv_path(path):
    """A usage error now, before any work, for a CSV file that could not be written later."""
    check_output_path(path, "CSV", (".csv",))


class CsvLog:
    """Rows written (and flushed) as they come, so a capture cut short keeps what it had."""

    def __init__(self, path, fields=CSV_FIELDS):
        try:
            self.file = open(path, "w", newline="")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}")
        self.writer = csv.DictWriter(self.file, fieldnames=fields, extrasaction="ignore")
        self.writer.writeheader()
        self.file.flush()

    def write(self, row):
        self.writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        self.file.flush()

    def close(self):
        self.file.close()


def sample_of(row):
    """A hal_sim trace row (t_ms, centi-C, per-mille, indices) in the telemetry's units."""
    from hal_sim.scenario import row_state
    service = row["fault"] == "service"
    return {
        "time_s": row["t_ms"] / 1000, "state": row_state(row),
        "heat": LEVEL_NAMES[row["heat"]], "heat_state": HEAT_STATE_NAMES[row["heat_state"]],
        "massage": MODE_NAMES[row["massage"]],
        "temp_c": None if service else row["temp_c100"] / 100,
        "temp2_c": None if service else row["temp2_c100"] / 100,
        "setpoint_c": row["setpoint_c100"] / 100,
        "heater_pct": row["heater_permille"] / 10, "motor_pct": row["motor_permille"] / 10,
        "supply_paused": bool(row["supply_paused"]),
        "fault": None if service else (row["fault"] or None),
        **{k: round(row[k], 4) for k in TRUTH_FIELDS},
    }


def write_trace(trace, path):
    """Write a simulated run's trace in this format; returns the number of rows."""
    log = CsvLog(path, CSV_FIELDS + TRUTH_FIELDS)
    try:
        for row in trace:
            log.write(sample_of(row))
    finally:
        log.close()
    return len(trace)


def _cell(text):
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


def rewrite_trace_csv(path):
    """Turn the simulator's tick-level CSV at `path` (hal_sim.plot.write_csv: t_ms, centi-C,
    per-mille, as the scenario runner writes it) into this format, in place; returns the
    number of rows."""
    with open(path, newline="") as f:
        trace = [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(f)]
    return write_trace(trace, path)
