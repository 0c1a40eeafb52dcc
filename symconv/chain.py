"""The chain rule for one input entry: which outputs it feeds, and through which kernel entry.

This is the data behind each solution line
``∂E/∂A_ij = Σ ∂E/∂C_uv · ∂C_uv/∂A_ij = B_.. + B_..``; output entries outside the window contribute nothing
and are not listed.

>>> from symconv import sym_matrix
>>> rule = chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 1, 2)
>>> [(t.u, t.v) for t in rule.terms]
[(1, 1), (1, 2)]
>>> rule.total
B_11 + B_12
>>> rule.to_latex().split(" = ")[-1]       # each kernel entry under the output entry it came from
'B_{12} + B_{11}'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from symconv.conv import ConvConfig, _upstream, taps
from symconv.errors import ConfigError
from symconv.latex import latex
from symconv.matrices import as_matrix, entry_symbol


def partial(of: sympy.Symbol, wrt: sympy.Symbol) -> sympy.Derivative:
    """The unevaluated partial derivative ∂of/∂wrt, as it appears in a written chain rule."""
    return sympy.Derivative(of, wrt, evaluate=False)


@dataclass(frozen=True)
class ChainTerm:
    """One summand ∂E/∂C_uv · ∂C_uv/∂x_ij, with 1-based output indices."""

    u: int
    v: int
    output: sympy.Symbol    # C_uv
    upstream: sympy.Expr    # ∂E/∂C_uv: 1, a number or G_uv
    local: sympy.Expr       # ∂C_uv/∂x_ij: the kernel entry that meets x_ij in C_uv

    @property
    def value(self) -> sympy.Expr:
        return self.upstream * self.local


@dataclass(frozen=True, repr=False)
class ChainRule:
    """The chain-rule expansion of ∂E/∂x_ij (1-based), term by term, in output order."""

    entry: sympy.Symbol
    i: int
    j: int
    terms: tuple[ChainTerm, ...]
    loss: sympy.Symbol

    @property
    def total(self) -> sympy.Expr:
        """∂E/∂x_ij as a sum of kernel terms (times upstream entries)."""
        return sympy.Add(*(t.value for t in self.terms))

    def to_latex(self) -> str:
        """``\\frac{∂E}{∂x_ij} = Σ ∂E/∂C_uv ∂C_uv/∂x_ij = <sum of kernel terms>``; the sum written in the terms'
        order, so each kernel entry sits under the output entry it came from."""
        lhs = latex(partial(self.loss, self.entry))
        if not self.terms:
            return f"{lhs} = 0"
        chain = " + ".join(f"{latex(partial(self.loss, t.output))} {latex(partial(t.output, self.entry))}"
                           for t in self.terms)
        values = " + ".join(latex(t.value) for t in self.terms)
        return f"{lhs} = {chain} = {values}"

    def _repr_latex_(self) -> str:
        return f"${self.to_latex()}$"

    def __repr__(self) -> str:  # a REPL shows the derivation, not the dataclass fields
        return str(self)

    def __str__(self) -> str:
        chain = " + ".join(f"dE/d{t.output}*d{t.output}/d{self.entry}" for t in self.terms) or "0"
        return f"dE/d{self.entry} = {chain} = {self.total}"


def chain_rule(x: Any, w: Any, i: int, j: int, *, upstream: Any = None, stride: Any = 1, padding: Any = 0,
               dilation: Any = 1, input_name: str | None = None, output_name: str = "C",
               loss_name: str = "E") -> ChainRule:
    """The chain-rule expansion for input entry (i, j), **1-based** like the symbols ``A_ij``.

    The entry's symbol is taken from ``x`` when it is a symbol, else built from ``input_name`` (default "A").

    >>> from symconv import sym_matrix
    >>> chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), 2, 2, upstream=sym_matrix("G", 2, 2)).total
    B_11*G_22 + B_12*G_21 + B_21*G_12 + B_22*G_11
    """
    xm, wm = as_matrix(x, "x"), as_matrix(w, "w")
    for name, value, size in (("i", i, xm.rows), ("j", j, xm.cols)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= size:
            raise ConfigError(name, f"must be an index from 1 to {size} (1-based)", value)
    cfg = ConvConfig.make(stride, padding, dilation)
    g = _upstream(upstream, cfg.out_shape(xm.shape, wm.shape))
    entry = xm[i - 1, j - 1]
    if not isinstance(entry, sympy.Symbol):
        entry = entry_symbol(input_name or "A", i, j)
    terms = tuple(
        ChainTerm(t.u + 1, t.v + 1, entry_symbol(output_name, t.u + 1, t.v + 1), g[t.u, t.v], wm[t.m, t.n])
        for t in sorted(taps(xm.shape, wm.shape, cfg), key=lambda t: (t.u, t.v))
        if (t.a, t.b) == (i - 1, j - 1))
    return ChainRule(entry, i, j, terms, sympy.Symbol(loss_name))
