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

A spec's matrix (:func:`spec_matrix`) may be symbolic: ``symbolic 3x3`` (every entry the symbol ``A_ij``), or a
list of lists whose entries are numbers or names (``a``, ``w_{11}``, ``x_3``), read by a strict pattern and never
by SymPy's parser.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import sympy

from symconv.errors import ConfigError, SpecError

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


#: ``symbolic 5x5`` (or 5×5): a matrix whose every entry is its own entry symbol.
_SYMBOLIC = re.compile(r"symbolic\s+([0-9]{1,3})\s*[x×]\s*([0-9]{1,3})")
#: A name an entry may be: letters, then optionally a subscript of digits (``x_3``, ``w_{11}``, ``w_{12,3}``).
_NAME_TEXT = re.compile(r"([A-Za-z]{1,12})(?:_(?:([0-9]{1,3})|\{([0-9]{1,3})(?:,([0-9]{1,3}))?\}))?", re.ASCII)
_NUMBER_TEXT = re.compile(r"[+-]?[0-9]{1,30}(?:(?:\.[0-9]{1,30})?(?:[eE][+-]?[0-9]{1,3})?|/[0-9]{1,30})", re.ASCII)
MAX_SYMBOLIC = 32   # rows or columns of a ``symbolic`` matrix (every entry's chain rule is derived)


def entry_from_text(text: str) -> sympy.Expr | None:
    """A spec's entry written as text: a number (``3``, ``-0.5``, ``1e-3``, ``1/2``; whole numbers and fractions
    exact, as YAML's numbers are) or a name with an optional
    subscript of digits (``a``, ``x_3``, ``w_{11}``, ``w_{12,3}``) as the real symbol the engine uses for it;
    None for anything else. A strict pattern decides; SymPy's parser never sees the text.

    >>> entry_from_text("w_{11}") == entry_symbol("w", 1, 1), entry_from_text("1/2"), entry_from_text("a+b")
    (True, 1/2, None)
    """
    text = text.strip()
    if _NUMBER_TEXT.fullmatch(text):
        if text.endswith("/0") or re.search(r"/0+$", text):
            return None
        fraction = Fraction(text)
        if fraction.denominator == 1:
            return sympy.Integer(fraction.numerator)
        return sympy.Rational(fraction.numerator, fraction.denominator) if "/" in text else sympy.Float(text)
    m = _NAME_TEXT.fullmatch(text)
    if m is None:
        return None
    name, plain, braced, second = m.groups()
    if second is not None:
        return entry_symbol(name, int(braced), int(second))
    digits = plain or braced
    return sympy.Symbol(f"{name}_{digits}" if digits else name, real=True)


def spec_matrix(value: Any, where: str) -> sympy.Matrix:
    """A matrix of a spec (``where`` names it, ``matrices.A``): a list of lists of numbers and names, or
    ``symbolic RxC``; anything else is a one-line SpecError naming the matrix and the entry's position (1-based).

    >>> spec_matrix([[1, "a"], ["w_{11}", -2]], "matrices.A")
    Matrix([
    [   1,  a],
    [w_11, -2]])
    >>> spec_matrix("symbolic 1x2", "matrices.X")
    Matrix([[X_11, X_12]])
    >>> spec_matrix([[1, "a+b"]], "matrices.A")
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: matrices.A: entry (1, 2) 'a+b' is neither a number nor a name like a, x_3 or w_{11}
    """
    name = where.rpartition(".")[2]
    if isinstance(value, str):
        m = _SYMBOLIC.fullmatch(value.strip())
        if m is None:
            raise SpecError(where, f"a matrix is a list of rows or 'symbolic RxC' (like 'symbolic 5x5'), "
                                   f"not {value[:40]!r}")
        rows, cols = int(m.group(1)), int(m.group(2))
        if not (1 <= rows <= MAX_SYMBOLIC and 1 <= cols <= MAX_SYMBOLIC):
            raise SpecError(where, f"a symbolic matrix has from 1 to {MAX_SYMBOLIC} rows and columns")
        try:
            return sym_matrix(name, rows, cols)
        except ConfigError as err:
            raise SpecError(where, str(err)) from None
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        value = [[_spec_entry(v, where, i, j) for j, v in enumerate(row, start=1)]
                 for i, row in enumerate(value, start=1)]
    try:
        return as_matrix(value, where)
    except ConfigError as err:
        raise SpecError(where, str(err)) from None


def _spec_entry(v: Any, where: str, i: int, j: int) -> Any:
    """One entry of a spec's matrix: a finite number, or text :func:`entry_from_text` reads."""
    entry = entry_from_text(v) if isinstance(v, str) else None
    if entry is not None:
        return entry
    if not isinstance(v, str) and isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v):
        return v
    text = str(v)
    shown = text[:40] if text.isprintable() else repr(text[:40])[1:-1]
    raise SpecError(where, f"entry ({i}, {j}) {shown!r} is neither a number nor a name like a, x_3 or w_{{11}}")


def flat_index(i: int, j: int, cols: int) -> int:
    """The row-major, 1-based number of entry (i, j) of a matrix with ``cols`` columns (``x1`` ... ``x25``).

    >>> flat_index(2, 3, 5)
    8
    """
    return (i - 1) * cols + j


def flat_names(shapes: dict[str, tuple[int, int]]) -> dict[sympy.Symbol, str]:
    """LaTeX names of every entry of the matrices ``shapes`` (name -> shape) numbered flat, row-major from 1:
    the engine's entry symbols keep their (i, j); only their printed names change (SymPy's ``symbol_names``).

    >>> flat_names({"x": (2, 2)})[entry_symbol("x", 2, 1)]
    'x_{3}'
    """
    return {entry_symbol(name, i, j): f"{name}_{{{flat_index(i, j, cols)}}}"
            for name, (rows, cols) in shapes.items() for i in range(1, rows + 1) for j in range(1, cols + 1)}
