"""TCP options as values: MSS, window scale, SACK, timestamps, Fast Open.

RFC 9293 section 3.2 (MSS, NOP, EOL), RFC 7323 (window scale, timestamps),
RFC 2018 (SACK), RFC 7413 (Fast Open, kind 34; also the experimental kind 254
with magic 0xF989).  Each option is a frozen value with a ``kind`` and the
``name`` tcpdump prints for it, so a trace can list option kinds in wire order.
Encoding to bytes lives in :mod:`synack.wire`; this module only says what an
option *is* and how many bytes it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

EOL_KIND = 0
NOP_KIND = 1
MSS_KIND = 2
WSCALE_KIND = 3
SACK_PERMITTED_KIND = 4
SACK_KIND = 5
TIMESTAMPS_KIND = 8
FASTOPEN_KIND = 34
EXPERIMENTAL_KIND = 254
FASTOPEN_EXP_MAGIC = 0xF989


@dataclass(frozen=True, slots=True)
class Eol:
    kind: ClassVar[int] = EOL_KIND
    name: ClassVar[str] = "eol"

    def size(self) -> int:
        return 1

    def describe(self) -> str:
        return "eol"


@dataclass(frozen=True, slots=True)
class Nop:
    kind: ClassVar[int] = NOP_KIND
    name: ClassVar[str] = "nop"

    def size(self) -> int:
        return 1

    def describe(self) -> str:
        return "nop"


@dataclass(frozen=True, slots=True)
class Mss:
    value: int
    kind: ClassVar[int] = MSS_KIND
    name: ClassVar[str] = "mss"

    def size(self) -> int:
        return 4

    def describe(self) -> str:
        return f"mss {self.value}"


@dataclass(frozen=True, slots=True)
class WindowScale:
    shift: int
    kind: ClassVar[int] = WSCALE_KIND
    name: ClassVar[str] = "wscale"

    def size(self) -> int:
        return 3

    def describe(self) -> str:
        return f"wscale {self.shift}"


@dataclass(frozen=True, slots=True)
class SackPermitted:
    kind: ClassVar[int] = SACK_PERMITTED_KIND
    name: ClassVar[str] = "sackOK"

    def size(self) -> int:
        return 2

    def describe(self) -> str:
        return "sackOK"


@dataclass(frozen=True, slots=True)
class Sack:
    blocks: tuple[tuple[int, int], ...]
    kind: ClassVar[int] = SACK_KIND
    name: ClassVar[str] = "sack"

    def size(self) -> int:
        return 2 + 8 * len(self.blocks)

    def describe(self) -> str:
        return f"sack {len(self.blocks)} " + " ".join(f"{{{a}:{b}}}" for a, b in self.blocks)


@dataclass(frozen=True, slots=True)
class Timestamps:
    tsval: int
    tsecr: int
    kind: ClassVar[int] = TIMESTAMPS_KIND
    name: ClassVar[str] = "TS"

    def size(self) -> int:
        return 10

    def describe(self) -> str:
        return f"TS val {self.tsval} ecr {self.tsecr}"


@dataclass(frozen=True, slots=True)
class FastOpen:
    """RFC 7413 cookie option; an empty cookie is a cookie request."""

    cookie: bytes = b""
    experimental: bool = False
    kind: ClassVar[int] = FASTOPEN_KIND
    name: ClassVar[str] = "tfo"

    def size(self) -> int:
        return (4 if self.experimental else 2) + len(self.cookie)

    def describe(self) -> str:
        name = "exp-tfo" if self.experimental else "tfo"  # as tcpdump prints them
        if not self.cookie:
            return f"{name} cookiereq"
        return f"{name} cookie {self.cookie.hex()}"


@dataclass(frozen=True, slots=True)
class UnknownOption:
    """Any option synack does not interpret, kept so odd captured packets still fit."""

    kind: int
    data: bytes = b""
    name: ClassVar[str] = "unknown"

    def size(self) -> int:
        return 2 + len(self.data)

    def describe(self) -> str:
        return f"opt-{self.kind}:{self.data.hex()}"


Option = Eol | Nop | Mss | WindowScale | SackPermitted | Sack | Timestamps | FastOpen | UnknownOption

NOP = Nop()
EOL = Eol()
SACK_PERMITTED = SackPermitted()


def options_size(options: tuple[Option, ...]) -> int:
    """Bytes the options take, padded to a 32-bit boundary as the data offset requires."""
    n = sum(o.size() for o in options)
    return (n + 3) & ~3
