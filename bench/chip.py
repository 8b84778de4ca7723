"""The shipped firmware on the real MicroPython rp2 port in the emulated RP2040 (hal_emu).

Tick CPU time: the core's busy cycles (executing, not waiting in WFE/WFI) between two
watchdog feeds, at 125 MHz. The loop feeds once per tick, so this is one tick's work plus
the interrupts (USB) served meanwhile; rp2040js models no flash wait states or cache misses,
so a chip takes somewhat longer. Cases: idle, heat high + wave massage, and idle with
`telemetry on 100`; 20 s of emulated time each, no other traffic. Heap: gc.mem_free() on the
board after the HAL and the Controller were made (a bench-only main.py in the same image),
and the time of one gc.collect() then, and of one before anything was imported (a
collection marks the live objects, scanning each word by word, and sweeps the whole heap;
it runs when an allocation finds the heap full).
Flash: the bytes of the shipped files and the littlefs blocks they take. Boot: emulated time
from power-on to the first reply to `info`, requested from the first instant.

    python -m bench.chip      # the figures, also written to bench/results.json key "chip"
"""

import json
import statistics
import sys

from bench.common import ROOT

TICK_PERIOD_US = 50_000
CASE_S = 20.0
HEAP_PROBE = b"""import gc
import time
gc.collect()
t0 = time.ticks_us()
gc.collect()
empty = time.ticks_diff(time.ticks_us(), t0)
from boards import make_hal
from cushion.controller import Controller
hal = make_hal()
ctl = Controller(hal, "pico")
gc.collect()
free = gc.mem_free()
live = gc.mem_alloc()
t0 = time.ticks_us()
gc.collect()
pause = time.ticks_diff(time.ticks_us(), t0)
print('{"event": "heap", "free": %d, "live": %d, "gc_us": %d, "gc_empty_us": %d}'
      % (free, live, pause, empty))
hal.wdt_start(8000)
"""


def _tick_costs(board, seconds):
    n = len(board.feeds)
    board.run(seconds)
    return [busy for _t, busy in board.feeds[n + 1:]]  # from the first whole interval


def _case(uf2, files, commands):
    from hal_emu import EmulatedBoard
    with EmulatedBoard(uf2=uf2, files=files) as b:
        for c in commands:
            b.command(c)
        b.run(2.0)  # past the soft start and the first telemetry lines
        us = _tick_costs(b, CASE_S)
    return {"median": round(statistics.median(us)), "max": round(max(us)), "ticks": len(us)}


def _heap(uf2, files):
    from hal_emu import EmulatedBoard
    probe = dict(files, **{"/main.py": HEAP_PROBE})
    with EmulatedBoard(uf2=uf2, files=probe, wait_boot=False) as b:
        b.run_until(lambda x: any(e["event"] == "heap" for e in x.events), 10.0)
        return next(e for e in b.events if e["event"] == "heap")


def _boot_to_reply(uf2, files):
    from hal_emu import EmulatedBoard
    with EmulatedBoard(uf2=uf2, files=files, wait_boot=False) as b:
        b.serial_in(b"#1 info\n")  # the firmware's first read takes it
        b.run_until(lambda x: x.replies, 10.0)
        return round(b.replies[0]["sim_s"], 3)


def _flash_bytes(files):
    from hal_emu import image
    fs = image.littlefs_image(files)
    blocks = sum(1 for i in range(0, len(fs), image.FS_BLOCK_SIZE)
                 if fs[i:i + image.FS_BLOCK_SIZE].strip(b"\xff"))
    return sum(len(v) for v in files.values()), blocks * image.FS_BLOCK_SIZE


def run():
    from hal_emu import image
    try:
        uf2 = image.uf2_path()
    except image.ImageError as exc:
        return {"skipped": str(exc)}
    files = image.shipped_files()
    cases = {
        "idle": _case(uf2, files, []),
        "heat_high_wave": _case(uf2, files, ["heat high", "massage wave 2"]),
        "telemetry_100ms": _case(uf2, files, ["telemetry on 100"]),
    }
    shipped, fs_used = _flash_bytes(files)
    heap = _heap(uf2, files)
    return {
        "tick_period_us": TICK_PERIOD_US,
        "tick_us_median": {k: v["median"] for k, v in cases.items()},
        "tick_us_max": {k: v["max"] for k, v in cases.items()},
        "ticks_measured": {k: v["ticks"] for k, v in cases.items()},
        "heap_free_after_boot_bytes": heap["free"],
        "heap_live_after_boot_bytes": heap["live"],
        "gc_collect_us": heap["gc_us"],
        "gc_collect_empty_us": heap["gc_empty_us"],
        "flash_bytes": shipped,
        "flash_fs_used_bytes": fs_used,
        "boot_to_reply_s": _boot_to_reply(uf2, files),
        "method": " ".join(__doc__.split("\n\n")[1].split()),
    }


def main():
    res = run()
    print(json.dumps(res, indent=1, sort_keys=True))
    path = ROOT / "bench" / "results.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data["chip"] = res
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
