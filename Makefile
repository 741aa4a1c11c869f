# watchtower — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Empty: `make run` starts the daemon on bundled sample feeds served from this
# machine (works offline). `make run CONFIG=watchtower.toml`: on your config.
CONFIG ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: install run once demo schema test lint typecheck bench clean

$(BIN)/watchtower: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "watchtower needs Python 3.11 or later; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "Name another one: make run PYTHON=python3.12" >&2; exit 2; }
	@echo "Installing watchtower and its dependencies in $(VENV) (the first time: a minute or two)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/watchtower ## create .venv and install watchtower with test tools

run: install ## start the daemon (sample feeds offline, or CONFIG=…) on embedded SQLite
ifeq ($(CONFIG),)
	$(BIN)/watchtower demo
else
	$(BIN)/watchtower run --config $(CONFIG)
endif

once: install ## poll every source of CONFIG once, deliver, exit
ifeq ($(CONFIG),)
	@echo "make once needs CONFIG=your.toml ($(BIN)/watchtower init writes the documented example to watchtower.toml; replace its placeholder sources)" >&2; exit 2
else
	$(BIN)/watchtower run --once --config $(CONFIG)
endif

demo: install ## offline demo: bundled French sample feeds, temporary database, console output
	$(BIN)/watchtower demo

schema: install ## write watchtower.schema.json for editors (see README, "Editor support")
	$(BIN)/watchtower schema --output watchtower.schema.json

test: install ## install test dependencies (Dovecot, …) and run every test
	bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check watchtower tests benchmarks scripts
	$(BIN)/ruff format --check watchtower

typecheck: install
	$(BIN)/mypy watchtower

bench: install ## run every benchmark (JSON lines, ratios against same-run baselines)
	@for b in benchmarks/[a-z]*.py; do echo "# $$b" >&2; $(BIN)/python $$b $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
