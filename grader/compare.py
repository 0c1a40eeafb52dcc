"""Equivalence of a student's value and the reference: numbers, expressions and matrices.

- Integers compare exactly; other numbers within the spec's tolerance ``(rel, abs)``.
- Expressions: first by canonical form (SymPy's automatic canonicalisation: ``B_12 + B_11`` is ``B_11 + B_12``;
  two polynomials, such as sums of kernel terms, by an exact polynomial identity, coefficient by coefficient),
  then by evaluation at points drawn from a seed (the course's secret seed and the part: the same answer always
  gets the same verdict, and nobody can tune an answer to public points). The points hold positive and
  negative values and zeros, so ``|B_12|``, ``\\max(B_12, 0)`` and ``\\sqrt{B_12^2}`` are not ``B_12``. Only when
  evaluation cannot decide (a value that is not a finite real number) ``simplify`` decides, under a time budget.
- Symbols are matched by name, so the parser's ``Symbol("I", real=True)`` meets the engine's integer ``I``.

>>> from sympy import Symbol, Integer, Rational, floor
>>> B11, B12 = Symbol("B_11", real=True), Symbol("B_12", real=True)
>>> same_value(B12 + B11, B11 + B12), same_value(2 * (B11 + B12), 2 * B11 + 2 * B12)
(True, True)
>>> same_value(Integer(3), Integer(3)), same_value(Rational(1, 3), Rational(333333333, 10**9), (1e-6, 0))
(True, True)
>>> same_value(Rational(3000001, 10**6), Integer(3), (1e-6, 0))
False
>>> same_value(sympy.Abs(B12), B12), same_value(sympy.Max(B12, 0), B12), same_value(sympy.sqrt(B12**2), B12)
(False, False, False)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import sympy

from grader.budget import OutOfTime, available, time_limit
from symconv.evaluate import value_at

Tolerance = tuple[float, float]   # (relative, absolute)
DEFAULT_TOLERANCE: Tolerance = (1e-6, 1e-9)
SEED = "20260901"    # the default seed; a grader passes the course seed and the part (Reference.seed_for)
SAMPLES = 6
MAX_POLY_SIZE = 400  # operations; larger polynomials are compared by evaluation (expanding them could explode)
MAX_POLY_DEGREE = 8
SIMPLIFY_BUDGET = 0.5   # seconds for the last-resort simplify
SIMPLIFY_MAX_OPS = 60   # larger differences are not simplified (evaluation has already not decided)
Point = Mapping[str, Any]   # symbol name -> value


def is_number(value: Any) -> bool:
    """A SymPy value with no free symbols (``3``, ``sqrt(2)``), not an expression in names.

    >>> is_number(sympy.Integer(3)), is_number(sympy.Symbol("x")), is_number(3)
    (True, False, False)"""
    return isinstance(value, sympy.Basic) and value.is_number


def numbers_equal(given: Any, expected: Any, tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool:
    """Integers within the absolute tolerance only (no relative slack: 7.000001 is not 7, but the float noise
    109.0000000001 is 109), everything else within ``tolerance``; non-finite values only equal themselves.

    >>> numbers_equal(4.0000001, sympy.Integer(4), (1e-6, 0)), numbers_equal(sympy.Integer(4), sympy.Integer(5))
    (False, False)
    >>> numbers_equal(sympy.Rational(11, 4), 2.75), numbers_equal(109.0000000001, sympy.Integer(109))
    (True, True)
    """
    if isinstance(expected, int | sympy.Integer):   # integers: the absolute tolerance only
        try:
            return abs(complex(given) - complex(int(expected))) <= tolerance[1]
        except (TypeError, ValueError):
            return False
    try:
        a, b = complex(given), complex(expected)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(a.real) and math.isfinite(b.real)):
        return a == b
    rel, absolute = tolerance
    return abs(a - b) <= max(absolute, rel * max(abs(a), abs(b)))


@lru_cache(maxsize=8192)
def _value(seed: str, name: str, k: int, integer: bool) -> sympy.Rational:
    """The k-th value of a symbol under ``seed`` (string seeds are stable across runs and processes).

    Integers (for sizes) are 2..9. Otherwise sample 0 is positive, sample 1 negative, sample 2 zero or a small
    signed integer, the rest rationals of either sign: a formula right only for positive values (``|x|``,
    ``max(x, 0)``) or only away from zero is caught.
    """
    rng = random.Random(f"{seed}:{name}:{k}")
    if integer:
        return sympy.Integer(rng.randint(2, 9))
    magnitude = sympy.Rational(rng.randint(101, 997), rng.randint(53, 101))
    if k == 0:
        return magnitude
    if k == 1:
        return -magnitude
    if k == 2:
        return sympy.Integer(0) if rng.random() < 0.5 else sympy.Integer(rng.choice((-3, -2, -1, 1, 2, 3)))
    return magnitude if rng.random() < 0.5 else -magnitude


def seeded_points(names: Iterable[str], samples: int = SAMPLES, integer: bool = False,
                  seed: str = SEED) -> list[dict[str, Any]]:
    """``samples`` deterministic assignments of values to the symbol names (see ``_value``).

    >>> seeded_points(["x"], 2) == seeded_points(["x"], 2), seeded_points(["x"], 2, seed="a") == seeded_points(["x"], 2)
    (True, False)
    >>> [v["x"] > 0 for v in seeded_points(["x"], 2)]
    [True, False]
    """
    names = sorted(set(names))
    return [{n: _value(str(seed), n, k, integer) for n in names} for k in range(samples)]


def evaluate(expr: Any, point: Point) -> complex | None:
    """``expr`` at ``point`` (by symbol name) as a complex number, or None when it does not evaluate to one.

    Exact while the numbers stay small, floating point past that (symconv.evaluate), so a power tower in a
    student's answer costs microseconds instead of never finishing.
    """
    if not isinstance(expr, sympy.Basic):
        try:
            return complex(expr)
        except (TypeError, ValueError):
            return None
    return value_at(expr, point)


def values_at(expr: Any, points: Sequence[Point]) -> list[complex | None]:
    """``expr`` evaluated at each point (``evaluate``): a complex number, or None where it has none.

    >>> values_at(sympy.Symbol("x") + 1, [{"x": 1}, {"x": 2}])
    [(2+0j), (3+0j)]"""
    return [evaluate(expr, point) for point in points]


def _close(a: complex, b: complex, tolerance: Tolerance) -> bool:
    rel, absolute = tolerance
    return abs(a - b) <= max(absolute, rel * max(abs(a), abs(b)))


def same_values(given: Sequence[complex | None], expected: Sequence[complex | None],
                tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool | None:
    """True/False when the values agree at every point where the expected value exists; None when the given
    value is missing at such a point, or the expected value exists at fewer than two points (undecided).

    >>> same_values([1, 2], [1, 2]), same_values([1, 3], [1, 2]), same_values([None, 2], [1, 2])
    (True, False, None)
    """
    pairs = [(a, b) for a, b in zip(given, expected) if b is not None]
    known = [(a, b) for a, b in pairs if a is not None]
    if len(pairs) < min(2, len(expected)) or len(known) < len(pairs):
        return None
    return all(_close(a, b, tolerance) for a, b in known)


def by_name(expr: Any) -> Any:
    """``expr`` with every symbol replaced by the plain real symbol of the same name (the parser's kind)."""
    if not isinstance(expr, sympy.Basic):
        return expr
    mapping = {s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    return expr.xreplace(mapping)


def _small_polynomial(expr: sympy.Expr) -> bool:
    """A polynomial in its symbols with exact coefficients, small enough to expand at once."""
    if not isinstance(expr, sympy.Expr) or expr.has(sympy.Float) or sympy.count_ops(expr) > MAX_POLY_SIZE:
        return False
    symbols = sorted(expr.free_symbols, key=sympy.default_sort_key)
    if not all(type(s) is sympy.Symbol for s in symbols):   # bound reductions, markers: not a plain polynomial
        return False
    if any(not (p.exp.is_Integer and 0 <= p.exp <= MAX_POLY_DEGREE) for p in expr.atoms(sympy.Pow)):
        return False
    return expr.is_polynomial(*symbols)


def polynomial_identity(given: Any, expected: Any, tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool | None:
    """Are two polynomials identical, coefficient by coefficient (integers exactly, others within tolerance)?
    None when either is not a small polynomial with exact coefficients.

    >>> B11, B12 = sympy.symbols("B_11 B_12", real=True)
    >>> polynomial_identity(2 * (B11 + B12), 2 * B11 + 2 * B12), polynomial_identity(B11**2, B11)
    (True, False)
    >>> polynomial_identity(sympy.Abs(B11), B11) is None
    True
    """
    given, expected = by_name(given), by_name(expected)
    if not (_small_polynomial(given) and _small_polynomial(expected)):
        return None
    symbols = sorted(given.free_symbols | expected.free_symbols, key=sympy.default_sort_key)
    if not symbols:
        return numbers_equal(given, expected, tolerance)
    a = sympy.Poly(given, *symbols).as_dict()
    b = sympy.Poly(expected, *symbols).as_dict()
    return a.keys() == b.keys() and all(numbers_equal(a[m], b[m], tolerance) for m in b)


def same_value(given: Any, expected: Any, tolerance: Tolerance = DEFAULT_TOLERANCE,
               points: Sequence[Point] | None = None, seed: str = SEED) -> bool:
    """Are ``given`` and ``expected`` the same number or the same expression (see the module docstring)?

    ``points`` fixes the evaluation points (symbol name -> value); by default ``seeded_points`` under ``seed``
    for the symbols of both sides.
    """
    if is_number(given) and is_number(expected) or isinstance(given, int | float):
        return numbers_equal(given, expected, tolerance)
    if not isinstance(given, sympy.Basic) or not isinstance(expected, sympy.Basic):
        return False
    if given == expected:
        return True
    identity = polynomial_identity(given, expected, tolerance)
    if identity is not None:
        return identity
    names = {s.name for s in (given.free_symbols | expected.free_symbols) if isinstance(s, sympy.Symbol)}
    if points is None:
        points = seeded_points(names, seed=seed)
    verdict = same_values(values_at(given, points), values_at(expected, points), tolerance)
    if verdict is not None:
        return verdict
    return simplifies_to_zero(by_name(given) - by_name(expected))


def simplifies_to_zero(expr: sympy.Expr, budget: float = SIMPLIFY_BUDGET) -> bool:
    """The last resort: ``simplify(expr) == 0``, only for expressions of at most ``SIMPLIFY_MAX_OPS`` operations
    (decided by size, so the verdict is the same in any thread), under ``budget`` seconds where a budget can be
    set (the main thread; False when it runs out of time).

    >>> x = sympy.Symbol("x", positive=True)
    >>> simplifies_to_zero(sympy.log(x**2) - 2 * sympy.log(x), budget=10)
    True
    """
    if sympy.count_ops(expr) > SIMPLIFY_MAX_OPS:
        return False
    if not available():
        return sympy.simplify(expr) == 0
    try:
        with time_limit(budget):
            return sympy.simplify(expr) == 0
    except OutOfTime:
        return False


def compare_entries(given: sympy.MatrixBase, expected: sympy.MatrixBase, tolerance: Tolerance = DEFAULT_TOLERANCE,
                    same: Callable[[Any, Any], bool] | None = None, seed: str = SEED) -> list[tuple[int, int]]:
    """The 0-based (row, column) of every entry that differs; the shapes must agree.

    >>> compare_entries(sympy.Matrix([[1, 2], [3, 5]]), sympy.Matrix([[1, 2], [3, 4]]))
    [(1, 1)]
    """
    same = same or (lambda a, b: same_value(a, b, tolerance, seed=seed))
    g, e = given.tolist(), expected.tolist()
    return [(r, c) for r in range(expected.rows) for c in range(expected.cols) if not same(g[r][c], e[r][c])]


def matrices_equal(given: sympy.MatrixBase, expected: sympy.MatrixBase,
                   tolerance: Tolerance = DEFAULT_TOLERANCE) -> bool:
    """Same shape and every entry the same value (``compare_entries`` within ``tolerance``).

    >>> matrices_equal(sympy.Matrix([[1, 2]]), sympy.Matrix([[1, 2]])), matrices_equal(sympy.eye(2), sympy.eye(3))
    (True, False)"""
    return given.shape == expected.shape and not compare_entries(given, expected, tolerance)
