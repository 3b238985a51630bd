"""The page end to end: Playwright drives Debian's chromium against a real server in a subprocess.

Every test collects the console and page errors and fails on any; most run
with reduced motion (the page jumps instead of animating, so checks are
quick), and the animation tests run with motion on.  These are the only
tests that use the wall clock, as STYLE.md allows for the server and page.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make test installs it)"),
]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect


class Console:
    """Console errors and warnings, and uncaught exceptions, of every page a test opens."""

    # Chromium itself logs every 4xx answer to fetch(); a test that sends bad settings on purpose allows these.
    REJECTED = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allow_rejections = False

    def watch(self, page) -> None:
        page.on("console", self.on_message)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def on_message(self, message) -> None:
        if message.type not in ("error", "warning"):
            return
        if self.allow_rejections and message.text == self.REJECTED:
            return
        self.problems.append(f"{message.type}: {message.text}")


def new_page(browser, console, *, motion="reduce", width=1280, scheme="light", downloads=False):
    context = browser.new_context(viewport={"width": width, "height": 900}, reduced_motion=motion,
                                  color_scheme=scheme, accept_downloads=downloads)
    page = context.new_page()
    console.watch(page)
    return page


@pytest.fixture
def moving_page(browser, console):
    p = new_page(browser, console, motion="no-preference")
    yield p
    p.context.close()


def client(page):
    return page.get_by_role("region", name="Client")


def server(page):
    return page.get_by_role("region", name="Server")


def clock(page):
    return page.get_by_label("RTT clock")


def ladder_items(page):
    return page.get_by_role("list", name="Ladder").get_by_role("listitem")


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def expect_moment(page, client_state, server_state, rtts, current_row):
    expect(client(page)).to_contain_text(client_state)
    expect(server(page)).to_contain_text(server_state)
    expect(clock(page)).to_contain_text(re.compile(rf"(^|\s){re.escape(rtts)}\s"))
    rows = ladder_items(page)
    if current_row is None:
        expect(page.locator("#ladder li[aria-current]")).to_have_count(0)
    else:
        expect(rows.nth(current_row)).to_have_attribute("aria-current", "step")
        expect(page.locator("#ladder li[aria-current]")).to_have_count(1)


HANDSHAKE = [
    # client, server, RTT clock, current ladder row, after Step pressed k times
    ("CLOSED", "LISTEN", "0.0", None),
    ("SYN_SENT", "SYN_RECEIVED", "0.5", 0),
    ("ESTABLISHED", "SYN_RECEIVED", "1.0", 1),
    ("ESTABLISHED", "ESTABLISHED", "1.5", 2),
    ("ESTABLISHED", "ESTABLISHED", "1.5", 3),
    ("ESTABLISHED", "ESTABLISHED", "2.0", 3),
    ("FIN_WAIT_1", "CLOSE_WAIT", "2.5", 4),
    ("FIN_WAIT_2", "CLOSE_WAIT", "3.4", 5),
    ("TIME_WAIT", "LAST_ACK", "6.0", 6),
    ("TIME_WAIT", "CLOSED", "6.5", 7),
]


def test_stepping_through_the_handshake(page, base_url):
    page.goto(f"{base_url}/?scenario=handshake")
    expect(page.get_by_role("heading", level=1)).to_have_text("The three-way handshake, one request, and the teardown")
    expect(ladder_items(page)).to_have_count(8)
    expect(ladder_items(page).first).to_contain_text("01 SYN")
    expect(ladder_items(page).last).to_contain_text("08 ACK")
    step = button(page, "Step")
    expect(step).to_be_enabled()
    for k, (c, s, rtts, row) in enumerate(HANDSHAKE):
        if k:
            step.click()
        expect_moment(page, c, s, rtts, row)
        expect(page.locator("#position")).to_have_text(f"Step {k} of 9")
    expect(step).to_be_disabled()
    expect(client(page)).to_contain_text(re.compile(r"59\.95 s left of 60 s"))
    assert "step=9" in page.url
    expect(page.locator("#note")).to_contain_text("TIME_WAIT")


def test_back_reset_and_ladder_jumps(page, base_url):
    page.goto(f"{base_url}/?scenario=handshake&step=5")
    expect_moment(page, *HANDSHAKE[5])
    button(page, "Back").click()
    expect_moment(page, *HANDSHAKE[4])
    button(page, "Back").click()
    expect_moment(page, *HANDSHAKE[3])
    button(page, "Reset").click()
    expect_moment(page, *HANDSHAKE[0])
    expect(button(page, "Back")).to_be_disabled()
    ladder_items(page).nth(6).click()  # 07 FIN: its segment has arrived
    expect_moment(page, *HANDSHAKE[8])
    ladder_items(page).nth(3).click()  # 04 data: the first of its two segments
    expect_moment(page, *HANDSHAKE[4])
    assert "step=4" in page.url


def test_keyboard(page, base_url):
    page.goto(f"{base_url}/?scenario=handshake")
    expect(button(page, "Step")).to_be_enabled()
    page.keyboard.press("ArrowRight")
    expect_moment(page, *HANDSHAKE[1])
    page.keyboard.press("Space")
    expect_moment(page, *HANDSHAKE[2])
    page.keyboard.press("ArrowRight")
    expect_moment(page, *HANDSHAKE[3])
    page.keyboard.press("ArrowLeft")
    expect_moment(page, *HANDSHAKE[2])
    page.keyboard.press("Home")
    expect_moment(page, *HANDSHAKE[0])
    page.keyboard.press("p")
    expect(button(page, "Pause")).to_be_visible()
    page.keyboard.press("p")
    expect(button(page, "Play")).to_be_visible()
    # Typing in a settings field is not a shortcut.
    page.get_by_label("Seed").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("p")
    expect(button(page, "Play")).to_be_visible()


def test_play_pause_and_the_animation(moving_page, base_url):
    page = moving_page
    page.goto(f"{base_url}/?scenario=handshake&speed=4")
    play = button(page, "Play")
    expect(play).to_be_enabled()
    play.click()
    expect(button(page, "Pause")).to_be_visible()
    expect(page.locator("#position")).to_have_text(re.compile(r"Step [2-9] of 9"), timeout=10_000)
    button(page, "Pause").click()
    expect(button(page, "Play")).to_be_visible()
    held = page.locator("#position").text_content()
    page.wait_for_timeout(1500)
    assert page.locator("#position").text_content() == held
    # Play from the end starts over and plays to the end, where Play comes back.
    page.goto(f"{base_url}/?scenario=refused&step=2&speed=4")
    expect(page.locator("#position")).to_have_text("Step 2 of 2")
    button(page, "Play").click()
    expect(button(page, "Play")).to_be_visible(timeout=10_000)
    expect(page.locator("#position")).to_have_text("Step 2 of 2")


def test_states_change_as_it_happens(moving_page, base_url):
    page = moving_page
    page.goto(f"{base_url}/?scenario=handshake&speed=0.5")
    expect(button(page, "Step")).to_be_enabled()
    button(page, "Step").click()
    # The client is in SYN_SENT as soon as its SYN leaves; the server changes only when it arrives.
    expect(client(page)).to_contain_text("SYN_SENT")
    expect(server(page)).to_contain_text("LISTEN")
    expect(clock(page)).not_to_contain_text(re.compile(r"(^|\s)0\.5\s"))
    expect(server(page)).to_contain_text("SYN_RECEIVED", timeout=8000)
    expect(server(page)).to_contain_text("was LISTEN")
    expect(clock(page)).to_contain_text(re.compile(r"(^|\s)0\.5\s"))


def test_the_packet_travels_and_a_lost_one_dies(moving_page, base_url):
    page = moving_page
    page.goto(f"{base_url}/?scenario=syn_lost&speed=0.5")
    packet = page.locator("#packet")
    expect(button(page, "Step")).to_be_enabled()
    button(page, "Step").click()
    expect(packet).to_be_visible()
    expect(packet).to_contain_text("SYN")
    expect(packet).to_contain_text("seq 0")
    first = packet.bounding_box()["x"]
    page.wait_for_timeout(500)
    second = packet.bounding_box()["x"]
    assert second > first, "the SYN moves from the client towards the server"
    expect(page.locator("#packet-lost")).to_be_visible(timeout=5000)
    expect(page.locator("#packet")).to_have_class(re.compile(r"\bdead\b"))
    expect(page.locator("#wire-caption")).to_contain_text("Lost")
    wire = page.locator("#wire").bounding_box()
    box = packet.bounding_box()
    middle = box["x"] + box["width"] / 2
    assert wire["x"] + wire["width"] * 0.3 < middle < wire["x"] + wire["width"] * 0.7, "it dies mid-wire"
    # The retransmitted SYN arrives: the server answers, and the arrow points the other way for the SYN-ACK.
    button(page, "Step").click()
    expect(server(page)).to_contain_text("SYN_RECEIVED", timeout=8000)
    button(page, "Step").click()
    expect(packet).to_have_class(re.compile(r"\bdir-left\b"))


def test_deep_links(page, base_url):
    page.goto(f"{base_url}/?scenario=handshake&step=3")
    expect_moment(page, *HANDSHAKE[3])
    expect(page.locator("#position")).to_have_text("Step 3 of 9")
    expect(button(page, "Step")).to_be_enabled()
    page.goto(f"{base_url}/?scenario=handshake&rtt=20ms&step=2")
    expect_moment(page, "ESTABLISHED", "SYN_RECEIVED", "1.0", 1)
    expect(clock(page)).to_contain_text("20 ms")
    expect(page.get_by_label("RTT", exact=True)).to_have_value("20ms")
    page.reload()
    expect_moment(page, "ESTABLISHED", "SYN_RECEIVED", "1.0", 1)
    page.goto(f"{base_url}/?scenario=handshake&step=99")
    expect_moment(page, *HANDSHAKE[9])


def test_a_bad_link_says_why_and_still_works(page, console, base_url):
    console.allow_rejections = True
    page.goto(f"{base_url}/?scenario=handshake&rtt=fast&step=1")
    expect(page.get_by_role("alert")).to_contain_text("RTT must be a duration")
    expect_moment(page, *HANDSHAKE[1])
    page.goto(f"{base_url}/?scenario=no_such_thing")
    expect(page.get_by_role("alert")).to_contain_text("no_such_thing")
    expect(button(page, "Step")).to_be_enabled()


def test_switching_scenario_and_settings(page, console, base_url):
    console.allow_rejections = True  # the last part sends a bad RTT on purpose
    page.goto(f"{base_url}/?scenario=handshake&step=2")
    expect_moment(page, *HANDSHAKE[2])
    page.get_by_label("Scenario", exact=True).select_option("syn_lost")
    expect(page.get_by_role("heading", level=1)).to_have_text("The first SYN is lost")
    # SYN, SYN-ACK, ACK, the client's FIN, the server's FIN, the last ACK: one phase per segment and direction.
    expect(ladder_items(page)).to_have_count(6)
    expect(page.locator("#position")).to_have_text("Step 0 of 7")
    assert "scenario=syn_lost" in page.url and "step=" not in page.url
    button(page, "Step").click()
    expect(page.locator("#packet-lost")).to_be_visible()
    expect(client(page)).to_contain_text("SYN_SENT")

    # Settings re-run the engine and keep the step.
    page.get_by_label("Scenario", exact=True).select_option("handshake")
    expect(ladder_items(page)).to_have_count(8)
    ladder_items(page).nth(2).click()
    rtt = page.get_by_label("RTT", exact=True)
    rtt.fill("20ms")
    rtt.press("Enter")
    expect(clock(page)).to_contain_text("30 ms")
    expect_moment(page, *HANDSHAKE[3])
    assert "rtt=20ms" in page.url and "step=3" in page.url
    page.get_by_label("request bytes").fill("250")
    page.get_by_label("request bytes").press("Enter")
    ladder_items(page).nth(3).click()
    expect(page.locator("#packet")).to_contain_text("250 B")
    assert "request_bytes=250" in page.url
    page.get_by_label("Profile").select_option("rfc9293")
    expect(page.locator("#form-status")).to_contain_text("Ran handshake")
    assert "profile=rfc9293" in page.url

    # A bad value gets the server's sentence and leaves the last good run on screen.
    rtt.fill("soon")
    rtt.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("The RTT must be a duration with a unit")
    expect(page.locator("#packet")).to_contain_text("250 B")
    page.get_by_label("Loss").fill("0.2")
    page.get_by_label("Loss").press("Tab")
    expect(page.get_by_role("alert")).to_be_visible()  # the RTT is still wrong


def test_inspector(page, base_url):
    page.goto(f"{base_url}/?scenario=handshake")
    inspector = page.locator("#inspector")
    expect(inspector).to_contain_text("Nothing has been sent yet")
    button(page, "Step").click()
    expect(inspector.locator(".chip")).to_have_text("SYN")
    expect(inspector).to_contain_text("Client → Server")
    tcp = inspector.get_by_role("table").filter(has_text="TCP header")
    expect(tcp.get_by_role("row", name=re.compile("Sequence number"))).to_contain_text("(relative 0)")
    expect(tcp.get_by_role("row", name=re.compile("Flags"))).to_contain_text("SYN (0x02)")
    expect(inspector.get_by_role("table").filter(has_text="IPv4 header")).to_contain_text("10.0.0.1")
    expect(inspector.locator(".opts")).to_contain_text("mss 1460")
    expect(inspector.locator(".opts")).to_contain_text("wscale")
    hexdump = inspector.get_by_role("group", name="Segment bytes in hexadecimal")
    expect(hexdump).to_contain_text(re.compile(r"^0000\s*45\s*00"))
    # Any packet, not only the current one.
    page.get_by_label("Segment to inspect").select_option("3")  # the 4th segment: the request's data
    expect(inspector).to_contain_text("#4 · Client → Server")
    expect(tcp).to_have_count(1)
    expect(inspector.get_by_role("row", name=re.compile("Payload"))).to_contain_text("100 bytes")
    expect(page.locator("#position")).to_have_text("Step 1 of 9")
    # Hovering a field lights up its bytes.
    inspector.get_by_role("row", name=re.compile("Destination port")).hover()
    expect(inspector.locator(".b.hl")).to_have_count(2)


def test_downloads(browser, console, base_url):
    from synack.wire.pcap import read_pcap

    page = new_page(browser, console, downloads=True)
    page.goto(f"{base_url}/?scenario=handshake&rtt=20ms")
    expect(button(page, "Step")).to_be_enabled()
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download pcap").click()
    download = caught.value
    assert download.suggested_filename.endswith(".pcap")
    assert len(read_pcap(Path(download.path()).read_bytes())) == 9
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download JSON").click()
    trace = json.loads(Path(caught.value.path()).read_text())
    assert trace["rtt_us"] == 20_000 and trace["scenario"] == "handshake"
    page.context.close()


def test_exported_page_works_offline_from_a_file(browser, console, base_url, tmp_path):
    from urllib.request import urlopen

    from synack.web.export import export_html
    from synack.wire.pcap import read_pcap

    with urlopen(f"{base_url}/api/run?scenario=handshake") as r:
        trace = json.load(r)
    trace["steps"][0]["note"] = "<img src=x onerror=alert(1)> is text, not HTML."
    path = tmp_path / "handshake.html"
    export_html(trace, path)

    page = new_page(browser, console, downloads=True)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri() + "?step=3")
    expect_moment(page, *HANDSHAKE[3])
    expect(page.get_by_role("heading", level=1)).to_have_text(trace["title"])
    button(page, "Reset").click()
    button(page, "Step").click()
    expect(page.locator("#note")).to_have_text(trace["steps"][0]["note"])
    expect(page.locator("#note img")).to_have_count(0)
    expect(page.get_by_label("Scenario", exact=True)).to_be_disabled()
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download pcap").click()
    assert len(read_pcap(Path(caught.value.path()).read_bytes())) == 9
    assert all(url.startswith(("file:", "blob:", "data:")) for url in requests), requests
    page.context.close()


@pytest.mark.parametrize("width", [1280, 768, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_layouts_keep_everything_on_screen(browser, console, base_url, width, scheme):
    page = new_page(browser, console, width=width, scheme=scheme)
    page.goto(f"{base_url}/?scenario=in_window_attacks&step=6")
    expect(button(page, "Step")).to_be_enabled()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    boxes = [page.locator(sel).bounding_box() for sel in ("#host-a", "#host-b", "#packet")]
    a, b, _packet = boxes
    assert a["x"] + a["width"] <= b["x"], "client and server boxes do not overlap"
    for name in ("Step", "Back", "Play", "Reset"):
        box = button(page, name).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    dark = scheme == "dark"
    level = sum(int(v) for v in re.findall(r"\d+", background)[:3])
    assert (level < 150) == dark, background
    page.context.close()


def test_assets_stay_under_200_kb(page, base_url):
    sizes = []
    page.on("response", lambda r: sizes.append(len(r.body())) if "/static/" in r.url or r.url.endswith("/") else None)
    page.goto(f"{base_url}/")
    expect(button(page, "Step")).to_be_enabled()
    page.wait_for_load_state("networkidle")
    assert 0 < sum(sizes) < 200_000, sizes


def test_a_run_with_two_connections_shows_one_at_a_time(page, console, base_url):
    page.goto(f"{base_url}/?scenario=fast_open")
    pick = page.get_by_label("Connection", exact=True)
    expect(pick).to_be_visible()
    expect(pick.locator("option")).to_have_count(2)
    expect(pick.locator("option").nth(0)).to_contain_text("10.0.0.1:40384")
    expect(pick.locator("option").nth(1)).to_contain_text("10.0.0.1:40385")
    # The first connection alone: 8 segments, its own phases, its own states.
    expect(page.locator("#position")).to_have_text("Step 0 of 8")
    expect(client(page)).to_contain_text("10.0.0.1:40384")
    expect(ladder_items(page).first).to_contain_text("01 SYN")
    expect(ladder_items(page)).to_have_count(7)
    for _ in range(6):
        button(page, "Step").click()
    # The client's FIN has arrived: the client is FIN_WAIT_1, never SYN_SENT while closing.
    expect(client(page)).to_contain_text("FIN_WAIT_1")
    pick.select_option("1")
    expect(page.locator("#position")).to_have_text("Step 0 of 8")
    expect(client(page)).to_contain_text("10.0.0.1:40385")
    expect(client(page)).to_contain_text("CLOSED")
    assert "connection=2" in page.url
    button(page, "Step").click()
    expect(client(page)).to_contain_text("SYN_SENT")
    expect(page.locator("#wire-caption")).to_contain_text("SYN")
    # A deep link opens the same connection.
    page.goto(f"{base_url}/?scenario=fast_open&connection=2&step=2")
    expect(pick).to_have_value("1")
    expect(page.locator("#position")).to_have_text("Step 2 of 8")


def test_a_run_with_one_connection_has_no_picker(page, base_url):
    page.goto(f"{base_url}/?scenario=handshake")
    expect(page.locator("#position")).to_have_text("Step 0 of 9")
    expect(page.locator("#connection-choice")).to_be_hidden()


def test_the_clock_and_the_ladder_agree_under_loss(page, base_url):
    trace = page.request.get(f"{base_url}/api/run?scenario=handshake&loss=0.3&seed=7").json()
    page.goto(f"{base_url}/?scenario=handshake&loss=0.3&seed=7")
    expect(page.locator("#position")).to_have_text(f"Step 0 of {len(trace['steps'])}")
    expect(page.locator(".clock-what")).to_contain_text("when the segment arrived")
    checked = 0
    for k, step in enumerate(trace["steps"], start=1):
        button(page, "Step").click()
        expect(page.locator("#position")).to_have_text(f"Step {k} of {len(trace['steps'])}")
        if step["role"] != "first":
            continue
        current = page.locator("#ladder li[aria-current] .rung-time")
        shown = page.locator("#clock-rtt").text_content()
        expect(current).to_have_text(f"{shown} RTT")
        checked += 1
    assert checked == 8  # every phase of the lesson, each at the moment its own segment arrived


def test_a_packetdrill_script_run_opens_in_the_page(browser, console, tmp_path):
    """``synack drill SCRIPT.pkt --html FILE``: the script's run, stepped through in the page."""
    from synack.cli import main

    path = tmp_path / "drill.html"
    script = Path(__file__).parent / "drill" / "rst_in_window_challenge.pkt"
    assert main(["drill", str(script), "--html", str(path)]) == 0
    page = new_page(browser, console)
    page.goto(path.as_uri())
    expect(page.get_by_role("heading", level=1)).to_contain_text("RFC 5961 3.2")
    for _ in range(5):
        button(page, "Step").click()
    expect(page.locator("#note")).to_contain_text("challenge ACK")
    page.screenshot(path=os.environ.get("SYNACK_DRILL_SHOT", str(tmp_path / "drill.png")))
    page.context.close()


