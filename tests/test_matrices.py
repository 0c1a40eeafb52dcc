"""symconv.matrices: 1-based symbolic matrices, entry names, and coercion."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ConfigError, as_matrix, entry_symbol, parse_entry_name, sym_matrix
from symconv.matrices import entry_name


@pytest.mark.parametrize(("name", "i", "j", "text", "tex"), [
    ("A", 1, 1, "A_11", "A_{11}"),
    ("A", 5, 5, "A_55", "A_{55}"),
    ("B", 2, 3, "B_23", "B_{23}"),
    ("A", 12, 3, "A_12,3", "A_{12,3}"),
    ("A", 3, 12, "A_3,12", "A_{3,12}"),
    ("A", 10, 10, "A_10,10", "A_{10,10}"),
    ("G", 9, 9, "G_99", "G_{99}"),
])
def test_entry_names_and_latex(name, i, j, text, tex):
    s = entry_symbol(name, i, j)
    assert s.name == entry_name(name, i, j) == text
    assert str(s) == text
    assert sympy.latex(s) == tex
    assert s.is_real


def test_sym_matrix_is_one_based_and_uses_entry_symbols():
    A = sym_matrix("A", 12, 3)
    assert A.shape == (12, 3)
    assert A[0, 0] == entry_symbol("A", 1, 1)
    assert A[11, 2] == entry_symbol("A", 12, 3)
    assert sympy.latex(A[11, 2]) == "A_{12,3}"
    assert str(sym_matrix("B", 2, 2)) == "Matrix([[B_11, B_12], [B_21, B_22]])"
    assert len(A.free_symbols) == 36


def test_entry_symbol_is_the_same_object_the_engine_uses():
    # equal and interchangeable in expressions: real=True on both sides
    assert sym_matrix("B", 3, 3)[2, 1] - entry_symbol("B", 3, 2) == 0
    assert sym_matrix("B", 3, 3)[2, 1] != sympy.Symbol("B_32")  # a plain Symbol is a different symbol


@given(st.sampled_from(["A", "B", "G", "X", "Wt"]), st.integers(1, 150), st.integers(1, 150))
@settings(max_examples=200, deadline=None)
def test_parse_entry_name_round_trip(name, i, j):
    assert parse_entry_name(entry_symbol(name, i, j).name) == (name, i, j)


@pytest.mark.parametrize(("text", "parsed"), [
    ("B_31", ("B", 3, 1)),
    ("A_12,3", ("A", 12, 3)),
    ("A_1,2", ("A", 1, 2)),
    ("x", None), ("A_1", None), ("A_", None), ("_11", None), ("A_123", None), ("A_1,2,3", None),
    ("A11", None), ("A_ab", None), ("1_11", None),
])
def test_parse_entry_name_table(text, parsed):
    assert parse_entry_name(text) == parsed


@pytest.mark.parametrize(("args", "argument"), [
    (("A", 0, 3), "rows"), (("A", 3, 0), "cols"), (("A", -1, 3), "rows"), (("A", 2.0, 3), "rows"),
    (("A", True, 3), "rows"), (("A1", 2, 2), "name"), (("", 2, 2), "name"), (("A_", 2, 2), "name"),
])
def test_sym_matrix_errors_name_the_argument(args, argument):
    with pytest.raises(ConfigError) as err:
        sym_matrix(*args)
    assert err.value.argument == argument
    assert str(err.value).startswith(f"{argument}: ")


@pytest.mark.parametrize(("value", "expected"), [
    ([[1, 2], [3, 4]], sympy.Matrix([[1, 2], [3, 4]])),
    (np.array([[1.0, 2.5], [3.0, -4.0]]), sympy.Matrix([[1, sympy.Float(2.5)], [3, -4]])),
    (((1,), (2,)), sympy.Matrix([[1], [2]])),
    (sympy.Matrix([[sympy.Symbol("x")]]), sympy.Matrix([[sympy.Symbol("x")]])),
    (np.array([[np.int64(7)]]), sympy.Matrix([[7]])),
])
def test_as_matrix_coerces(value, expected):
    m = as_matrix(value)
    assert m == expected
    assert isinstance(m, sympy.MatrixBase)


def test_as_matrix_keeps_integers_exact():
    m = as_matrix([[2.0, 3]])
    assert all(isinstance(e, sympy.Integer) for e in m)


@pytest.mark.parametrize("value", [
    [[1, 2], [3]],          # ragged
    [1, 2, 3],              # 1-D
    [],                     # empty
    [[]],                   # empty rows
    "AB",                   # a string
    5,                      # a scalar
    [["a", "b"]],           # strings as entries (never sympified)
    [[1, None]],
    [[True, False]],
    np.zeros(3),
])
def test_as_matrix_errors(value):
    with pytest.raises(ConfigError) as err:
        as_matrix(value, "kernel")
    assert err.value.argument == "kernel"
    assert "\n" not in str(err.value)
