"""Answer values as submitted (strings, numbers, nested lists, mappings) to SymPy objects, through grader.parse.

Strings are read under the part's context (``Reference.context``) and cached by (text, expect, context): a class
writes the same answers many times, and the reading is pure. YAML/JSON/TOML numbers and lists are taken as they
are. Nothing else reaches SymPy. A ``Log`` passed to the readers collects the parser's notes (which reading was
used where notation is ambiguous) and whether any reading was a guess, so the checker can send the part to a
person.

>>> read_size("3x3"), read_size([3, 4])
((3, 3), (3, 4))
>>> read_matrix([[1, 2.5], ["3/4", "B11"]]).tolist()
[[1, 2.50000000000000], [3/4, B_11]]
>>> read_expression("O = floor((I-K+2P)/S) + 1")
floor((I - K + 2*P)/S) + 1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy

from grader.errors import ParseError, UnreadableAnswer
from grader.parse import Context, Equation, Reading, WindowReduce, entries_from_indexed
from grader.parse import read as parse_reading

MAX_CACHED_TEXT = 2_000   # longer answers are parsed every time rather than kept


@dataclass
class Log:
    """What the readings of one part said: notes for the feedback, and whether a person should check."""

    notes: list[str] = field(default_factory=list)
    guessed: bool = False

    def add(self, reading: Reading) -> None:
        """Keep what one reading noted, and whether it was a guess."""
        self.notes += [n for n in reading.notes if n not in self.notes]
        self.guessed = self.guessed or reading.guessed


@lru_cache(maxsize=16384)
def _read_cached(text: str, expect: str, context: Context | None) -> Reading | ParseError:
    try:
        return parse_reading(text, expect, context)
    except ParseError as error:
        return error


def reading(text: str, expect: str = "auto", context: Context | None = None) -> Reading:
    """``grader.parse.read``, memoised by (text, expect, context); raises the same ParseError."""
    if len(text) > MAX_CACHED_TEXT:
        return parse_reading(text, expect, context)
    result = _read_cached(text, expect, context)
    if isinstance(result, ParseError):
        raise result
    return result


def read(text: str, expect: str = "auto", context: Context | None = None, log: Log | None = None) -> Any:
    """The value of ``reading(text, expect, context)``; its notes and guess go to ``log``."""
    result = reading(text, expect, context)
    if log is not None:
        log.add(result)
    return result.value


def expand_bounded(expr: Any) -> Any:
    """Every sum, max or min with integer bounds (``\\sum_{m=1}^{3} B_{1m}``) written out term by term, and
    indexed entries with integer indices turned into the engine's entry symbols (``B_{1m}`` at m = 2 is
    ``B_12``). Reductions over a window or with symbolic bounds stay as they are.

    >>> expand_bounded(read(r"\\sum_{m=1}^{2}\\sum_{n=1}^{2} B_{mn}", "expr"))
    B_11 + B_12 + B_21 + B_22
    """
    if not isinstance(expr, sympy.Basic) or not expr.has(WindowReduce, sympy.Indexed):
        return expr
    for _ in range(4):   # nested sums expand from the inside out
        mapping = {}
        for w in expr.atoms(WindowReduce):
            lo, hi = (w.domain[0], w.domain[1]) if isinstance(w.domain, sympy.Tuple) else (None, None)
            if (len(w.bound) == 1 and isinstance(lo, sympy.Integer) and isinstance(hi, sympy.Integer)
                    and 0 <= hi - lo < 100 and not w.body.has(WindowReduce)):
                mapping[w] = w.expand(range(int(lo), int(hi) + 1))
        if not mapping:
            break
        expr = expr.xreplace(mapping)
    return entries_from_indexed(expr)


def _scalar(value: Any, where: str, context: Context | None = None, log: Log | None = None) -> sympy.Expr:
    if isinstance(value, bool) or value is None:
        raise UnreadableAnswer(f"{where}: expected a number or an expression, got {value!r}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        return sympy.Float(value) if not value.is_integer() else sympy.Integer(int(value))
    if isinstance(value, sympy.Expr):  # from the Python API (a notebook grading the engine's own values): no text
        return value
    if isinstance(value, str):
        result = read(value, "expr", context, log)
        if not isinstance(result, sympy.Expr):
            raise UnreadableAnswer(f"{where}: expected a number or an expression")
        return result
    raise UnreadableAnswer(f"{where}: expected a number or an expression, got a {type(value).__name__}")


def _same_matrix(a: sympy.MatrixBase, b: sympy.MatrixBase) -> bool:
    """Two written matrices with the same shape and entries whose difference is 0 as SymPy writes it (no expansion:
    an entry like (a + b)^50 would cost; a form that differs only after expanding goes to a person).

    >>> _same_matrix(sympy.Matrix([[1, sympy.Rational(2, 2)]]), sympy.Matrix([[1, 1]]))
    True
    """
    return a.shape == b.shape and all(x == y or x - y == 0 for x, y in zip(a, b, strict=True))


def read_matrix(value: Any, context: Context | None = None, log: Log | None = None) -> sympy.ImmutableMatrix:
    """A matrix from LaTeX/plain text or nested lists (entries numbers or expression strings); a named matrix
    (``C = \\begin{bmatrix}...``) is its matrix side."""
    if isinstance(value, str):
        try:
            result = read(value, "matrix", context, log)
        except ParseError:
            result = _scaled_matrix(value, context, log)
            if result is None:
                raise
        if isinstance(result, Equation):
            matrices = [side for side in result.sides if isinstance(side, sympy.MatrixBase)]
            if any(not _same_matrix(m, matrices[-1]) for m in matrices[:-1]):   # [wrong] = [right]: which is meant?
                raise UnreadableAnswer("the matrices on the two sides of your '=' differ")
            result = matrices[-1] if matrices else None
        if not isinstance(result, sympy.MatrixBase):
            raise UnreadableAnswer("expected a matrix")
        return result
    if isinstance(value, sympy.MatrixBase):  # from the Python API: checked entry by entry like nested lists
        value = value.tolist()
    if not isinstance(value, list | tuple) or not value:
        raise UnreadableAnswer("expected a matrix: rows of numbers, or LaTeX like \\begin{bmatrix}...\\end{bmatrix}")
    rows = [row if isinstance(row, list | tuple) else [row] for row in value]
    if any(len(row) != len(rows[0]) for row in rows) or not rows[0]:
        raise UnreadableAnswer("the rows of the matrix have different lengths")
    if len(rows) > 50 or len(rows[0]) > 50:
        raise UnreadableAnswer("matrix too large (more than 50 rows or columns)")
    return sympy.ImmutableMatrix([[_scalar(x, f"row {r + 1}", context, log) for x in row]
                                  for r, row in enumerate(rows)])


#: A number in front of a matrix, as documents write a matrix of fractions (``\frac{1}{9}\begin{bmatrix}...``): how
#: long such an answer and its factor may be for that second reading (a hostile text is not parsed twice).
MAX_SCALED_TEXT = 4000
MAX_FACTOR_TEXT = 60
_TIMES = ("\\cdot", "\\times", "*", "×", "·", "$")


def _scaled_matrix(text: str, context: Context | None, log: Log | None) -> sympy.ImmutableMatrix | None:
    """``k M`` with k a number and M a matrix (the factor a document pulls out of a matrix of fractions), with an
    optional name in front (``Y = ...``), or None when the text is not that shape (the caller then reports its own
    parse error). A factor that is not a plain number (a symbol, an expression) is not read this way.

    >>> _scaled_matrix(r"\\frac{1}{9}\\begin{bmatrix}1 & 2\\\\ 0 & 9\\end{bmatrix}", None, None)
    Matrix([
    [1/9, 2/9],
    [  0,   1]])
    >>> _scaled_matrix("x [[1, 2]]", None, None) is None
    True
    """
    if len(text) > MAX_SCALED_TEXT:
        return None
    starts = [i for i in (text.find("\\begin{"), text.find("[")) if i > 0]
    if not starts:
        return None
    start = min(starts)
    prefix, matrix_text = text[:start], text[start:].strip().rstrip("$").strip()
    factor_text = prefix.rpartition("=")[2].strip()
    while factor_text.endswith(_TIMES) or factor_text.startswith("$"):
        factor_text = factor_text.strip("$").strip()
        for times in _TIMES:
            factor_text = factor_text.removesuffix(times).strip()
    if not factor_text or len(factor_text) > MAX_FACTOR_TEXT or "\\begin" in prefix:
        return None
    try:
        factor = read(factor_text, "expr", context, log)
        matrix = read(matrix_text, "matrix", context, log)
    except (ParseError, UnreadableAnswer):
        return None
    if not isinstance(factor, sympy.Expr) or not factor.is_number or not isinstance(matrix, sympy.MatrixBase):
        return None
    return sympy.ImmutableMatrix(factor * matrix)


def read_size(value: Any, context: Context | None = None, log: Log | None = None) -> tuple[int, int]:
    """A size ``(rows, columns)`` from "3 \\times 3", "3x3", "[3, 3]" or a list of two integers."""
    if isinstance(value, str):
        result = read(value, "size", context, log)
        if isinstance(result, Equation):   # "C \\in R^{3x3}" or "C = 3x3": the size side
            result = next((side for side in reversed(result.sides) if isinstance(side, tuple)), None)
        if not isinstance(result, tuple):
            raise UnreadableAnswer("expected a size with two whole numbers, like 3 \\times 3")
        return result
    if (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        return int(value[0]), int(value[1])
    raise UnreadableAnswer("expected a size with two whole numbers, like 3 \\times 3")


def read_expression(value: Any, context: Context | None = None, log: Log | None = None) -> sympy.Expr:
    """An expression or the last side of an equation (``O = ...``); numbers as they are."""
    if not isinstance(value, str):
        return _scalar(value, "answer")
    result = read(value, "equation", context, log)
    if isinstance(result, Equation):
        result = result.sides[-1]
    if not isinstance(result, sympy.Expr):
        raise UnreadableAnswer("expected an expression")
    return result


def read_equation(value: Any, context: Context | None = None, log: Log | None = None) -> Equation:
    """A chained equation (one side when there is no '='); numbers become a one-sided equation."""
    if not isinstance(value, str):
        return Equation((_scalar(value, "answer"),))
    result = read(value, "equation", context, log)
    return result if isinstance(result, Equation) else Equation((result,))
