"""Answer values as submitted (strings, numbers, nested lists, mappings) to SymPy objects, through grader.parse.

Strings are parsed (and cached by text: a class writes the same answers many times, and the parse is pure);
YAML/JSON/TOML numbers and lists are taken as they are. Nothing else reaches SymPy.

>>> read_size("3x3"), read_size([3, 4])
((3, 3), (3, 4))
>>> read_matrix([[1, 2.5], ["3/4", "B11"]]).tolist()
[[1, 2.50000000000000], [3/4, B_11]]
>>> read_expression("O = floor((I-K+2P)/S) + 1")
floor((I - K + 2*P)/S) + 1
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy

from grader.errors import GraderError, ParseError
from grader.parse import Equation, parse

MAX_CACHED_TEXT = 2_000   # longer answers are parsed every time rather than kept


class UnreadableAnswer(GraderError):
    """An answer whose structure is wrong (not text): a ragged matrix, a size with three numbers, ..."""


@lru_cache(maxsize=16384)
def _parse_cached(text: str, expect: str) -> tuple[Any, ParseError | None]:
    try:
        return parse(text, expect), None
    except ParseError as error:
        return None, error


def read(text: str, expect: str = "auto") -> Any:
    """``grader.parse.parse``, memoised by (text, expect); raises the same ParseError."""
    if len(text) > MAX_CACHED_TEXT:
        return parse(text, expect)
    value, error = _parse_cached(text, expect)
    if error is not None:
        raise error
    return value


def _scalar(value: Any, where: str) -> sympy.Expr:
    if isinstance(value, bool) or value is None:
        raise UnreadableAnswer(f"{where}: expected a number or an expression, got {value!r}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        return sympy.Float(value) if not value.is_integer() else sympy.Integer(int(value))
    if isinstance(value, str):
        result = read(value, "expr")
        if not isinstance(result, sympy.Expr):
            raise UnreadableAnswer(f"{where}: expected a number or an expression")
        return result
    raise UnreadableAnswer(f"{where}: expected a number or an expression, got a {type(value).__name__}")


def read_matrix(value: Any) -> sympy.ImmutableMatrix:
    """A matrix from LaTeX/plain text or nested lists (entries numbers or expression strings)."""
    if isinstance(value, str):
        result = read(value, "matrix")
        if not isinstance(result, sympy.MatrixBase):
            raise UnreadableAnswer("expected a matrix")
        return result
    if not isinstance(value, list | tuple) or not value:
        raise UnreadableAnswer("expected a matrix: rows of numbers, or LaTeX like \\begin{bmatrix}...\\end{bmatrix}")
    rows = [row if isinstance(row, list | tuple) else [row] for row in value]
    if any(len(row) != len(rows[0]) for row in rows) or not rows[0]:
        raise UnreadableAnswer("the rows of the matrix have different lengths")
    if len(rows) > 50 or len(rows[0]) > 50:
        raise UnreadableAnswer("matrix too large (more than 50 rows or columns)")
    return sympy.ImmutableMatrix([[_scalar(x, f"row {r + 1}") for x in row] for r, row in enumerate(rows)])


def read_size(value: Any) -> tuple[int, int]:
    """A size ``(rows, columns)`` from "3 \\times 3", "3x3", "[3, 3]" or a list of two integers."""
    if isinstance(value, str):
        return read(value, "size")
    if (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        return int(value[0]), int(value[1])
    raise UnreadableAnswer("expected a size with two whole numbers, like 3 \\times 3")


def read_expression(value: Any) -> sympy.Expr:
    """An expression or the last side of an equation (``O = ...``); numbers as they are."""
    if not isinstance(value, str):
        return _scalar(value, "answer")
    result = read(value, "equation")
    if isinstance(result, Equation):
        result = result.sides[-1]
    if not isinstance(result, sympy.Expr):
        raise UnreadableAnswer("expected an expression")
    return result


def read_equation(value: Any) -> Equation:
    """A chained equation (one side when there is no '='); numbers become a one-sided equation."""
    if not isinstance(value, str):
        return Equation((_scalar(value, "answer"),))
    result = read(value, "equation")
    return result if isinstance(result, Equation) else Equation((result,))
