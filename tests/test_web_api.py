"""The web API and its headers, through Starlette's TestClient: scenarios, runs, pcap, 422s, CSP, export."""

from __future__ import annotations

import json
import socket
import warnings

import pytest

with warnings.catch_warnings():
    # Starlette announces that its test client will move to the httpx2 package; pyproject pins httpx for now.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from synack.scenarios import list_scenarios
from synack.web import server
from synack.web.export import bundle_script, embed_json, export_page
from synack.wire.pcap import read_pcap


@pytest.fixture(scope="module")
def client():
    with TestClient(server.create_app()) as c:
        yield c


def test_page_and_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and "unsafe" not in csp
    assert directives["style-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    # The page itself has no inline script and fetches nothing from elsewhere.
    assert "<script>" not in r.text and "http://" not in r.text and "https://" not in r.text


def test_static_assets_are_served_with_headers_and_stay_small(client):
    total = 0
    # Every file, the chart library in vendor/ included (the page loads it only for crowd runs).
    for path in sorted(p for p in server.STATIC_DIR.rglob("*") if p.is_file()):
        name = path.relative_to(server.STATIC_DIR).as_posix()
        r = client.get(f"/static/{name}")
        assert r.status_code == 200, name
        assert r.headers["x-content-type-options"] == "nosniff"
        total += len(r.content)
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert total < 200_000, f"page assets are {total} bytes"


def test_scenarios_lists_every_builtin(client):
    r = client.get("/api/scenarios")
    assert r.status_code == 200
    body = r.json()
    names = [s["name"] for s in body["scenarios"]]
    assert names == [s.name for s in list_scenarios()]
    assert "handshake" in names and body["default_scenario"] == "handshake"
    assert {"linux", "rfc9293"} <= set(body["profiles"])
    handshake = body["scenarios"][0]
    assert handshake["title"] and handshake["summary_line"] and handshake["explanation"]
    assert any(spec["name"] == "request_bytes" for spec in handshake["param_specs"])


def test_run_returns_the_trace(client):
    r = client.get("/api/run", params={"scenario": "handshake", "rtt": "20ms", "request_bytes": "200"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert "content-disposition" not in r.headers
    trace = r.json()
    assert trace["format"] == 1 and trace["scenario"] == "handshake" and trace["rtt_us"] == 20_000
    assert [p["label"] for p in trace["phases"]][:3] == ["01 SYN", "02 SYN-ACK", "03 ACK"]
    assert trace["steps"][3]["segment"]["len"] == 200
    assert trace["steps"][1]["arrives_us"] == 20_000  # at 20 ms RTT the client may send after one RTT


def test_runs_are_cached_and_deterministic(client):
    runs = client.app.state.runs
    hits, misses = runs.hits, runs.misses
    first = client.get("/api/run?scenario=syn_lost&seed=7").content
    second = client.get("/api/pcap?scenario=syn_lost&seed=7")
    third = client.get("/api/run?scenario=syn_lost&seed=7").content
    assert first == third and second.status_code == 200
    assert (runs.hits - hits, runs.misses - misses) == (2, 1)


def test_the_cache_forgets_the_least_recently_used():
    with TestClient(server.create_app()) as c:
        c.app.state.runs.size = 2
        for seed in (1, 2, 1, 3):
            assert c.get(f"/api/run?scenario=refused&seed={seed}").status_code == 200
        assert [key.seed for key in c.app.state.runs.runs] == [1, 3]


def test_downloads(client):
    r = client.get("/api/run.json?scenario=handshake&rtt=20ms")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="synack-handshake-linux-rtt20ms-seed1.json"'
    assert json.loads(r.content)["scenario"] == "handshake"
    r = client.get("/api/run?scenario=handshake&download=1")
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    r = client.get("/api/pcap?scenario=handshake")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.tcpdump.pcap"
    assert r.headers["content-disposition"] == 'attachment; filename="synack-handshake-linux-seed1.pcap"'
    packets = read_pcap(r.content)
    assert len(packets) == 9


@pytest.mark.parametrize("query, words", [
    ("", "Say which scenario"),
    ("scenario=nope", "nope"),
    ("scenario=handshake&profile=bsd", "profile"),
    ("scenario=handshake&rtt=100", "RTT must be a duration"),
    ("scenario=handshake&rtt=0ms", "RTT must be between"),
    ("scenario=handshake&loss=lots", "loss must be a probability"),
    ("scenario=handshake&loss=1", "loss must be a probability"),
    ("scenario=handshake&loss=nan", "loss"),
    ("scenario=handshake&seed=x", "seed must be a whole number"),
    ("scenario=handshake&seed=-1", "seed"),
    ("scenario=handshake&seed=1&seed=2", "Give seed only once"),
    ("scenario=handshake&bogus=1", "no parameter 'bogus'"),
    ("scenario=handshake&request_bytes=0", "request_bytes must be at least 1"),
    ("scenario=handshake&client_wait=soon", "client_wait must be a duration"),
])
@pytest.mark.parametrize("endpoint", ["/api/run", "/api/pcap"])
def test_bad_parameters_get_a_422_with_one_sentence(client, endpoint, query, words):
    r = client.get(f"{endpoint}?{query}")
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    message = r.json()["error"]
    assert words.lower() in message.lower()
    assert message[0].isupper() and message.endswith(".")
    assert "Traceback" not in message and "\n" not in message
    assert r.headers["content-security-policy"]


def test_unknown_api_path_is_a_json_404(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json()["error"].endswith(".")


def test_engine_failure_is_a_500_sentence(monkeypatch, capsys):
    def broken(key):
        raise RuntimeError("boom")
    monkeypatch.setattr(server, "make_run", broken)
    with TestClient(server.create_app()) as c:
        r = c.get("/api/run?scenario=handshake")
    assert r.status_code == 500 and "bug" in r.json()["error"] and "boom" not in r.text
    assert "RuntimeError: boom" in capsys.readouterr().err  # the traceback goes to the server's log


def test_loopback_server_refuses_other_host_names():
    with TestClient(server.create_app(server.trusted_hosts_for("127.0.0.1")), base_url="http://127.0.0.1") as c:
        assert c.get("/api/scenarios").status_code == 200
        assert c.get("/api/scenarios", headers={"host": "evil.example"}).status_code == 400


def test_taken_port_is_a_serve_error_with_a_sentence():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(server.ServeError) as caught:
            server.serve("127.0.0.1", port, open_browser=False)
        message = str(caught.value)
        assert f"port {port}" in message and "already in use" in message and message.endswith(".")
        assert isinstance(caught.value, OSError)
    finally:
        holder.close()


def test_no_browser_without_a_display(monkeypatch):
    monkeypatch.setattr(server.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not server.has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert server.has_display()


def test_export_is_one_self_contained_file(client, tmp_path):
    trace = client.get("/api/run?scenario=handshake").json()
    trace["title"] = "</script><script>alert(1)</script> & <b>"
    page = export_page(trace)
    assert 'src="/static' not in page and 'href="/static' not in page
    assert "<script>alert(1)" not in page
    start = page.index('<script type="application/json" id="synack-trace">') + len(
        '<script type="application/json" id="synack-trace">')
    block = page[start:page.index("</script>", start)]
    assert json.loads(block)["title"] == trace["title"]
    assert "<" not in block and ">" not in block and "&" not in block
    assert page.count("<script") == 3  # the trace, the pcap, the page's code
    assert "Content-Security-Policy" in page and "connect-src" not in page


def test_bundle_keeps_every_module_once():
    script = bundle_script()
    for name in ("format", "model", "decode", "dom", "stage", "ladder", "inspector", "settings", "app"):
        assert script.count(f"const __synack_{name} = ") == 1
    assert "import {" not in script and "\nexport " not in script


def test_embed_json_escapes_line_separators():
    assert embed_json({"a": "\u2028</script>&"}) == '{"a":"\\u2028\\u003c/script\\u003e\\u0026"}'


def test_page_code_never_parses_strings_as_html_or_code():
    for path in server.STATIC_DIR.glob("*.js"):
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{path.name} uses {sink}"
