"""LaTeX for everything symconv emits, through one SymPy printer subclass.

Matrices print as ``bmatrix`` (fractions in them at full size, ``\\dfrac``); sums list their terms in matrix-index
order (B_{11} + B_{12} + B_{21}, the way a student writes them), and other sums their positive terms first
(I + 2P - D(K - 1) - 1); a derivative of a symbol prints as a partial fraction; ``Max`` prints as ``\\max``.
The setting ``decimals=n`` prints non-integer rationals as decimals rounded to n places.

>>> from symconv import sym_matrix
>>> B = sym_matrix("B", 3, 3)
>>> latex(B[1, 0] + B[0, 2] + B[0, 0])
'B_{11} + B_{13} + B_{21}'
>>> latex(sympy.Matrix([[1, 2], [3, 4]]))
'\\\\begin{bmatrix}1 & 2\\\\\\\\3 & 4\\\\end{bmatrix}'
>>> I, P, D, K = sympy.symbols("I P D K")
>>> latex(I + 2 * P - D * (K - 1) - 1)
'I + 2 P - D \\\\left(K - 1\\\\right) - 1'
>>> latex(sympy.Rational(197, 4), decimals=1), latex(sympy.Matrix([[sympy.Rational(1, 2)]]))
('49.2', '\\\\begin{bmatrix}\\\\dfrac{1}{2}\\\\end{bmatrix}')
>>> E, A24 = sympy.Symbol("E"), sym_matrix("A", 2, 4)[1, 3]
>>> latex(sympy.Derivative(E, A24, evaluate=False))
'\\\\frac{\\\\partial E}{\\\\partial A_{24}}'
"""

from __future__ import annotations

import re
from typing import Any

import pylatex
import sympy
from pylatex.base_classes import Container
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from symconv.matrices import parse_entry_name


def _natural_key(text: str) -> list[Any]:
    """Sort key that orders numbers inside names numerically (A_{9,1} before A_{10,1})."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def term_key(term: sympy.Expr) -> list[Any]:
    """Order a sum's terms by the entry symbols they contain, then by the text; constants last. Terms free of
    matrix entries put their positive terms first (I + 2P - D(K - 1) - 1, the way a textbook writes a formula)."""
    keys: list[Any] = []
    entries = False
    for sym in sorted(term.free_symbols, key=lambda s: _natural_key(s.name)):
        parsed = parse_entry_name(sym.name)
        entries = entries or parsed is not None
        keys.append(parsed if parsed else (sym.name, 0, 0))
    negative = bool(keys) and not entries and term.could_extract_minus_sign()
    return [not keys, negative, keys, _natural_key(str(term))]


_term_key = term_key   # the name other modules imported first


class SymconvLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the conventions of coursework solutions."""

    printmethod = "_symconv_latex"
    _default_settings = {**LatexPrinter._default_settings, "mat_str": "bmatrix", "mat_delim": "", "decimals": None}
    _in_matrix = False

    def _print(self, expr: Any, **kwargs: Any) -> str:
        """SymPy's own ``_latex`` hooks (oo, pi, E, I, nan) still apply under our ``printmethod``.

        >>> print(latex(sympy.Interval(0, sympy.oo)))
        \\left[0, \\infty\\right)
        """
        hook = getattr(expr, "_latex", None)   # also a symconv result's (ChainRule), so settings reach it
        if callable(hook) and not isinstance(expr, type) and (isinstance(expr, sympy.Atom)
                                                              or not isinstance(expr, sympy.Basic)):
            return hook(self, **kwargs)
        return super()._print(expr, **kwargs)

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        terms = sorted(expr.args, key=term_key)
        out = self._print(terms[0])
        for term in terms[1:]:
            text = self._print(term)
            out += " - " + text[1:].lstrip() if text.startswith("-") else " + " + text
        return out

    def _print_Rational(self, expr: sympy.Rational) -> str:
        digits = self._settings["decimals"]
        if expr.q == 1 or (digits is None and not self._in_matrix):
            return super()._print_Rational(expr)
        if digits is not None:
            text = f"{float(expr):.{digits}f}".rstrip("0").rstrip(".")
            return "0" if text in ("-0", "") else text
        sign, p = ("- ", -expr.p) if expr.p < 0 else ("", expr.p)
        return rf"{sign}\dfrac{{{p}}}{{{expr.q}}}"   # full size: a text-style fraction in a matrix is tiny

    def _print_MatrixBase(self, expr: sympy.MatrixBase) -> str:
        outer, self._in_matrix = self._in_matrix, True
        try:
            text = super()._print_MatrixBase(expr)
        finally:
            self._in_matrix = outer
        if any(isinstance(x, sympy.Rational) and x.q != 1 for x in expr) and self._settings["decimals"] is None:
            text = text.replace("\\\\", "\\\\[1.2ex]")   # room between rows of full-size fractions
        return text

    def _print_Pow(self, expr: sympy.Pow) -> str:
        """A symbolic fraction in an exponent prints inline (``x^{1/p}``): stacked, it is cramped and tiny.

        >>> p = sympy.Symbol("p")
        >>> print(latex(sympy.Symbol("S") ** (1 / p)), latex(sympy.Symbol("N") ** (-1 / p)))
        S^{1/p} N^{- 1/p}
        """
        numerator, denominator = expr.exp.as_numer_denom()
        if expr.exp.is_Rational or denominator == 1 or not expr.exp.free_symbols:
            return super()._print_Pow(expr)
        sign = "- " if numerator.could_extract_minus_sign() else ""
        top = self.parenthesize(-numerator if sign else numerator, PRECEDENCE["Mul"])
        bottom = self.parenthesize(denominator, PRECEDENCE["Mul"], strict=True)
        base = self.parenthesize(expr.base, PRECEDENCE["Pow"])
        base = self.parenthesize_super(base) if expr.base.is_Symbol else base
        return f"{base}^{{{sign}{top}/{bottom}}}"

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        if len(expr.variables) == 1 and isinstance(expr.expr, sympy.Symbol):
            return rf"\frac{{\partial {self._print(expr.expr)}}}{{\partial {self._print(expr.variables[0])}}}"
        return super()._print_Derivative(expr)

    def _print_Max(self, expr: sympy.Max, exp: str | None = None) -> str:
        args = sorted(expr.args, key=term_key)
        text = r"\max\left(" + ", ".join(self._print(a) for a in args) + r"\right)"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Min(self, expr: sympy.Min, exp: str | None = None) -> str:
        args = sorted(expr.args, key=term_key)
        text = r"\min\left(" + ", ".join(self._print(a) for a in args) + r"\right)"
        return f"{text}^{{{exp}}}" if exp else text


