"""Run a parsed packetdrill script against a stack under test and report pass or the first mismatch.

The semantics follow packetdrill's (its README and the USENIX ATC 2013
paper): events run in script order at their times; ``<`` segments are
injected with the remote side's sequence numbers as written and the local
side's (ack numbers, SACK blocks, the TS echo) shifted by what the stack
chose; a ``>`` line takes the next segment the stack sent and every field
written must match, sequence numbers relative to the stack's ISN (learned
from its SYN or SYN-ACK).  A ``>`` line without ``<...>`` options demands a
segment without options; ``<...>`` leaves them unchecked; the TS value of an
outbound segment is checked only with ``--tcp_ts_tick_usecs``.  An event may
happen within the tolerance of its time, the larger of ``--tolerance_usecs``
(4 ms) and 12.5% of the gap since the previous event; relative times count
from when the previous event actually happened.

The runner does not know what the stack is: :class:`Stack` is the interface,
:mod:`synack.drill.simstack` implements it with synack's engine on a virtual
clock, ``tools/drill_linux.py`` with the real kernel behind a tun device.
"""

from __future__ import annotations

import errno as errno_module
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..tcp import options as opt
from ..tcp.segment import Flags, Segment
from ..tcp.seq import wrap
from .checks import CheckError, evaluate_checks
from .script import (Code, Event, PacketLine, Script, Shell, Syscall, Unsupported, split_args)
from .settings import settings_from_shell

ANY_TIME_LIMIT_US = 600_000_000  # how long a '*' event or a blocking call may wait
MAX_IO_BYTES = 1 << 24  # one read or write in a script: plenty for a test, no memory blow-up
LETTERS = {"S": Flags.SYN, "F": Flags.FIN, "R": Flags.RST, "P": Flags.PSH, ".": Flags.ACK, "E": Flags.ECE,
           "W": Flags.CWR, "U": Flags.URG}
CONSTANTS = {"O_RDWR": 0o2, "O_NONBLOCK": 0o4000, "SHUT_RD": 0, "SHUT_WR": 1, "SHUT_RDWR": 2,
             "MSG_FASTOPEN": 0x20000000, "F_GETFL": 3, "F_SETFL": 4, "SOCK_STREAM": 1, "IPPROTO_TCP": 6,
             "AF_INET": 2, "SOL_SOCKET": 1, "SOL_TCP": 6}


# Calls whose fd is a connection: inline checks read the tcp_info of the last one used.
CONNECTION_CALLS = frozenset({"connect", "sendto", "read", "recv", "write", "send", "shutdown", "close",
                              "getsockopt"})


class Mismatch(Exception):
    """The stack did something other than the script says; the message is packetdrill's style."""


class NotSupported(Exception):
    """The script uses something the runner does not implement."""


@dataclass
class CallResult:
    value: int = 0
    errno: str | None = None


class Pending(Protocol):
    """A blocking call in progress: ``result()`` is None until it completes."""

    def result(self) -> CallResult | None: ...


class Stack(Protocol):
    """The stack under test, as the runner drives it."""

    def now(self) -> int: ...

    def wait(self, until: int, done: Callable[[], bool] | None = None) -> bool:
        """Let time pass until ``until`` or until ``done()`` is true (returns whether it was)."""

    def has_outbound(self) -> bool:
        """Whether the stack sent a segment that no ``>`` line has taken yet."""

    def take_outbound(self) -> tuple[int, Segment] | None:
        """The oldest segment the stack sent that no ``>`` line has taken yet, with its time."""

    def inject(self, seg: Segment) -> None: ...

    def apply_settings(self, settings: dict[str, str]) -> list[str]:
        """Sysctl settings by name (tcp_syncookies=2); returns notes about those it cannot apply."""

    def call(self, name: str, args: dict[str, Any]) -> CallResult | Pending: ...

    def tcp_info(self, fd: int | None) -> dict[str, int]: ...


