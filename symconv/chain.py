"""The chain rule for one input entry: which outputs it feeds, and through which kernel entry.

This is the data behind each solution line
``∂E/∂A_ij = Σ ∂E/∂C_uv · ∂C_uv/∂A_ij = B_.. + B_..``; output entries outside the window contribute nothing
and are not listed. The chain-rule sum is in output order; the sum of kernel terms is in one order for text,
LaTeX and the printed gradient (:func:`kernel_order`, the printer's ``term_key``).

>>> from symconv import sym_matrix
>>> rule = chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 1, 2)
>>> [(t.u, t.v) for t in rule.terms]
[(1, 1), (1, 2)]
>>> rule.total
B_11 + B_12
>>> rule
dE/dA_12 = dE/dC_11*dC_11/dA_12 + dE/dC_12*dC_12/dA_12 = B_11 + B_12
>>> rule.to_latex().split(" = ")[-1]
'B_{11} + B_{12}'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.printing.printer import Printer

from symconv.conv import ConvConfig, _is_channel_list, _prepare, _upstream, taps
from symconv.errors import ConfigError
from symconv.latex import SymconvLatexPrinter, term_key
from symconv.matrices import entry_symbol


def partial(of: sympy.Symbol, wrt: sympy.Symbol) -> sympy.Derivative:
    """The unevaluated partial derivative ∂of/∂wrt, as it appears in a written chain rule.

    >>> partial(sympy.Symbol("E"), sympy.Symbol("C_11"))
    Derivative(E, C_11)
    """
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
        """The product the term stands for: ``upstream * local``.

        >>> C, B = sympy.Symbol("C_11"), sympy.Symbol("B_11")
        >>> ChainTerm(1, 1, C, sympy.Integer(2), B).value
        2*B_11"""
        return self.upstream * self.local


def kernel_order(term: ChainTerm) -> list[Any]:
    """The order of a chain rule's kernel terms wherever they are written: the printer's ``term_key`` of each term
    (B_11 + B_12 + B_13, or B_11 G_22 + B_12 G_21 + ...), the order in which the printer writes their sum and the
    gradient matrix, so the text, the LaTeX and the input gradient list the terms alike.

    >>> B, one = sympy.symbols("B_12 B_11"), sympy.S.One
    >>> terms = [ChainTerm(1, 1, B[0], one, B[0]), ChainTerm(1, 2, B[1], one, B[1])]
    >>> [t.local for t in sorted(terms, key=kernel_order)]
    [B_11, B_12]
    """
    return term_key(term.value)


def _join(texts: Sequence[str]) -> str:
    """Terms joined by + (by - when a term prints with a leading minus); "0" for none."""
    out = texts[0] if texts else "0"
    for text in texts[1:]:
        out += " - " + text[1:].lstrip() if text.startswith("-") else " + " + text
    return out


@dataclass(frozen=True, repr=False)
class ChainRule:
    """The chain-rule expansion of ∂E/∂x_ij (1-based), term by term, in output order; ``channel`` (1-based) is
    the input channel of x_ij when the convolution has several."""

    entry: sympy.Symbol
    i: int
    j: int
    terms: tuple[ChainTerm, ...]
    loss: sympy.Symbol
    channel: int | None = None

    @property
    def total(self) -> sympy.Expr:
        """∂E/∂x_ij as a sum of kernel terms (times upstream entries)."""
        return sympy.Add(*(t.value for t in self.terms))

    @property
    def kernel_terms(self) -> tuple[ChainTerm, ...]:
        """The terms in the order their sum is written (:func:`kernel_order`)."""
        return tuple(sorted(self.terms, key=kernel_order))

    def _latex(self, printer: Printer, **_: Any) -> str:
        """``\\frac{∂E}{∂x_ij} = Σ ∂E/∂C_uv ∂C_uv/∂x_ij = <sum of kernel terms>``, through ``printer`` so its
        settings apply to every piece."""
        lhs = printer._print(partial(self.loss, self.entry))
        if not self.terms:
            return f"{lhs} = 0"
        chain = " + ".join(f"{printer._print(partial(self.loss, t.output))} "
                           f"{printer._print(partial(t.output, self.entry))}" for t in self.terms)
        return f"{lhs} = {chain} = {_join([printer._print(t.value) for t in self.kernel_terms])}"

    def to_latex(self, **settings: Any) -> str:
        """The equation in LaTeX, by the project's printer with ``settings`` (as ``symconv.latex.latex``)."""
        return SymconvLatexPrinter(settings).doprint(self)

    def _repr_latex_(self) -> str:
        return f"${self.to_latex()}$"

    def __repr__(self) -> str:  # a REPL shows the derivation, not the dataclass fields
        return str(self)

    def __str__(self) -> str:
        d = f"d{self.loss}/d"
        chain = " + ".join(f"{d}{t.output}*d{t.output}/d{self.entry}" for t in self.terms) or "0"
        return f"{d}{self.entry} = {chain} = {_join([sympy.sstr(t.value) for t in self.kernel_terms])}"


def _operands(x: Any, w: Any, channel: int | None, flip: bool) -> tuple[sympy.Matrix, sympy.Matrix, bool]:
    """The input and kernel matrices of the channel ``channel`` (1-based) names, as conv2d takes them (the kernel
    rotated when ``flip``), and whether the convolution has several channels (a rule names its channel then)."""
    xs, ws = _prepare(x, w, flip)
    if _is_channel_list(x) or len(xs) > 1:
        if isinstance(channel, bool) or not isinstance(channel, int) or not 1 <= channel <= len(xs):
            raise ConfigError("channel", f"must name the input channel of the entry, from 1 to {len(xs)} "
                              "(1-based)", channel)
    elif channel not in (None, 1):
        raise ConfigError("channel", "must be 1 or None for a single-channel input", channel)
    c = (channel or 1) - 1
    return xs[c], ws[c], len(xs) > 1


