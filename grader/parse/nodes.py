"""The objects ``grader.parse`` returns besides plain SymPy expressions, and helpers to walk them.

- ``Equation(sides)``: a chained equality ``a = b = c`` (also the limit ``p = 1``).
- ``Approach(var, value)``: a limit statement ``p \\to \\infty``.
- ``WindowReduce(op, body, var, domain)``: ``\\max_{(p,q) \\in S_{ij}} x_{pq}``, ``\\sum_{x \\in S} x^p``; a SymPy
  expression, so it nests (``\\frac{1}{N}\\sum...``, ``(\\sum ...)^{1/p}``). ``expand(values)`` instantiates it.
- ``ELLIPSIS``: the marker symbol an elided ``+ \\dots +`` parses to.
- ``chain_terms(expr)``: the written chain-rule products, as tuples of unevaluated ``Derivative`` s.

>>> from sympy import Derivative, Symbol
>>> E, C, A = (Symbol(n, real=True) for n in ("E", "C_12", "A_24"))
>>> chain_terms(Derivative(C, A, evaluate=False) * Derivative(E, C, evaluate=False))
[(Derivative(E, C_12), Derivative(C_12, A_24))]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.core.symbol import Str


@dataclass(frozen=True)
class Equation:
    """A chained equality; each side is a SymPy expression (or Matrix). ``a = b = c`` has three sides."""

    sides: tuple[Any, ...]


@dataclass(frozen=True)
class Approach:
    """``var \\to value``: the variable (a Symbol) and the value it tends to (``sympy.oo`` for infinity)."""

    var: sympy.Symbol
    value: sympy.Expr


class EllipsisMarker(sympy.Symbol):
    """The symbol for an elided part (``\\dots``, ``…``, ``...``); prints back as ``\\dots``."""

    def _latex(self, printer: Any) -> str:
        return r"\dots"

    def _sympystr(self, printer: Any) -> str:
        return "..."


ELLIPSIS = EllipsisMarker("Ellipsis_")


def has_ellipsis(expr: Any) -> bool:
    """True when an elided ``\\dots`` occurs anywhere in ``expr`` (an expression, Matrix or Equation)."""
    if isinstance(expr, Equation):
        return any(has_ellipsis(side) for side in expr.sides)
    return isinstance(expr, sympy.Basic) and expr.has(ELLIPSIS)


_COMBINE = {"sum": sympy.Add, "max": sympy.Max, "min": sympy.Min}


class WindowReduce(sympy.Expr):
    """``op`` (``"sum"``, ``"max"`` or ``"min"``) of ``body`` as ``var`` runs over ``domain``.

    - ``var``: a Symbol, or a Tuple of Symbols for ``(p, q) \\in S_{ij}``.
    - ``domain``: what follows ``\\in``: a Symbol ``S``, an ``Indexed`` such as ``S[i, j]`` for ``S_{ij}``
      (base ``S^k`` for ``S^k_{ij}``), a ``Tuple(lo, hi)`` for ``\\sum_{i=1}^{n}``, or ``Str("unspecified")``
      for ``\\sum_{u,v}``.
    - Letter-indexed names in the body are ``sympy.Indexed`` (``x_{pq}`` is ``x[p, q]``), so substituting the
      bound indices gives ``x[1, 2]``; ``entries_from_indexed`` then turns those into the engine's entry symbols.

    The grader instantiates a window by listing the values ``var`` takes (``expand``). ``max(S)`` with a single
    set-like argument is ``WindowReduce("max", x, x, S)`` with ``x = Symbol("x", real=True)``.

    >>> from sympy import Symbol, Tuple, IndexedBase
    >>> p, q, x = (Symbol(n, real=True) for n in "pqx")
    >>> w = WindowReduce("max", IndexedBase(x)[p, q], Tuple(p, q), Symbol("S", real=True))
    >>> entries_from_indexed(w.expand([(1, 1), (1, 2)]))
    Max(x_11, x_12)
    """

    is_commutative = True

    def __new__(cls, op: str, body: sympy.Expr, var: sympy.Basic, domain: sympy.Basic) -> WindowReduce:
        # SymPy rebuilds nodes from their args (xreplace, subs), passing op back as a Str
        return sympy.Expr.__new__(cls, op if isinstance(op, Str) else Str(op), body, var, domain)

    op = property(lambda self: self.args[0].name)
    body = property(lambda self: self.args[1])
    var = property(lambda self: self.args[2])
    domain = property(lambda self: self.args[3])

    @property
    def bound(self) -> tuple[sympy.Symbol, ...]:
        """The bound variables, always as a tuple."""
        return tuple(self.var) if isinstance(self.var, sympy.Tuple) else (self.var,)

    @property
    def free_symbols(self) -> set[sympy.Basic]:
        """The symbols of the body that the reduction does not bind, and those of the domain."""
        return (self.body.free_symbols - set(self.bound)) | self.domain.free_symbols

    def expand(self, values: Iterable[Any]) -> sympy.Expr:
        """Combine ``body`` with ``op`` over the given values of ``var`` (tuples when ``var`` is a tuple)."""
        terms = []
        for value in values:
            value = value if isinstance(value, tuple | list | sympy.Tuple) else (value,)
            terms.append(self.body.xreplace(dict(zip(self.bound, map(_exact, value), strict=True))))
        return _COMBINE[self.op](*terms)

    def _latex(self, printer: Any) -> str:
        var = printer._print(self.var) if not isinstance(self.var, sympy.Tuple) else (
            "(" + ", ".join(printer._print(v) for v in self.var) + ")")
        if isinstance(self.domain, sympy.Tuple):
            sub = f"{var} = {printer._print(self.domain[0])}}}^{{{printer._print(self.domain[1])}"
        elif isinstance(self.domain, Str):
            sub = var
        else:
            sub = f"{var} \\in {printer._print(self.domain)}"
        return f"\\{self.op}_{{{sub}}} {printer._print(self.body)}"

    _symconv_latex = _latex  # the project printer's hook (symconv.latex): no \operatorname{WindowReduce}
    precedence = 50  # sympy's PRECEDENCE["Mul"], like a Sum: parenthesised as the base of a power


def _exact(value: Any) -> Any:
    return sympy.Integer(value) if isinstance(value, int) else value


def entries_from_indexed(expr: sympy.Basic) -> sympy.Basic:
    """Replace ``x[i, j]`` with integer indices by the entry symbol ``x_ij`` (the engine's naming)."""
    from grader.parse.build import entry

    mapping = {}
    for item in expr.atoms(sympy.Indexed):
        if len(item.indices) == 2 and all(isinstance(k, sympy.Integer) for k in item.indices):
            mapping[item] = entry(str(item.base.label), int(item.indices[0]), int(item.indices[1]))
    return expr.xreplace(mapping)


def chain_terms(expr: sympy.Basic) -> list[tuple[sympy.Derivative, ...]]:
    """The chain-rule products written in ``expr``, each ordered as a chain ``(∂E/∂C_uv, ∂C_uv/∂A_ij)``.

    One tuple per summand that holds derivatives (summands without any, like ``B_12`` or ``\\dots``, are skipped);
    a summand written twice collapses in SymPy to ``2*...`` and is listed twice. A Derivative is never evaluated
    here: read ``d.expr`` (the numerator) and ``d.variables[0]`` (the denominator).
    """
    terms: list[tuple[sympy.Derivative, ...]] = []
    for term in sympy.Add.make_args(expr):
        coeff, factors = term.as_coeff_mul()
        derivatives: list[sympy.Derivative] = []
        for factor in factors:
            base, power = factor.as_base_exp()
            if isinstance(base, sympy.Derivative):
                derivatives += [base] * (int(power) if power.is_Integer and power > 0 else 1)
        if derivatives:
            repeat = int(coeff) if coeff.is_Integer and coeff > 1 else 1
            terms += [_as_chain(derivatives)] * repeat
    return terms


def _as_chain(derivatives: list[sympy.Derivative]) -> tuple[sympy.Derivative, ...]:
    """Order ∂a/∂b, ∂b/∂c, ... so each denominator is the next numerator; leftovers keep a stable order."""
    pending = sorted(derivatives, key=sympy.default_sort_key)
    denominators = {d.variables[0] for d in pending}
    start = next((d for d in pending if d.expr not in denominators), pending[0])
    chain = [start]
    pending.remove(start)
    while pending:
        nxt = next((d for d in pending if d.expr == chain[-1].variables[0]), pending[0])
        chain.append(nxt)
        pending.remove(nxt)
    return tuple(chain)
