"""The page's "Open capture": the upload API (size limit, one-sentence 4xx) through Starlette's
TestClient.  The whole path in chromium is in tests/test_web_browser.py (it shares that module's
browser and server)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

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
