"""The ``synack`` command: list, run, play, bench, serve, export, drill, replay.

Every user mistake (an unknown scenario, a malformed ``--rtt``, a ``--set``
the scenario does not have, a file that cannot be written) ends in one
sentence on stderr and exit status 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
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


NAME_STYLES = ("synack", "rfc", "netstat", "ss")


def _add_view(p: argparse.ArgumentParser) -> None:
    p.add_argument("--names", choices=NAME_STYLES, default="synack",
                   help="how states are spelled: synack (SYN_RECEIVED, FIN_WAIT_1; the default), "
                        "rfc (SYN-RECEIVED), netstat (SYN_RECV, FIN_WAIT1), ss (SYN-RECV, FIN-WAIT-1)")
    p.add_argument("--connection", help="show only connection N (1 is the first), for runs with several")


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
    parser.add_argument("--version", action="version", version=f"synack {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    p = sub.add_parser("list", help="the scenarios")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p = sub.add_parser("run", help="run a scenario and show the trace")
    _add_settings(p)
    p.add_argument("--format", choices=("ladder", "tcpdump", "json", "none"), default="ladder")
    p.add_argument("--pcap", help="also write the run as a capture for Wireshark: FILE.pcap or FILE.pcapng")
    p.add_argument("--absolute", action="store_true",
                   help="tcpdump lines with absolute sequence numbers, as tcpdump -S prints them")
    p.add_argument("--plot", help="also save the crowd chart (sockets per state over time) or the lesson's "
                   "chart as .svg, .png or .pdf")
    _add_view(p)
    p = sub.add_parser("play", help="step through a scenario in the terminal")
    _add_settings(p)
    _add_view(p)
    p = sub.add_parser("bench", help="benchmarks")
    p.add_argument("what", choices=("lifecycles",))
    p.add_argument("--n", default="10000", help="how many lifecycles")
    p.add_argument("--workers", default="1", help="independent simulations run at once (default: 1)")
    p.add_argument("--pure", action="store_true", help="run the pure-Python sources even with a fresh compiled build")
    p.add_argument("--no-kernel", action="store_true", help="skip the kernel's side of the comparison")
    p.add_argument("--repeat", default="1",
                   help="run each side this many times, alternately, and keep each side's best (default: 1)")
    p = sub.add_parser("serve", help="the simulator page in the browser")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", default="8765")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    _add_replay_parser(sub)
    p = sub.add_parser("export", help="write one self-contained HTML file of a run")
    _add_settings(p)
    p.add_argument("--html", required=True, help="the file to write")
    _add_drill_parser(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("synack")
    except PackageNotFoundError:
        return "unknown (not installed)"


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


CAPTURE_FORMATS = (".pcap", ".pcapng")


def _capture_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in CAPTURE_FORMATS:
        raise UsageError(f"--pcap {path}: synack writes .pcap or .pcapng files, so the name must end in one of "
                         f"them, not {suffix or 'no extension'!r}.")
    return suffix


def _connection(args: argparse.Namespace, trace: dict[str, Any]) -> int | None:
    if args.connection is None:
        return None
    total = len(trace.get("connections") or [])
    return _int(args.connection, "--connection", 1, max(total, 1)) - 1


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
    if args.absolute and args.format != "tcpdump":
        raise UsageError("--absolute numbers the tcpdump lines; add --format tcpdump.")
    kind = _capture_format(args.pcap) if args.pcap else None
    pcap = _writable(args.pcap, "--pcap") if args.pcap else None
    plot = _writable(args.plot, "--plot") if args.plot else None
    if plot is not None:
        from .trace.crowd_view import PLOT_SUFFIXES
        if plot.suffix.lower() not in PLOT_SUFFIXES:
            raise UsageError(f"--plot {args.plot}: give a file name ending in {', '.join(PLOT_SUFFIXES)}.")
    trace = _trace(args)
    connection = _connection(args, trace)
    if plot is not None:
        from .trace.crowd_view import save_plot
        from .trace.figures import save_chart
        if not trace.get("crowd") and not trace.get("summary", {}).get("chart"):
            raise UsageError(f"scenario {trace['scenario']} has no crowd of connections or chart to plot; "
                             "try syn_flood, time_wait_exhaustion or setup_tax.")
        try:
            (save_plot if trace.get("crowd") else save_chart)(trace, plot)
        except OSError as exc:
            raise UsageError(f"--plot {args.plot} cannot be written: {exc.strerror or exc}.") from None
    if pcap is not None:
        from .wire.pcap import pcap_from_trace
        from .wire.pcapng import pcapng_from_trace
        try:
            pcap.write_bytes(pcapng_from_trace(trace) if kind == ".pcapng" else pcap_from_trace(trace))
        except OSError as exc:
            raise UsageError(f"--pcap {args.pcap} cannot be written: {exc.strerror or exc}.") from None
    if args.format == "json":
        print(json.dumps(trace, indent=1))
    elif args.format == "tcpdump":
        from .trace.tcpdump_view import tcpdump_lines
        print("\n".join(tcpdump_lines(trace, absolute=args.absolute)))
    elif args.format == "ladder":
        from rich.console import Console
        from .trace.figures import figures_view
        from .trace.ladder import ladders
        console = Console()
        console.print(ladders(trace, width=console.width, names=args.names, connection=connection))
        if trace.get("crowd"):
            from rich.text import Text
            from .trace.crowd_view import crowd_chart
            console.print(Text(crowd_chart(trace, width=min(console.width, 100))))
        figures = figures_view(trace, width=min(console.width, 100))
        if figures is not None:
            console.print(figures)
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from .trace.play import play
    trace = _drill_play_trace(args) if args.name.endswith(".pkt") else _trace(args)
    connection = _connection(args, trace)
    return play(trace, names=args.names, connection=connection or 0)


def _drill_play_trace(args: argparse.Namespace) -> dict[str, Any]:
    """``synack play SCRIPT.pkt``: the script's run against the engine, as a trace to step through."""
    from .drill.suite import run_file
    from .drill.trace import drill_trace
    if args.profile not in ("linux", "rfc9293"):
        raise UsageError(f"unknown profile {args.profile!r}; choose linux or rfc9293.")
    outcome, stack = run_file(args.name, args.profile, trace=True)
    if stack is None:
        raise UsageError(outcome.message)
    return drill_trace(args.name, outcome, stack)


