"""A campaign's results directory: the spec it belongs to and one JSON line per session.

    OUT/campaign.json    {"spec_hash": ..., "spec": {...}}: written once, checked on rerun
    OUT/results.jsonl    one row per finished session, keyed by "seed", appended and flushed
                         as results arrive
    OUT/runs.jsonl       one line per run that ran sessions: how many, where, how long

A rerun with the same spec and OUT skips the seeds already in the file (an interrupted
campaign resumes); a different spec is refused rather than mixed in. Rows are deduplicated
by seed on reading and on writing (a retried task can deliver a session twice). A line cut
short by a kill is dropped when the file is opened again.
"""

import json
import os

from hal_sim.campaign.spec import SpecError, spec_hash

META = "campaign.json"
ROWS = "results.jsonl"
RUNS = "runs.jsonl"


class ResultsDir:
    def __init__(self, path):
        self.path = path
        self.meta_path = os.path.join(path, META)
        self.rows_path = os.path.join(path, ROWS)
        self.runs_path = os.path.join(path, RUNS)
        self.rows = {}  # seed -> row
        self._file = None

    # -- the spec ----------------------------------------------------------------------
    def read_spec(self):
        """The spec stored by the campaign that made this directory (for --replay)."""
        try:
            with open(self.meta_path) as f:
                return json.load(f)["spec"]
        except FileNotFoundError:
            raise SpecError("%s: no campaign here (no %s); run the campaign first"
                            % (self.path, META))
        except (OSError, ValueError, KeyError) as e:
            raise SpecError("%s: unreadable: %s" % (self.meta_path, e))

    def claim(self, spec):
        """Make OUT this spec's directory, or check that it already is."""
        h = spec_hash(spec)
        if os.path.exists(self.meta_path):
            try:
                with open(self.meta_path) as f:
                    old = json.load(f).get("spec_hash")
            except (OSError, ValueError) as e:
                raise SpecError("%s: unreadable: %s" % (self.meta_path, e))
            if old != h:
                raise SpecError("%s holds results of another spec (hash %s, this one %s); "
                                "use another --out or delete it" % (self.path, old, h))
            return h
        os.makedirs(self.path, exist_ok=True)
        tmp = self.meta_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"spec_hash": h, "spec": spec}, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.meta_path)
        return h

    # -- the rows ----------------------------------------------------------------------
    def load(self):
        """Read every complete row; a torn last line (a kill mid-write) is cut off."""
        self.rows = {}
        try:
            with open(self.rows_path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return self.rows
        end = data.rfind(b"\n") + 1
        if end < len(data):
            with open(self.rows_path, "r+b") as f:
                f.truncate(end)
        for line in data[:end].splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("seed"), int):
                self.rows.setdefault(row["seed"], row)
        return self.rows

    def add(self, row):
        """Append one row (once per seed) and flush it to disk; False for a duplicate."""
        if row["seed"] in self.rows:
            return False
        if self._file is None:
            os.makedirs(self.path, exist_ok=True)
            self._file = open(self.rows_path, "a")
        self._file.write(json.dumps(row, sort_keys=True) + "\n")
        self._file.flush()
        self.rows[row["seed"]] = row
        return True

    def log_run(self, figures):
        with open(self.runs_path, "a") as f:
            f.write(json.dumps(figures, sort_keys=True) + "\n")

    def runs(self):
        try:
            with open(self.runs_path) as f:
                return [json.loads(x) for x in f if x.strip()]
        except (OSError, ValueError):
            return []

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None
