"""Limits of LP pooling over one concrete window: exact values from SymPy, a high-precision convergence table.

For a window of nonnegative entries (N of them, m = max):

- p = 1: the mean (normalised) or the sum (PyTorch), by substitution;
- p -> oo: the max; p -> 0+: the geometric mean (normalised), oo for PyTorch when two or more entries are
  positive; p -> -oo: the min when every entry is positive (undefined, None, when one is 0).

Each limit is computed by ``sympy.limit`` and checked against the value computed directly from the entries.
The table (mpmath, ``dps`` digits) lists the value at p = 1, 2, 4, ..., 1024 with its distance to the max and the
squeeze bound m (1 - N^(-1/p)) (normalised) or m (N^(1/p) - 1) (PyTorch); the table is verified when the
distance never exceeds the bound and shrinks monotonically. Floats at every p where float64 does not overflow
are checked against ``symconv.numeric.lp_pool2d`` on the same window.

Entries of mixed sign have no real power mean at non-integer p; the |x| form (``absolute=True``) tends to
max |x|, which is not max pooling.

>>> limits = exact_limits(parse_window([109, 92, 108, 85]))
>>> {key: str(limit.value) for key, limit in limits.items()}
{'p=1': '197/2', 'p->inf': '109', 'p->0': '2*213095**(1/4)*3**(3/4)', 'p->-inf': '85'}
>>> all(limit.agrees for limit in limits.values())
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from symconv.errors import ConfigError
from symconv.limits.means import P, check_norm, power_mean

LIMIT_KEYS = ("p=1", "p->inf", "p->0", "p->-inf")
POWERS = tuple(2**k for k in range(11))
MAX_WINDOW = 16  # sympy.limit takes seconds per limit beyond this
MAX_ENTRY = 10**100  # larger entries leave float64 (the lp_pool2d cross-check) nothing to compare
AGREE_DPS = 50  # digits to which a limit must equal the value computed directly
_Q = sympy.Symbol("p", negative=True)


def parse_window(values: Iterable[object], absolute: bool = False) -> tuple[sympy.Rational, ...]:
    """Exact entries from numbers or numeric strings ("109", "1.5", "3/4"); never sympify.

    >>> parse_window(["1.5", 2, "3/4", 0.1])
    (3/2, 2, 3/4, 1/10)
    >>> parse_window([-2, 1], absolute=True)
    (2, 1)
    """
    entries = []
    for value in values:
        try:
            # floats through their shortest repr, so 0.1 is 1/10 and not the binary fraction
            fraction = Fraction(value.strip() if isinstance(value, str) else str(value))
        except (ValueError, TypeError, OverflowError, ZeroDivisionError):
            raise ConfigError("window", "entries must be finite numbers", value) from None
        entries.append(sympy.Rational(fraction.numerator, fraction.denominator))
    if not 1 <= len(entries) <= MAX_WINDOW:
        raise ConfigError("window", f"must hold 1 to {MAX_WINDOW} entries", len(entries))
    if any(abs(e) > MAX_ENTRY for e in entries):
        raise ConfigError("window", "entries must be at most 1e100 in size, so float64 can cross-check them",
                          str(sympy.N(max(abs(e) for e in entries), 3)))
    if absolute:
        return tuple(abs(e) for e in entries)
    if any(e < 0 for e in entries):
        raise ConfigError("window", "entries must be nonnegative (the |x| form, absolute=True, tends to "
                                    "max |x|, which is not max pooling)", [str(e) for e in entries])
    return tuple(entries)


def direct_values(window: Sequence[sympy.Rational], norm: str) -> dict[str, sympy.Expr | None]:
    """The four limits computed straight from the entries (no limit taken); None where undefined.

    >>> direct_values([4, 1], "torch")
    {'p=1': 5, 'p->inf': 4, 'p->0': oo, 'p->-inf': 1}
    """
    n, positive = len(window), [x for x in window if x > 0]
    if check_norm(norm) == "normalized":
        at_zero = sympy.Mul(*window) ** sympy.Rational(1, n)
    else:
        at_zero = sympy.oo if len(positive) >= 2 else max(window)
    return {
        "p=1": sympy.Add(*window) / (n if norm == "normalized" else 1),
        "p->inf": max(window),
        "p->0": at_zero,
        "p->-inf": min(window) if len(positive) == n else None,
    }


def tolerance(scale: object, dps: int) -> mpmath.mpf:
    """What ``dps``-digit arithmetic may get wrong on numbers of size ``scale``: 10 digits of slack, far below
    any real difference between two of the limits (the one tolerance of this module)."""
    return abs(mpmath.mpf(scale)) * mpmath.mpf(10) ** (10 - dps)


def same_value(a: sympy.Expr, b: sympy.Expr, dps: int = AGREE_DPS) -> bool:
    """Whether two exact constants are equal: identical, or equal to ``dps`` digits (evalf, each side on its own so
    nothing cancels) within :func:`tolerance`; simplification decides only what evalf cannot make a real number.

    SymPy's limits come back in forms it does not simplify, like 5**(c)/2**(c) with c = log(2)/(log(5) - log(2)),
    which is 2; numerics see it. A value off in the 30th digit is a real difference, and is one.

    >>> c = sympy.log(2) / (sympy.log(5) - sympy.log(2))
    >>> same_value(5**c / 2**c, sympy.Integer(2)), same_value(sympy.sqrt(2), sympy.Rational(14142, 10000))
    (True, False)
    """
    if a == b:
        return True
    if not (a.is_finite and b.is_finite):  # oo, -oo, zoo, nan: equal only when identical
        return False
    x, y = sympy.N(a, dps), sympy.N(b, dps)
    if x.is_real and y.is_real and x.is_number and y.is_number:
        with mpmath.workdps(dps):
            x, y = mpmath.mpf(sympy.Float(x, dps)._mpf_), mpmath.mpf(sympy.Float(y, dps)._mpf_)
            scale = max(abs(x), abs(y))
            if abs(x - y) <= tolerance(scale, dps):
                return True
            if min(abs(x), abs(y)) > tolerance(scale, dps):
                return False  # two well-resolved numbers that differ: no simplification makes them equal
    # evalf could not resolve a side (not a real number, or a zero it only bounds): let SymPy simplify
    return sympy.simplify(a - b) == 0


@dataclass(frozen=True)
class Limit:
    """One limit: SymPy's exact value (None when undefined), how it was found, and the direct value."""

    key: str
    value: sympy.Expr | None
    method: str
    direct: sympy.Expr | None

    @property
    def agrees(self) -> bool:
        """Whether SymPy's limit equals the direct value (:func:`same_value`); both None counts as agreeing."""
        if self.value is None or self.direct is None:
            return self.value is None and self.direct is None
        return same_value(self.value, self.direct)

    def as_number(self) -> float | None:
        """The limit as a float, None where it is infinite or undefined (JSON's null)."""
        if self.value is None or not self.value.is_finite:
            return None
        return float(self.value)


