"""Run a campaign's missing sessions on Dask distributed and stream the rows to disk.

With no scheduler address, a LocalCluster of worker processes (one thread each, one per core
unless told) is started on 127.0.0.1 with its dashboard off, and stopped at the end. With an
address (tcp://HOST:PORT) the campaign runs on that existing cluster, whose workers must be
able to import hal_sim (the same checkout or package).

Sessions go to the cluster in a sliding window (a few per worker), so a million-session
campaign never holds a million futures; each row is written as soon as its session finishes
(as_completed). A worker that dies takes its running tasks with it: the scheduler runs them
again elsewhere, and `retries` covers a task that erred; a row that arrives twice is written
once (ResultsDir.add keys by seed).
"""

import logging
import os
import sys
import time
from itertools import islice

from hal_sim.campaign.session import run_seed
from hal_sim.campaign.spec import spec_hash

RETRIES = 2
PER_WORKER = 4  # tasks in flight per worker: enough to hide the round trip, little to lose


class CampaignError(Exception):
    """The cluster could not be reached or started."""


class Progress:
    """A tqdm bar on a terminal; otherwise a plain line every 10 % (and at the end)."""

    def __init__(self, total, stream=None):
        self.total, self.done, self.bad = total, 0, 0
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self._next = 0.1
        self.bar = None
        if self.stream.isatty() and total:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="session", file=self.stream, dynamic_ncols=True)

    def update(self, row):
        self.done += 1
        self.bad += row.get("verdict") != "ok"
        if self.bar is not None:
            self.bar.set_postfix(not_ok=self.bad, refresh=False)
            self.bar.update(1)
        elif self.done >= self._next * self.total or self.done == self.total:
            self._next = (self.done * 10 // self.total + 1) / 10
            rate = self.done / max(time.perf_counter() - self.t0, 1e-9)
            self.stream.write("campaign: %d/%d sessions, %d not ok, %.1f sessions/s\n"
                              % (self.done, self.total, self.bad, rate))
            self.stream.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _client(workers, scheduler):
    from distributed import Client, LocalCluster
    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as e:
            raise CampaignError("cannot reach the Dask scheduler at %s: %s" % (scheduler, e))
    n = workers or os.cpu_count() or 1
    try:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
    except Exception as e:  # noqa: BLE001 - Dask raises RuntimeError, OSError, ...
        raise CampaignError("cannot start a local Dask cluster: %s" % e)
    return Client(cluster), cluster


def run_missing(spec, seeds, results, workers=None, scheduler=None, stream=None):
    """Run every seed of `seeds` that `results` lacks; returns a dict of figures: ran,
    skipped, lost (sessions whose task failed for good), wall_s, sessions_per_s, workers."""
    todo = [s for s in seeds if s not in results.rows]
    figures = {"ran": 0, "skipped": len(seeds) - len(todo), "lost": [], "wall_s": 0.0,
               "sessions_per_s": None, "workers": 0}
    if not todo:
        return figures
    from distributed import as_completed
    client, cluster = _client(workers, scheduler)
    progress = Progress(len(todo), stream)
    prefix = "cushion-session-%s-" % spec_hash(spec)
    try:
        n_workers = len(client.nthreads()) or (workers or 1)
        figures["workers"] = n_workers
        t0 = time.perf_counter()
        pending = iter(todo)
        ac = as_completed()

        def submit(seed):
            ac.add(client.submit(run_seed, spec, seed, key=prefix + str(seed), pure=False,
                                 retries=RETRIES))

        for seed in islice(pending, PER_WORKER * max(sum(client.nthreads().values()), 1)):
            submit(seed)
        for fut in ac:
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001 - e.g. KilledWorker after its retries
                figures["lost"].append((int(fut.key[len(prefix):]), repr(e)))
            else:
                if results.add(row):
                    figures["ran"] += 1
                progress.update(row)
            fut.release()
            seed = next(pending, None)
            if seed is not None:
                submit(seed)
        figures["wall_s"] = time.perf_counter() - t0
        figures["sessions_per_s"] = figures["ran"] / max(figures["wall_s"], 1e-9)
    finally:
        progress.close()
        results.close()
        client.close()
        if cluster is not None:
            cluster.close()
    return figures
