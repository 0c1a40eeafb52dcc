"""Symbolic matrices indexed from 1, as in coursework.

Entries are real SymPy symbols named ``A_11`` ... ``A_55``; once an index has two digits the name takes a comma,
``A_12,3``, so names stay unambiguous. SymPy's own LaTeX printer already turns those names into ``A_{11}`` and
``A_{12,3}``.

>>> A = sym_matrix("A", 2, 3)
>>> A
Matrix([
[A_11, A_12, A_13],
[A_21, A_22, A_23]])
>>> from sympy import latex
>>> latex(sym_matrix("A", 12, 3)[11, 2])
'A_{12,3}'
>>> parse_entry_name("A_12,3")
('A', 12, 3)
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable
from typing import Any

import sympy

from symconv.errors import ConfigError

_ENTRY_NAME = re.compile(r"^([A-Za-z][A-Za-z]*)_(?:(\d),?(\d)|(\d+),(\d+))$")


def entry_name(name: str, i: int, j: int) -> str:
    """The symbol name of entry (i, j), 1-based: ``A_23``, or ``A_12,3`` when an index has two digits."""
    if i < 10 and j < 10:
        return f"{name}_{i}{j}"
    return f"{name}_{i},{j}"


def entry_symbol(name: str, i: int, j: int) -> sympy.Symbol:
    """The real symbol for entry (i, j) of matrix ``name``, 1-based; the same object the engine uses.

    >>> entry_symbol("B", 1, 2) == sym_matrix("B", 3, 3)[0, 1]
    True
    """
    return sympy.Symbol(entry_name(name, i, j), real=True)


def parse_entry_name(symbol_name: str) -> tuple[str, int, int] | None:
    """Split an entry name into (matrix name, i, j), or None if it is not one.

    >>> parse_entry_name("B_31"), parse_entry_name("x")
    (('B', 3, 1), None)
    """
    m = _ENTRY_NAME.match(symbol_name)
    if not m:
        return None
    if m.group(2) is not None:
        return m.group(1), int(m.group(2)), int(m.group(3))
    return m.group(1), int(m.group(4)), int(m.group(5))


def sym_matrix(name: str, rows: int, cols: int) -> sympy.Matrix:
    """A ``rows`` × ``cols`` matrix of real symbols ``name_ij``, indexed from 1.

    >>> sym_matrix("G", 1, 2)
    Matrix([[G_11, G_12]])
    """
    for arg, value in (("rows", rows), ("cols", cols)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(arg, "must be an integer >= 1", value)
    if not re.fullmatch(r"[A-Za-z]+", name):
        raise ConfigError("name", "must be letters only", name)
    return sympy.Matrix(rows, cols, lambda i, j: entry_symbol(name, i + 1, j + 1))


def as_matrix(value: Any, argument: str = "x") -> sympy.Matrix:
    """Coerce a SymPy matrix, nested list or 2-D NumPy array to a SymPy Matrix (numbers become exact).

    >>> as_matrix([[1, 2], [3, 4]])
    Matrix([
    [1, 2],
    [3, 4]])
    """
    if isinstance(value, sympy.MatrixBase):
        return sympy.Matrix(value)
    if hasattr(value, "tolist"):  # numpy arrays
        value = value.tolist()
    if isinstance(value, Iterable) and not isinstance(value, str):
        items = list(value)
        if items and all(isinstance(row, Iterable) and not isinstance(row, str) for row in items):
            rows = [list(row) for row in items]
            if len({len(r) for r in rows}) == 1 and rows[0]:
                return sympy.Matrix([[_exact(v, argument) for v in r] for r in rows])
    raise ConfigError(argument, "must be a 2-D matrix (SymPy Matrix, nested list or 2-D array)", type(value).__name__)


def _exact(v: Any, argument: str) -> sympy.Expr:
    """A number as an exact SymPy value: integers (and integral floats) stay integers."""
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return sympy.Integer(int(v))
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        f = float(v)
        return sympy.Integer(int(f)) if f.is_integer() else sympy.Float(f)
    raise ConfigError(argument, "entries must be numbers or SymPy expressions", v)