def exact_limits(window: Sequence[sympy.Rational], norm: str = "normalized") -> dict[str, Limit]:
    """The four limits of the pooled value by SymPy, each with the value computed directly.

    ``sympy.limit`` is tried on the expression itself; where it fails, p -> +-oo falls back to the squeeze
    (the limits of the two bounds) and p -> 0+ to the limit of the logarithm. The method says which.
    """
    direct = direct_values(window, norm)
    expr = power_mean(window, P, norm)
    found: dict[str, tuple[sympy.Expr | None, str]] = {
        "p=1": (expr.subs(P, 1), "substitution p = 1"),
        "p->inf": _sympy_limit(expr, P, sympy.oo) or _squeeze_limit(window, norm, P, sympy.oo),
        "p->0": _sympy_limit(expr, P, 0) or _log_limit(window, norm),
    }
    if all(x > 0 for x in window):
        found["p->-inf"] = (_sympy_limit(power_mean(window, _Q, norm), _Q, -sympy.oo)
                            or _squeeze_limit(window, norm, _Q, -sympy.oo))
    else:
        found["p->-inf"] = (None, "undefined: 0^p is not finite for p < 0")
    return {key: Limit(key, *found[key], direct[key]) for key in LIMIT_KEYS}


def _sympy_limit(expr: sympy.Expr, p: sympy.Symbol, point: sympy.Expr) -> tuple[sympy.Expr, str] | None:
    """``sympy.limit``, or None when it raises or leaves the limit unevaluated."""
    try:
        value = sympy.limit(expr, p, point, "+" if point == 0 else "-")
    except Exception:  # SymPy's limit code raises several unrelated types (PoleError, ...)
        return None
    if value.has(sympy.Limit) or value.has(sympy.nan):
        return None
    return value, f"sympy.limit at p -> {point}{'+' if point == 0 else ''}"


def _squeeze_limit(window: Sequence[sympy.Rational], norm: str, p: sympy.Symbol,
                   point: sympy.Expr) -> tuple[sympy.Expr | None, str]:
    """The common limit of the squeeze bounds: with e = max (p -> oo) or min (p -> -oo), the pooled value lies
    between e and N^(1/p) e (PyTorch) or between (1/N)^(1/p) e and e (normalised)."""
    n, extreme = len(window), max(window) if point == sympy.oo else min(window)
    scale = (sympy.Rational(1, n) if norm == "normalized" else sympy.Integer(n)) ** (1 / p)
    low, high = sympy.limit(extreme * scale, p, point), sympy.limit(extreme, p, point)
    if low != high:
        return None, "sympy.limit failed and the squeeze bounds did not meet"
    return high, "squeeze bounds (sympy.limit failed on the expression itself)"