def _setup(indices: tuple[tuple[str, Any, int], ...], xm: sympy.Matrix, wm: sympy.Matrix, upstream: Any,
           stride: Any, padding: Any, dilation: Any) -> tuple[ConvConfig, sympy.Matrix]:
    """Check the 1-based entry indices (name, value, size) and return the configuration and the upstream."""
    for name, value, size in indices:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= size:
            raise ConfigError(name, f"must be an index from 1 to {size} (1-based)", value)
    cfg = ConvConfig.make(stride, padding, dilation)
    return cfg, _upstream(upstream, cfg.out_shape(xm.shape, wm.shape))


def chain_rule(x: Any, w: Any, i: int, j: int, *, channel: int | None = None, upstream: Any = None,
               stride: Any = 1, padding: Any = 0, dilation: Any = 1, flip: bool = False,
               input_name: str | None = None, output_name: str = "C", loss_name: str = "E") -> ChainRule:
    """The chain-rule expansion for input entry (i, j), **1-based** like the symbols ``A_ij``.

    ``x``, ``w``, stride, padding, dilation and flip are taken as :func:`~symconv.conv.conv2d` takes them: with
    lists of channel matrices, C_uv sums over the channels, and ``channel`` (1-based) says which channel's entry
    (i, j) is; its terms run through that channel's kernel. The entry's symbol is taken from ``x`` when it is a
    symbol, else built from ``input_name`` (default "A").

    >>> from symconv import sym_matrix
    >>> chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), 2, 2, upstream=sym_matrix("G", 2, 2))
    dE/dA_22 = dE/dC_11*dC_11/dA_22 + dE/dC_12*dC_12/dA_22 + dE/dC_21*dC_21/dA_22 + dE/dC_22*dC_22/dA_22 = \
B_11*G_22 + B_12*G_21 + B_21*G_12 + B_22*G_11
    >>> xs, ws = [sym_matrix("X", 3, 3), sym_matrix("Y", 3, 3)], [sym_matrix("K", 2, 2), sym_matrix("L", 2, 2)]
    >>> chain_rule(xs, ws, 1, 2, channel=2).total
    L_11 + L_12
    """
    xm, wm, multi = _operands(x, w, channel, flip)
    cfg, g = _setup((("i", i, xm.rows), ("j", j, xm.cols)), xm, wm, upstream, stride, padding, dilation)
    entry = xm[i - 1, j - 1]
    if not isinstance(entry, sympy.Symbol):
        entry = entry_symbol(input_name or "A", i, j)
    terms = tuple(
        ChainTerm(t.u + 1, t.v + 1, entry_symbol(output_name, t.u + 1, t.v + 1), g[t.u, t.v], wm[t.m, t.n])
        for t in sorted(taps(xm.shape, wm.shape, cfg), key=lambda t: (t.u, t.v))
        if (t.a, t.b) == (i - 1, j - 1))
    return ChainRule(entry, i, j, terms, sympy.Symbol(loss_name), channel if multi else None)


def kernel_chain_rule(x: Any, w: Any, m: int, n: int, *, channel: int | None = None, upstream: Any = None,
                      stride: Any = 1, padding: Any = 0, dilation: Any = 1, flip: bool = False,
                      kernel_name: str | None = None, output_name: str = "C", loss_name: str = "E") -> ChainRule:
    """The chain-rule expansion for kernel entry (m, n), **1-based** like ``B_mn``: the kernel's counterpart of
    :func:`chain_rule`, by the same taps walk. Each term ∂E/∂C_uv · ∂C_uv/∂B_mn has as its local derivative the
    input entry that B_mn meets in C_uv; outputs where it meets a padding cell (a zero) are not listed. With
    ``flip`` (true convolution) (m, n) names an entry of the kernel as given, which meets the input rotated.

    >>> from symconv import sym_matrix
    >>> rule = kernel_chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), 1, 2)
    >>> rule
    dE/dB_12 = dE/dC_11*dC_11/dB_12 + dE/dC_12*dC_12/dB_12 + dE/dC_21*dC_21/dB_12 + dE/dC_22*dC_22/dB_12 = \
A_12 + A_13 + A_22 + A_23
    >>> kernel_chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), 1, 1, padding=1).total
    A_11 + A_12 + A_13 + A_21 + A_22 + A_23 + A_31 + A_32 + A_33
    """
    xm, wm, multi = _operands(x, w, channel, flip)
    cfg, g = _setup((("m", m, wm.rows), ("n", n, wm.cols)), xm, wm, upstream, stride, padding, dilation)
    tap = (wm.rows - m, wm.cols - n) if flip else (m - 1, n - 1)   # where the given entry sits in the used kernel
    entry = wm[tap]
    if not isinstance(entry, sympy.Symbol):
        entry = entry_symbol(kernel_name or "B", m, n)
    terms = tuple(
        ChainTerm(t.u + 1, t.v + 1, entry_symbol(output_name, t.u + 1, t.v + 1), g[t.u, t.v], xm[t.a, t.b])
        for t in sorted(taps(xm.shape, wm.shape, cfg), key=lambda t: (t.u, t.v))
        if (t.m, t.n) == tap)
    return ChainRule(entry, m, n, terms, sympy.Symbol(loss_name), channel if multi else None)
