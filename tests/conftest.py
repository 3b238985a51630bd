"""Settings shared by every test module.

Hypothesis's per-example deadline is a timing check, and timing belongs in
``bench/``: on a loaded machine it fails tests whose logic is sound.  Every
property runs without it; the number of examples stays each test's own.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("synack", deadline=None)
settings.load_profile("synack")


# The page tests' server and browser, one of each for the whole session.  They live here, not in a
# test module, so that every module that drives the page shares them: a second sync_playwright()
# started while the first one runs fails.

@pytest.fixture(scope="session")
def base_url():
    """`synack serve` on a free port (port 0: the kernel picks one, the server prints its URL)."""
    code = "from synack.web.server import serve; serve('127.0.0.1', 0, open_browser=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parent.parent)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        proc.kill()
        pytest.fail(f"the server did not start: {line}{proc.stderr.read()}")
    yield match.group(0).rstrip("/")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from test_web_browser import CHROMIUM, CHROMIUM_ARGS, playwright_sync

    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def console():
    """The console of the pages a test opens; any error or warning fails the test."""
    from test_web_browser import Console

    watched = Console()
    yield watched
    assert watched.problems == [], "the console had errors"


@pytest.fixture
def page(browser, console):
    """A fresh page with reduced motion, its console watched, closed after the test."""
    from test_web_browser import new_page

    p = new_page(browser, console)
    yield p
    p.context.close()