def cmd_bench(args: argparse.Namespace) -> int:
    """The simulator and the kernel living the same lifecycles, side by side in one run."""
    from .kernel_bench import kernel_lifecycles
    from .scenarios.bench import run_benchmark
    n = _int(args.n, "--n", 1, 10_000_000)
    workers = _int(args.workers, "--workers", 1, 64)
    repeat = _int(args.repeat, "--repeat", 1, 100)
    # Alternating the two sides, each keeping its best run, as timeit keeps the fastest: on a shared
    # machine a slow run says how busy the machine was, the fastest what the code can do.
    result: dict[str, Any] = {}
    # The kernel's best (wall, CPU) rates as its threads fall (the figure), and on one CPU.
    best_kernel: dict[bool, tuple[float, float]] = {}
    kernel_side = not args.no_kernel
    for _ in range(repeat):
        run = run_benchmark("lifecycles", n, workers=workers, pure=args.pure)
        if not result or run["per_second"] > result["per_second"]:
            result = run
        if not kernel_side:
            continue
        try:
            for one_cpu in (False, True):
                wall, cpu = kernel_lifecycles(n, one_cpu=one_cpu)
                if one_cpu not in best_kernel or wall > best_kernel[one_cpu][0]:
                    best_kernel[one_cpu] = (wall, cpu)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"The kernel's side could not run here ({getattr(exc, 'strerror', None) or exc}).")
            kernel_side = False
    kernel, kernel_cpu = best_kernel.get(False, (None, None))
    one_cpu_kernel, one_cpu_kernel_cpu = best_kernel.get(True, (None, None))
    result["repeat"] = repeat
    best = f", best of {repeat} runs" if repeat > 1 else ""
    plural = "es" if result["workers"] > 1 else ""
    print(f"synack, {result['build']} build ({result['workers']} process{plural}): {n} client_close lifecycles "
          f"(TIME_WAIT expiry included) in {result['seconds']:.2f} s: {result['per_second']:,.0f} per second, "
          f"{result['per_cpu_second']:,.0f} per CPU second{best}")
    if result["build"] == "pure" and not args.pure:
        print("(pure Python: no fresh mypyc build; 'make build' compiles the engine when a C compiler is present)")
    if kernel and kernel_cpu:
        print(f"Linux {os.uname().release}, the same lifecycles over loopback: {kernel:,.0f} per second, "
              f"{kernel_cpu:,.0f} per CPU second{best}")
        if one_cpu_kernel and one_cpu_kernel_cpu:
            print(f"  its two threads kept on one CPU: {one_cpu_kernel:,.0f} per second, "
                  f"{one_cpu_kernel_cpu:,.0f} per CPU second{best}")
        print(f"ratio synack / kernel: {result['per_second'] / kernel:.2f} "
              f"(per CPU second: {result['per_cpu_second'] / kernel_cpu:.2f})"
              + (f"; to the kernel on one CPU: {result['per_second'] / one_cpu_kernel:.2f}" if one_cpu_kernel else ""))
    # The ratios are worked out from the figures as the JSON line gives them, so a reader dividing
    # them gets the same ratio (dividing the unrounded ones could differ in the last place).
    result["kernel_per_second"] = round(kernel, 1) if kernel else None
    result["kernel_per_cpu_second"] = round(kernel_cpu, 1) if kernel_cpu else None
    result["ratio"] = round(result["per_second"] / result["kernel_per_second"], 3) if kernel else None
    result["cpu_ratio"] = (round(result["per_cpu_second"] / result["kernel_per_cpu_second"], 3)
                           if kernel_cpu and result["per_cpu_second"] else None)
    result["kernel_one_cpu_per_second"] = round(one_cpu_kernel, 1) if one_cpu_kernel else None
    result["kernel_one_cpu_per_cpu_second"] = round(one_cpu_kernel_cpu, 1) if one_cpu_kernel_cpu else None
    result["one_cpu_ratio"] = (round(result["per_second"] / result["kernel_one_cpu_per_second"], 3)
                               if one_cpu_kernel else None)
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


