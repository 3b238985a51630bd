"""How fast the simulator page is in Debian's chromium, against a real server on loopback.

    .venv/bin/python bench/page_speed.py [--loads 10] [--steps 8]

Prints, and ends with one JSON line:
  - nav_to_step_ms: navigation start to the Step button enabled with a run
    loaded (the page's own "synack:ready" mark), median over fresh loads;
  - click_to_frame_ms: a click on Step (the event's timestamp) to the first
    requestAnimationFrame callback of the packet's animation (the page's
    "synack:first-frame" mark), median and worst;
  - long_tasks / fps: PerformanceObserver "longtask" entries, frame rate and
    the longest gap between frames while the whole handshake plays;
  - asset_kb: bytes of the page and everything it loads, the run's JSON apart.
A figure to read, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Runs in the page (page.evaluate goes through DevTools, so the page's CSP does not apply).
WATCH_FRAMES = """() => {
  window.__bench = { frames: [], longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push(e.duration);
  }).observe({ type: "longtask", buffered: false });
  const tick = (t) => { window.__bench.frames.push(t); if (!window.__bench.stop) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""
WATCH_CLICK = """() => {
  document.getElementById("btn-step").addEventListener("click",
    (e) => { window.__clickAt = e.timeStamp; }, { capture: true });
}"""
FIRST_FRAME_AFTER_CLICK = """() => {
  const marks = performance.getEntriesByName("synack:first-frame");
  const last = marks[marks.length - 1];
  return last && window.__clickAt !== undefined && last.startTime >= window.__clickAt
    ? last.startTime - window.__clickAt : null;
}"""


def start_server() -> tuple[subprocess.Popen, str]:
    code = "from synack.web.server import serve; serve('127.0.0.1', 0, open_browser=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    if not match:
        proc.kill()
        raise SystemExit("the server did not start")
    return proc, match.group(0)


def wait_for(page, script: str, timeout_s: float = 10.0):
    # Polls with evaluate: wait_for_function would need eval, which the page's CSP forbids.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value is not None:
            return value
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {script}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=10, help="page loads to time")
    parser.add_argument("--steps", type=int, default=8, help="Step clicks to time")
    args = parser.parse_args()
    proc, base = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            sizes: dict[str, int] = {}
            # Later loads revalidate (304, no body); the first load's 200s carry the bytes.
            page.on("response", lambda r: sizes.__setitem__(r.url, int(r.headers.get("content-length", 0)))
                    if r.status == 200 else None)

            # Navigation to a usable Step button; the first load also warms the server's run cache.
            ready = []
            for i in range(args.loads + 1):
                page.goto(f"{base}/?scenario=handshake", wait_until="commit")
                at = wait_for(page, "() => { const m = performance.getEntriesByName('synack:ready')[0];"
                                    " return m && !document.getElementById('btn-step').disabled"
                                    " ? m.startTime : null; }")
                if i:
                    ready.append(at)
            page.wait_for_load_state("networkidle")
            asset_bytes = sum(n for url, n in sizes.items() if "/api/" not in url)

            # Click on Step to the first frame of the animation.
            page.evaluate(WATCH_CLICK)
            click_ms = []
            for _ in range(args.steps):
                page.get_by_role("button", name="Step", exact=True).click()
                click_ms.append(wait_for(page, FIRST_FRAME_AFTER_CLICK))
                page.wait_for_timeout(300)
            page.get_by_role("button", name="Reset", exact=True).click()

            # The whole handshake playing at 2x: frames and long tasks.
            page.select_option("#speed", "2")
            page.evaluate(WATCH_FRAMES)
            page.get_by_role("button", name="Play", exact=True).click()
            page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)
            page.evaluate("() => { window.__bench.stop = true; }")
            frames = page.evaluate("() => window.__bench.frames")
            long_tasks = page.evaluate("() => window.__bench.longTasks")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    gaps = [b - a for a, b in itertools.pairwise(frames)]
    seconds = (frames[-1] - frames[0]) / 1000
    result = {
        "nav_to_step_ms": round(statistics.median(ready), 1),
        "nav_to_step_ms_max": round(max(ready), 1),
        "click_to_frame_ms": round(statistics.median(click_ms), 1),
        "click_to_frame_ms_max": round(max(click_ms), 1),
        "play_seconds": round(seconds, 2),
        "fps": round(len(gaps) / seconds, 1),
        "longest_frame_gap_ms": round(max(gaps), 1),
        "frames_over_20ms": sum(g > 20 for g in gaps),
        "long_tasks": len(long_tasks),
        "long_task_ms_max": round(max(long_tasks), 1) if long_tasks else 0,
        "asset_kb": round(asset_bytes / 1024, 1),
        "page_errors": len(errors),
    }
    print(f"navigation to a usable Step: median {result['nav_to_step_ms']} ms over {len(ready)} loads "
          f"(worst {result['nav_to_step_ms_max']} ms)")
    print(f"click on Step to first animation frame: median {result['click_to_frame_ms']} ms "
          f"(worst {result['click_to_frame_ms_max']} ms)")
    print(f"playing the handshake at 2x for {result['play_seconds']} s: {result['fps']} fps, longest frame gap "
          f"{result['longest_frame_gap_ms']} ms, {result['long_tasks']} long tasks")
    print(f"page assets: {result['asset_kb']} KB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
