"""``synack export NAME --html FILE``: the simulator page and one run in a single HTML file.

The file works from ``file://`` with no network: the CSS is inlined, the ES
modules of ``static/`` are joined into one inline module script, the trace is
embedded as JSON in a ``<script type="application/json">`` block (escaped so
that no string in it can close the block), and the run's pcap rides along in
base64 so the page can still offer it as a download.  A meta
Content-Security-Policy allows exactly those inline blocks, by hash, and
forbids every network request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from synack.wire.pcap import pcap_from_trace

STATIC_DIR = Path(__file__).resolve().parent / "static"
ENTRY = "app.js"

_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"\./([\w-]+\.js)";\s*$', re.MULTILINE)
_EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)", re.MULTILINE)


class ExportError(ValueError):
    """The page's sources or the trace cannot be made into one file; the message is one sentence."""


def _module_var(filename: str) -> str:
    return "__synack_" + re.sub(r"\W", "_", filename[: -len(".js")])


def _load_modules() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in STATIC_DIR.glob("*.js")}


def _order(modules: dict[str, str]) -> list[str]:
    """Dependencies before the modules that import them, from the entry module down."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ExportError(f"the page's modules import each other in a circle through {name}.")
        if name not in modules:
            raise ExportError(f"the page imports {name}, which is not in synack/web/static.")
        visiting.add(name)
        for _, dep in _IMPORT.findall(modules[name]):
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    visit(ENTRY)
    return ordered


def _wrap(name: str, source: str) -> str:
    """One ES module as a function scope that returns its exports.

    The page's modules keep to two forms on purpose, `import { a, b } from
    "./x.js";` and `export function|class|const|let name`, so this small
    rewrite is exact; anything else is refused rather than half-translated.
    """
    lines = []
    for names, dep in _IMPORT.findall(source):
        bindings = []
        for item in (n.strip() for n in names.split(",")):
            if not item:
                continue
            original, _, alias = item.partition(" as ")
            bindings.append(f"{original.strip()}: {alias.strip()}" if alias else original.strip())
        lines.append(f"const {{ {', '.join(bindings)} }} = {_module_var(dep)};")
    body = _IMPORT.sub("", source)
    exported = _EXPORT.findall(body)
    body = re.sub(r"^export\s+", "", body, flags=re.MULTILINE)
    if re.search(r"^\s*(import|export)\b", body, re.MULTILINE):
        raise ExportError(f"{name} uses an import or export form the exporter does not handle.")
    return (f"const {_module_var(name)} = (() => {{\n" + "\n".join(lines) + "\n" + body
            + f"\nreturn {{ {', '.join(exported)} }};\n}})();\n")


def bundle_script() -> str:
    modules = _load_modules()
    script = "".join(_wrap(name, modules[name]) for name in _order(modules))
    if "</script" in script.lower():
        raise ExportError("a page module contains '</script', which would end the inline script early.")
    return script


def embed_json(value: object) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' and no JS line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _replace_once(page: str, old: str, new: str) -> str:
    if page.count(old) != 1:
        raise ExportError(f"index.html no longer has exactly one {old!r}; the exporter needs updating.")
    return page.replace(old, new)


def export_page(trace: dict) -> str:
    """The whole page as one HTML string with ``trace`` inside."""
    if not isinstance(trace, dict) or "steps" not in trace:
        raise ExportError("that is not a synack trace (it has no steps).")
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    css = (STATIC_DIR / "style.css").read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise ExportError("style.css contains '</style', which would end the inline style early.")
    script = bundle_script()
    icon = "data:image/svg+xml," + quote((STATIC_DIR / "favicon.svg").read_text(encoding="utf-8").strip())
    pcap = base64.b64encode(pcap_from_trace(trace)).decode("ascii")
    # A run with a crowd carries the chart library too (inline, allowed by its hash like the rest).
    chart_js = chart_css = ""
    if trace.get("crowd"):
        chart_js = (STATIC_DIR / "vendor" / "uPlot.iife.min.js").read_text(encoding="utf-8")
        chart_css = (STATIC_DIR / "vendor" / "uPlot.min.css").read_text(encoding="utf-8")
        if "</script" in chart_js.lower() or "</style" in chart_css.lower():
            raise ExportError("the chart library contains a closing tag, which would end its inline block early.")
    policy = "; ".join([
        "default-src 'none'",
        f"script-src {_sha256(script)}" + (f" {_sha256(chart_js)}" if chart_js else ""),
        f"style-src {_sha256(css)}" + (f" {_sha256(chart_css)}" if chart_css else ""),
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ])

    page = re.sub(r'^<link rel="modulepreload"[^>]*>\n', "", page, flags=re.MULTILINE)
    page = _replace_once(page, '<meta charset="utf-8">\n',
                         f'<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="{policy}">\n')
    page = _replace_once(page, "<title>synack: TCP in slow motion</title>",
                         f"<title>{html.escape(trace.get('title', 'synack'))} · synack</title>")
    page = _replace_once(page, '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
                         f'<link rel="icon" href="{html.escape(icon)}" type="image/svg+xml">')
    page = _replace_once(page, '<link rel="stylesheet" href="/static/style.css">',
                         f"<style>{css}</style>" + (f"\n<style>{chart_css}</style>" if chart_css else ""))
    page = _replace_once(
        page,
        '<script type="module" src="/static/app.js"></script>',
        f'<script type="application/json" id="synack-trace">{embed_json(trace)}</script>\n'
        f'<script type="text/plain" id="synack-pcap">{pcap}</script>\n'
        + (f"<script>{chart_js}</script>\n" if chart_js else "")
        + f'<script type="module">{script}</script>',
    )
    return page


def export_html(trace: dict, path: str | os.PathLike) -> None:
    """Write the page with ``trace`` inside to ``path``: one file that works offline from file://."""
    Path(path).write_text(export_page(trace), encoding="utf-8")