# ------------------------------------------------------------------ replay
def _add_replay_parser(sub: Any) -> None:
    p = sub.add_parser("replay", help="the TCP connections of a pcap or pcapng capture, states inferred")
    p.add_argument("file", help="a pcap or pcapng file (tcpdump -w, Wireshark, dumpcap)")
    p.add_argument("--conn", help="only connection N, as numbered by --format summary (from 0, like tcp.stream)")
    p.add_argument("--filter", metavar="HOST:PORT",
                   help="only connections with this endpoint: 10.0.0.1:80, [2001:db8::1]:443, 10.0.0.1 or :80")
    p.add_argument("--format", choices=("ladder", "tcpdump", "json", "summary"),
                   help="summary (the default without --conn/--filter), ladder (the default with them), "
                        "tcpdump or json")
    p.add_argument("--play", action="store_true", help="step through the connection in the terminal")


def cmd_replay(args: argparse.Namespace) -> int:
    from .replay.capture import CaptureError, FilterError, load_packets_with_bytes, parse_filter, scan, select
    conn = _int(args.conn, "--conn", 0, 2**31) if args.conn is not None else None
    if args.filter is not None:
        try:
            parse_filter(args.filter)
        except FilterError as exc:
            raise UsageError(str(exc)) from None
    if os.path.isdir(args.file):
        raise UsageError(f"{args.file} is a directory; give a pcap or pcapng file.")
    fmt = args.format or ("ladder" if conn is not None or args.filter is not None or args.play else "summary")
    if fmt == "summary" and conn is None and args.filter is None:
        return _replay_summary(args.file)
    try:
        found = scan(args.file, record=fmt != "summary")
    except CaptureError as exc:
        raise UsageError(str(exc)) from None
    for warning in found.warnings:
        print(f"synack: warning: {warning}", file=sys.stderr)
    if not found.connections:
        raise UsageError(f"{found.name} holds no TCP connection synack can read "
                         f"({found.records} packets, none of them a readable TCP segment).")
    chosen = select(found.connections, conn, args.filter)
    if not chosen:
        what = f"connection {conn}" if conn is not None else "no connection"
        if conn is not None and args.filter is None:
            raise UsageError(f"{found.name} has no connection {conn}; it has {len(found.connections)}, "
                             f"numbered 0 to {len(found.connections) - 1}.")
        raise UsageError(f"{found.name} has {what} matching --filter {args.filter}.")
    if fmt == "summary":
        from .replay.capture import summary_row, tally
        from .replay.report import summary_lines
        rows = [summary_row(c) for c in chosen]
        for line in summary_lines(rows, tally(rows), found.name, sum(c.packets for c in chosen)):
            print(line)
        return 0
    from .replay.capture import endpoint_text
    from .trace.capture_view import capture_trace
    numbers = {step.number for c in chosen for step in c.steps}
    packets = load_packets_with_bytes(args.file, numbers)
    traces = [capture_trace(c, packets, file_name=os.path.basename(found.name), endpoint_text=endpoint_text)
              for c in chosen]
    if args.play:
        if len(traces) > 1:
            raise UsageError(f"{len(traces)} connections match; pick one with --conn N to play it.")
        from .trace.play import play
        return play(traces[0])
    if fmt == "json":
        print(json.dumps({"file": found.name, "warnings": found.warnings, "connections": traces}, indent=1))
    elif fmt == "tcpdump":
        from .trace.tcpdump_view import tcpdump_lines
        for trace in traces:
            print(f"# {trace['title']}")
            print("\n".join(tcpdump_lines(trace)))
    else:
        from rich.console import Console
        from .trace.ladder import ladder_table
        console = Console()
        for trace in traces:
            console.print(ladder_table(trace))
            console.print(f"final states: client {trace['final_states']['client']}, "
                          f"server {trace['final_states']['server']} ({trace['summary']['ended']})")
    return 0


