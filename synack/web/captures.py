"""The page's "Open capture": a pcap or pcapng uploaded to the local server, its connections listed,
each one served as a JSON trace for the same player a simulated run uses.

Routes (mounted by :mod:`synack.web.server`):
  ``POST /api/capture``          the file as the request body (any content type; ``?name=`` for its
                                 name); answers ``{"id", "file", "warnings", "packets", "connections"}``
                                 with one summary row per connection
  ``GET /api/capture/{id}/{n}``  connection ``n`` as a trace (docs/trace-format.md, plus
                                 ``final_states``)

A body larger than :data:`MAX_CAPTURE_BYTES` is refused with 413 before it
is read in full; an empty file, a file that is not a capture, or one without
a TCP connection gets 422; an unknown or expired capture id 404.  Every
error body is ``{"error": "one sentence"}``.  The last :data:`KEPT`
captures are kept in memory (the server runs on the user's own machine);
nothing is written to disk.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections import OrderedDict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from synack.replay.capture import (
    CaptureError,
    Scan,
    endpoint_text,
    load_packets_with_bytes,
    scan,
    summary_row,
)
from synack.trace.capture_view import capture_trace

MAX_CAPTURE_BYTES = 32 * 1024 * 1024
KEPT = 8


class Capture:
    """One uploaded file: its bytes, the observed connections, and the traces made so far."""

    def __init__(self, name: str, data: bytes, found: Scan) -> None:
        self.name = name
        self.data = data
        self.found = found
        self.traces: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def listing(self, capture_id: str) -> dict[str, Any]:
        return {"id": capture_id, "file": self.name, "warnings": self.found.warnings,
                "packets": self.found.tcp_packets,
                "connections": [summary_row(c) for c in self.found.connections]}

    def trace(self, number: int) -> dict[str, Any]:
        with self.lock:
            if number not in self.traces:
                conn = self.found.connections[number]
                packets = load_packets_with_bytes(self.data, {s.number for s in conn.steps})
                self.traces[number] = capture_trace(conn, packets, file_name=self.name, endpoint_text=endpoint_text)
            return self.traces[number]


class CaptureStore:
    """The last few captures, by a random id the page holds."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self.captures: OrderedDict[str, Capture] = OrderedDict()
        self.lock = threading.Lock()

    def add(self, capture: Capture) -> str:
        capture_id = secrets.token_urlsafe(9)
        with self.lock:
            self.captures[capture_id] = capture
            while len(self.captures) > self.kept:
                self.captures.popitem(last=False)
        return capture_id

    def get(self, capture_id: str) -> Capture | None:
        with self.lock:
            return self.captures.get(capture_id)


def _error(status: int, sentence: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status)


def _too_large() -> JSONResponse:
    return _error(413, f"The capture is larger than {MAX_CAPTURE_BYTES // (1024 * 1024)} MB, the most the page "
                       "takes; use 'synack replay FILE' in a terminal for large files.")


def _open(name: str, data: bytes) -> Capture | JSONResponse:
    try:
        found = scan(data, record=True, name=name)
    except CaptureError as exc:
        return _error(422, str(exc))
    if not found.connections:
        return _error(422, f"{name} holds no TCP connection synack can read ({found.records} packets, none of "
                           "them a readable TCP segment).")
    return Capture(name, data, found)


async def api_capture_upload(request: Request) -> Response:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_CAPTURE_BYTES:
        return _too_large()
    name = os.path.basename(request.query_params.get("name", "").strip()) or "capture"
    chunks = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_CAPTURE_BYTES:
                return _too_large()
            chunks.append(chunk)
    except ClientDisconnect:
        return _error(400, "The upload was interrupted before the whole file arrived.")
    data = b"".join(chunks)
    if not data:
        return _error(422, f"{name} is empty (0 bytes), so it holds no capture.")
    opened = await run_in_threadpool(_open, name, data)
    if isinstance(opened, Response):
        return opened
    capture_id = request.app.state.captures.add(opened)
    return JSONResponse(opened.listing(capture_id))


async def api_capture_trace(request: Request) -> Response:
    capture = request.app.state.captures.get(request.path_params["capture_id"])
    if capture is None:
        return _error(404, "That capture is no longer open (the server keeps the last few); open the file again.")
    text = request.path_params["number"]
    if not text.isdigit() or int(text) >= len(capture.found.connections):
        return _error(404, f"{capture.name} has no connection {text}; it has {len(capture.found.connections)}, "
                           f"numbered from 0.")
    trace = await run_in_threadpool(capture.trace, int(text))
    return JSONResponse(trace)
