# The README's commands. `make run` and `make test` create .venv/ first when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Rules call the `killipose` command: put the project's environment first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("killipose needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	@# pip compiles the bytecode on one core; compileall on all of them (40 s less on 2).
	@# Like pip, it passes over files that are not this Python's (torch ships a 3.12 one).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -e '.[dev,formats]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(STAMP)

# run.json: the wall time of the workflow and the report, and how many steps ran (make bench
# reads it; a run with nothing left to do records its few seconds too, with its 0 steps).
run: setup
	@mkdir -p results/benchmarks && touch results/benchmarks/.run-start
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores all && $(BIN)/snakemake --report results/report.html && \
	steps=$$(find results/benchmarks -name '*.tsv' -newer results/benchmarks/.run-start | wc -l) && \
	printf '{"seconds": %d, "steps": %d, "commit": "%s", "date": "%s", "cores": %d}\n' \
	  $$(( $$(date +%s) - start )) $$steps "$$(git rev-parse --short HEAD 2>/dev/null)" \
	  "$$(date -u +%FT%TZ)" $$(nproc) > results/benchmarks/run.json
	@echo "report: results/report.html"

test: lint
	$(BIN)/python -m pytest -n auto --dist worksteal --durations=25

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	@# Every lint fails the build except the advice to give each rule a conda env or
	@# container, which does not apply to a pip-installed project (see STYLE).
	@out=$$($(BIN)/snakemake --lint --cores 1 2>&1); status=$$?; \
	other=$$(echo "$$out" | grep '^ *\* ' | grep -v 'Specify a conda environment or container'); \
	if [ -n "$$other" ] || ! echo "$$out" | grep -q 'Lints for rule\|Congratulations'; then \
	  echo "$$out"; exit 1; fi; \
	echo "snakemake --lint: no lints but the conda/container advice (exit $$status)"

bench: setup
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/trackers.py

clean:
	rm -rf results .snakemake
