r"""Safe reading of student answers into SymPy objects: ``parse(text, expect="auto", context=None)``.

No student text ever reaches eval, sympify, parse_expr or sympy.parsing: a lark LALR grammar (answer.lark)
whitelists the notation and a transformer builds SymPy objects directly. ``read(...)`` returns a ``Reading``
(value, notes on how an ambiguous notation was read, ``guessed`` when a person should check the reading).

Modules: ``prescan`` (caps, unknown commands), ``normalise`` (presentation: markup, colour, prose, full-width
characters, aliases, bars), ``context`` (the names a part may use), ``reader`` (expects, named answers),
``build``/``bigops`` (the grammar's rules), ``names``, ``windows``, ``matrix_text`` (NumPy/PyTorch, Markdown,
plain rows), ``size_text`` (sizes with words), ``explain`` (error messages), ``nodes`` (returned objects).

Results, by ``expect`` (every one: ``lhs = rhs (= ...)`` is an ``Equation`` of its sides):

- ``"expr"``/``"number"``: a SymPy expression. Every single letter is ``Symbol(letter, real=True)``; matrix
  entries (``A_{24}``, ``A_{2,4}``, ``A24``, ``A[2,4]``, ``A(2,4)``, ``A₂₄``) are the engine's entry symbols;
  letter-indexed names are ``Indexed`` (``x_{pq}`` is ``x[p, q]``; ``X^k_{pq}`` and ``X_{pq}^k`` are
  ``X^k[p, q]`` when ``k`` is a context index, ``x^p_i`` is ``x[i]**p``); decimals (``2.5``, ``1e-3``,
  ``109{,}0``) are exact Rationals; ``1 000``/``1\,000`` is one number, ``1 2`` is refused; names the context
  knows (``padding``, ``H_{in}``, ``P[0]``, ``kernel\_size``) are its variables and ``DK`` is ``D*K`` only when
  both are variables; ``d E/d A_11`` and ``\nabla_A E`` are derivatives; ``|S|`` of a window is its number of
  cells, ``|x|`` an absolute value; ``a \le b`` a SymPy relation; ``\dots`` the marker ``ELLIPSIS``.
- ``"equation"``: an ``Equation(sides)``; ``&`` marks, ``\\`` breaks, aligned environments and tags are
  ignored; ``\frac{\partial E}{\partial A_{24}}`` is an unevaluated ``Derivative``; ``chain_terms(side)`` lists
  the written products as chains.
- ``"limit"``: ``Approach(var, value)`` for ``p \to \infty``, ``p \uparrow \infty``, ``\lim_{p \to \infty}``
  or ``1/p \to 0``; an ``Equation`` for ``p = 1`` or ``\lim_{p\to\infty} ... = \max ...``.
- ``"size"``: a tuple from ``3 \times 3``, ``3 by 3``, ``(3, 3)``, ``C \in \mathbb{R}^{3\times3}``, ``a 3x3
  matrix``, ``H_{out} = W_{out} = 3``, ``(5-3+1) \times (5-3+1)``, ``torch.Size([1, 1, 3, 3])`` (leading ones
  dropped); every mention must agree, ``3x3x3`` is a 3-tuple.
- ``"matrix"``: an ``ImmutableMatrix`` from nested lists, LaTeX environments (``\hline``, ``|c|``), bare
  ``a & b \\ c & d`` rows, NumPy/PyTorch printouts, Markdown tables, MATLAB ``[1 2; 3 4]``, tab or space rows.
- Reductions ``\max_{(p,q) \in S_{ij}} x_{pq}``, ``\sum_{i=1}^{n}``, ``\sum^{n}_{i=1}``, ``\max\{x : x \in S\}``,
  ``1 \le i \le N``, ``mean(S)``, ``\|X_S\|_p``: ``WindowReduce(op, body, var, domain)`` (a mean is a sum over
  a count), a SymPy expression; ``expand(values)`` instantiates it.

Prose is dropped with a note (``\text{where } N = 2`` is substituted); what may carry meaning or read two
ways makes the reading a guess. Caps (ParseError, checked before parsing where possible): 20,000 characters,
nesting depth 60, 50 digits per number, 100 powers, 60 of \log \ln \exp \sum \max \min, 10 signs in a row,
numeric exponents up to 1000, computed numbers up to 1000 digits, matrices up to 50×50.

>>> parse(r"\frac{\partial E}{\partial A_{24}} = B_{12} + \dots")
Equation(sides=(Derivative(E, A_24), ... + B_12))
>>> read("X_{pq}^k").notes
('read X^k_{pq} with k as the channel index, not a power',)
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
