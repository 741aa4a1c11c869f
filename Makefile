# watchtower — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml
PYTEST_ARGS ?=

.PHONY: install run once demo schema test lint typecheck bench clean

$(BIN)/watchtower: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/watchtower ## create .venv and install watchtower with test tools

run: install ## start the daemon on $(CONFIG) (embedded SQLite next to the config)
	$(BIN)/watchtower run --config $(CONFIG)

once: install ## poll every source once, deliver, exit
	$(BIN)/watchtower run --once --config $(CONFIG)

demo: install ## offline demo: bundled French sample feeds, temporary database, console output
	$(BIN)/watchtower demo

schema: install ## write watchtower.schema.json for editors (see README, "Editor support")
	$(BIN)/watchtower schema --output watchtower.schema.json

test: install ## install test dependencies (Dovecot, …) and run every test
	bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check watchtower tests benchmarks
	$(BIN)/ruff format --check watchtower

typecheck: install
	$(BIN)/mypy watchtower

bench: install ## run every benchmark (JSON lines, ratios against same-run baselines)
	@for b in benchmarks/[a-z]*.py; do echo "# $$b" >&2; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
