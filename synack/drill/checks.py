"""Inline ``%{ assert tcpi_... }%`` checks of a packetdrill script, evaluated without eval().

packetdrill runs such snippets in Python with the connection's tcp_info
(struct tcp_info of linux/tcp.h) as ``tcpi_*`` names.  Scripts are untrusted
text, so here they are parsed with :mod:`ast` and walked by a whitelist:
``assert`` statements over comparisons, boolean and arithmetic operators,
numbers, the ``tcpi_*`` names and a few constants.  Anything else is refused.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

# linux/tcp.h: tcpi_options bits and the tcp_states.h numbers of tcpi_state.
CONSTANTS = {"TCPI_OPT_TIMESTAMPS": 1, "TCPI_OPT_SACK": 2, "TCPI_OPT_WSCALE": 4, "TCPI_OPT_ECN": 8,
             "TCPI_OPT_ECN_SEEN": 16, "TCPI_OPT_SYN_DATA": 32,
             "TCP_ESTABLISHED": 1, "TCP_SYN_SENT": 2, "TCP_SYN_RECV": 3, "TCP_FIN_WAIT1": 4,
             "TCP_FIN_WAIT2": 5, "TCP_TIME_WAIT": 6, "TCP_CLOSE": 7, "TCP_CLOSE_WAIT": 8, "TCP_LAST_ACK": 9,
             "TCP_LISTEN": 10, "TCP_CLOSING": 11, "True": 1, "False": 0}

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
           ast.Div: operator.truediv, ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
           ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Invert: operator.invert}
_FUNCTIONS = {"abs": abs, "min": min, "max": max}


LARGEST = 1 << 128  # tcp_info holds 32- and 64-bit counters; nothing a check needs is bigger


class CheckError(Exception):
    """An assertion that failed, or a snippet the evaluator refuses; one sentence."""


def evaluate_checks(source: str, info: dict[str, int]) -> None:
    """Run every ``assert`` in ``source`` against ``info``; raises CheckError at the first that fails."""
    try:
        tree = ast.parse(source.strip(), mode="exec")
    except SyntaxError as exc:
        raise CheckError(f"cannot read the inline check ({exc.msg})") from None
    names = {**CONSTANTS, **info}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assert):
            raise CheckError("inline checks may hold only assert statements")
        try:
            holds = _eval(stmt.test, names)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise CheckError(f"the inline check {ast.unparse(stmt.test)} cannot be computed ({exc})") from None
        if not holds:
            values = ", ".join(f"{n}={names[n]}" for n in sorted(_names(stmt.test)) if n in info)
            raise CheckError(f"assertion failed: {ast.unparse(stmt.test)} ({values})")


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _eval(node: ast.AST, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise CheckError(f"the inline check names {node.id!r}, which this runner does not provide")
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, names), _eval(node.right, names)
        if isinstance(node.op, ast.LShift) and right > 64:
            raise CheckError(f"shifts in inline checks go up to 64 bits ({ast.unparse(node)})")
        result = _BINARY[type(node.op)](left, right)
        if abs(result) > LARGEST:
            raise CheckError(f"numbers in inline checks stay below 2**128 ({ast.unparse(node)})")
        return result
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, names))
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, names) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                raise CheckError("only ==, !=, <, <=, >, >= compare in inline checks")
            right = _eval(comparator, names)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and not node.keywords):
        return _FUNCTIONS[node.func.id](*(_eval(a, names) for a in node.args))
    raise CheckError(f"inline checks may not use {type(node).__name__} ({ast.unparse(node)})")
