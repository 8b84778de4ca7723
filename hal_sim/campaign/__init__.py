"""Fault-injection campaigns: randomized sessions over the plant envelope, on Dask.

    cushion campaign campaigns/example.toml --sessions 2000 --out build/campaign
    cushion campaign --replay SEED --out build/campaign

spec (the TOML file, validated), rules (which protection must catch which fault), session
(draw, run and judge one session from its seed), results (the JSON-lines file: resume,
dedup), runner (Dask), stats and report (the markdown page and its plots), cli. CPython
only. The format and the judging are in docs/campaigns.md.
"""
