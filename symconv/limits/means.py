"""The two LP-pooling definitions over one window, as SymPy expressions.

- ``"normalized"``: the power mean M_p = ((1/N) sum x_i^p)^(1/p); M_1 is the mean (average pooling).
- ``"torch"``: PyTorch's LPPool L_p = (sum x_i^p)^(1/p) = N^(1/p) M_p, with no 1/N; L_1 is the sum.

>>> x1, x2 = sympy.symbols("x_1 x_2", nonnegative=True)
>>> power_mean((x1, x2), 1)
x_1/2 + x_2/2
>>> power_mean((x1, x2), 2, norm="torch")
sqrt(x_1**2 + x_2**2)
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from symconv.errors import ConfigError
from symconv.norms import check_norm

# p > 0 throughout the proofs; the concrete limits at -oo use a real p (see window.py).
P = sympy.Symbol("p", positive=True)


def function_symbol(norm: str, p: object = "p") -> sympy.Symbol:
    """The name the proofs give the pooled value: M_p (normalised) or L_p (PyTorch)."""
    return sympy.Symbol(f"{'M' if check_norm(norm) == 'normalized' else 'L'}_{p}")


def power_mean(values: Sequence[sympy.Expr], p: sympy.Expr, norm: str = "normalized") -> sympy.Expr:
    """The pooled value of a window under ``norm`` at exponent ``p`` (no absolute value, like PyTorch)."""
    check_norm(norm)
    n = len(values)
    if n == 0:
        raise ConfigError("window", "must hold at least one entry", n)
    power_sum = sympy.Add(*[sympy.sympify(v) ** p for v in values])
    inner = power_sum / n if norm == "normalized" else power_sum
    return inner ** (1 / sympy.sympify(p))
