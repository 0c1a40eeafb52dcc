r"""Builder rules for relations, limits and reductions: ``a \le b``, ``p \to \infty``, ``\lim``, ``\sum``/``\max``/mean
with their binders (``(p,q) \in S``, ``i = 1..n``, ``1 \le i \le N``), ``|S|`` and window norms.

``Builder`` (grader.parse.build) inherits these rules; each method gets the already-built children of its rule.

>>> from grader.parse import parse
>>> parse(r"\sum^{n}_{i=1} x_i") == parse(r"\sum_{i=1}^{n} x_i")
True
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from lark import Token
from sympy.core.symbol import Str

from grader.parse.context import note
from grader.parse.names import Fail, resolve_word, symbol, token_start, token_word
from grader.parse.nodes import Approach, Equation
from grader.parse.windows import WindowEntries, reduction, window_bars
from grader.parse.windows import norm as window_norm


class BigOpRules:
    """The grammar rules of answer.lark for relations, limits, reductions and norms."""

    def chain(self, c):
        r"""``a = b = c``: an Equation of its sides; ``a \le b`` (one relation, no chains of them): a SymPy relation."""
        relations = [t for t in c[1::2] if t.type == "REL"]
        if not relations:
            return Equation(tuple(c[::2]))
        if len(c) != 3:
            raise Fail(relations[0].start_pos, "a chain of relations like a < b < c is not supported")
        return _RELATIONS[_relation_name(relations[0])](c[0], c[2], evaluate=False)

    def approach(self, c):
        r"""``p \to \infty``: an Approach; ``1/p \to 0`` is read as ``p \to \infty`` (with a note)."""
        var, arrow, value = c
        if _is_reciprocal(var):  # 1/p -> 0 is p -> oo; 1/p -> v is p -> 1/v
            symbol_ = var.free_symbols.pop()
            target = sympy.oo if value == 0 else sympy.Mul(var * symbol_, 1 / value)
            shown = "∞" if target == sympy.oo else sympy.sstr(target)
            note(f"read {sympy.sstr(var)} → {sympy.sstr(value)} as {symbol_} → {shown}")
            return Approach(symbol_, target)
        if not isinstance(var, sympy.Symbol):
            raise Fail(arrow.start_pos, "the left side of '\\to' must be a single variable")
        return Approach(var, value)

    def bare_limit(self, c):
        r"""``\lim_{p \to \infty}`` on its own: the statement ``p \to \infty``."""
        return Approach(_bound_symbol(c[3]), c[5])

    def limit_equation(self, c):
        r"""``\lim_{p\to\infty} ... = \max ...`` or ``p = 1``: an Equation of the two sides."""
        return Equation((c[0], c[2]))

    def norm(self, c):
        r"""``\lVert X_{S_{ij}} \rVert_p``: the p-norm of a window's entries (the order is required)."""
        if not isinstance(c[1], WindowEntries):
            raise Fail(c[0].start_pos, "a norm is read around a window's entries, like \\lVert X_{S_{ij}} \\rVert_p")
        if len(c) < 4:
            raise Fail(c[2].start_pos, "the norm needs its order, like \\rVert_p", ("'_'",))
        text = re.sub(r"\\[A-Za-z]+\s*\{|[{}\s]", "", str(c[3])[1:])
        order = sympy.oo if text in ("\\infty", "infty", "∞", "oo") else resolve_word(text, c[3].start_pos) if (
            text.isalpha()) else sympy.Integer(int(text)) if text.isdigit() else None
        if order is None:
            raise Fail(c[3].start_pos, f"the norm's order '{text}' is not supported")
        return window_norm(c[1], order)

    def bars(self, c):
        """``|S|`` of a window: its number of cells; ``|x|``: an absolute value."""
        return window_bars(c[1])

    def reduce(self, c):
        r"""``\sum_{i=1}^{n} body``, ``\max_{(p,q) \in S} body``, ``\sum_{0 \le m, n < K} body``: a
        WindowReduce (one per name of a multi-name range); an upper end only with a range, and a range needs one."""
        op, binder, body = _bigop_name(c[0]), c[3], c[-1]
        kind, var, domain = binder
        upper = c[6] if len(c) == 8 else None
        if kind == "range" and isinstance(domain, tuple):  # 1 \le i \le N carries both ends
            if upper is not None:
                raise Fail(c[5].start_pos, "the range already has its upper end")
            domain = sympy.Tuple(*domain)
        elif kind == "range":
            if upper is None:
                raise Fail(c[0].start_pos, "a range needs its upper end, like \\sum_{i=1}^{n}")
            domain = sympy.Tuple(domain, upper)
        elif upper is not None:
            raise Fail(c[5].start_pos, "an upper end only makes sense with a range like i=1")
        if kind == "range" and isinstance(var, sympy.Tuple):  # 0 \le m, n < K: one range for each name
            for name in reversed(var):
                body = reduction(op, body, name, domain)
            return body
        return reduction(op, body, var, domain)

    def reduce_upper_first(self, c):
        r"""``\sum^{n}_{i=1}``: the same as ``\sum_{i=1}^{n}``."""
        op, upper, under, lbrace, binder, rbrace, body = c[0], c[2], c[3], c[4], c[5], c[6], c[7]
        return self.reduce([op, under, lbrace, binder, rbrace, c[1], upper, body])

    def reduce_set(self, c):
        r"""``\max\{x_{pq} : (p,q) \in S\}``: a reduction over a set written by comprehension."""
        kind, var, domain = c[4]
        if kind != "in":
            raise Fail(c[3].start_pos, "write the set as \\{x : x \\in S\\}")
        return reduction(_bigop_name(c[0]), c[2], var, domain)

    def limit(self, c):
        r"""``\lim_{p \to \infty} body``: an unevaluated SymPy Limit."""
        var, value, body = _bound_symbol(c[3]), c[5], c[-1]
        return sympy.Limit(body, var, value)

    def comprehension(self, c):
        """``sum(x^p for x in S)``, ``max(x for x in S)``: a reduction written the Python way."""
        word = token_word(str(c[0]))
        if word not in ("sum", "max", "min", "mean", "avg"):
            raise Fail(c[0].start_pos, f"'{word}(... for ... in ...)' is not supported")
        return reduction(word, c[2], c[4], c[6])

    def binder_listed(self, c):
        r"""``m = 0, \ldots, kH - 1``: a range with both ends."""
        return "range", _bound_symbol(c[0]), (c[2], c[6])

    def binder_between(self, c):
        r"""``1 \le i \le N``, ``0 \le m, n < K``: a range with both ends (strict bounds moved
        in by one)."""
        low, first, *names, second, high = c
        names = [_bound_symbol(t) for t in names if t.type == "NAME"]
        ops = (_relation_name(first), _relation_name(second))
        if ops[0] not in ("<", "<=") or ops[1] not in ("<", "<="):
            raise Fail(first.start_pos, "a range is written low \\le i \\le high")
        low = low + 1 if ops[0] == "<" else low
        high = high - 1 if ops[1] == "<" else high
        return "range", names[0] if len(names) == 1 else sympy.Tuple(*names), (low, high)

    def binder_in(self, c):
        r"""``(p, q) \in S``: the names run over a set."""
        return "in", c[0], c[2]

    def binder_range(self, c):
        """``i = 1``: the start of a range (the end comes as the operator's superscript)."""
        return "range", _bound_symbol(c[0]), c[2]

    def binder_free(self, c):
        r"""A bare name under the operator (``\sum_i``): the domain is left unspecified."""
        return "free", c[0], Str("unspecified")

    def bound(self, c):
        """The bound names: one single-letter name, or a Tuple of them (``p, q`` or ``(p, q)``)."""
        names = [_bound_symbol(t) for t in c if t.type == "NAME"]
        return names[0] if len(names) == 1 else sympy.Tuple(*names)


