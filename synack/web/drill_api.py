"""The page's "Open script": a packetdrill script uploaded to the local server and run against the engine.

Route (mounted by :mod:`synack.web.server`):
  ``POST /api/drill?profile=linux&name=FILE.pkt``  the script as the request body (UTF-8 text);
                                                   answers the run as a JSON trace (docs/trace-format.md)
                                                   with ``drill``: the script's status and first mismatch

A script that fails still answers 200: its run up to the mismatch is the
lesson.  A script that cannot be parsed, an unknown profile or a body that is
not text gets 422, a body over :data:`MAX_SCRIPT_BYTES` 413; every error body
is ``{"error": "one sentence"}``.  Nothing is written to disk.
"""

from __future__ import annotations

import os

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from synack.drill.suite import run_text
from synack.drill.trace import drill_trace
from synack.tcp.profiles import PROFILES

MAX_SCRIPT_BYTES = 256 * 1024  # packetdrill's own scripts are a few KB


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def _run(text: str, name: str, profile: str) -> dict | str:
    outcome, stack = run_text(text, name, profile, trace=True)
    if stack is None:
        return outcome.message
    return drill_trace(name, outcome, stack, text)


async def api_drill(request: Request) -> Response:
    name = os.path.basename(request.query_params.get("name", "").strip()) or "script.pkt"
    profile = request.query_params.get("profile", "linux")
    if profile not in PROFILES:
        return _error(422, f"There is no profile {profile!r}; choose {' or '.join(PROFILES)}.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_SCRIPT_BYTES:
        return _error(413, f"{name} is larger than {MAX_SCRIPT_BYTES // 1024} KB; a packetdrill script is text "
                           "of a few KB.")
    try:
        body = await request.body()
    except ClientDisconnect:
        return _error(400, "The upload was interrupted before the whole script arrived.")
    if len(body) > MAX_SCRIPT_BYTES:
        return _error(413, f"{name} is larger than {MAX_SCRIPT_BYTES // 1024} KB.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(422, f"{name} is not UTF-8 text, so it is no packetdrill script.")
    if not text.strip():
        return _error(422, f"{name} is empty.")
    result = await run_in_threadpool(_run, text, name, profile)
    if isinstance(result, str):
        return _error(422, result)
    return JSONResponse(result)
