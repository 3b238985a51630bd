"""The lessons on the page, end to end in chromium: each plays with its ladder, notes, controls and figures.

Uses the server, browser and page fixtures of ``test_web_browser``.
"""

from __future__ import annotations

import re

import pytest

from test_web_browser import base_url, browser, button, console, expect, ladder_items, page, pytestmark  # noqa: F401

# scenario, heading, figure rows that must show on the page with the default settings
LESSONS = [
    ("setup_tax", "The setup tax", [("ttfb_rtt › tcp+tls1.2", "4"), ("ttfb_rtt › quic-0rtt", "1"),
                                    ("ttfb_ms › tcp+tls1.3", "300")]),
    ("fast_open", "TCP Fast Open", [("answer_rtt", "2, 1"), ("data_in_syn_acked", "no, yes")]),
    ("rst_injection", "Blind RST injection", [("guesses_full_space_before_rfc5961", "65,536"),
                                              ("connection_reset", "no")]),
    ("isn_prediction", "ISN prediction", [("prediction_error", "0"), ("handshake_completed", "yes")]),
    ("pmtud_blackhole", "Path MTU discovery", [("server_mss", "1,348"), ("icmp_messages", "2")]),
    ("options_negotiation", "Options negotiation", [("agreed › window_scale › server_shift", "10"),
                                                    ("ceiling_unscaled_mbit_s", "5.24")]),
    ("defer_accept", "TCP_DEFER_ACCEPT", [("bare_acks_dropped", "2"), ("scanner_woke_application", "no")]),
]


def figure(page, name):
    return page.locator("#figures tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))


@pytest.mark.parametrize("name, heading, rows", LESSONS, ids=[lesson[0] for lesson in LESSONS])
def test_lesson_plays_with_ladder_notes_and_figures(page, base_url, name, heading, rows):
    page.goto(f"{base_url}/?scenario={name}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.locator("#explanation")).not_to_be_empty()
    expect(page.locator("#figures-card")).to_be_visible()
    for key, value in rows:
        expect(figure(page, key).locator("td")).to_have_text(value)
    assert ladder_items(page).count() > 0
    total = int(re.search(r"of (\d+)", page.locator("#position").inner_text()).group(1))
    for k in range(1, min(total, 4) + 1):
        button(page, "Step").click()
        expect(page.locator("#position")).to_have_text(f"Step {k} of {total}")
        expect(page.locator("#note")).to_have_text(re.compile(r"\w.*[.)]$"))


def test_parameters_change_the_lesson(page, base_url):
    page.goto(f"{base_url}/?scenario=rst_injection")
    expect(figure(page, "connection_reset").locator("td")).to_have_text("no")
    page.get_by_label("rfc5961", exact=True).uncheck()
    expect(figure(page, "connection_reset").locator("td")).to_have_text("yes")
    assert "rfc5961=false" in page.url

    page.get_by_label("Scenario", exact=True).select_option("pmtud_blackhole")
    page.get_by_label("icmp", exact=True).select_option("blocked")
    expect(figure(page, "answer_complete").locator("td")).to_have_text("no")
    page.get_by_label("mss clamp", exact=True).check()
    expect(figure(page, "answer_complete").locator("td")).to_have_text("yes")
    expect(figure(page, "mss_server_learned_from_syn").locator("td")).to_have_text("1,360")

    page.get_by_label("Scenario", exact=True).select_option("setup_tax")
    rtt = page.get_by_label("RTT", exact=True)
    rtt.fill("20ms")
    rtt.press("Enter")
    expect(figure(page, "ttfb_ms › tcp+tls1.2").locator("td")).to_have_text("80")


@pytest.mark.parametrize("name, heading, words", [
    ("keepalive", "Keep-alive probes", "keep-alive probe"),
    ("simultaneous_open", "Simultaneous open", "SYN_SENT"),
    ("simultaneous_close", "Simultaneous close", "FIN"),
])
def test_core_lessons_are_in_the_picker_with_their_explanations(page, base_url, name, heading, words):
    page.goto(f"{base_url}/")
    expect(button(page, "Step")).to_be_enabled()  # the catalog is in
    page.get_by_label("Scenario", exact=True).select_option(name)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page).to_have_url(re.compile(f"scenario={name}"))
    expect(page.locator("#explanation")).to_contain_text(words)
    expect(ladder_items(page).first).to_be_visible()
    expect(page.locator("#figures-card")).to_be_hidden()  # these measure nothing of their own


def test_setup_tax_lists_the_quic_datagrams(page, base_url):
    page.goto(f"{base_url}/?scenario=setup_tax")
    table = page.locator("#datagrams")
    expect(table).to_be_visible()
    rows = page.locator("#datagram-rows tr")
    expect(rows.first).to_contain_text("Initial[ClientHello]")
    expect(rows.first).to_contain_text("1200 B")
    expect(rows.filter(has_text="0-RTT[request]")).to_have_count(1)
