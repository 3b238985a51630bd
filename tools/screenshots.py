"""Screenshots of the simulator page at 1280, 768 and 390 pixels wide, in light and dark mode.

    .venv/bin/python tools/screenshots.py [--out DIR] [--full-page]
    .venv/bin/python tools/screenshots.py --docs     # the few small ones in docs/screenshots

Starts the server on a free port, opens a few telling moments (the handshake
at 1.5 RTT, a SYN dying on the wire, an attacker's RST) in Debian's chromium
and writes one PNG per moment, width and colour scheme.  For looking at the
page, not for tests: nothing is compared.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDTHS = (1280, 768, 390)
HEIGHTS = {1280: 860, 768: 1024, 390: 844}
# (moment, width, scheme, height): the first screen only, to keep each PNG small enough to commit.
DOCS_SET = [
    ("handshake", 1280, "light", 620),
    ("teardown", 1280, "dark", 620),
    ("syn-lost", 768, "light", 760),
    ("handshake", 390, "dark", 844),
]
MOMENTS = {
    "handshake": "/?scenario=handshake&step=3",
    "teardown": "/?scenario=handshake&step=9",
    "syn-lost": "/?scenario=syn_lost&step=1",
    "attack": "/?scenario=in_window_attacks&step=8",
}


def start_server() -> tuple[subprocess.Popen, str]:
    code = "from synack.web.server import serve; serve('127.0.0.1', 0, open_browser=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the server did not start: {line.strip()}")
    return proc, match.group(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/synack-screenshots", help="directory for the PNGs")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not only the first screen")
    parser.add_argument("--moments", default=",".join(MOMENTS), help="which of: " + ", ".join(MOMENTS))
    parser.add_argument("--docs", action="store_true", help="write the small set kept in docs/screenshots")
    args = parser.parse_args()
    if args.docs:
        args.out = str(ROOT / "docs" / "screenshots")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    proc, base = start_server()
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            shots = DOCS_SET if args.docs else [
                (name, width, scheme, HEIGHTS[width])
                for scheme in ("light", "dark") for width in WIDTHS for name in args.moments.split(",")
            ]
            for name, width, scheme, height in shots:
                # Reduced motion: the page jumps straight to the moment instead of animating to it.
                context = browser.new_context(viewport={"width": width, "height": height},
                                              color_scheme=scheme, reduced_motion="reduce")
                page = context.new_page()
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(base + MOMENTS[name])
                page.get_by_role("button", name="Back", exact=True).wait_for()
                page.locator("#ladder li").first.wait_for()
                path = out / f"{name}-{width}-{scheme}.png"
                page.screenshot(path=str(path), full_page=args.full_page)
                print(f"{path} ({path.stat().st_size // 1024} KB)")
                context.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if problems:
        raise SystemExit("console errors: " + "; ".join(problems))


if __name__ == "__main__":
    main()
