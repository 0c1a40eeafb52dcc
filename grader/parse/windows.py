"""Reductions over a pooling window: ``\\max``/``\\sum``/mean over ``S``, and the window size ``|S|``.

A mean is a sum divided by the number of cells, and the number of cells is the sum of 1 over the window, so
every reduction stays a ``WindowReduce`` the grader instantiates over the spec's window.

>>> from grader.parse.names import symbol
>>> S, x = symbol("S"), symbol("x")
>>> reduction("mean", x, x, S) == WindowReduce("sum", x, x, S) / WindowReduce("sum", sympy.S.One, x, S)
True
>>> is_window(S), is_window(symbol("B_12"))
(True, False)
"""

from __future__ import annotations

from typing import Any

import sympy

from grader.parse.context import current, note
from grader.parse.nodes import WindowReduce

MEAN_WORDS = frozenset({"mean", "avg", "average"})
OPS = frozenset({"sum", "max", "min"}) | MEAN_WORDS


def _window_name(name: str) -> bool:
    letter = name.split("^")[0]
    return letter in current().windows


def is_window(arg: Any) -> bool:
    """A window set: a name the context lists as a window (``S``, ``S^k``), plain or indexed (``S_{ij}``)."""
    if isinstance(arg, sympy.Indexed):
        return _window_name(arg.base.label.name)
    return isinstance(arg, sympy.Symbol) and _window_name(arg.name)


def reduction(op: str, body: sympy.Expr, var: sympy.Basic, domain: sympy.Basic) -> sympy.Expr:
    """``op`` of ``body`` over ``var`` in ``domain``; a mean is the sum over the count."""
    if op in MEAN_WORDS:
        return WindowReduce("sum", body, var, domain) / WindowReduce("sum", sympy.S.One, var, domain)
    return WindowReduce(op, body, var, domain)


def window_bars(inside: sympy.Expr) -> sympy.Expr:
    """``|S|`` is the number of cells of a window; ``|x|`` of a value is its absolute value."""
    if is_window(inside):
        from grader.parse.names import symbol

        x = symbol("x")
        note("read |...| around a window as its number of cells")
        return WindowReduce("sum", sympy.S.One, x, inside)
    return sympy.Abs(inside)


class WindowEntries(sympy.Expr):
    """``X_{S_{ij}}``: the entries of ``X`` in the window ``S_{ij}``, read only inside a norm; args (domain, offset)."""

    is_commutative = True


def window_entries(domain: sympy.Basic, offset: int) -> WindowEntries:
    """``X_{S_{ij}}`` as a WindowEntries node: the window ``domain`` and the offset where it was written."""
    return WindowEntries(domain, sympy.Integer(offset))


def norm(inside: Any, order: sympy.Expr) -> sympy.Expr:
    """``\\lVert X_{S} \\rVert_p``: the p-norm of a window's entries, (sum over S of |x|^p)^(1/p); p = oo is the max."""
    from grader.parse.names import symbol

    x = symbol("x")
    domain = inside.args[0]
    if order == sympy.oo:
        return WindowReduce("max", sympy.Abs(x), x, domain)
    return WindowReduce("sum", sympy.Abs(x) ** order, x, domain) ** (1 / order)
