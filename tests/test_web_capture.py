"""The page's "Open capture": the upload API (size limit, one-sentence 4xx) through Starlette's
TestClient, and the whole path in chromium (Playwright): pick a file, see the connections, step
through one in the same player as a simulated run."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from test_web_browser import CHROMIUM, Console, button, client, expect, ladder_items, new_page, server

from synack.web import captures
from synack.web import server as web_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "replay"


@pytest.fixture(scope="module")
def api():
    with TestClient(web_server.create_app()) as c:
        yield c


def upload(api, data, name="x.pcap"):
    return api.post(f"/api/capture?name={name}", content=data, headers={"Content-Type": "application/octet-stream"})


def test_upload_lists_connections_and_serves_their_traces(api):
    r = upload(api, (FIXTURES / "linux_port_scan.pcap").read_bytes(), "scan.pcap")
    assert r.status_code == 200
    listing = r.json()
    assert listing["file"] == "scan.pcap" and len(listing["connections"]) == 11
    assert listing["connections"][1]["ended"] == "refused (RST)"
    trace = api.get(f"/api/capture/{listing['id']}/0").json()
    assert trace["scenario"] == "capture" and trace["final_states"] == {"client": "CLOSED", "server": "CLOSED"}
    assert [s["segment"]["flags"] for s in trace["steps"]] == [["SYN"], ["SYN", "ACK"], ["RST"]]


@pytest.mark.parametrize("data, status, fragment", [
    (b"", 422, "is empty"),
    (b"not a capture at all", 422, "neither pcap nor pcapng"),
    ((FIXTURES / "linux_nano.pcap").read_bytes()[:24], 422, "holds no TCP connection"),
])
def test_bad_uploads_get_a_sentence(api, data, status, fragment):
    r = upload(api, data)
    assert r.status_code == status and fragment in r.json()["error"]
    assert r.json()["error"].endswith((".", "?"))


def test_too_large_is_413(api, monkeypatch):
    monkeypatch.setattr(captures, "MAX_CAPTURE_BYTES", 100)
    r = upload(api, (FIXTURES / "linux_nano.pcap").read_bytes())
    assert r.status_code == 413 and "larger than" in r.json()["error"]


def test_unknown_capture_or_connection_is_404(api):
    assert api.get("/api/capture/nope/0").status_code == 404
    listing = upload(api, (FIXTURES / "linux_nano.pcap").read_bytes()).json()
    r = api.get(f"/api/capture/{listing['id']}/7")
    assert r.status_code == 404 and "has no connection 7" in r.json()["error"]


def test_only_the_last_few_captures_are_kept():
    store = captures.CaptureStore(kept=2)
    ids = [store.add(object()) for _ in range(3)]
    assert store.get(ids[0]) is None and store.get(ids[2]) is not None


# --- in the browser ----------------------------------------------------------

@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make test installs it)")
def test_open_a_capture_and_step_through_a_connection(base_url, page):
    page.goto(base_url + "/")
    expect(button(page, "Step")).to_be_enabled()
    page.set_input_files("#capture-file", str(FIXTURES / "macos_fast_open.pcap"))
    connections = page.get_by_role("list", name="Connections in the capture").get_by_role("button")
    expect(connections).to_have_count(2)
    expect(page.locator("#capture-status")).to_contain_text("2 TCP connections")
    connections.nth(1).click()
    expect(page.locator("#title")).to_contain_text("127.0.0.1:49153 → 127.0.0.1:8080")
    expect(page.locator("#position")).to_have_text("Step 0 of 7")
    expect(ladder_items(page)).to_have_count(7)  # one row per segment: no copies here
    expect(client(page)).to_contain_text("CLOSED")
    expect(server(page)).to_contain_text("LISTEN")
    button(page, "Step").click()
    expect(client(page)).to_contain_text("SYN_SENT")
    expect(server(page)).to_contain_text("SYN_RECEIVED")
    expect(page.locator("#note")).to_contain_text("Fast Open cookie")
    for _ in range(6):
        button(page, "Step").click()
    expect(client(page)).to_contain_text("TIME_WAIT")
    expect(server(page)).to_contain_text("CLOSED")
    expect(page.locator("#dl-pcap")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make test installs it)")
def test_a_file_that_is_not_a_capture_gets_a_sentence(base_url, browser, tmp_path):
    console = Console()
    console.allow_rejections = True
    bad = tmp_path / "notes.pcap"
    bad.write_text("these are my notes, not a capture")
    page = new_page(browser, console)
    try:
        page.goto(base_url + "/")
        expect(button(page, "Step")).to_be_enabled()
        page.set_input_files("#capture-file", str(bad))
        expect(page.locator("#capture-error")).to_contain_text("neither pcap nor pcapng")
        expect(page.locator("#capture-list li")).to_have_count(0)
    finally:
        page.context.close()
    assert all("422" in p for p in console.problems)
