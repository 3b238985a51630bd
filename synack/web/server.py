"""``synack serve``: the simulator page and its JSON API, on Starlette and uvicorn.

Routes:
  ``/``                  the page (synack/web/static/index.html)
  ``/static/...``        its ES modules, CSS and SVG: package data, no build step
  ``/api/scenarios``     every built-in scenario with its parameters, and the profiles
  ``/api/run?...``       one run as the JSON trace (docs/trace-format.md); ``download=1``
                         or ``/api/run.json`` answers it as a file to save
  ``/api/pcap?...``      the same run as a pcap file for Wireshark
  ``/api/capture``       POST a pcap/pcapng; ``/api/capture/{id}/{n}`` its connections as traces
  ``/api/drill``         POST a packetdrill script; its run against the engine as a trace
                         (synack/web/captures.py)

A run's query: ``scenario`` (required), ``profile``, ``rtt`` (a duration such
as ``100ms``), ``loss`` (a probability), ``seed``, and the scenario's own
parameters by name.  Bad input gets a 422 whose body is ``{"error": "one
sentence"}``.  The engine is deterministic, so runs are cached by their query.

Every answer carries a Content-Security-Policy that allows only this server
(no inline script, no outside fonts or CDNs) and refuses framing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import socket
import sys
import threading
import traceback
import webbrowser
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from synack.scenarios import ScenarioError, list_scenarios, run_scenario
from synack.scenarios.runner import PROFILES
from synack.trace.json_view import trace_json
from synack.units import parse_duration
from synack.wire.pcap import pcap_from_trace

from .captures import CaptureStore, api_capture_upload, api_capture_trace
from .drill_api import api_drill

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_SCENARIO = "handshake"
RUN_KEYS = frozenset({"scenario", "profile", "rtt", "loss", "seed", "download"})
CACHE_RUNS = 256

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class ServeError(OSError):
    """The server could not start (the port is taken, the host cannot be bound); the message is one sentence."""


class BadQuery(ValueError):
    """A run's query string is wrong; the message is one sentence for the user."""