# ---------------------------------------------------------------- the lessons (issue 8)
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


def test_a_change_made_while_a_new_scenario_loads_runs_with_its_fields(page, base_url):
    # The form shows a new scenario's own fields as soon as it is chosen. An RTT typed before its
    # first run comes back runs with them, not with the fields of the scenario before (which the
    # new one refuses with a 422), and the late first run does not overwrite it.
    page.goto(f"{base_url}/?scenario=pmtud_blackhole&icmp=blocked")
    expect(figure(page, "answer_complete").locator("td")).to_have_text("no")
    held = []  # setup_tax's first run, held back
    page.route(re.compile(r".*/api/run\?scenario=setup_tax$"), lambda route: held.append(route))
    page.get_by_label("Scenario", exact=True).select_option("setup_tax")
    expect(page.get_by_label("cert bytes", exact=True)).to_be_visible()  # setup_tax's own field, at once
    rtt = page.get_by_label("RTT", exact=True)
    rtt.fill("20ms")
    with page.expect_response(lambda r: "rtt=20ms" in r.url) as answer:
        rtt.press("Enter")
    assert answer.value.status == 200 and "icmp" not in answer.value.url
    expect(figure(page, "ttfb_ms › tcp+tls1.2").locator("td")).to_have_text("80")
    assert held, "the first run was not held back"
    for route in held:
        route.continue_()
    page.wait_for_load_state("networkidle")
    expect(figure(page, "ttfb_ms › tcp+tls1.2").locator("td")).to_have_text("80")
    assert "rtt=20ms" in page.url


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