# ------------------------------------------------------------------ drill
def _add_drill_parser(sub: Any) -> None:
    p = sub.add_parser("drill", help="run packetdrill scripts against synack's engine")
    p.add_argument("path", help="a .pkt script, or a folder: every *.pkt below it")
    p.add_argument("--profile", default="linux", help="linux (default) or rfc9293")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--pcap", help="also write the run of one script as a pcap file")
    p.add_argument("--html", help="also write the run of one script as the simulator page, in one file")
    p.add_argument("--tolerance_usecs", help="timing tolerance (default: the script's, else 4000)")
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                   help="a definition the script may use, as packetdrill's -D")


def _drill_options(args: argparse.Namespace) -> dict[str, Any]:
    from .tcp.profiles import PROFILES
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose {' or '.join(PROFILES)}.")
    defines = {}
    for text in args.defines:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-D {text!r} must be NAME=VALUE.")
        defines[name.strip()] = value.strip()
    tolerance = None
    if args.tolerance_usecs is not None:
        tolerance = _int(args.tolerance_usecs, "--tolerance_usecs", 0, 60_000_000)
    return {"defines": defines, "tolerance_us": tolerance}


def cmd_drill(args: argparse.Namespace) -> int:
    """Exit 0 when every script passes (unsupported ones are counted apart), 1 on a mismatch, 2 on a bad script."""
    from .drill.suite import run_file, run_tree, scripts_under
    options = _drill_options(args)
    target = Path(args.path)
    if target.is_dir():
        if args.pcap or args.html:
            flag = "--pcap" if args.pcap else "--html"
            raise UsageError(f"{flag} writes the run of one script; give a .pkt file, not a folder.")
        if not scripts_under(target):
            raise UsageError(f"{args.path} holds no *.pkt scripts.")
        outcomes = run_tree(target, args.profile, **options)
        return _drill_table(outcomes, args)
    if not target.is_file():
        raise UsageError(f"{args.path} is neither a script nor a folder.")
    pcap = _writable(args.pcap, "--pcap") if args.pcap else None
    html = _writable(args.html, "--html") if args.html else None
    outcome, stack = run_file(target, args.profile, trace=bool(pcap or html), **options)
    if outcome.status == "error":
        print(f"synack: error: {outcome.message}", file=sys.stderr)
        return EXIT_USAGE
    if (pcap or html) and stack is not None:
        from .drill.trace import drill_trace
        trace = drill_trace(target, outcome, stack)
        try:
            if pcap is not None:
                from .wire.pcap import pcap_from_trace
                pcap.write_bytes(pcap_from_trace(trace))
            if html is not None:
                from .web.export import export_html
                export_html(trace, html)
        except OSError as exc:
            raise UsageError(f"{exc.filename or 'the output'} cannot be written: {exc.strerror or exc}.") from None
    if args.format == "json":
        print(json.dumps({"profile": args.profile, **outcome.as_json()}, indent=1))
    else:
        for note in outcome.notes:
            print(f"note: {note}")
        print(f"{target}: pass" if outcome.status == "pass" else f"{target}: {outcome.message}")
    return 0 if outcome.status == "pass" else 1


