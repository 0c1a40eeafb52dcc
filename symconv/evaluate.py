"""Evaluate a SymPy expression at a point, quickly and without exact blow-ups.

Two users: the grader, which evaluates students' expressions (SymPy evaluates ``40**(40**40)`` exactly when
integers are substituted, which never finishes), and :mod:`symconv.verify`, whose results can be sums of
thousands of terms (too deep for lambdify's generated code to compile). This walks the expression tree itself:
exact (``int`` and ``Fraction``) while the numbers stay small, Python floats and complex numbers once a power
would exceed ``EXACT_BITS``, and "no value" on overflow, division by zero or a node it does not know.

>>> import sympy
>>> I, S = sympy.Symbol("I"), sympy.Symbol("S")
>>> value_at(sympy.floor((I - 3) / S) + 1, {"I": sympy.Integer(9), "S": sympy.Integer(3)})
(3+0j)
>>> value_at(I ** (I ** I), {"I": sympy.Integer(40)}) is None    # overflows: no value, and no hang
True
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

EXACT_BITS = 4096   # an exact power larger than this is computed in floating point
Number = int | Fraction | float | complex


class NoValue(Exception):
    """The expression has no finite numeric value at the point (or uses a node we do not evaluate)."""


def value_at(expr: Any, point: Mapping[str, Any], *, finite: bool = True) -> complex | None:
    """``expr`` at ``point`` (symbol name -> number) as a complex number, or None; with ``finite`` (the
    default) an infinite or NaN value is None too."""
    try:
        result = complex(_ev(sympy.sympify(expr) if isinstance(expr, int | float) else expr, point))
    except (NoValue, OverflowError, ZeroDivisionError, ValueError, TypeError, RecursionError):
        return None
    return result if not finite or math.isfinite(result.real) and math.isfinite(result.imag) else None


def _exact(v: Number) -> bool:
    return isinstance(v, int | Fraction)


def _real(v: Number) -> float | int | Fraction:
    if isinstance(v, complex):
        if v.imag != 0:
            raise NoValue("not real")
        return v.real
    return v


def _pow(b: Number, x: Number) -> Number:
    if _exact(b) and isinstance(x, int):
        exact = Fraction(b)  # type: ignore[arg-type]  # _exact(b): an int or a Fraction
        size = abs(x) * max(1, abs(exact.numerator).bit_length(), exact.denominator.bit_length())
        if size <= EXACT_BITS:
            return exact ** x if x < 0 or isinstance(b, Fraction) else b ** x
    fb, fx = (complex(b) if isinstance(b, complex) else float(b)), (complex(x) if isinstance(x, complex) else float(x))
    if fb == 0 and (fx.real if isinstance(fx, complex) else fx) < 0:
        raise NoValue("zero to a negative power")
    result = fb ** fx
    if isinstance(result, complex) and abs(result.imag) <= 1e-14 * max(1.0, abs(result.real)):
        result = result.real
    return result


def _ev(e: Any, point: Mapping[str, Any]) -> Number:
    if isinstance(e, sympy.Integer):
        return int(e)
    if isinstance(e, sympy.Rational):
        return Fraction(int(e.p), int(e.q))
    if isinstance(e, sympy.Float):
        return float(e)
    if isinstance(e, sympy.Symbol):
        if e.name not in point:
            raise NoValue(f"no value for {e.name}")
        v = point[e.name]
        return v if isinstance(v, int | float | complex | Fraction) else _ev(sympy.sympify(v), point)
    if e is sympy.I:
        return 1j
    if e is sympy.oo or e is sympy.S.NegativeInfinity:   # Max() of a padding-only pooling window is -oo
        return math.inf if e is sympy.oo else -math.inf
    if isinstance(e, sympy.NumberSymbol):   # pi, E
        return float(e)
    if isinstance(e, sympy.Add):
        return sum((_ev(a, point) for a in e.args), 0)
    if isinstance(e, sympy.Mul):
        out: Number = 1
        for a in e.args:
            out = out * _ev(a, point)
        return out
    if isinstance(e, sympy.Pow):
        return _pow(_ev(e.base, point), _ev(e.exp, point))
    return _function(e, [_ev(a, point) for a in e.args])


def _function(e: Any, args: list[Number]) -> Number:
    if isinstance(e, sympy.floor):
        return math.floor(_real(args[0]))
    if isinstance(e, sympy.ceiling):
        return math.ceil(_real(args[0]))
    if isinstance(e, sympy.Max):
        return max(_real(a) for a in args)
    if isinstance(e, sympy.Min):
        return min(_real(a) for a in args)
    if isinstance(e, sympy.Abs):
        return abs(args[0])  # type: ignore[return-value]  # abs of a Number is a Number
    if isinstance(e, sympy.exp):
        return cmath.exp(args[0]) if isinstance(args[0], complex) else math.exp(args[0])
    if isinstance(e, sympy.log):
        v = args[0]
        if v == 0:
            raise NoValue("log of zero")
        return cmath.log(v) if isinstance(v, complex) or v < 0 else math.log(v)
    raise NoValue(f"cannot evaluate {type(e).__name__}")