# ---------------------------------------------------------------------------------------------- the crowd
# Crowd scenarios (docs/trace-format.md, "The crowd"): each plays with its ladder, notes and plot,
# and its figures in the figures card.

CROWD_SCENARIOS = {
    "syn_flood": ("cookies=off", "server SYN queue", "legit_success_rate"),
    "time_wait_exhaustion": ("", "proxy TIME_WAIT", "first_failure_s"),
    "close_wait_leak": ("", "server CLOSE_WAIT", "leaked_sockets"),
    "half_open": ("reboot_after=30s", "client ESTABLISHED", "error"),
    "syn_cookies": ("", "server cookies sent", None),
    "time_wait": ("", "server TIME_WAIT", None),
}


@pytest.mark.parametrize("name", sorted(CROWD_SCENARIOS))
def test_crowd_scenario_plays_with_ladder_notes_and_plot(page, base_url, name):
    query, legend, key = CROWD_SCENARIOS[name]
    page.goto(f"{base_url}/?scenario={name}{'&' + query if query else ''}")
    card = page.locator("#crowd-card")
    page.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
    assert card.is_visible()
    assert page.locator("#crowd-plot canvas").count() >= 1
    assert legend in page.locator("#crowd-card .u-legend").inner_text()
    if key is not None:
        expect(figure(page, key).locator("td")).not_to_be_empty()
    # The featured connection plays as the ladder, with its notes.
    assert page.locator("#ladder li").count() >= 1
    page.locator("#btn-step").click()
    assert page.locator("#position").inner_text().startswith("Step 1 of")
    assert page.locator("#note").inner_text().strip()


