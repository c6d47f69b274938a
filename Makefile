# The two commands of the README's Quick start: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run tour test lint system venv bench clean

system:
	./scripts/install-system-packages.sh

$(BIN)/pep-docs: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/pep-docs

run: system venv
	./scripts/demo.sh

tour: system venv
	./scripts/tour.sh

lint: venv
	$(BIN)/ruff check pep_docs tests benchmarks scripts
	$(BIN)/ruff format --check pep_docs tests benchmarks scripts

test: system venv lint
	$(BIN)/pytest

bench: system venv
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
