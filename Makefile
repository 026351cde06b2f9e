# regoffice — the two commands a newcomer needs:
#
#   make demo   install into .venv and serve the demo on http://127.0.0.1:8000
#   make test   install into .venv (with test tools) and run the test suite
#
# Everything else (lint, bench, clean) is optional. Only python3 (3.11+) with the venv
# module is needed; nothing is installed outside .venv and no sudo is used.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Test workers (pytest-xdist); extra pytest options, e.g. make test PYTEST_ARGS='-k cases -x'.
WORKERS ?= 2
PYTEST_ARGS ?=

# Stamps record what was installed; they are redone when pyproject.toml changes.
STAMP_APP := $(VENV)/.installed-app
STAMP_TEST := $(VENV)/.installed-test

.PHONY: help demo serve test lint bench clean distclean install install-test browser libreoffice i18n

help:
	@echo "make demo    install and serve the demo (SQLite, demo users and cases) on http://$(HOST):$(PORT)"
	@echo "make test    install with test tools and run the tests (pytest -n $(WORKERS))"
	@echo "make lint    ruff check"
	@echo "make bench   run the benchmarks (bench/run_all.sh)"
	@echo "make clean   remove caches and build files;  make distclean  also .venv and instance/"

# --- the virtualenv -------------------------------------------------------------------------
$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11+" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "error: regoffice needs Python 3.11+, $(PYTHON) is $$($(PYTHON) -V 2>&1)" >&2; exit 1; }
	@echo ">>> creating $(VENV) with $$($(PYTHON) -V 2>&1)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2; exit 1; }
	$(PIP) install --quiet --upgrade pip setuptools wheel

$(STAMP_APP): pyproject.toml | $(PY)
	@echo ">>> installing regoffice into $(VENV)"
	$(PIP) install --quiet -e .
	@touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	@echo ">>> installing regoffice with test tools into $(VENV)"
	$(PIP) install --quiet -e '.[test]'
	@$(PY) -c 'import xdist' 2>/dev/null || { echo "error: pytest-xdist missing from the [test] extra" >&2; exit 1; }
	@touch $@ $(STAMP_APP)

install: $(STAMP_APP)
install-test: $(STAMP_TEST) browser libreoffice

# --- the two commands -----------------------------------------------------------------------
# Migrates, deploys workflows/, seeds demo users/students/cases, prints logins, then serves.
demo: $(STAMP_APP)
	$(VENV)/bin/regoffice demo --host $(HOST) --port $(PORT)

# The same server without demo data (development server; production uses gunicorn).
serve: $(STAMP_APP)
	$(VENV)/bin/regoffice serve --host $(HOST) --port $(PORT)

# Exit codes pass through: any failure, and pytest's 5 ("no tests collected"), fail make.
test: $(STAMP_TEST) browser libreoffice
	$(PY) -m pytest -q -n $(WORKERS) $(PYTEST_ARGS) || { status=$$?; \
	  [ $$status -ne 5 ] || echo "error: pytest collected no tests (exit 5)" >&2; exit $$status; }

# Browser tests (tests/e2e) drive Debian's Chromium with Playwright (never its own browser
# download). When it is missing and we may (root, apt-get), it is installed from Debian's
# packages; otherwise the browser tests skip and say why.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo ">>> installing Debian's chromium for the browser tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq chromium >/dev/null 2>&1 || \
	      { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	      echo "note: could not install chromium: browser tests will be skipped" >&2; \
	  else \
	    echo "note: $(CHROMIUM) missing (sudo apt-get install chromium): browser tests will be skipped" >&2; \
	  fi; \
	fi

# Issued documents get their PDF from LibreOffice (server/documents/pdf.py): Debian's Writer
# without a GUI, and python3-uno for the warm converter. Installed like chromium above when
# missing and we may; otherwise the PDF tests skip and say why (documents are still issued).
SOFFICE ?= soffice
libreoffice:
	@if ! command -v $(SOFFICE) >/dev/null || ! /usr/bin/python3 -c 'import uno' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo ">>> installing Debian's libreoffice-writer-nogui and python3-uno for the PDF tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq libreoffice-writer-nogui python3-uno >/dev/null 2>&1 || \
	      { apt-get update -qq && apt-get install -y -qq libreoffice-writer-nogui python3-uno >/dev/null; } || \
	      echo "note: could not install LibreOffice: the PDF tests will be skipped" >&2; \
	  else \
	    echo "note: LibreOffice or python3-uno missing (sudo apt-get install libreoffice-writer-nogui python3-uno): the PDF tests will be skipped" >&2; \
	  fi; \
	fi

# --- the rest -------------------------------------------------------------------------------
# After changing a user-visible string: extract, merge, translate the new entries, then compile.
# Two catalogs (gettext domains) in server/web/translations/<lang>/LC_MESSAGES:
#   messages.po  the staff UI's own texts: English msgids (gettext/_), translated to ru, kk, en;
#   errors.po    the services' messages: Russian msgids (the error classes and tr() of
#                server/services/errors.py are the keywords), translated to kk and en.
# tests/integration/test_error_messages.py reads ERROR_KEYWORDS from here.
ERROR_KEYWORDS := tr DomainError NotFound Forbidden Conflict Invalid ModelRejected Unavailable SignInFailed InvalidIIN:2
ERROR_LOCALES := kk en
i18n: $(STAMP_TEST)
	@mkdir -p build
	$(VENV)/bin/pybabel extract -F server/web/babel.cfg -k _ -k gettext --no-location --omit-header \
	  -o build/messages.pot .
	$(VENV)/bin/pybabel update -i build/messages.pot -d server/web/translations --ignore-pot-creation-date --no-fuzzy-matching
	$(VENV)/bin/pybabel extract -F server/web/babel_errors.cfg --no-default-keywords \
	  $(addprefix -k ,$(ERROR_KEYWORDS)) --no-location --omit-header -o build/errors.pot .
	for lang in $(ERROR_LOCALES); do \
	  $(VENV)/bin/pybabel update -D errors -l $$lang --init-missing -i build/errors.pot -d server/web/translations \
	    --ignore-pot-creation-date --no-fuzzy-matching; \
	done
	$(VENV)/bin/pybabel compile -D "messages errors" -d server/web/translations

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check .

bench: $(STAMP_TEST)
	@if [ ! -f bench/run_all.sh ]; then \
	  echo "error: bench/run_all.sh not found: no benchmarks to run yet" >&2; exit 1; fi
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash bench/run_all.sh

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache bench/results $(STAMP_APP) $(STAMP_TEST)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

# Also removes the virtualenv and instance/ (the demo database and its secret key).
distclean: clean
	rm -rf $(VENV) instance