def test_syn_flood_figures_change_with_the_cookies_control(page, base_url):
    page.goto(f"{base_url}/?scenario=syn_flood&cookies=off")
    page.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
    rate = figure(page, "legit_success_rate").locator("td")
    expect(rate).to_have_text("0")
    # The chart marks the moment of the ladder's step: the first real client's SYN leaves at 5 s.
    page.locator("#btn-step").click()
    expect(page.locator("#crowd-card")).to_have_attribute("data-mark-us", "5000000")
    page.locator("select[name=cookies]").select_option("on")
    expect(rate).to_have_text("1", timeout=30_000)  # the page's CSP forbids wait_for_function's eval


def test_other_lessons_hide_the_crowd_and_never_load_the_chart(browser, base_url, console):
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


@contextmanager
def exported_page(browser, console, base_url, tmp_path, scenario):
    """The page exported with a run of ``scenario``, opened from file://; yields it and the URLs it requested."""
    from urllib.request import urlopen

    from synack.web.export import export_html

    with urlopen(f"{base_url}/api/run?scenario={scenario}") as r:
        trace = json.load(r)
    path = tmp_path / f"{scenario}.html"
    export_html(trace, path)
    p = new_page(browser, console)
    requests = []
    p.on("request", lambda r: requests.append(r.url))
    try:
        p.goto(path.as_uri())
        yield p, requests
    finally:
        p.context.close()


