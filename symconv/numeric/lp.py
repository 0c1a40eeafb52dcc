"""lp_pool2d and its backward: torch's (sum x^p)^(1/p), or the normalised power mean ((1/N) sum x^p)^(1/p).

Like torch, the forward is avg_pool2d(x^p) (no padding, count_include_pad) times K = kh*kw for
``norm="torch"`` (times 1 for ``norm="normalized"``), then the 1/p power; the backward follows the same chain.

Where torch is degenerate symconv makes a documented choice: see :func:`lp_pool2d`.

>>> import numpy as np
>>> x = np.array([[3.0, 4.0], [0.0, 0.0]])
>>> lp_pool2d(x, 2, 2)
array([[5.]])
>>> lp_pool2d(x, 2, 2, norm="normalized")
array([[2.5]])
>>> lp_pool2d_backward(x, np.ones((1, 1)), 2, 2)
array([[0.6, 0.8],
       [0. , 0. ]])
"""

from __future__ import annotations

import numpy as np

from symconv.errors import ConfigError
from symconv.norms import check_norm
from symconv.numeric._shapes import pair, to_nchw
from symconv.numeric.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from symconv.pooling import check_norm_type


def _check(norm_type: object, kernel_size: object, norm: object) -> tuple[float, float]:
    """(p, c): the checked exponent and the factor on the window mean (K for torch, 1 for normalized)."""
    p = float(check_norm_type(norm_type, symbolic=False))  # the symbolic side's rule: one rule for both
    check_norm(norm)
    kh, kw = pair(kernel_size, "kernel_size")
    size = kh * kw if norm == "torch" else 1
    return p, float(size)


def lp_pool2d(x, norm_type, kernel_size, stride=None, ceil_mode=False, norm="torch") -> np.ndarray:
    """torch.nn.functional.lp_pool2d (``norm="torch"``) or the power mean (``norm="normalized"``).

    What symconv does where torch is degenerate (each case is tested against torch 2.13):

    - ``norm_type = inf``: max pooling of x, for both norms (the limit of both definitions for x >= 0, and
      what torch's docs promise). torch 2.13 returns max pooling of |x|: the same for x >= 0, different when
      a window's largest |x| belongs to a negative entry.
    - ``norm_type`` 0, -inf or NaN: ConfigError (torch gives inf/NaN for 0 and min pooling of |x| for -inf).
    - negative entries with a non-integer p: NaN, as in torch (no abs() is taken).
    - a zero window sum: gradient 0 there, as torch sets it.
    - ceil_mode partial windows: with ``norm="torch"`` the sum is scaled by K/n_valid before the root, as
      torch does; with ``norm="normalized"`` N is n_valid, the power mean of the real cells.

    >>> lp_pool2d(np.array([[1.0, 2.0, 3.0, 5.0]]), float("inf"), (1, 2))
    array([[2., 5.]])
    """
    p, c = _check(norm_type, kernel_size, norm)
    if p == np.inf:
        return max_pool2d(x, kernel_size, stride, 0, 1, ceil_mode)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = avg_pool2d(np.asarray(x, dtype=np.float64) ** p, kernel_size, stride, 0, ceil_mode)
        return (np.sign(a) * np.abs(a) * c) ** (1.0 / p)


def lp_pool2d_backward(x, grad_out, norm_type, kernel_size, stride=None, ceil_mode=False, norm="torch"):
    """Gradient of sum(grad_out * lp_pool2d(x, ...)) with respect to x, by the chain rule through
    x^p, the window mean and the 1/p power; 0 where a window's sum is 0 (torch's rule).

    >>> lp_pool2d_backward(np.array([[1.0, 2.0, 3.0, 5.0]]), np.ones((1, 2)), float("inf"), (1, 2))
    array([[0., 1., 0., 1.]])
    """
    p, c = _check(norm_type, kernel_size, norm)
    if p == np.inf:
        return max_pool2d_backward(x, grad_out, kernel_size, stride, 0, 1, ceil_mode)
    x4, restore = to_nchw(x)
    g4, _ = to_nchw(grad_out, "grad_out")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = avg_pool2d(x4**p, kernel_size, stride, 0, ceil_mode)
        u = np.sign(a) * np.abs(a) * c
        if g4.shape != a.shape:
            raise ConfigError("grad_out", f"must have the output's shape {a.shape}", g4.shape)
        grad_u = g4 * ((1.0 / p) * u ** (1.0 / p - 1.0))
        # torch: sign(a) * relu(|a|); relu passes no gradient where |a| <= 0
        grad_a = np.where(np.abs(a) <= 0, 0.0, grad_u * c * np.sign(a)) * np.sign(a)
        grad_pow = avg_pool2d_backward(x4, grad_a, kernel_size, stride, 0, ceil_mode)
        return restore(grad_pow * (p * x4 ** (p - 1.0)))
