"""Settings and fixtures shared by every test module.

Hypothesis's per-example deadline is a timing check, and timing belongs in
``bench/``: on a loaded machine it fails tests whose logic is sound.  Every
property runs without it; the number of examples stays each test's own.

The page tests of several modules (the player, captures, packetdrill scripts)
share one server and one chromium: session fixtures defined here exist once,
where a fixture imported into two modules would start Playwright twice, which
its sync API refuses.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

settings.register_profile("synack", deadline=None)
settings.load_profile("synack")


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
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
