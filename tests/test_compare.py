"""grader.compare: numbers exactly or within tolerance, expressions by canonical form then seeded points."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.compare import (
    compare_entries,
    evaluate,
    matrices_equal,
    numbers_equal,
    same_value,
    seeded_points,
    simplifies_to_zero,
)
from grader.parse import parse
from symconv import output_size_expr, sym_matrix

B = sym_matrix("B", 3, 3)


@pytest.mark.parametrize("given, expected, tol, same", [
    (sympy.Integer(7), sympy.Integer(7), (1e-6, 1e-9), True),
    (sympy.Integer(7), sympy.Integer(8), (1e-6, 1e-9), False),
    (sympy.Rational(7000001, 10**6), sympy.Integer(7), (1e-3, 1e-9), False),   # no relative slack for integers
    (sympy.Rational(7000001, 10**6), sympy.Integer(7), (0, 1e-5), True),       # the absolute tolerance only
    (sympy.Rational(1090000000001, 10**10), sympy.Integer(109), (1e-6, 1e-9), True),   # float noise
    (7.0, sympy.Integer(7), (1e-6, 1e-9), True),
    (sympy.Rational(2749999999, 10**9), sympy.Rational(11, 4), (1e-6, 1e-9), True),
    (sympy.Rational(274, 100), sympy.Rational(11, 4), (1e-6, 1e-9), False),
    (sympy.Rational(274, 100), sympy.Rational(11, 4), (1e-2, 0), True),
    (sympy.oo, sympy.oo, (1e-6, 1e-9), True),
])
def test_numbers(given, expected, tol, same):
    assert numbers_equal(given, expected, tol) is same


@pytest.mark.parametrize("text, expected, same", [
    ("B12 + B11", B[0, 0] + B[0, 1], True),
    (r"B_{11} + B_{12}", B[0, 0] + B[0, 1], True),
    ("2(B11 + B12)", 2 * B[0, 0] + 2 * B[0, 1], True),
    ("B11 + B21", B[0, 0] + B[0, 1], False),
    ("B11 * B12", B[0, 0] + B[0, 1], False),
    (r"\left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 1", output_size_expr(), True),
    ("floor((I + 2P - D*K + D - 1)/S) + 1", output_size_expr(), True),
    ("floor((I + 2P - D*K + D - 1)/S + 1)", output_size_expr(), True),
    ("(I + 2P - D(K-1) - 1)/S + 1", output_size_expr(), False),
])
def test_expressions_by_name_and_points(text, expected, same):
    assert same_value(parse(text, "expr"), expected) is same


def test_seeded_points_are_deterministic_and_per_name():
    a, b = seeded_points(["x", "y"], 3), seeded_points(["y", "x"], 3)
    assert a == b
    assert len({p["x"] for p in a}) == 3
    assert seeded_points(["x"], 1)[0]["x"] == a[0]["x"]


def test_evaluate_refuses_what_is_not_a_number():
    x = sympy.Symbol("x", real=True)
    assert evaluate(x + 1, {"x": sympy.Integer(2)}) == 3
    assert evaluate(x + sympy.Symbol("y"), {"x": 1}) is None
    assert evaluate(sympy.log(x), {"x": sympy.Integer(0)}) is None


def test_simplify_is_the_last_resort_under_a_budget():
    x = sympy.Symbol("x", real=True)
    # log(x^2) - 2 log|x| does not evaluate at negative points without complex logs; simplify decides
    assert simplifies_to_zero(sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1, budget=10)
    assert not simplifies_to_zero(sympy.sin(x) - sympy.cos(x), budget=10)


def test_matrix_entries_named_by_position():
    e = sympy.Matrix([[1, 2], [3, 4]])
    assert compare_entries(sympy.Matrix([[1, 2], [0, 4]]), e) == [(1, 0)]
    assert matrices_equal(sympy.Matrix([[1.0, 2], [3, 4]]), e)
    assert not matrices_equal(e.T, e)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=9, max_size=9), st.permutations(range(9)))
def test_sums_compare_whatever_the_order(coefficients, order):
    terms = [c * B[k // 3, k % 3] for k, c in enumerate(coefficients)]
    text = " + ".join(f"({c})*B{k // 3 + 1}{k % 3 + 1}" for k, c in
                      ((k, coefficients[k]) for k in order))
    assert same_value(parse(text, "expr"), sympy.Add(*terms))
    assert not same_value(parse(text + " + B11", "expr"), sympy.Add(*terms))


# ---- failure paths (issue 11): each case fails when its safeguard is weakened ------------------------------------
X = sympy.Symbol("x", real=True)
POINTS = [p["x"] for p in seeded_points(["x"], 6)]   # the default seed's values of x, as same_value draws them


@pytest.mark.parametrize("agree", range(1, 6))
def test_every_evaluation_sample_counts(agree):
    # wrong everywhere except at the first `agree` sample points (and not a polynomial: evaluation decides), so
    # it is caught only while same_value evaluates at more than `agree` points
    bump = sympy.Abs(sympy.Mul(*(X - v for v in POINTS[:agree])))
    assert all(evaluate(bump, {"x": v}) != 0 for v in POINTS[agree:])
    assert same_value(X + bump, X) is False
    assert same_value(X + 0 * bump, X) is True


@pytest.mark.parametrize("shift, same", [(0, True), (1, False)])
def test_simplify_decides_when_evaluation_cannot(shift, same):
    # (x^2 - a^2)/(x - a) has no value at the sample point x = a: evaluation cannot decide, simplify does
    a = POINTS[0]
    given = (X ** 2 - a ** 2) / (X - a)
    assert evaluate(given, {"x": a}) is None
    assert same_value(given, X + a + shift) is same
