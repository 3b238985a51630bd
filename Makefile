# Two commands: `make run` and `make test`. Everything lands in .venv inside the
# checkout; Debian packages the tests need are installed with apt-get when missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check lint setup system-deps bench clean

run: $(STAMP)
	$(VENV)/bin/synack serve

test: $(STAMP) system-deps lint
	$(PY) -m pytest

# The quick loop: lint and every test that needs neither a browser nor root.
check: $(STAMP) lint
	$(PY) -m pytest -q -m "not browser and not root"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,fast]'
	touch $(STAMP)

# chromium drives the page tests, tshark checks our pcaps, tcpdump records Linux.
system-deps:
	@bash tools/system-deps.sh

bench: $(STAMP)
	$(PY) tools/build_fast.py
	$(PY) bench/lifecycles.py
	$(PY) bench/kernel_lifecycles.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
