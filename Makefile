# Two commands: `make run` and `make test`. Everything lands in .venv inside the
# checkout; Debian packages the tests need are installed with apt-get when missing.
# `make run` installs only what running needs; `make test` adds the test tools.

PYTHON ?= python3
PORT ?= 8765
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

# pip install compiles synack/tcp and synack/sim with mypyc when a C compiler is present (setup.py).
# A build is used only while it matches the sources (synack/compiled.py); `make build` redoes a stale one.
# The engine, simulator and scenario tests run on both builds: compiled, then SYNACK_PURE=1.
ENGINE_TESTS := tests/test_engine.py tests/test_reliability.py tests/test_state_machine.py \
	tests/test_state_input_pairs.py tests/test_seq.py tests/test_golden_wire.py tests/test_linux_profile.py \
	tests/test_scenarios.py tests/test_compiled_build.py tests/test_isn_hashes.py

.PHONY: run test check lint build setup system-deps bench clean

run: $(RUN_STAMP)
	$(VENV)/bin/synack serve --port $(PORT)

test: system-deps $(STAMP) build lint
	$(PY) -m pytest
	SYNACK_PURE=1 $(PY) -m pytest -q $(ENGINE_TESTS)

# The quick loop: lint and every test that needs neither a browser nor root.
check: $(STAMP) lint
	$(PY) -m pytest -q -m "not browser and not root"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/vulture

setup: $(STAMP)

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "make: synack needs Python 3.11 or newer as '$(PYTHON)' (make PYTHON=python3.12 picks another)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "make: '$(PYTHON) -m venv' failed; on Debian or Ubuntu install python3-venv (sudo apt-get install python3-venv)." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
endef

build: $(STAMP)
	@$(PY) -c "import sys; from synack.compiled import build_is_fresh; sys.exit(not build_is_fresh())" \
		|| $(PY) -m pip install --quiet --no-deps -e .

$(RUN_STAMP): pyproject.toml setup.py
	$(make_venv)
	$(PY) -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml setup.py
	$(make_venv)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(RUN_STAMP)

# chromium drives the page tests, tshark checks our pcaps, tcpdump records Linux,
# nodejs runs the page's model tests, iproute2 makes network namespaces.
system-deps:
	@bash tools/system-deps.sh

bench: $(STAMP) build
	$(VENV)/bin/synack bench lifecycles --repeat 7
	$(VENV)/bin/synack bench lifecycles --pure --repeat 7
	$(PY) bench/syn_flood.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build synack/_compiled_hash.txt
	find synack -name '*.so' -delete
