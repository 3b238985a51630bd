"""packetdrill scripts as values: the parser of the language and what each line means.

The language is packetdrill's (github.com/google/packetdrill, its README and
the USENIX ATC 2013 paper "packetdrill: Scriptable Network Stack Testing,
from Sockets to Packets"): every line is an event with a time,

    0      socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0     < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
    +0     > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 10>
    +.1~+.2 write(4, ..., 1000) = 1000
    *      > P. 1:1001(1000) ack 1

``<`` is a segment injected into the stack under test, ``>`` one it must
send; sequence numbers are relative to each side's ISN.  Times are absolute
(``0.100``), relative to the previous event (``+0.1``), a range (``a~b``), any
time (``*``), or ``a...b`` for a system call that blocks from a to b.  Lines
in backticks run shell commands (sysctl settings become profile settings, see
:mod:`synack.drill.settings`); ``%{ ... }%`` holds Python-like assertions on
the connection's tcp_info; ``--name=value`` lines at the top set options.

The parser never evaluates anything: a :class:`ScriptError` names the line
and says in one sentence what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..tcp import options as opt
from ..tcp.seq import wrap

# packetdrill's defaults: tolerance of 4 ms, the addresses of its tun device.
DEFAULT_TOLERANCE_US = 4000
LOCAL_IP, REMOTE_IP = "192.168.0.1", "192.0.2.1"


class ScriptError(Exception):
    """A script that cannot be parsed; the message is one sentence naming the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"script line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Time:
    """When an event happens: ``kind`` is absolute, relative or any; ``end`` makes a range."""

    kind: str  # "abs", "rel", "any"
    start_us: int = 0
    end_us: int | None = None  # a~b range or the end of a blocking a...b call
    end_relative: bool = False
    blocking: bool = False


@dataclass(frozen=True)
class PacketLine:
    direction: str  # "<" inbound (injected), ">" outbound (expected)
    flags: str  # packetdrill letters, e.g. "S.", "P.", "F.", "R", "."
    seq: int
    end: int
    length: int
    ack: int | None
    window: int | None
    options: tuple[opt.Option, ...] | None  # None: "<...>" on an outbound line, options not checked
    options_given: bool
    payload_len: int


@dataclass(frozen=True)
class Syscall:
    name: str
    args: tuple[str, ...]
    result: str  # text after "=": an integer, or -1
    errno: str | None
    text: str  # the call as written, for messages


@dataclass(frozen=True)
class Shell:
    command: str


@dataclass(frozen=True)
class Code:
    source: str


@dataclass(frozen=True)
class Unsupported:
    what: str


@dataclass(frozen=True)
class Event:
    line: int
    time: Time
    body: PacketLine | Syscall | Shell | Code | Unsupported


@dataclass
class Script:
    path: str
    events: list[Event]
    options: dict[str, str] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)

    @property
    def tolerance_us(self) -> int:
        return int(self.options.get("tolerance_usecs", DEFAULT_TOLERANCE_US))


