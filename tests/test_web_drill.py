"""The page's "Open script": a packetdrill script posted to the server (one-sentence 4xx through
Starlette's TestClient), and in chromium: pick a .pkt, step through its run in the same player."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from test_web_browser import CHROMIUM, button, expect

from synack.web import drill_api
from synack.web import server as web_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

DRILL = Path(__file__).resolve().parent / "drill"


@pytest.fixture(scope="module")
def api():
    with TestClient(web_server.create_app()) as c:
        yield c


def post(api, text, name="x.pkt", profile="linux"):
    return api.post(f"/api/drill?name={name}&profile={profile}", content=text,
                    headers={"Content-Type": "text/plain; charset=utf-8"})


def test_a_script_comes_back_as_its_run(api):
    r = post(api, (DRILL / "close_simultaneous.pkt").read_text(), "close_simultaneous.pkt")
    assert r.status_code == 200
    trace = r.json()
    assert trace["drill"] == {"script": "close_simultaneous.pkt", "status": "pass", "line": None, "message": ""}
    assert [s["segment"]["tcpdump"].split(",")[0] for s in trace["steps"]][-3:] == \
        ["Flags [F.]", "Flags [.]", "Flags [.]"]


def test_a_failing_script_still_plays_up_to_its_mismatch(api):
    r = post(api, (DRILL / "handshake_server_no_ts.pkt").read_text(), profile="rfc9293")
    assert r.status_code == 200
    trace = r.json()
    assert trace["drill"]["status"] == "fail" and trace["drill"]["line"] == 7
    assert trace["profile"] == "rfc9293" and len(trace["steps"]) == 2  # the SYN, and the SYN-ACK that differs


@pytest.mark.parametrize("body, profile, status, fragment", [
    ("0 < S 0:0(0) wim 1\n", "linux", 422, "script line 1: unexpected 'wim'"),
    ("   \n", "linux", 422, "is empty"),
    ("0 close(3) = 0\n", "bsd", 422, "There is no profile 'bsd'"),
])
def test_bad_scripts_get_a_sentence(api, body, profile, status, fragment):
    r = post(api, body, profile=profile)
    assert r.status_code == status and fragment in r.json()["error"]
    assert r.json()["error"].endswith(".")


def test_not_text_and_too_large(api, monkeypatch):
    r = api.post("/api/drill?name=x.pkt", content=b"\xff\xfe\x00bad", headers={"Content-Type": "text/plain"})
    assert r.status_code == 422 and "not UTF-8 text" in r.json()["error"]
    monkeypatch.setattr(drill_api, "MAX_SCRIPT_BYTES", 10)
    r = post(api, "0 close(3) = 0\n" * 3)
    assert r.status_code == 413 and "larger than" in r.json()["error"]


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make test installs it)")
def test_open_a_script_and_step_through_its_run(base_url, page):
    page.goto(base_url + "/")
    expect(button(page, "Step")).to_be_enabled()
    page.set_input_files("#drill-file", str(DRILL / "syn_in_established_challenge.pkt"))
    expect(page.locator("#drill-status")).to_contain_text("syn_in_established_challenge.pkt under linux: passes")
    expect(page.locator("#title")).to_contain_text("RFC 5961 4")
    expect(page.locator("#position")).to_have_text("Step 0 of 5")
    for _ in range(5):
        button(page, "Step").click()
    expect(page.locator("#note")).to_contain_text("challenge ACK")
    expect(page.locator("#dl-pcap")).to_be_hidden()