def _log_limit(window: Sequence[sympy.Rational], norm: str) -> tuple[sympy.Expr | None, str]:
    inner = power_mean(window, P, norm) ** P  # the mean (or sum) of x^p
    found = _sympy_limit(sympy.log(inner) / P, P, 0)
    if found is None:
        return None, "sympy.limit failed, also on the logarithm"
    return sympy.exp(found[0]), "exp of sympy.limit of the logarithm at p -> 0+"


@dataclass(frozen=True)
class ConvergenceTable:
    """Value, distance to the max and squeeze bound at each p (mpmath numbers), with the checks on them."""

    norm: str
    dps: int
    rows: tuple[tuple[int, mpmath.mpf, mpmath.mpf, mpmath.mpf], ...]  # (p, value, |value - max|, bound)
    checks: dict[str, bool]

    @property
    def verified(self) -> bool:
        """A table with rows, every check on it holding (``error <= bound`` and the others)."""
        return bool(self.rows) and all(self.checks.values())

    def __repr__(self) -> str:   # one line, not fifty-digit mpf rows
        ps = f"p = {self.rows[0][0]}..{self.rows[-1][0]}" if self.rows else "no rows"
        return (f"ConvergenceTable({self.norm}, {len(self.rows)} rows, {ps}, {self.dps} digits, "
                f"{'verified' if self.verified else 'NOT verified'})")


def convergence_table(window: Sequence[sympy.Rational], norm: str = "normalized", powers: Sequence[int] = POWERS,
                      dps: int = 50) -> ConvergenceTable:
    """The squeeze made visible: the pooled value approaches the max within m (1 - N^(-1/p)) or m (N^(1/p) - 1).

    >>> table = convergence_table([sympy.Integer(3), sympy.Integer(1)], powers=(1, 2, 4))
    >>> [mpmath.nstr(value, 6) for _, value, _, _ in table.rows], table.verified
    (['2.0', '2.23607', '2.53044'], True)
    """
    check_norm(norm)
    if not powers or any(b <= a for a, b in zip(powers, powers[1:], strict=False)) or powers[0] <= 0:
        raise ConfigError("powers", "must be positive and increasing", list(powers))
    n = len(window)
    with mpmath.workdps(dps):
        xs = [mpmath.mpf(x.p) / x.q for x in window]
        m = max(xs)
        rows = []
        for p in powers:
            ratio_sum = mpmath.fsum((x / m) ** p for x in xs) if m > 0 else mpmath.mpf(0)
            value = m * (ratio_sum / n if norm == "normalized" else ratio_sum) ** (mpmath.mpf(1) / p)
            bound = m * (1 - mpmath.mpf(n) ** (-mpmath.mpf(1) / p) if norm == "normalized"
                         else mpmath.mpf(n) ** (mpmath.mpf(1) / p) - 1)
            rows.append((p, value, abs(value - m), bound))
    return ConvergenceTable(norm, dps, tuple(rows), table_checks(rows, m, norm, dps))


def table_checks(rows: Sequence[tuple[int, mpmath.mpf, mpmath.mpf, mpmath.mpf]], m: mpmath.mpf, norm: str,
                 dps: int) -> dict[str, bool]:
    """What makes a table verified: each error within its squeeze bound, the errors shrinking, and the values
    rising to the max (normalised) or falling to it (PyTorch), each within :func:`tolerance`.

    >>> rows = [(1, mpmath.mpf(2), mpmath.mpf(1), mpmath.mpf("0.5"))]  # an error above its bound
    >>> table_checks(rows, mpmath.mpf(3), "normalized", 50)["error <= bound"]
    False
    """
    step = 1 if norm == "normalized" else -1  # M_p rises to the max, L_p falls to it
    pairs = list(zip(rows, rows[1:], strict=False))
    with mpmath.workdps(dps):  # at fewer digits, bound + tol would round back to bound
        tol = tolerance(m, dps)
        return {
            "error <= bound": all(err <= bound + tol for _, _, err, bound in rows),
            "error decreasing": all(b[2] <= a[2] + tol for a, b in pairs),
            "value monotone": all(step * (b[1] - a[1]) >= -tol for a, b in pairs),
        }


def numeric_check(window: Sequence[sympy.Rational], table: ConvergenceTable) -> tuple[bool, tuple[int, ...]]:
    """Compare the table with ``symconv.numeric.lp_pool2d`` (float64) at every p where floats stay finite."""
    from symconv.numeric import lp_pool2d

    x = np.array([[float(v) for v in window]])
    positive = x[x > 0]
    compared: list[int] = []
    for p, value, _, _ in table.rows:
        with np.errstate(over="ignore", under="ignore"):
            powers = positive**p
        if not np.all(np.isfinite(powers)) or np.any(powers < np.finfo(float).tiny):
            continue  # x^p over- or underflows float64; mpmath has no such limit
        got = float(lp_pool2d(x, float(p), (1, len(window)), norm=table.norm)[0, 0])
        if not np.isclose(got, float(value), rtol=1e-10, atol=0.0):
            return False, tuple(compared)
        compared.append(p)
    return bool(compared), tuple(compared)