# ------------------------------------------------------------------- lexing
def _strip_comments(text: str) -> str:
    """Remove // and /* */ comments, keeping newlines so line numbers stay right."""
    out, i, n = [], 0, len(text)
    in_code = False
    while i < n:
        if text.startswith("%{", i):
            in_code = True
        elif text.startswith("}%", i):
            in_code = False
        if not in_code and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if not in_code and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            chunk = text[i: n if j < 0 else j + 2]
            out.append("\n" * chunk.count("\n"))
            i = n if j < 0 else j + 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with their numbers; a backtick command or a %{ }% block may span several lines."""
    lines = text.split("\n")
    result: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        if line.count("`") % 2 == 1 or ("%{" in line and "}%" not in line):
            closer = "`" if line.count("`") % 2 == 1 else "}%"
            parts = [line]
            while i + 1 < len(lines):
                i += 1
                parts.append(lines[i])
                if closer in lines[i]:
                    break
            else:
                raise ScriptError(number, f"the {closer!r} opened here is never closed.")
            line = "\n".join(parts)
        result.append((number, line))
        i += 1
    return result


_TIME_RE = re.compile(r"^(\*|[+]?\d*\.?\d+(?:(?:~|\.\.\.)[+]?\d*\.?\d+)?)(?=\s|$)")


def _seconds_us(text: str, line: int) -> int:
    try:
        return round(float(text) * 1_000_000)
    except ValueError:
        raise ScriptError(line, f"{text!r} is not a time in seconds.") from None


def _parse_time(token: str, line: int) -> Time:
    if token == "*":
        return Time("any")
    blocking = "..." in token
    sep = "..." if blocking else "~"
    start, _, end = token.partition(sep)
    kind = "rel" if start.startswith("+") else "abs"
    start_us = _seconds_us(start.lstrip("+"), line)
    if not end:
        return Time(kind, start_us)
    end_relative = end.startswith("+")
    end_us = _seconds_us(end.lstrip("+"), line)
    return Time(kind, start_us, end_us, end_relative, blocking)


# ------------------------------------------------------------------ packets
_FLAG_LETTERS = set("SFRP.EWU")
_PACKET_RE = re.compile(
    r"^(?P<dir>[<>])\s+(?P<flags>[SFRPEWU.]+)\s+(?P<seq>\d+):(?P<end>\d+)\((?P<len>\d+)\)"
    r"(?P<rest>.*)$", re.S)


def _parse_number(text: str, line: int, what: str, defines: dict[str, str], limit: int = 0xFFFFFFFF) -> int:
    text = defines.get(text, text)
    try:
        value = int(text, 0)
    except ValueError:
        raise ScriptError(line, f"{what} must be a number, not {text!r}.") from None
    if not 0 <= value <= limit:
        raise ScriptError(line, f"{what} must be from 0 to {limit}, not {value}.")
    return value


def _parse_option(text: str, line: int, defines: dict[str, str]) -> opt.Option:
    words = text.split()
    if not words:
        raise ScriptError(line, "an empty TCP option between commas.")
    name, args = words[0], words[1:]

    def num(i: int, what: str, limit: int = 0xFFFFFFFF) -> int:
        if len(args) <= i:
            raise ScriptError(line, f"option {name} needs {what}.")
        return _parse_number(args[i], line, f"option {name}'s {what.split()[-1]}", defines, limit)

    if name == "nop":
        return opt.NOP
    if name == "eol":
        return opt.EOL
    if name == "mss":
        return opt.Mss(num(0, "a value", 0xFFFF))
    if name == "wscale":
        return opt.WindowScale(num(0, "a shift", 0xFF))
    if name == "sackOK":
        return opt.SACK_PERMITTED
    if name == "sack":
        blocks = []
        for block in args:
            a, sep, b = block.partition(":")
            if not sep:
                raise ScriptError(line, f"a SACK block is written start:end, not {block!r}.")
            blocks.append((_parse_number(a, line, "a SACK edge", defines),
                           _parse_number(b, line, "a SACK edge", defines)))
        if not 1 <= len(blocks) <= 4:
            raise ScriptError(line, "a SACK option holds one to four blocks.")
        return opt.Sack(tuple(blocks))
    if name == "TS":
        if len(args) != 4 or args[0] != "val" or args[2] != "ecr":
            raise ScriptError(line, "the timestamps option is written 'TS val N ecr M'.")
        return opt.Timestamps(num(1, "val"), num(3, "ecr"))
    if name in ("FO", "FOEXP"):
        cookie = defines.get(args[0], args[0]) if args else ""
        try:
            raw = bytes.fromhex(cookie)
        except ValueError:
            raise ScriptError(line, f"a Fast Open cookie is hex digits, not {cookie!r}.") from None
        return opt.FastOpen(raw, experimental=name == "FOEXP")
    raise ScriptError(line, f"unknown TCP option {name!r}.")


def _parse_packet(text: str, line: int, defines: dict[str, str]) -> PacketLine | Unsupported:
    m = _PACKET_RE.match(text)
    if not m:
        if re.match(r"^[<>]\s+(icmp|udp|\[)", text) or re.match(r"^[<>]\s+\S+\s+\S+\s+icmp", text):
            return Unsupported(f"{text.split()[1]} packets")
        if re.match(r"^[<>]\s+(ect|ce|\[)", text, re.I):
            return Unsupported("ECN codepoints on packet lines")
        raise ScriptError(line, f"cannot read the packet {text!r}; expected like '< S 0:0(0) win 65535'.")
    flags = m.group("flags")
    seq, end, length = int(m.group("seq")), int(m.group("end")), int(m.group("len"))
    if max(seq, end) > 0xFFFFFFFF or length > 0xFFFF:
        raise ScriptError(line, "sequence numbers are 32-bit and a segment holds at most 65535 bytes.")
    if wrap(end - seq) != length:
        raise ScriptError(line, f"{seq}:{end} is {wrap(end - seq)} bytes but the length says {length}.")
    rest = m.group("rest").strip()
    ack = window = None
    options: tuple[opt.Option, ...] | None = ()
    options_given = False
    if "<" in rest:
        head, _, tail = rest.partition("<")
        if not tail.rstrip().endswith(">"):
            raise ScriptError(line, "the option list opened with '<' has no closing '>'.")
        body = tail.rstrip()[:-1].strip()
        rest = head.strip()
        options_given = True
        if body == "...":
            options = None
        elif body:
            options = tuple(_parse_option(part.strip(), line, defines) for part in body.split(","))
    words = rest.split()
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("ack", "win", "urg") and i + 1 < len(words):
            value = _parse_number(words[i + 1], line, word, defines, 0xFFFFFFFF if word == "ack" else 0xFFFF)
            if word == "ack":
                ack = value
            elif word == "win":
                window = value
            else:
                return Unsupported("urgent pointers")
            i += 2
            continue
        raise ScriptError(line, f"unexpected {word!r} in the packet; known: ack N, win N, <options>.")
    if "." in flags and ack is None and m.group("dir") == "<":
        raise ScriptError(line, "an inbound packet with the ACK flag '.' needs 'ack N'.")
    return PacketLine(m.group("dir"), flags, seq, end, length, ack, window, options, options_given, length)


# ---------------------------------------------------------------- syscalls
_SYSCALL_RE = re.compile(r"^(?P<name>[a-z_0-9]+)\((?P<args>.*)\)\s*=\s*(?P<result>-?\w+)(?:\s+(?P<errno>E[A-Z0-9]+))?"
                         r"(?:\s*\(.*\))?\s*$", re.S)
SUPPORTED_CALLS = {"socket", "setsockopt", "getsockopt", "bind", "listen", "accept", "connect", "read", "write",
                   "send", "recv", "sendto", "shutdown", "close", "fcntl"}
UNSUPPORTED_CALLS = {"poll": "poll()", "epoll_create": "epoll", "epoll_ctl": "epoll", "epoll_wait": "epoll",
                     "sendmsg": "sendmsg() and its cmsg", "recvmsg": "recvmsg() and its cmsg",
                     "ioctl": "ioctl()", "sendfile": "sendfile()", "splice": "splice()", "select": "select()",
                     "writev": "writev()", "readv": "readv()", "open": "open()", "init_module": "init_module()"}


# The fewest arguments each call is written with (packetdrill's own syntax has these and more).
MIN_ARGS = {"socket": 3, "setsockopt": 4, "getsockopt": 4, "bind": 1, "listen": 1, "accept": 1, "connect": 1,
            "read": 3, "recv": 3, "write": 3, "send": 3, "sendto": 3, "shutdown": 2, "close": 1, "fcntl": 2}


def split_args(text: str) -> tuple[str, ...]:
    """Top-level comma split that keeps [...] and {...} together."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if current or parts:
        parts.append("".join(current).strip())
    return tuple(parts)


