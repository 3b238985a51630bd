"""The ``synack`` command: list, run, play, bench, serve, export.

Every user mistake (an unknown scenario, a malformed ``--rtt``, a ``--set``
the scenario does not have, a file that cannot be written) ends in one
sentence on stderr and exit status 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in what the user asked for; the message is one sentence."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's own complaints become one sentence too, with the same status.
        text = message.rstrip(".")
        print(f"synack: error: {text[0].upper() + text[1:]}; 'synack --help' lists the commands and options.",
              file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_settings(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="scenario name (synack list)")
    p.add_argument("--profile", default="linux", help="linux (default) or rfc9293")
    p.add_argument("--rtt", help="round-trip time, e.g. 100ms, 30us, 1.5s (default: the scenario's)")
    p.add_argument("--loss", default="0", help="probability that the network loses a segment, 0 <= P < 1")
    p.add_argument("--seed", default="1", help="random seed, 0 to 4294967295 (same seed, same run)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a scenario parameter (synack list --format json shows them)")


def build_parser() -> Parser:
    parser = Parser(prog="synack", description="A TCP simulator: the handshake, data and teardown in slow motion.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    p = sub.add_parser("list", help="the scenarios")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p = sub.add_parser("run", help="run a scenario and show the trace")
    _add_settings(p)
    p.add_argument("--format", choices=("ladder", "tcpdump", "json", "none"), default="ladder")
    p.add_argument("--pcap", help="also write the run as a pcap file (for Wireshark)")
    p = sub.add_parser("play", help="step through a scenario in the terminal")
    _add_settings(p)
    p = sub.add_parser("bench", help="benchmarks")
    p.add_argument("what", choices=("lifecycles",))
    p.add_argument("--n", default="10000", help="how many lifecycles")
    p.add_argument("--workers", default=str(os.cpu_count() or 1),
                   help="independent simulations run at once (default: one per core)")
    p = sub.add_parser("serve", help="the simulator page in the browser")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", default="8765")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p = sub.add_parser("export", help="write one self-contained HTML file of a run")
    _add_settings(p)
    p.add_argument("--html", required=True, help="the file to write")
    return parser


# ------------------------------------------------------------------ checking
def _int(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{what} must be a whole number, not {text!r}.") from None
    if not low <= value <= high:
        raise UsageError(f"{what} must be from {low} to {high}, not {value}.")
    return value


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    from .units import parse_duration
    rtt_us = None
    if args.rtt is not None:
        try:
            rtt_us = parse_duration(args.rtt)
        except ValueError as exc:
            raise UsageError(f"--rtt: {exc}") from None
        if rtt_us < 2:
            raise UsageError("--rtt must be at least 2us.")
    try:
        loss = float(args.loss)
    except ValueError:
        raise UsageError(f"--loss must be a number from 0 up to, but not including, 1, not {args.loss!r}.") from None
    if not math.isfinite(loss) or not 0 <= loss < 1:
        raise UsageError(f"--loss must be from 0 up to, but not including, 1, not {args.loss}.")
    seed = _int(args.seed, "--seed", 0, 2**32 - 1)
    params = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set takes KEY=VALUE, not {item!r}.")
        params[key.strip()] = value.strip()
    return {"profile": args.profile, "rtt_us": rtt_us, "loss": loss, "seed": seed, "params": params}


def _writable(path: str, flag: str) -> Path:
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{flag} {path} is a directory; give a file name.")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: the directory {parent} does not exist.")
    if (target.exists() and not os.access(target, os.W_OK)) or (not target.exists() and not os.access(parent, os.W_OK)):
        raise UsageError(f"{flag} {path} cannot be written (permission denied).")
    return target


def _trace(args: argparse.Namespace) -> dict[str, Any]:
    from .scenarios import ScenarioError, run_scenario
    from .trace.json_view import trace_json
    try:
        return trace_json(run_scenario(args.name, **_settings(args)))
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None


# ------------------------------------------------------------------ commands
def cmd_list(args: argparse.Namespace) -> int:
    from .scenarios import list_scenarios
    scenarios = list_scenarios()
    if args.format == "json":
        print(json.dumps([{"name": s.name, "title": s.title, "summary": s.summary_line,
                           "default_rtt_us": s.default_rtt_us, "params": s.param_specs} for s in scenarios],
                         indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table
    table = Table(title="synack scenarios")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("what happens")
    for s in scenarios:
        table.add_row(s.name, s.title, s.summary_line)
    Console().print(table)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    pcap = _writable(args.pcap, "--pcap") if args.pcap else None
    trace = _trace(args)
    if pcap is not None:
        from .wire.pcap import pcap_from_trace
        try:
            pcap.write_bytes(pcap_from_trace(trace))
        except OSError as exc:
            raise UsageError(f"--pcap {args.pcap} cannot be written: {exc.strerror or exc}.") from None
    if args.format == "json":
        print(json.dumps(trace, indent=1))
    elif args.format == "tcpdump":
        from .trace.tcpdump_view import tcpdump_lines
        print("\n".join(tcpdump_lines(trace)))
    elif args.format == "ladder":
        from rich.console import Console
        from .trace.figures import figures_view
        from .trace.ladder import ladder_table
        console = Console()
        console.print(ladder_table(trace))
        figures = figures_view(trace)
        if figures is not None:
            console.print(figures)
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from .trace.play import play
    return play(_trace(args))


def cmd_bench(args: argparse.Namespace) -> int:
    from .scenarios.bench import run_benchmark
    n = _int(args.n, "--n", 1, 10_000_000)
    workers = _int(args.workers, "--workers", 1, 64)
    result = run_benchmark(n, workers=workers)
    print(f"{n} client_close lifecycles (TIME_WAIT expiry included): {result['per_second']:,.0f} per second "
          f"({result['build']} build, {result['workers']} process{'es' if result['workers'] > 1 else ''})")
    if result["build"] == "python":
        print("(pure Python; 'python tools/build_fast.py' compiles the same sources with mypyc, about 2.5x faster)")
    print(json.dumps(result))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    port = _int(args.port, "--port", 0, 65535)
    from .web.server import ServeError, serve
    try:
        serve(args.host, port, not args.no_browser)
    except ServeError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    target = _writable(args.html, "--html")
    trace = _trace(args)
    from .web.export import export_html
    try:
        export_html(trace, target)
    except OSError as exc:
        raise UsageError(f"--html {args.html} cannot be written: {exc.strerror or exc}.") from None
    print(f"wrote {target}")
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "play": cmd_play, "bench": cmd_bench, "serve": cmd_serve,
            "export": cmd_export}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"synack: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `synack run ... | head`: the reader left; say nothing more.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