class SecurityHeaders:
    """Adds the security headers to every response, errors and static files included.

    Pure ASGI rather than BaseHTTPMiddleware: it adds nothing per request but a
    few header tuples, which matters under load.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---------------------------------------------------------------- runs

@dataclass(frozen=True)
class RunKey:
    scenario: str
    profile: str
    rtt_us: int | None
    loss: float
    seed: int
    params: tuple[tuple[str, str], ...]

    def filename(self, extension: str) -> str:
        parts = [self.scenario, self.profile]
        if self.rtt_us is not None:
            rtt = self.rtt_us
            parts.append(f"rtt{rtt // 1000}ms" if rtt % 1000 == 0 else f"rtt{rtt}us")
        if self.loss:
            parts.append(f"loss{self.loss:g}")
        parts.append(f"seed{self.seed}")
        safe = "-".join(parts).replace("/", "_")
        return f"synack-{safe}.{extension}"


class CachedRun:
    """One run's trace, its JSON body, and (made on first request) its pcap."""

    def __init__(self, trace: dict) -> None:
        self.trace = trace
        self.body = json.dumps(trace, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._pcap: bytes | None = None
        self._lock = threading.Lock()

    @property
    def has_pcap(self) -> bool:
        return self._pcap is not None

    def pcap(self) -> bytes:
        if self._pcap is not None:
            return self._pcap
        with self._lock:
            if self._pcap is None:
                self._pcap = pcap_from_trace(self.trace)
            return self._pcap


def parse_run_query(items: list[tuple[str, str]]) -> RunKey:
    """Turn ``/api/run``'s query into a run key, or raise BadQuery with a sentence."""
    seen: set[str] = set()
    for name, _ in items:
        if name in seen:
            raise BadQuery(f"Give {name} only once in the query.")
        seen.add(name)
    query = dict(items)
    scenario = query.get("scenario", "").strip()
    if not scenario:
        raise BadQuery(f"Say which scenario to run, for example ?scenario={DEFAULT_SCENARIO}.")
    profile = query.get("profile", "linux").strip() or "linux"
    rtt_us = None
    if query.get("rtt", "").strip():
        text = query["rtt"].strip()
        try:
            rtt_us = parse_duration(text)
        except ValueError:
            raise BadQuery(f"The RTT must be a duration with a unit, like 100ms or 1.5s, not {text!r}.") from None
    loss = 0.0
    if query.get("loss", "").strip():
        text = query["loss"].strip()
        try:
            loss = float(text)
        except ValueError:
            raise BadQuery(f"The loss must be a probability such as 0.1, not {text!r}.") from None
    seed = 1
    if query.get("seed", "").strip():
        text = query["seed"].strip()
        try:
            seed = int(text)
        except ValueError:
            raise BadQuery(f"The seed must be a whole number, not {text!r}.") from None
    params = tuple(sorted((k, v) for k, v in items if k not in RUN_KEYS))
    return RunKey(scenario, profile, rtt_us, loss, seed, params)


def make_run(key: RunKey) -> CachedRun:
    run = run_scenario(key.scenario, profile=key.profile, rtt_us=key.rtt_us, loss=key.loss, seed=key.seed,
                       params=dict(key.params) or None)
    return CachedRun(trace_json(run))


class RunCache:
    """Least-recently-used runs by their query, filled once per key however many ask at the same time.

    Lives on the event loop's thread: a hit is answered without leaving it, and
    a miss runs the engine once in the thread pool while every other request
    for the same key awaits that one result.  Errors are not kept, so a bad
    query is checked afresh each time.
    """

    def __init__(self, size: int = CACHE_RUNS) -> None:
        self.size = size
        self.runs: OrderedDict[RunKey, CachedRun] = OrderedDict()
        self.pending: dict[RunKey, asyncio.Future] = {}
        self.hits = 0
        self.misses = 0

    async def get(self, key: RunKey) -> CachedRun:
        found = self.runs.get(key)
        if found is not None:
            self.hits += 1
            self.runs.move_to_end(key)
            return found
        task = self.pending.get(key)
        if task is None:
            self.misses += 1
            task = asyncio.ensure_future(run_in_threadpool(make_run, key))
            self.pending[key] = task
            task.add_done_callback(functools.partial(self._finished, key))
        else:
            self.hits += 1
        # shield: one client hanging up must not cancel the run the others wait for
        return await asyncio.shield(task)

    def _finished(self, key: RunKey, task: asyncio.Future) -> None:
        self.pending.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self.runs[key] = task.result()
        while len(self.runs) > self.size:
            self.runs.popitem(last=False)


def error(status: int, sentence: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status)


async def run_for(request: Request) -> tuple[RunKey, CachedRun] | JSONResponse:
    try:
        key = parse_run_query(request.query_params.multi_items())
        return key, await request.app.state.runs.get(key)
    except (BadQuery, ScenarioError) as exc:
        return error(422, sentence(str(exc)))
    except Exception as exc:  # an engine bug: log it, answer in a sentence, keep serving
        return internal_error(request, exc)


def sentence(text: str) -> str:
    """Errors reach people as one sentence: a capital letter first, a full stop last."""
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


# ---------------------------------------------------------------- endpoints

@functools.lru_cache(maxsize=1)
def scenarios_body() -> bytes:
    catalog = {
        "default_scenario": DEFAULT_SCENARIO,
        "profiles": list(PROFILES),
        "scenarios": [
            {
                "name": s.name,
                "title": s.title,
                "summary_line": s.summary_line,
                "explanation": s.explanation,
                "param_specs": s.param_specs,
                "default_rtt_us": s.default_rtt_us,
            }
            for s in list_scenarios()
        ],
    }
    return json.dumps(catalog, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def page(request: Request) -> Response:
    # no-cache: revalidate every time, so a new synack version never meets a stale page.
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


async def api_scenarios(request: Request) -> Response:
    return Response(scenarios_body(), media_type="application/json")


async def api_run(request: Request) -> Response:
    found = await run_for(request)
    if isinstance(found, Response):
        return found
    key, cached = found
    headers = {}
    if request.url.path.endswith(".json") or request.query_params.get("download") in ("1", "true", "yes"):
        headers["Content-Disposition"] = f'attachment; filename="{key.filename("json")}"'
    return Response(cached.body, media_type="application/json", headers=headers)


async def api_pcap(request: Request) -> Response:
    found = await run_for(request)
    if isinstance(found, Response):
        return found
    key, cached = found
    body = cached.pcap() if cached.has_pcap else await run_in_threadpool(cached.pcap)
    return Response(body, media_type="application/vnd.tcpdump.pcap",
                    headers={"Content-Disposition": f'attachment; filename="{key.filename("pcap")}"'})


async def not_found(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/api/"):
        return error(exc.status_code, "There is no such API endpoint; try /api/scenarios, /api/run or /api/pcap.")
    return Response(f"{exc.status_code}: {exc.detail}\n", status_code=exc.status_code, media_type="text/plain")


def internal_error(request: Request, exc: Exception) -> Response:
    # A traceback helps whoever runs the server; the page gets a sentence.
    traceback.print_exception(exc, file=sys.stderr)
    return error(500, "synack failed while running this scenario; this is a bug, and the server log has the details.")


class StaticAssets(StaticFiles):
    """Static files that revalidate (ETag) instead of being cached blindly."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def create_app(trusted_hosts: list[str] | None = None) -> Starlette:
    """The ASGI app.  ``trusted_hosts`` limits the Host header (DNS-rebinding protection on loopback)."""
    middleware = [Middleware(SecurityHeaders)]
    if trusted_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts))
    routes = [
        Route("/", page),
        Route("/api/scenarios", api_scenarios),
        Route("/api/run", api_run),
        Route("/api/run.json", api_run),
        Route("/api/pcap", api_pcap),
        Route("/api/capture", api_capture_upload, methods=["POST"]),
        Route("/api/capture/{capture_id}/{number}", api_capture_trace),
        Route("/api/drill", api_drill, methods=["POST"]),
        Mount("/static", StaticAssets(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: not_found, Exception: internal_error})
    app.state.runs = RunCache()
    app.state.captures = CaptureStore()
    return app


app = create_app()


# ---------------------------------------------------------------- serving

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def trusted_hosts_for(host: str) -> list[str] | None:
    """On loopback only loopback names may reach us (a web page could rebind its DNS name to 127.0.0.1)."""
    if host in LOOPBACK_NAMES:
        return ["127.0.0.1", "localhost", "::1", "[::1]"]
    return None


def bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ServeError(f"cannot serve on {host!r}: no such host name or address.") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    if os.name != "nt":
        # Lets a restarted server take the port while old connections sit in TIME_WAIT (fittingly).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise ServeError(f"port {port} on {host} is already in use; stop the other server "
                             f"or choose another port with --port.") from None
        raise ServeError(f"cannot serve on {host} port {port}: {exc.strerror or exc}.") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def has_display() -> bool:
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class _Server(uvicorn.Server):
    """uvicorn's server, opening the browser once the socket really answers."""

    def __init__(self, config: uvicorn.Config, url: str, open_browser: bool) -> None:
        super().__init__(config)
        self.url = url
        self.open_browser = open_browser

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(f"synack is serving {self.url} (Ctrl-C stops it)", flush=True)
            if self.open_browser:
                threading.Thread(target=webbrowser.open, args=(self.url,), daemon=True).start()


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True) -> None:
    """Serve the page until interrupted.  Raises ServeError with one sentence if it cannot start."""
    sock = bind(host, port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(trusted_hosts_for(host)), log_level="warning", access_log=False,
                            lifespan="off", server_header=False)
    server = _Server(config, url_for(host, port), open_browser and has_display())
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
