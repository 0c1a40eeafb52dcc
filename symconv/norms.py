"""The two definitions of LP pooling, named once for the engine, the numeric side, the limits and the CLI.

- ``"normalized"``: the power mean M_p = ((1/N) Σ x^p)^(1/p); M_1 is the mean (average pooling).
- ``"torch"``: PyTorch's L_p = (Σ x^p)^(1/p) = N^(1/p) M_p; L_1 is the sum.

>>> check_norm("torch")
'torch'
>>> check_norm("max")
Traceback (most recent call last):
symconv.errors.ConfigError: norm: must be one of normalized, torch (got 'max')
"""

from __future__ import annotations

from symconv.errors import ConfigError

NORMS = ("normalized", "torch")


def check_norm(norm: object) -> str:
    """``norm`` if it names one of NORMS, else a ConfigError naming the argument."""
    if not isinstance(norm, str) or norm not in NORMS:
        raise ConfigError("norm", "must be one of " + ", ".join(NORMS), norm)
    return norm
