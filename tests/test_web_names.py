"""The page's "State names" picker: the boxes, notes, capture list and charts spell states as netstat or ss do.

The page keeps its own copy of the spellings (``static/statenames.js``); the
first test holds it equal to ``synack/trace/names.py``, which the terminal's
``--names`` uses.  The browser tests drive Debian's chromium, like
``tests/test_web_browser.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from synack.trace.names import STYLES

STATIC = Path(__file__).resolve().parent.parent / "synack" / "web" / "static"


def test_the_page_spells_states_as_the_terminal_does():
    source = (STATIC / "statenames.js").read_text(encoding="utf-8")
    table = re.search(r"export const STATE_NAMES = (\{.*?\n\});", source, re.DOTALL)
    assert table is not None
    assert json.loads(table.group(1)) == STYLES
    options = re.findall(r'<option value="(\w+)"', (STATIC / "index.html").read_text(encoding="utf-8")
                         .split('id="names"', 1)[1].split("</select>", 1)[0])
    assert options == list(STYLES)


CHROMIUM = "/usr/bin/chromium"  # as tests/test_web_browser.py drives it


def browser(test):
    """A test that drives chromium: left out of ``make check``, skipped where chromium is missing."""
    needs = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make test installs it)")
    return pytest.mark.browser(needs(test))


def _browser_helpers():
    pytest.importorskip("playwright.sync_api")
    import test_web_browser as web

    return web


@browser
def test_netstat_names_on_the_boxes_and_in_the_link(page, base_url):
    web = _browser_helpers()
    page.goto(f"{base_url}/?scenario=handshake&step=1")
    web.expect(web.server(page)).to_contain_text("SYN_RECEIVED")
    page.get_by_label("State names").select_option("netstat")
    web.expect(web.server(page)).to_contain_text("SYN_RECV")
    web.expect(web.server(page)).not_to_contain_text("SYN_RECEIVED")
    # Styling follows the engine's name, whatever the spelling.
    web.expect(page.locator("#host-b-state")).to_have_attribute("data-state", "SYN_RECEIVED")
    assert "names=netstat" in page.url
    page.reload()
    web.expect(page.get_by_label("State names")).to_have_value("netstat")
    web.expect(web.server(page)).to_contain_text("SYN_RECV")
    web.button(page, "Step").click()
    web.expect(web.client(page)).to_contain_text("ESTABLISHED")
    web.button(page, "Step").click()
    web.expect(web.server(page)).to_contain_text("ESTABLISHED")
    web.expect(web.server(page)).to_contain_text("was SYN_RECV")


@browser
def test_ss_names_in_the_note_and_the_time_wait_countdown(page, base_url):
    web = _browser_helpers()
    page.goto(f"{base_url}/?scenario=handshake&names=ss")
    web.expect(page.locator("#note")).to_contain_text("Client is UNCONN, Server is LISTEN")
    page.goto(f"{base_url}/?scenario=handshake&names=ss&step=9")
    web.expect(web.client(page)).to_contain_text("TIME-WAIT")
    # The countdown hangs off TIME_WAIT, however it is spelled.
    web.expect(web.client(page)).to_contain_text(re.compile(r"s left of 60 s"))
    web.expect(page.locator("#note")).not_to_contain_text("TIME_WAIT")
    page.get_by_label("State names").select_option("synack")
    web.expect(web.client(page)).to_contain_text("TIME_WAIT")
    assert "names=" not in page.url


@browser
def test_an_unknown_spelling_falls_back_quietly(page, base_url):
    web = _browser_helpers()
    page.goto(f"{base_url}/?scenario=handshake&names=klingon&step=1")
    web.expect(page.get_by_label("State names")).to_have_value("synack")
    web.expect(web.server(page)).to_contain_text("SYN_RECEIVED")


@browser
def test_the_crowd_chart_follows_the_spelling(page, base_url):
    web = _browser_helpers()
    page.goto(f"{base_url}/?scenario=time_wait&names=ss")
    page.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
    legend = page.locator("#crowd-card .u-legend")
    web.expect(legend).to_contain_text("server TIME-WAIT")
    page.get_by_label("State names").select_option("netstat")
    page.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
    web.expect(page.locator("#crowd-card .u-legend")).to_contain_text("server TIME_WAIT")
    web.expect(page.locator("#crowd-plot")).to_have_attribute("aria-label", re.compile(r"server TIME_WAIT peaks"))


@browser
def test_an_open_capture_lists_and_plays_in_the_chosen_spelling(page, base_url):
    web = _browser_helpers()
    page.goto(f"{base_url}/?names=ss")
    web.expect(web.button(page, "Step")).to_be_enabled()
    page.set_input_files("#capture-file", str(Path(__file__).parent / "fixtures" / "replay" / "macos_fast_open.pcap"))
    connections = page.get_by_role("list", name="Connections in the capture").get_by_role("button")
    web.expect(connections).to_have_count(2)
    web.expect(connections.nth(0)).to_contain_text("TIME-WAIT / UNCONN")
    web.button(page, "Step").click()
    web.expect(web.server(page)).to_contain_text("SYN-RECV")
    page.get_by_label("State names").select_option("synack")
    web.expect(connections.nth(0)).to_contain_text("TIME_WAIT / CLOSED")
    web.expect(web.server(page)).to_contain_text("SYN_RECEIVED")
