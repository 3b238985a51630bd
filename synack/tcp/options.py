"""TCP options as values: MSS, window scale, SACK, timestamps, Fast Open.

RFC 9293 section 3.2 (MSS, NOP, EOL), RFC 7323 (window scale, timestamps),
RFC 2018 (SACK), RFC 7413 (Fast Open, kind 34; also the experimental kind 254
with magic 0xF989).  Each option is a frozen value with a ``kind`` and the
``name`` tcpdump prints for it, so a trace can list option kinds in wire order.
Encoding to bytes lives in :mod:`synack.wire`; this module only says what an
option *is* and how many bytes it takes.

The options are plain slotted classes with ``Final`` fields, as
:class:`~synack.tcp.segment.Segment` is, rather than frozen dataclasses: every
SYN and every timestamped segment builds or reads some, a frozen dataclass
builds itself through ``object.__setattr__`` once per field, and mypyc cannot
compile a dataclass with class constants (``kind``, ``name``) while it turns
these classes into C structs.  They compare, hash and print as the
dataclasses did.
"""

from __future__ import annotations

from typing import ClassVar, Final

EOL_KIND: Final = 0
NOP_KIND: Final = 1
MSS_KIND: Final = 2
WSCALE_KIND: Final = 3
SACK_PERMITTED_KIND: Final = 4
SACK_KIND: Final = 5
TIMESTAMPS_KIND: Final = 8
FASTOPEN_KIND: Final = 34
EXPERIMENTAL_KIND: Final = 254
FASTOPEN_EXP_MAGIC: Final = 0xF989


class _OptionValue:
    """Equality, hash and repr from each option's ``_key()``, as a frozen dataclass has them."""

    __slots__ = ()
    fields: ClassVar[tuple[str, ...]] = ()

    def _key(self) -> tuple:
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _OptionValue)
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _OptionValue)
        return self._key() != other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for name, value in zip(self.fields, self._key(), strict=True))
        return f"{type(self).__name__}({values})"


class Eol(_OptionValue):
    __slots__ = ()
    kind: ClassVar[int] = EOL_KIND
    name: ClassVar[str] = "eol"

    def size(self) -> int:
        return 1

    def describe(self) -> str:
        return "eol"


class Nop(_OptionValue):
    __slots__ = ()
    kind: ClassVar[int] = NOP_KIND
    name: ClassVar[str] = "nop"

    def size(self) -> int:
        return 1

    def describe(self) -> str:
        return "nop"


class Mss(_OptionValue):
    __slots__ = ("value",)
    kind: ClassVar[int] = MSS_KIND
    name: ClassVar[str] = "mss"
    fields: ClassVar[tuple[str, ...]] = ("value",)

    def __init__(self, value: int) -> None:
        self.value: Final = value

    def _key(self) -> tuple:
        return (self.value,)

    def size(self) -> int:
        return 4

    def describe(self) -> str:
        return f"mss {self.value}"


class WindowScale(_OptionValue):
    __slots__ = ("shift",)
    kind: ClassVar[int] = WSCALE_KIND
    name: ClassVar[str] = "wscale"
    fields: ClassVar[tuple[str, ...]] = ("shift",)

    def __init__(self, shift: int) -> None:
        self.shift: Final = shift

    def _key(self) -> tuple:
        return (self.shift,)

    def size(self) -> int:
        return 3

    def describe(self) -> str:
        return f"wscale {self.shift}"


class SackPermitted(_OptionValue):
    __slots__ = ()
    kind: ClassVar[int] = SACK_PERMITTED_KIND
    name: ClassVar[str] = "sackOK"

    def size(self) -> int:
        return 2

    def describe(self) -> str:
        return "sackOK"


class Sack(_OptionValue):
    __slots__ = ("blocks",)
    kind: ClassVar[int] = SACK_KIND
    name: ClassVar[str] = "sack"
    fields: ClassVar[tuple[str, ...]] = ("blocks",)

    def __init__(self, blocks: tuple[tuple[int, int], ...]) -> None:
        self.blocks: Final = blocks

    def _key(self) -> tuple:
        return (self.blocks,)

    def size(self) -> int:
        return 2 + 8 * len(self.blocks)

    def describe(self) -> str:
        return f"sack {len(self.blocks)} " + " ".join(f"{{{a}:{b}}}" for a, b in self.blocks)


class Timestamps(_OptionValue):
    __slots__ = ("tsval", "tsecr")
    kind: ClassVar[int] = TIMESTAMPS_KIND
    name: ClassVar[str] = "TS"
    fields: ClassVar[tuple[str, ...]] = ("tsval", "tsecr")

    def __init__(self, tsval: int, tsecr: int) -> None:
        self.tsval: Final = tsval
        self.tsecr: Final = tsecr

    def _key(self) -> tuple:
        return (self.tsval, self.tsecr)

    def size(self) -> int:
        return 10

    def describe(self) -> str:
        return f"TS val {self.tsval} ecr {self.tsecr}"


class FastOpen(_OptionValue):
    """RFC 7413 cookie option; an empty cookie is a cookie request."""

    __slots__ = ("cookie", "experimental")
    kind: ClassVar[int] = FASTOPEN_KIND
    name: ClassVar[str] = "tfo"
    fields: ClassVar[tuple[str, ...]] = ("cookie", "experimental")

    def __init__(self, cookie: bytes = b"", experimental: bool = False) -> None:
        self.cookie: Final = cookie
        self.experimental: Final = experimental

    def _key(self) -> tuple:
        return (self.cookie, self.experimental)

    def size(self) -> int:
        return (4 if self.experimental else 2) + len(self.cookie)

    def describe(self) -> str:
        name = "exp-tfo" if self.experimental else "tfo"  # as tcpdump prints them
        if not self.cookie:
            return f"{name} cookiereq"
        return f"{name} cookie {self.cookie.hex()}"


class UnknownOption(_OptionValue):
    """Any option synack does not interpret, kept so odd captured packets still fit."""

    __slots__ = ("kind", "data")
    name: ClassVar[str] = "unknown"
    fields: ClassVar[tuple[str, ...]] = ("kind", "data")

    def __init__(self, kind: int, data: bytes = b"") -> None:
        self.kind: Final = kind
        self.data: Final = data

    def _key(self) -> tuple:
        return (self.kind, self.data)

    def size(self) -> int:
        return 2 + len(self.data)

    def describe(self) -> str:
        return f"opt-{self.kind}:{self.data.hex()}"


Option = Eol | Nop | Mss | WindowScale | SackPermitted | Sack | Timestamps | FastOpen | UnknownOption

NOP: Final = Nop()
EOL: Final = Eol()
SACK_PERMITTED: Final = SackPermitted()


def options_size(options: tuple[Option, ...]) -> int:
    """Bytes the options take, padded to a 32-bit boundary as the data offset requires."""
    n = sum(o.size() for o in options)
    return (n + 3) & ~3
