"""The building blocks of a solution document: prose paragraphs, displays, aligned derivations, pictures, and
results that fit the page (a matrix when it fits, else its entries one per line).

Each block is a PyLaTeX object; printer output is the only text wrapped in NoEscape besides our own trusted
LaTeX. Every display goes through :mod:`symconv.document.measure`, so nothing is set beyond the margin.

>>> print(aligned_rows([["x &= 1"], ["y &= 2", r"&\\quad + 3"]], numbered=True).dumps())
\\begin{align}
x &= 1 \\\\[0.5ex]
y &= 2 \\\\
&\\quad + 3 \\notag
\\end{align}
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy
from pylatex import NoEscape, Package
from pylatex.base_classes import Container, Environment

from symconv.document.equations import LINE, join_terms, split_sum
from symconv.document.measure import TEXT_WIDTH, math_width
from symconv.latex import latex, term_key
from symconv.matrices import entry_symbol

GAP = 24.0   # pt between the entries of a row of a per-entry list


class Equation(Environment):
    """A numbered display (amsmath)."""

    _latex_name = "equation"
    packages = [Package("amsmath")]
    escape = False
    content_separator = "\n"


class Display(Equation):
    """An unnumbered display."""

    _star_latex_name = True


class Align(Equation):
    """Rows aligned at their ``&``, numbered unless starred."""

    _latex_name = "align"


class AlignStar(Align):
    """Rows aligned at their ``&``, unnumbered (``align*``)."""
    _star_latex_name = True


class TikZPicture(Environment):
    """A TikZ picture (the pictures' code is our own, never student text)."""
    _latex_name = "tikzpicture"
    packages = [Package("tikz")]
    escape = False
    content_separator = "\n"


class Center(Environment):
    """Centred material (a picture, a table)."""
    escape = False
    content_separator = "\n"


class Figure(Environment):
    """A float, placed here if it fits and otherwise at the top of the next page (no half-empty pages)."""

    _latex_name = "figure"
    escape = False
    content_separator = "\n"


def prose(box: Container, text: str, end: bool = False) -> None:
    """Trusted LaTeX text, followed by a space (so the next piece never runs into it) or, with ``end``, by the
    end of the paragraph. A display after it continues the same paragraph, as it should."""
    box.append(NoEscape(text + ("\n\n" if end else " ")))


def display(body: str) -> Environment:
    r"""Printer output as an unnumbered display.

    >>> print(display("x = 1").dumps())
    \begin{equation*}
    x = 1
    \end{equation*}"""
    env = Display()
    env.append(NoEscape(body))
    return env


def aligned_rows(equations: Sequence[Sequence[str]], numbered: bool = False) -> Environment:
    """One ``align`` of derivations (each a list of rows aligned at ``&``), numbered once each on its first row
    when ``numbered``, with a little space between derivations."""
    env = Align() if numbered else AlignStar()
    tail = r" \notag" if numbered else ""
    bodies = [" \\\\\n".join([rows[0], *(row + tail for row in rows[1:])]) for rows in equations]
    env.append(NoEscape(" \\\\[0.5ex]\n".join(bodies)))
    return env


def picture(body: str, caption: str | None = None) -> Environment:
    """A ``tikzpicture`` from a figures body (its first line holds the options), centred; in a float with
    ``caption`` when given."""
    options, drawing = body.split("\n", 1)
    pic = TikZPicture(options=NoEscape(options[1:-1]))
    pic.append(NoEscape(drawing))
    if caption is None:
        center = Center()
        center.append(pic)
        return center
    fig = Figure(options=NoEscape("htbp"))
    fig.append(NoEscape(r"\centering"))
    fig.append(pic)
    fig.append(NoEscape(rf"\caption{{{caption}}}"))
    return fig


def common_denominator(matrix: sympy.Matrix) -> int:
    """The denominator to take out of a matrix of fractions, ``1/d [integers]``: the least common one when every
    entry is rational and most of them are fractions (a matrix of whole numbers with a stray half keeps its
    fractions), else 1.

    >>> half, third = sympy.Rational(1, 2), sympy.Rational(1, 3)
    >>> common_denominator(sympy.Matrix([[half, third], [1, 1 - third]])), common_denominator(sympy.Matrix([[half, 1]]))
    (6, 1)
    """
    entries = [sympy.sympify(e) for e in matrix]
    if not all(e.is_Rational for e in entries) or 2 * sum(e.q != 1 for e in entries) <= len(entries):
        return 1
    return int(sympy.ilcm(*(e.q for e in entries))) if entries else 1


def matrix_result(box: Container, lhs: str, matrix: sympy.Matrix, name: str, lead: str = "", factor: bool = False,
                  **settings: object) -> None:
    """``lead: lhs = [matrix]`` when it fits the line; otherwise the entries one by one, as many to a row as fit
    (``name_ij`` on the left, a long sum broken over rows), so a wide symbolic result never leaves the page. With
    ``factor``, a matrix of fractions is written ``1/d [integers]`` (:func:`common_denominator`; not with
    decimals).

    >>> from pylatex import Document
    >>> doc = Document()
    >>> matrix_result(doc, "M", sympy.Matrix([[sympy.Symbol(f"x_{k}") * 10**9 for k in range(20)]]), "M", "So")
    >>> "So, entry by entry (the matrix is too wide for the page):" in doc.dumps()
    True
    """
    body = latex(matrix, **settings)
    d = common_denominator(matrix) if factor and settings.get("decimals") is None else 1
    if d > 1:   # every entry a fraction: the common denominator in front, whole numbers inside
        body = rf"\frac{{1}}{{{d}}} {latex(matrix * d, **settings)}"
    if math_width(lhs) + math_width("=") + math_width(body) <= TEXT_WIDTH:
        if lead:
            prose(box, f"{lead}:")
        box.append(display(f"{lhs} = {body}"))
        return
    wide = "entry by entry (the matrix is too wide for the page):"
    prose(box, f"{lead}, {wide}" if lead else wide[0].upper() + wide[1:])
    entries = [(name_entry(name, (i, j), **settings), [latex(t, **settings) for t in _ordered_terms(matrix[i, j])])
               for i in range(matrix.rows) for j in range(matrix.cols)]
    widest = max(math_width(lhs_) + math_width("= " + " + ".join(terms)) for lhs_, terms in entries)
    per_row = max(1, min(matrix.cols, int((TEXT_WIDTH + GAP) // (widest + GAP))))
    if per_row > 1:   # a grid of short entries: `a &= 1 & b &= 2` rows, one matrix row at a time
        rows = []
        for i in range(matrix.rows):
            row = entries[i * matrix.cols:(i + 1) * matrix.cols]
            for k in range(0, len(row), per_row):
                rows.append(" & ".join(f"{lhs_} &= {join_terms(terms)}" for lhs_, terms in row[k:k + per_row]))
        box.append(aligned_rows([[row] for row in rows]))
        return
    box.append(aligned_rows([split_sum(lhs_, [terms], LINE) for lhs_, terms in entries]))


def name_entry(name: str, entry: tuple[int, int] | None, **settings: object) -> str:
    """Inline LaTeX for a named result or its entry (0-based): ``dE/dX`` (any loss: ``dL/dX``) as a slashed
    partial, else ``X_ij``; ``settings`` go to the printer (flat entry names).

    >>> name_entry("dE/dA", (0, 1)), name_entry("C", (2, 2)), name_entry("dL/dA", None)
    ('\\\\partial E/\\\\partial A_{12}', 'C_{33}', '\\\\partial L/\\\\partial A')
    """
    if (m := re.fullmatch(r"d([A-Za-z]+)/d([A-Za-z]+)", name)) is not None:
        loss, of = m.groups()
        wrt = sympy.Symbol(of) if entry is None else entry_symbol(of, *(k + 1 for k in entry))
        return rf"\partial {latex(sympy.Symbol(loss))}/\partial {latex(wrt, **settings)}"
    return latex(sympy.Symbol(name) if entry is None else entry_symbol(name, *(k + 1 for k in entry)), **settings)


def _ordered_terms(value: sympy.Expr) -> list[sympy.Expr]:
    return sorted(sympy.Add.make_args(value), key=term_key)
