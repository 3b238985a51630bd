# Two commands: `make run` and `make test`. Everything lands in .venv inside the
# checkout; Debian packages the tests need are installed with apt-get when missing.
# `make run` installs only what running needs; `make test` adds the test tools.

PYTHON ?= python3
PORT ?= 8765
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test check lint setup system-deps bench clean

run: $(RUN_STAMP)
	$(VENV)/bin/synack serve --port $(PORT)

test: system-deps $(STAMP) lint
	$(PY) -m pytest

# The quick loop: lint and every test that needs neither a browser nor root.
check: $(STAMP) lint
	$(PY) -m pytest -q -m "not browser and not root"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

setup: $(STAMP)

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "make: synack needs Python 3.11 or newer as '$(PYTHON)' (make PYTHON=python3.12 picks another)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "make: '$(PYTHON) -m venv' failed; on Debian or Ubuntu install python3-venv (sudo apt-get install python3-venv)." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
endef

$(RUN_STAMP): pyproject.toml
	$(make_venv)
	$(PY) -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	$(make_venv)
	$(PY) -m pip install --quiet -e '.[test,fast]'
	touch $(STAMP) $(RUN_STAMP)

# chromium drives the page tests, tshark checks our pcaps, tcpdump records Linux,
# nodejs runs the page's model tests, iproute2 makes network namespaces.
system-deps:
	@bash tools/system-deps.sh

bench: $(STAMP)
	$(PY) tools/build_fast.py
	$(PY) bench/lifecycles.py
	$(PY) bench/kernel_lifecycles.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
