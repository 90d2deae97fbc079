# The two commands of the README: `make demo` and `make test`. Both create the virtual
# environment and install the project (with its test tools) when missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@if ! command -v pdftoppm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -qq poppler-utils >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null 2>&1)) || echo "note: poppler-utils not installed (optional, for PNG previews)"; \
	fi
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/handouts demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check handouts tests
	$(BIN)/mypy handouts

bench: $(STAMP)
	$(BIN)/python bench/batch.py

clean:
	rm -rf $(VENV) output build dist *.egg-info
