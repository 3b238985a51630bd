"""Sequence-number arithmetic modulo 2**32 (RFC 9293 section 3.4).

Every comparison of sequence numbers in synack goes through this module: a bare
``<`` or ``max()`` on two sequence numbers is wrong as soon as the space wraps.
The comparisons follow RFC 1982 serial-number arithmetic: ``a`` is before ``b``
when ``(b - a) mod 2**32`` lies in ``1 .. 2**31 - 1``.
"""

from typing import Final

MOD: Final = 1 << 32
MASK: Final = MOD - 1
HALF: Final = 1 << 31


def wrap(n: int) -> int:
    """``n`` reduced to 32 bits: a sequence number, timestamp or hash from any integer."""
    return n & MASK


def seq_add(a: int, n: int) -> int:
    """``a + n`` in sequence space (``n`` may be negative)."""
    return (a + n) & MASK


def seq_sub(a: int, b: int) -> int:
    """Signed distance from ``b`` to ``a``: how far ``a`` lies after ``b``."""
    d = (a - b) & MASK
    return d - MOD if d >= HALF else d


# The comparisons are written out rather than built on seq_sub: they run several times for
# every segment, and a function call costs more than the arithmetic in pure Python.
def seq_lt(a: int, b: int) -> bool:
    return ((a - b) & MASK) >= HALF


def seq_le(a: int, b: int) -> bool:
    d = (a - b) & MASK
    return d == 0 or d >= HALF


def seq_gt(a: int, b: int) -> bool:
    d = (a - b) & MASK
    return d != 0 and d < HALF


def seq_ge(a: int, b: int) -> bool:
    return ((a - b) & MASK) < HALF


def seq_between(low: int, x: int, high: int) -> bool:
    """``low <= x < high`` in sequence space (the half-open window test of RFC 9293 3.4)."""
    return ((x - low) & MASK) < ((high - low) & MASK)


def seq_max(a: int, b: int) -> int:
    return b if seq_lt(a, b) else a
