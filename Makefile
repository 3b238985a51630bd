# Two commands: `make run` and `make test`. Everything lands in .venv inside the
# checkout; Debian packages the tests need are installed with apt-get when missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# pip install compiles synack/tcp and synack/sim with mypyc when a C compiler is present (setup.py).
# A build is used only while it matches the sources (synack/compiled.py); `make build` redoes a stale one.
# The engine, simulator and scenario tests run on both builds: compiled, then SYNACK_PURE=1.
ENGINE_TESTS := tests/test_engine.py tests/test_reliability.py tests/test_state_machine.py \
	tests/test_state_input_pairs.py tests/test_seq.py tests/test_golden_wire.py tests/test_linux_profile.py \
	tests/test_scenarios.py tests/test_compiled_build.py

.PHONY: run test check lint build setup system-deps bench clean

run: $(STAMP)
	$(VENV)/bin/synack serve

test: $(STAMP) build system-deps lint
	$(PY) -m pytest
	SYNACK_PURE=1 $(PY) -m pytest -q $(ENGINE_TESTS)

# The quick loop: lint and every test that needs neither a browser nor root.
check: $(STAMP) lint
	$(PY) -m pytest -q -m "not browser and not root"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

setup: $(STAMP)

build: $(STAMP)
	@$(PY) -c "import sys; from synack.compiled import build_is_fresh; sys.exit(not build_is_fresh())" \
		|| $(PY) -m pip install --quiet --no-deps -e .

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# chromium drives the page tests, tshark checks our pcaps, tcpdump records Linux.
system-deps:
	@bash tools/system-deps.sh

bench: $(STAMP) build
	$(VENV)/bin/synack bench lifecycles
	$(PY) bench/syn_flood.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build synack/_compiled_hash.txt
	find synack -name '*.so' -delete
