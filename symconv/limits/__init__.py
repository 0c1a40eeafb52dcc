"""Verified limits of LP pooling and the power-mean family (p = 1, p -> oo, p -> 0, p -> -oo).

>>> prove_max_limit(2).verified
True
"""

from symconv.limits.means import NORMS, power_mean
from symconv.limits.proof import Check, Proof, Step
from symconv.limits.symbolic import MAX_SYMBOLIC, prove_max_limit, prove_p1

__all__ = ["MAX_SYMBOLIC", "NORMS", "Check", "Proof", "Step", "power_mean", "prove_max_limit", "prove_p1"]