def _bigop_name(token: Token) -> str:
    if token in ("Σ", "∑"):
        return "sum"
    if "{" not in token:
        return token.lstrip("\\")
    word = token_word(str(token)).strip()
    return "mean" if word == "E" else word  # \mathbb{E}: the expectation over the window is its mean


_RELATIONS = {"<": sympy.Lt, ">": sympy.Gt, "<=": sympy.Le, ">=": sympy.Ge, "!=": sympy.Ne}


_RELATION_WORDS = {"\\le": "<=", "\\leq": "<=", "\\leqslant": "<=", "≤": "<=", "\\ge": ">=", "\\geq": ">=",
                   "\\geqslant": ">=", "≥": ">=", "\\neq": "!=", "\\ne": "!=", "≠": "!=", "\\lt": "<", "\\gt": ">"}


def _relation_name(token: Token) -> str:
    return _RELATION_WORDS.get(str(token), str(token))


def _is_reciprocal(value: Any) -> bool:
    """``1/p`` or ``c/p``: a nonzero number over a single variable."""
    if not isinstance(value, sympy.Expr) or len(value.free_symbols) != 1:
        return False
    coeff, rest = value.as_coeff_Mul()
    base, exponent = rest.as_base_exp()
    return isinstance(base, sympy.Symbol) and exponent == -1 and coeff.is_nonzero is True


def _bound_symbol(token: Token) -> sympy.Symbol:
    if len(token.rstrip("'")) != 1:
        raise Fail(token_start(token), "a bound variable is a single letter")
    return symbol(str(token))