def _drill_table(outcomes: list, args: argparse.Namespace) -> int:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("pass", "fail", "unsupported", "error")}
    total = f"{len(outcomes)} scripts under {args.profile}: {counts['pass']} pass, {counts['fail']} fail, " \
            f"{counts['unsupported']} unsupported, {counts['error']} unreadable"
    if args.format == "json":
        print(json.dumps({"profile": args.profile, "counts": counts,
                          "scripts": [{k: v for k, v in o.as_json().items() if k != "log"} for o in outcomes]},
                         indent=1))
    else:
        from rich.console import Console
        from rich.table import Table
        table = Table(title=f"packetdrill scripts against synack ({args.profile})")
        table.add_column("script", no_wrap=True)
        table.add_column("result")
        table.add_column("first mismatch")
        style = {"pass": "green", "fail": "red", "unsupported": "yellow", "error": "magenta"}
        for o in outcomes:
            table.add_row(Path(o.script).name, f"[{style[o.status]}]{o.status}[/]", o.message)
        console = Console()
        console.print(table)
        console.print(total)
    return 0 if counts["fail"] == 0 and counts["error"] == 0 else 1


def _replay_summary(path: str) -> int:
    """The whole capture's summary, one row per connection."""
    from .replay.capture import CaptureError, summarize, tally
    from .replay.report import summary_lines
    try:
        rows, found = summarize(path)
    except CaptureError as exc:
        raise UsageError(str(exc)) from None
    for warning in found.warnings:
        print(f"synack: warning: {warning}", file=sys.stderr)
    if not rows:
        raise UsageError(f"{found.name} holds no TCP connection synack can read "
                         f"({found.records} packets, none of them a readable TCP segment).")
    for line in summary_lines(rows, tally(rows), found.name, sum(row["packets"] for row in rows)):
        print(line)
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "play": cmd_play, "bench": cmd_bench, "serve": cmd_serve,
            "export": cmd_export, "drill": cmd_drill, "replay": cmd_replay}


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