def offline(requests):
    return all(url.startswith("file:") or url.startswith("data:") for url in requests)


def test_exported_crowd_page_draws_its_chart_offline(browser, console, base_url, tmp_path):
    with exported_page(browser, console, base_url, tmp_path, "close_wait_leak") as (p, requests):
        p.wait_for_selector("#crowd-card[data-ready=true]", timeout=30_000)
        assert "server CLOSE_WAIT" in p.locator("#crowd-card .u-legend").inner_text()
        expect(figure(p, "leaked_sockets").locator("td")).to_have_text("10")
        assert offline(requests), requests


SETUP_TAX_MODES = ("tcp", "tcp+tls1.2", "tcp+tls1.3", "tfo+tls1.3", "quic", "quic-0rtt")


def test_setup_tax_charts_time_to_first_byte_per_mode(page, console, base_url):
    page.goto(f"{base_url}/?scenario=setup_tax")
    chart = page.locator("#figures-chart")
    expect(chart).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(chart.locator("canvas")).to_have_count(1)
    label = chart.get_attribute("aria-label")
    for mode in SETUP_TAX_MODES:
        assert f"; {mode}: " in f"; {label.split(': ', 1)[1]}", (mode, label)
    assert "tcp+tls1.2: 4 RTT (400 ms)" in label and "quic-0rtt: 1 RTT (100 ms)" in label
    before = chart.locator("canvas").screenshot()

    rtt = page.get_by_label("RTT", exact=True)
    rtt.fill("20ms")
    rtt.press("Enter")
    expect(chart).to_have_attribute("aria-label", re.compile(r"tcp\+tls1\.2: 4 RTT \(80 ms\)"))
    expect(chart).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(chart.locator("canvas")).to_have_count(1)  # redrawn, not a second chart beside the first
    assert chart.locator("canvas").screenshot() != before  # the ms axis and the figures on the bars changed

    page.get_by_label("Scenario", exact=True).select_option("handshake")
    expect(chart).to_be_hidden()


def test_exported_setup_tax_page_draws_its_chart_offline(browser, console, base_url, tmp_path):
    with exported_page(browser, console, base_url, tmp_path, "setup_tax") as (p, requests):
        chart = p.locator("#figures-chart")
        expect(chart).to_have_attribute("data-ready", "true", timeout=30_000)
        expect(chart).to_have_attribute("aria-label", re.compile(r"quic-0rtt: 1 RTT \(100 ms\)"))
        assert offline(requests), requests