class Fragment(Container):
    r"""PyLaTeX objects set one after another with ``separator`` between them and no environment around them: a
    piece of a body (a proof, a table of limits) that a ``_latex`` method returns as text or a document appends.
    With ``end_paragraph``, a document ends the paragraph after it.

    >>> from pylatex import Command, NoEscape
    >>> print(Fragment([Command("paragraph", "Title."), NoEscape("Text.")], separator=" ").dumps())
    \paragraph{Title.} Text.
    """

    def __init__(self, data: list[Any] | None = None, separator: str = "\n", end_paragraph: bool = False) -> None:
        super().__init__(data=data)
        self.content_separator = separator
        self.end_paragraph = end_paragraph

    def dumps(self) -> str:
        """The pieces as LaTeX, ``separator`` between them."""
        return str(self.dumps_content())


class TabularLines(pylatex.Tabular):
    r"""PyLaTeX's ``tabular`` with each row and rule on a line of its own (rules as commands: ``\hline``, or
    booktabs' ``\toprule`` and friends, which the document preamble loads).

    >>> table = TabularLines("ll")
    >>> table.add_row(["x", pylatex.NoEscape("$1$")])
    >>> table.add_hline()
    >>> print(table.dumps())
    \begin{tabular}{ll}
    x&$1$\\
    \hline
    \end{tabular}
    """

    content_separator = "\n"
    _latex_name = "tabular"


def latex(expr: Any, **settings: Any) -> str:
    """LaTeX for a SymPy object (or a symconv result with ``to_latex``), with the project's conventions.

    >>> latex(sympy.floor(sympy.Symbol("x") / 2) + 1)
    '\\\\left\\\\lfloor{\\\\frac{x}{2}}\\\\right\\\\rfloor + 1'
    """
    if hasattr(expr, "to_latex") and not isinstance(expr, sympy.Basic) and not hasattr(expr, "_latex"):
        return expr.to_latex()
    return SymconvLatexPrinter(settings).doprint(expr)
