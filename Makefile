# Cushion toolchain. Fresh machine: `make setup` then `make test`.
# Everything Python runs from .venv/bin; node tools from node_modules/.bin.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
BUILD   := build
TYPINGS := $(BUILD)/typings

# Board stubs for pyright, matched to the board's MicroPython 1.27.0 (and their stdlib part).
# The rp2 (Pico) stubs check all of firmware/ (firmware/pyrightconfig.json) except
# boards/esp32.py, which is checked against the ESP32 stubs (tools/pyright-esp32.json).
STUBS_VERSION  := 1.27.0.post1
STDLIB_STUBS   := micropython-stdlib-stubs==1.27.0.post2
STUBS          := micropython-rp2-rpi-pico-stubs==$(STUBS_VERSION) $(STDLIB_STUBS)
STUBS_ESP32    := micropython-esp32-esp32_generic-stubs==$(STUBS_VERSION) $(STDLIB_STUBS)
TYPINGS_ESP32  := $(BUILD)/typings-esp32

# Stamps live inside what they vouch for: deleting .venv, node_modules or build/ redoes that part.
VENV_STAMP    := $(VENV)/.cushion-setup.stamp
NODE_STAMP    := node_modules/.cushion-setup.stamp
TYPINGS_STAMP := $(TYPINGS)/.stubs-$(STUBS_VERSION).stamp
ESP32_STAMP   := $(TYPINGS_ESP32)/.stubs-$(STUBS_VERSION).stamp

LINT_PATHS = $(wildcard firmware hal_sim hal_emu host tests bench tools)

# Two workers on the 2-core machines; `make test PYTEST_WORKERS=0` runs in one process.
# loadgroup: a module marked xdist_group runs on one worker, so its module fixture (the
# wheel build in tests/test_wheel.py) is made once, not once per worker.
PYTEST_WORKERS ?= 2
PYTEST_ARGS    ?=
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

.PHONY: setup lint fix typecheck mpy test test-full test-slow test-emu test-mutants demo bench \
	campaign flash _need-port clean distclean

setup: $(VENV_STAMP) $(NODE_STAMP) $(TYPINGS_STAMP) $(ESP32_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(TYPINGS_STAMP): | $(BIN)/python
	rm -rf $(TYPINGS)
	$(BIN)/python -m pip install --quiet --target $(TYPINGS) $(STUBS)
	touch $@

$(ESP32_STAMP): | $(BIN)/python
	rm -rf $(TYPINGS_ESP32)
	$(BIN)/python -m pip install --quiet --target $(TYPINGS_ESP32) $(STUBS_ESP32)
	touch $@

lint: $(VENV_STAMP)
	$(BIN)/ruff check $(LINT_PATHS)

# `make fix` applies ruff's safe fixes; review the diff.
fix: $(VENV_STAMP)
	$(BIN)/ruff check --fix $(LINT_PATHS)

typecheck: $(NODE_STAMP) $(TYPINGS_STAMP) $(ESP32_STAMP)
	node_modules/.bin/pyright -p firmware/pyrightconfig.json
	if [ -f firmware/boards/esp32.py ]; then node_modules/.bin/pyright -p tools/pyright-esp32.json; fi

mpy: $(VENV_STAMP)
	$(BIN)/python -m host.mpybuild

# pytest's own exit code is the recipe's: 5 ("no tests ran") fails the build.
test: setup lint typecheck mpy
	$(PYTEST)

test-full: setup lint typecheck mpy
	$(PYTEST) -m ""

# Only the tests marked slow (the whole fault matrix, long property and fuzz runs); CI runs
# them after `make test`, which keeps the README's command quick.
# The slow tests but the long chip scenarios (chip_long, in make test-emu): CI's 30 minutes.
test-slow: setup
	$(PYTEST) -m "slow and not chip_long"

# Every test on the emulated chip, the slow ones too (needs $$MICROPYTHON_RP2_UF2:
# docs/emulator.md); `make test` runs the quick ones, `make test-slow` the rest but the long
# chip scenarios (chip_long), which only this runs.
test-emu: setup
	$(PYTEST) -m emu

# Each protection switched off in turn (tools/mutants.py): some test must go red for every one;
# prints the table protection -> the test that caught it.
test-mutants: setup
	$(BIN)/python -m tools.mutants

demo: setup
	$(BIN)/python -m hal_sim.demo

bench: setup
	$(BIN)/python -m bench

# The example campaign (docs/campaigns.md): 2,000 sessions on a local Dask cluster, one worker
# per core; writes docs/campaign-report.md and its plots. A rerun resumes (finished sessions
# are kept in CAMPAIGN_OUT); after a change to the spec, delete CAMPAIGN_OUT first.
CAMPAIGN_OUT ?= build/campaign/example
campaign: setup
	$(BIN)/cushion campaign campaigns/example.toml --sessions 2000 --out $(CAMPAIGN_OUT) \
		--report docs/campaign-report.md

flash: _need-port setup mpy
	$(BIN)/cushion --port $(PORT) flash

_need-port:
	@test -n "$(PORT)" || { echo "usage: make flash PORT=/dev/ttyACM0 (or any pyserial URL)" >&2; exit 2; }

clean:
	rm -rf $(BUILD) .pytest_cache .hypothesis .ruff_cache *.egg-info firmware/*.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -not -path './node_modules/*' \
		-prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