def _parse_syscall(text: str, line: int) -> Syscall | Unsupported:
    name = re.match(r"^([a-z_0-9]+)\(", text)
    if name and name.group(1) in UNSUPPORTED_CALLS:
        return Unsupported(UNSUPPORTED_CALLS[name.group(1)])
    m = _SYSCALL_RE.match(text)
    if not m:
        raise ScriptError(line, f"cannot read {text!r}; a system call is written 'name(args) = result'.")
    call = m.group("name")
    if call not in SUPPORTED_CALLS:
        return Unsupported(f"{call}()")
    args = split_args(m.group("args"))
    if len(args) < MIN_ARGS[call]:
        raise ScriptError(line, f"{call}() takes at least {MIN_ARGS[call]} arguments, not {len(args)}.")
    if "MSG_ZEROCOPY" in m.group("args") or "SO_ZEROCOPY" in m.group("args"):
        return Unsupported("zerocopy")
    result = m.group("result")
    if not re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", result):
        raise ScriptError(line, f"the result of {call}() must be a number, not {result!r}.")
    return Syscall(call, args, result, m.group("errno"), text.strip())


# ------------------------------------------------------------------- script
def parse_script(text: str, path: str = "<script>", defines: dict[str, str] | None = None) -> Script:
    """Parse a whole script; raises :class:`ScriptError` at the first line it cannot read."""
    defines = dict(defines or {})
    options: dict[str, str] = {}
    events: list[Event] = []
    for number, raw in _logical_lines(_strip_comments(text)):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("--") and not events:
            name, _, value = line[2:].partition("=")
            if not re.fullmatch(r"[a-z_0-9]+", name):
                raise ScriptError(number, f"{line!r} is not an option line like --tolerance_usecs=10000.")
            options[name] = value.strip() or "1"
            continue
        if line.startswith("-D") and not events:
            name, sep, value = line[2:].strip().partition("=")
            if not sep:
                raise ScriptError(number, "a define is written -D NAME=VALUE.")
            defines[name.strip()] = value.strip()
            continue
        m = _TIME_RE.match(line)
        if m:
            time = _parse_time(m.group(1), number)
            body_text = line[m.end():].strip()
        elif line.startswith(("`", "%{")):
            time, body_text = Time("rel", 0), line
        else:
            raise ScriptError(number, f"{line.split()[0]!r} is not a time; every line starts with one "
                                      "(0.1, +0.1, *, 0.1~0.2).")
        if not body_text:
            raise ScriptError(number, "a time with nothing after it.")
        events.append(Event(number, time, _parse_body(body_text, number, defines)))
    for key in ("tolerance_usecs", "tcp_ts_tick_usecs", "mss"):
        if key in options and not options[key].isdigit():
            raise ScriptError(1, f"--{key} must be a whole number, not {options[key]!r}.")
    return Script(path, events, options, defines)


def _parse_body(text: str, line: int, defines: dict[str, str]) -> PacketLine | Syscall | Shell | Code | Unsupported:
    if text.startswith(("<", ">")):
        return _parse_packet(text, line, defines)
    if text.startswith("`"):
        if not text.endswith("`"):
            raise ScriptError(line, "a shell command in backticks must end with a backtick.")
        return Shell(text[1:-1].strip())
    if text.startswith("%{"):
        if not text.endswith("}%"):
            raise ScriptError(line, "an inline check opened with %{ must end with }%.")
        return Code(text[2:-2].strip())
    for name, value in defines.items():
        text = re.sub(rf"\b{re.escape(name)}\b", value, text)
    return _parse_syscall(text, line)
