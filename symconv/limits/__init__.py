"""Verified limits of LP pooling and the power-mean family (p = 1, p -> oo, p -> 0, p -> -oo).

- ``prove_max_limit(n, norm)`` / ``prove_p1(n, norm)``: checked proofs over n symbolic entries (``Proof``);
- ``window_limits(values, norm)``: exact limits of one concrete window, the mpmath convergence table and the
  float64 cross-check against ``symconv.numeric.lp_pool2d`` (``WindowLimits``).

>>> prove_max_limit(2).verified
True
>>> window_limits([3, 1], powers=(1, 2)).to_dict()["limits"]["p->inf"]
3.0
"""

from symconv.limits.means import power_mean
from symconv.limits.proof import Check, Proof, Step
from symconv.limits.summary import WindowLimits, window_limits
from symconv.limits.symbolic import MAX_SYMBOLIC, prove_max_limit, prove_p1
from symconv.limits.window import LIMIT_KEYS, MAX_WINDOW, POWERS, convergence_table, exact_limits, parse_window
from symconv.norms import NORMS

__all__ = [
    "LIMIT_KEYS", "MAX_SYMBOLIC", "MAX_WINDOW", "NORMS", "POWERS", "Check", "Proof", "Step", "WindowLimits",
    "convergence_table", "exact_limits", "parse_window", "power_mean", "prove_max_limit", "prove_p1",
    "window_limits",
]
