# Two commands: `make run` and `make test`. Everything lands in .venv inside the
# checkout; Debian packages the tests need are installed with apt-get when missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup system-deps bench clean

run: $(STAMP)
	$(VENV)/bin/synack serve

test: $(STAMP) system-deps
	$(PY) -m pytest

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
