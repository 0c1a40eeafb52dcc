"""Safe reading of student answers into SymPy objects: ``parse(text, expect="auto")``.

No student text ever reaches eval, sympify, parse_expr or sympy.parsing: a lark LALR grammar (answer.lark)
whitelists the notation and a transformer builds SymPy objects directly.

Results, by ``expect``:

- ``"expr"``/``"number"``: a SymPy expression. Every single letter is ``Symbol(letter, real=True)``; matrix
  entries (``A_{24}``, ``A_{2,4}``, ``A24``, ``A[2,4]``) are the engine's entry symbols (``A_24``, ``A_12,3``);
  letter-indexed names are ``Indexed`` (``x_{pq}`` is ``x[p, q]``); ``\\infty``/``oo`` is ``sympy.oo``;
  decimals are exact Rationals; ``\\dots``/``…`` is the marker ``ELLIPSIS``.
- ``"equation"``: an ``Equation(sides)``; ``& `` marks, ``\\\\`` breaks, aligned environments and ``\\quad (7)``
  or ``\\tag{7}`` tags are ignored. ``\\frac{\\partial E}{\\partial A_{24}}`` and ``∂E/∂A24`` are unevaluated
  ``Derivative(E, A_24)``; ``chain_terms(side)`` lists the written products as chains.
- ``"limit"``: ``Approach(var, value)`` for ``p \\to \\infty``, an ``Equation`` for ``p = 1``.
- ``"size"``: a tuple ``(3, 3)`` from ``3 \\times 3``, ``3x3``, ``(3, 3)``, ``[3, 3]``.
- ``"matrix"``: an ``ImmutableMatrix`` from nested lists, bmatrix/pmatrix/vmatrix/Bmatrix/matrix, array,
  tabular (``\\hline`` and ``|`` ignored) or plain rows (``1 2 3; 4 5 6``, or one row per line).
- Reductions ``\\max_{(p,q) \\in S_{ij}} x_{pq}``, ``\\sum_{x \\in S} x^p``, ``\\sum_{i=1}^{n}``, ``max(S)``:
  ``WindowReduce(op, body, var, domain)``, a SymPy expression; ``expand(values)`` instantiates it.

Caps (ParseError, checked before parsing where possible): 20,000 characters, nesting depth 60, 50 digits per
number, 100 powers, 60 of \\log \\ln \\exp \\sum \\max \\min, 10 signs in a row, numeric exponents up to
1000, computed numbers up to 1000 digits, matrices up to 50×50 (2,500 entries, counted before parsing).

>>> parse(r"\\frac{\\partial E}{\\partial A_{24}} = B_{12} + \\dots")
Equation(sides=(Derivative(E, A_24), ... + B_12))
"""

from __future__ import annotations

from grader.errors import ParseError
from grader.parse.build import MAX_DIGITS, MAX_EXPONENT, MAX_MATRIX, MAX_RESULT_DIGITS
from grader.parse.context import DEFAULT, SIZE_FORMULA, Context
from grader.parse.nodes import (
    ELLIPSIS,
    Approach,
    EllipsisMarker,
    Equation,
    WindowReduce,
    chain_terms,
    entries_from_indexed,
    has_ellipsis,
)
from grader.parse.prescan import MAX_CELLS, MAX_DEPTH, MAX_LENGTH, MAX_OPERATORS, MAX_POWERS
from grader.parse.reader import Reading, parse, read

__all__ = [
    "DEFAULT", "ELLIPSIS", "MAX_CELLS", "MAX_DEPTH", "MAX_DIGITS", "MAX_EXPONENT", "MAX_LENGTH", "MAX_MATRIX",
    "MAX_OPERATORS", "MAX_POWERS", "MAX_RESULT_DIGITS", "SIZE_FORMULA", "Approach", "Context", "EllipsisMarker",
    "Equation", "ParseError", "Reading", "WindowReduce", "chain_terms", "entries_from_indexed", "has_ellipsis",
    "parse", "read",
]
