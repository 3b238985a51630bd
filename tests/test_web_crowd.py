"""The crowd on the page, end to end in chromium: each crowd scenario plays with its ladder, notes and plot.

Uses the server, browser and console fixtures of tests/test_web_browser.py.
"""

from __future__ import annotations

import pytest

from test_web_browser import CHROMIUM, base_url, browser, console, expect, new_page, page  # noqa: F401

pytestmark = [pytest.mark.browser]

CROWD_SCENARIOS = {
    "syn_flood": ("cookies=off", "server SYN queue", "legit_success_rate"),
    "time_wait_exhaustion": ("", "proxy TIME_WAIT", "first_failure_s"),
    "close_wait_leak": ("", "server CLOSE_WAIT", "leaked_sockets"),
    "half_open": ("reboot_after=30s", "client ESTABLISHED", "error"),
    "syn_cookies": ("", "server cookies sent", None),
    "time_wait": ("", "server TIME_WAIT", None),
}


@pytest.mark.parametrize("name", sorted(CROWD_SCENARIOS))
def test_crowd_scenario_plays_with_ladder_notes_and_plot(page, base_url, name):  # noqa: F811
    query, legend, figure = CROWD_SCENARIOS[name]
    page.goto(f"{base_url}/?scenario={name}{'&' + query if query else ''}")
    card = page.locator("#crowd-card")
    page.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
    assert card.is_visible()
    assert page.locator("#crowd-plot canvas").count() >= 1
    assert legend in page.locator("#crowd-card .u-legend").inner_text()
    if figure is not None:
        assert page.locator(f'.crowd-figure[data-key="{figure}"] dd').inner_text().strip()
    # The featured connection plays as the ladder, with its notes.
    assert page.locator("#ladder li").count() >= 1
    page.locator("#btn-step").click()
    assert page.locator("#position").inner_text().startswith("Step 1 of")
    assert page.locator("#note").inner_text().strip()


def test_syn_flood_figures_change_with_the_cookies_control(page, base_url):  # noqa: F811
    page.goto(f"{base_url}/?scenario=syn_flood&cookies=off")
    page.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
    rate = page.locator('.crowd-figure[data-key="legit_success_rate"] dd')
    assert rate.inner_text() == "0"
    # The chart marks the moment of the ladder's step: the first real client's SYN leaves at 5 s.
    page.locator("#btn-step").click()
    expect(page.locator("#crowd-card")).to_have_attribute("data-mark-us", "5000000")
    page.locator("select[name=cookies]").select_option("on")
    expect(rate).to_have_text("1", timeout=30_000)  # the page's CSP forbids wait_for_function's eval


def test_other_lessons_hide_the_crowd_and_never_load_the_chart(browser, base_url, console):  # noqa: F811
    p = new_page(browser, console)
    loaded = []
    p.on("response", lambda r: loaded.append((r.url, len(r.body()) if r.ok else 0)))
    try:
        p.goto(f"{base_url}/?scenario=handshake")
        p.wait_for_selector("#ladder li")
        assert p.locator("#crowd-card").is_hidden()
        assert not any("uPlot" in url for url, _ in loaded)
        p.goto(f"{base_url}/?scenario=syn_flood")
        p.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
        page_bytes = sum(n for url, n in loaded if "/api/" not in url)
        assert any("uPlot" in url for url, _ in loaded)
        assert page_bytes < 200_000  # the whole page, chart library included, runs excluded
    finally:
        p.context.close()


def test_exported_crowd_page_draws_its_chart_offline(browser, console, base_url, tmp_path):  # noqa: F811
    import json
    from urllib.request import urlopen

    from synack.web.export import export_html

    with urlopen(f"{base_url}/api/run?scenario=close_wait_leak") as r:
        trace = json.load(r)
    path = tmp_path / "leak.html"
    export_html(trace, path)
    p = new_page(browser, console)
    requests = []
    p.on("request", lambda r: requests.append(r.url))
    try:
        p.goto(path.as_uri())
        p.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
        assert "server CLOSE_WAIT" in p.locator("#crowd-card .u-legend").inner_text()
        assert p.locator('.crowd-figure[data-key="leaked_sockets"] dd').inner_text() == "10"
        assert all(url.startswith("file:") or url.startswith("data:") for url in requests), requests
    finally:
        p.context.close()
