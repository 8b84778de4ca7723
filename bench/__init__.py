"""Benchmarks for the cushion firmware, simulator and CLI (`python -m bench`, `make bench`).

They print a table and write bench/results.md, bench/results.json and
bench/README_section.md. Figures are measured on every run (nothing is hard-coded), all in
one run on one machine; timings are medians of several runs. Benchmarks report figures and
PASS/MISS against the targets of issue 6; tests never assert wall-clock times.

Modules: control (ours, peers, pad variations), safety (fault detection, cut-off latency),
speed (simulator on CPython), vm (MicroPython unix port: memory, allocation, tick time,
speed), cli (host tool latency), report (targets, table, files).
"""
