# krosbl: two commands on a fresh machine.
#   make reproduce   installs krosbl and runs the paper's IRS-MIMO experiment on built-in defaults
#   make test        installs krosbl with its test tools and runs lint, types, the import layers,
#                    tests and the docs build
#   make test-quick  the tests without those marked slow (for development; make test runs them all)
# and, for the whole paper (every experiment at its trial counts; README.md gives the time):
#   make reproduce-paper
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install reproduce reproduce-paper test test-quick lint docs docs-full clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $(STAMP)

install: $(STAMP)

reproduce: $(STAMP)
	$(BIN)/krosbl run irs-snr

reproduce-paper: $(STAMP)
	$(BIN)/krosbl run all --paper

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest
	$(MAKE) docs

test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html -D plot_gallery=0 docs docs/_build/html

docs-full: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build docs/generated docs/auto_examples
