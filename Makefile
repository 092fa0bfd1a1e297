# The two commands a newcomer needs: `make run` and `make test`. Each sets up .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLES := $(sort $(wildcard examples/*.json))

.PHONY: run test lint typecheck unit bench clean schema

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## run: assess the bundled synthetic example cases and print each decision
run: $(STAMP)
	@for f in $(EXAMPLES); do \
		echo "=== $$f"; \
		$(BIN)/prevent-ig assess "$$f" --config examples/engine-config.yaml || exit $$?; \
		echo; \
	done

## test: lint, type-check and run the whole test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## bench: the benchmarks (kept out of `make test` and CI)
bench: $(STAMP)
	$(BIN)/python bench/assess.py

## schema: refresh the committed JSON Schemas after changing the contract models
schema: $(STAMP)
	$(BIN)/prevent-ig schema > docs/schema/assessment.schema.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
