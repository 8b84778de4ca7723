"""Campaign throughput: the same SESSIONS sessions of campaigns/example.toml (campaign seed
SEED) on a local Dask cluster of 1 and of 2 worker processes; sessions_per_s is the number of
sessions over the wall time from the first submission to the last row written (the cluster's
start and stop are not counted), scaling_efficiency = rate on 2 / (2 x rate on 1). Both runs
give identical rows (a session is its seed), which the bench checks.
"""

import tempfile

import hal_sim  # noqa: F401 - the firmware's `micropython` shim
from bench.common import ROOT
from hal_sim.campaign.results import ResultsDir
from hal_sim.campaign.runner import run_missing
from hal_sim.campaign.session import session_seeds
from hal_sim.campaign.spec import load_spec

SPEC = ROOT / "campaigns" / "example.toml"
SESSIONS = 120
SEED = 7
WORKERS = (1, 2)


def _run(spec, seeds, workers):
    with tempfile.TemporaryDirectory() as out:
        results = ResultsDir(out)
        results.claim(spec)
        fig = run_missing(spec, seeds, results, workers=workers, stream=_Quiet())
        return fig, results.rows


class _Quiet:
    def isatty(self):
        return False

    def write(self, _text):
        pass

    def flush(self):
        pass


def run():
    spec = load_spec(SPEC)
    spec["seed"], spec["sessions"] = SEED, None
    seeds = session_seeds(SEED, SESSIONS)
    rates, rows, wall = {}, {}, {}
    for n in WORKERS:
        fig, rows[n] = _run(spec, seeds, n)
        rates[str(n)] = fig["sessions_per_s"]
        wall[str(n)] = fig["wall_s"]
    same = rows[1] == rows[2]
    return {"sessions_per_s": rates,
            "scaling_efficiency": rates["2"] / (2 * rates["1"]),
            "sessions": SESSIONS, "wall_s": wall, "same_rows_on_1_and_2": same,
            "spec": str(SPEC.relative_to(ROOT))}


def markdown(c):
    """The results.md section."""
    return ["## Campaign scaling (Dask distributed)", "",
            "%d sessions of %s on a local cluster: %.2f sessions/s on 1 worker, %.2f on 2 "
            "(scaling efficiency %.2f; rows identical on both: %s)."
            % (c["sessions"], c["spec"], c["sessions_per_s"]["1"], c["sessions_per_s"]["2"],
               c["scaling_efficiency"], "yes" if c["same_rows_on_1_and_2"] else "NO"), ""]


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=1))
