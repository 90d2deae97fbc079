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
	@# Optional system packages (Debian, as root): poppler-utils for PNG previews,
	@# libharfbuzz-subset0 so WeasyPrint subsets fonts in C (about 0.3 s less a packet).
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && command -v dpkg >/dev/null; then \
		missing=""; \
		command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
		dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || missing="$$missing libharfbuzz-subset0"; \
		if [ -n "$$missing" ]; then \
			(apt-get install -y -qq $$missing >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $$missing >/dev/null 2>&1)) \
			|| echo "note: could not install$$missing (optional)"; \
		fi; \
	fi
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/handouts demo

test: $(STAMP)
	$(BIN)/ruff check handouts tests bench
	$(BIN)/mypy handouts
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check handouts tests
	$(BIN)/mypy handouts

bench: $(STAMP)
	$(BIN)/python bench/batch.py

clean:
	rm -rf $(VENV) output build dist *.egg-info