@dataclass
class Outcome:
    script: str
    status: str  # "pass", "fail", "unsupported", "error"
    line: int | None = None
    message: str = ""
    notes: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"script": self.script, "status": self.status, "line": self.line, "message": self.message,
                "notes": self.notes, "log": self.log}


def flags_from_letters(letters: str) -> Flags:
    value = Flags(0)
    for ch in letters:
        value |= LETTERS[ch]
    return value


def letters_of(flags: Flags) -> str:
    text = "".join(ch for ch in "SFRPEWU" if flags & LETTERS[ch])
    return text + ("." if flags & Flags.ACK else "")


@dataclass
class _Blocked:
    """A blocking call written ``a...b``: started at a, checked when the script next calls or ends."""

    event: Event
    call: Syscall
    args: dict[str, Any]
    pending: Pending
    end: int
    tolerance: int


class Runner:
    def __init__(self, script: Script, stack: Stack, *, tolerance_us: int | None = None) -> None:
        self.script = script
        self.stack = stack
        self.tolerance_us = tolerance_us if tolerance_us is not None else script.tolerance_us
        self.local_isn: int | None = None
        self.ts_offset: int | None = None  # live TS val minus the script's
        # The first outbound TS: script val, live val, and when the script and the stack sent it.
        self.ts_first: tuple[int, int, int, int] | None = None
        self._expect_times = (0, 0)  # the > line being checked: its script time and its live time
        self.tick_us = int(script.options.get("tcp_ts_tick_usecs", "0") or 0)
        self.last_time = 0
        self.last_fd: int | None = None
        self.blocked: _Blocked | None = None
        self.outcome = Outcome(script.path, "pass")

    # -------------------------------------------------------------- main loop
    def run(self) -> Outcome:
        out = self.outcome
        for event in self.script.events:
            body = event.body
            if isinstance(body, Unsupported):
                out.status, out.line, out.message = "unsupported", event.line, f"unsupported: {body.what}"
                return out
            if isinstance(body, Shell):
                self._shell(event, body)
                continue
        for event in self.script.events:
            if isinstance(event.body, Shell):
                continue
            try:
                if self.blocked is not None and not isinstance(event.body, PacketLine):
                    self._finish(self.blocked)
                self._event(event)
            except Mismatch as exc:
                out.status, out.line, out.message = "fail", event.line, f"script line {event.line}: {exc}"
                return out
            except NotSupported as exc:
                out.status, out.line, out.message = "unsupported", event.line, f"unsupported: {exc}"
                return out
        if self.blocked is not None:
            line = self.blocked.event.line
            try:
                self._finish(self.blocked)
            except Mismatch as exc:
                out.status, out.line, out.message = "fail", line, f"script line {line}: {exc}"
        return out

    def _shell(self, event: Event, body: Shell) -> None:
        settings, notes = settings_from_shell(body.command)
        for note in notes:
            self.outcome.notes.append(f"line {event.line}: {note}")
        if settings:
            for note in self.stack.apply_settings(settings):
                self.outcome.notes.append(f"line {event.line}: {note}")

    def _event(self, event: Event) -> None:
        t = event.time
        gap_base = self.last_time
        if t.kind == "any":
            start, end = gap_base, gap_base + ANY_TIME_LIMIT_US
        else:
            start = t.start_us + (gap_base if t.kind == "rel" else 0)
            end = start
            if t.end_us is not None:
                end = gap_base + t.end_us if t.end_relative else t.end_us
        tolerance = max(self.tolerance_us, (start - gap_base) // 8)
        body = event.body
        if isinstance(body, PacketLine) and body.direction == ">":
            self._expect(event, body, start, end, tolerance, any_time=t.kind == "any")
            return
        if t.kind != "any":
            self.stack.wait(start)
        if isinstance(body, PacketLine):
            self.stack.inject(self._inbound(body))
            self._log("<", self._describe_script(body), event.line)
        elif isinstance(body, Syscall):
            self._syscall(event, body, start, end if t.blocking else None, tolerance)
        elif isinstance(body, Code):
            self._code(body)
        # From when it really happened: a real stack under test reacts a little later than asked.
        self.last_time = max(start, self.stack.now())

    def _log(self, direction: str, text: str, line: int, when: int | None = None) -> None:
        t_us = self.stack.now() if when is None else when
        self.outcome.log.append({"t_us": t_us, "dir": direction, "line": line, "text": text})

    # ----------------------------------------------------------------- packets
    def _inbound(self, p: PacketLine) -> Segment:
        local = self.local_isn or 0
        options: list[opt.Option] = []
        for o in p.options or ():
            if isinstance(o, opt.Timestamps) and o.tsecr and self.ts_offset is not None:
                o = opt.Timestamps(o.tsval, wrap(o.tsecr + self.ts_offset))
            elif isinstance(o, opt.Sack):
                o = opt.Sack(tuple((wrap(a + local), wrap(b + local)) for a, b in o.blocks))
            options.append(o)
        ack = wrap((p.ack or 0) + local) if "." in p.flags else 0
        window = p.window if p.window is not None else 65535
        return Segment(0, 0, wrap(p.seq), ack, flags_from_letters(p.flags), window, tuple(options),
                       bytes(p.length))

    def _expect(self, event: Event, p: PacketLine, start: int, end: int, tolerance: int, any_time: bool) -> None:
        stack = self.stack
        deadline = end + (0 if any_time else tolerance)
        stack.wait(deadline, stack.has_outbound)
        got = stack.take_outbound()
        expected = self._describe_script(p)
        if got is None:
            raise Mismatch(f"expected {p.direction} {expected} at {_secs(start)} but nothing was sent "
                           f"by {_secs(deadline)}")
        when, seg = got
        self._expect_times = (start, when)
        if p.flags.count("S") and seg.syn:
            self.local_isn = wrap(seg.seq - p.seq)
        problem = self._compare(p, seg)
        actual = self._describe_live(seg)
        if problem:
            raise Mismatch(f"expected {p.direction} {expected} got {p.direction} {actual} ({problem})")
        if not any_time and not (start - tolerance <= when <= end + tolerance):
            raise Mismatch(f"expected {p.direction} {expected} at {_secs(start)} got it at {_secs(when)} "
                           f"(tolerance {tolerance / 1000:g} ms)")
        self._log(">", actual, event.line, when)
        self.last_time = when

    def _compare(self, p: PacketLine, seg: Segment) -> str | None:
        want_flags = flags_from_letters(p.flags)
        if int(want_flags) != int(seg.flags) & 0xFF:
            return f"flags {p.flags} vs {letters_of(seg.flags)}"
        local = self.local_isn or 0
        seq = wrap(seg.seq - local)
        if seq != wrap(p.seq):
            return f"seq {p.seq} vs {seq}"
        if len(seg.payload) != p.length:
            return f"length {p.length} vs {len(seg.payload)}"
        if p.ack is not None and "." in p.flags and seg.ack != wrap(p.ack):
            return f"ack {p.ack} vs {seg.ack}"
        if p.window is not None and seg.window != p.window:
            return f"win {p.window} vs {seg.window}"
        if p.options is None:
            return None
        live = seg.options
        if len(live) != len(p.options):
            return "options differ"
        for want, have in zip(p.options, live, strict=True):
            if type(want) is not type(have):
                return "options differ"
            if isinstance(want, opt.Timestamps) and isinstance(have, opt.Timestamps):
                if have.tsecr != want.tsecr:
                    return f"TS ecr {want.tsecr} vs {have.tsecr}"
                problem = self._check_tsval(want.tsval, have.tsval)
                if problem:
                    return problem
            elif isinstance(want, opt.Sack) and isinstance(have, opt.Sack):
                if want.blocks != have.blocks:
                    return "SACK blocks differ"
            elif want != have:
                return f"option {want.describe()} vs {have.describe()}"
        return None

    def _check_tsval(self, script_val: int, live_val: int) -> str | None:
        """With --tcp_ts_tick_usecs: the TS value advanced by the script's ticks, give or take.

        The slack is the tolerance in ticks plus however much later (or earlier)
        the stack really sent this segment than the script's clock says: a real
        kernel under load drifts, and relative times follow the drift.
        """
        now_script, now_live = self._expect_times
        if self.ts_first is None:
            self.ts_first = (script_val, live_val, now_script, now_live)
            self.ts_offset = wrap(live_val - script_val)
            return None
        if not self.tick_us:
            return None
        first_script_val, first_live_val, first_script, first_live = self.ts_first
        want = wrap(script_val - first_script_val)
        have = wrap(live_val - first_live_val)
        drift = abs((now_live - first_live) - (now_script - first_script))
        slack = math.ceil((self.tolerance_us + drift) / self.tick_us) + 1
        if abs(want - have) > slack:
            return f"TS val advanced by {have} ticks, not {want}"
        return None

    def _describe_script(self, p: PacketLine) -> str:
        text = f"{p.flags} {p.seq}:{p.end}({p.length})"
        if p.ack is not None:
            text += f" ack {p.ack}"
        if p.window is not None:
            text += f" win {p.window}"
        if p.options is None:
            text += " <...>"
        elif p.options:
            text += " <" + ",".join(_describe_option(o) for o in p.options) + ">"
        return text

    def _describe_live(self, seg: Segment) -> str:
        local = self.local_isn or 0
        seq = wrap(seg.seq - local)
        text = f"{letters_of(seg.flags)} {seq}:{wrap(seq + len(seg.payload))}({len(seg.payload)})"
        if seg.has_ack:
            text += f" ack {seg.ack}"
        text += f" win {seg.window}"
        if seg.options:
            shown = []
            for o in seg.options:
                if isinstance(o, opt.Timestamps) and self.ts_offset is not None:
                    o = opt.Timestamps(wrap(o.tsval - self.ts_offset), o.tsecr)
                shown.append(_describe_option(o))
            text += " <" + ",".join(shown) + ">"
        return text

    # ---------------------------------------------------------------- syscalls
    def _syscall(self, event: Event, call: Syscall, start: int, end: int | None, tolerance: int) -> None:
        args = self._decode_args(call)
        fd = args.get("fd")
        if isinstance(fd, int) and call.name in CONNECTION_CALLS:
            self.last_fd = fd
        result = self.stack.call(call.name, args)
        if isinstance(result, CallResult):
            if end is not None:
                raise Mismatch(f"{call.name}() returned at once, expected it to block until {_secs(end)}")
            self._check_result(event, call, args, result)
            return
        blocked = _Blocked(event, call, args, result, end if end is not None else start, tolerance)
        if end is not None:
            # packetdrill runs a blocking call beside the script: later packets still flow.
            self.blocked = blocked
            return
        self._finish(blocked)

    def _finish(self, blocked: "_Blocked") -> None:
        self.blocked = None
        pending = blocked.pending
        self.stack.wait(blocked.end + blocked.tolerance + ANY_TIME_LIMIT_US, lambda: pending.result() is not None)
        done = pending.result()
        if done is None:
            raise Mismatch(f"{blocked.call.name}() still blocked at {_secs(self.stack.now())}")
        finished = self.stack.now()
        if abs(finished - blocked.end) > blocked.tolerance:
            raise Mismatch(f"{blocked.call.name}() returned at {_secs(finished)}, expected at {_secs(blocked.end)}")
        self._check_result(blocked.event, blocked.call, blocked.args, done)

    def _check_result(self, event: Event, call: Syscall, args: dict[str, Any], result: CallResult) -> None:
        self._log("call", f"{call.text}", event.line)
        want = int(call.result, 0)
        if result.value != want or (want == -1 and call.errno and result.errno != call.errno):
            got = f"{result.value}" + (f" {result.errno}" if result.errno else "")
            wanted = call.result + (f" {call.errno}" if call.errno else "")
            raise Mismatch(f"expected {call.name}() = {wanted} got {got}")
        if call.name == "accept" and result.value >= 0:
            self.last_fd = result.value
        if call.name == "getsockopt" and args.get("expect_value") is not None:
            if args.get("value") != args["expect_value"]:
                raise Mismatch(f"expected getsockopt() value {args['expect_value']} got {args.get('value')}")

    def _decode_args(self, call: Syscall) -> dict[str, Any]:
        a = call.args
        name = call.name

        def integer(text: str) -> int:
            return _int_expr(text, self.script.defines)

        out: dict[str, Any] = {}
        if name == "socket":
            if len(a) != 3 or "SOCK_STREAM" not in a[1]:
                raise NotSupported("sockets other than SOCK_STREAM TCP")
            return out
        if not a:
            raise Mismatch(f"{name}() needs a file descriptor")
        out["fd"] = integer(a[0])
        if name == "listen":
            out["backlog"] = integer(a[1]) if len(a) > 1 else 128
        elif name in ("read", "recv", "write", "send", "sendto"):
            out["n"] = integer(a[2])
            if not 0 <= out["n"] <= MAX_IO_BYTES:
                raise Mismatch(f"{name}() of {out['n']} bytes; a script may move 0 to {MAX_IO_BYTES} at once")
            out["fastopen"] = name == "sendto" and len(a) > 3 and "MSG_FASTOPEN" in a[3]
        elif name == "shutdown":
            out["how"] = integer(a[1])
        elif name == "fcntl":
            out["cmd"] = integer(a[1])
            out["flags"] = integer(a[2]) if len(a) > 2 else 0
        elif name in ("setsockopt", "getsockopt"):
            if len(a) < 4:
                raise Mismatch(f"{name}() needs fd, level, name and value")
            out["level"], out["name"] = a[1], a[2]
            value = a[3].strip()
            if name == "setsockopt":
                out["value"] = _sockopt_value(value, self.script.defines)
            else:
                out["expect_value"] = _sockopt_value(value, self.script.defines)
        return out

    # ------------------------------------------------------------ inline code
    def _code(self, code: Code) -> None:
        info = self.stack.tcp_info(self.last_fd)
        try:
            evaluate_checks(code.source, info)
        except CheckError as exc:
            raise Mismatch(str(exc)) from None


def _describe_option(o: opt.Option) -> str:
    if isinstance(o, opt.FastOpen):
        return ("FOEXP" if o.experimental else "FO") + (f" {o.cookie.hex()}" if o.cookie else "")
    if isinstance(o, opt.Sack):
        return "sack " + " ".join(f"{a}:{b}" for a, b in o.blocks)
    return o.describe()


def _secs(us: int) -> str:
    return f"{us / 1e6:.6f}".rstrip("0").rstrip(".") + "s" if us else "0s"


def _int_expr(text: str, defines: dict[str, str]) -> int:
    """An integer argument: a number, a known constant or errno name, or such names joined by '|'."""
    total = 0
    for part in text.split("|"):
        part = defines.get(part.strip(), part.strip())
        if part in CONSTANTS:
            total |= CONSTANTS[part]
            continue
        if part.startswith("E") and hasattr(errno_module, part):
            total |= getattr(errno_module, part)
            continue
        try:
            total |= int(part, 0)
        except ValueError:
            raise NotSupported(f"the argument {part!r}") from None
    return total


def _sockopt_value(text: str, defines: dict[str, str]) -> Any:
    """[1] -> 1, {l_onoff=1, l_linger=0} -> dict, "..." -> the text, ... -> None."""
    if text.startswith("[") and text.endswith("]"):
        return _int_expr(text[1:-1], defines)
    if text.startswith("{") and text.endswith("}"):
        fields = {}
        for part in split_args(text[1:-1]):
            key, _, value = part.partition("=")
            fields[key.strip()] = _int_expr(value, defines)
        return fields
    if text == "...":
        return None
    return _int_expr(text, defines)


def run_script(script: Script, stack: Stack, *, tolerance_us: int | None = None) -> Outcome:
    return Runner(script, stack, tolerance_us=tolerance_us).run()
