"""Transposed convolution (PyTorch's ConvTranspose2d), exact and symbolic.

Each input entry x[a, b] is spread over the output through the kernel: ``Y[s·a + d·m − p, s·b + d·n − p] +=
x[a, b] · w[m, n]``. That is the convolution's tap list read backwards: a convolution of the (Ho, Wo) output
with the same stride, padding and dilation has x's shape, and its tap (u, v) ← (a, b) through (m, n) is the
transposed convolution's (a, b) ← (u, v). So the transposed convolution is the input gradient of that
convolution with x as the upstream gradient, and :func:`symconv.conv.taps` is walked, not re-derived.

>>> from symconv import sym_matrix
>>> conv_transpose2d(sym_matrix("X", 1, 2), sym_matrix("W", 1, 2))
Matrix([[W_11*X_11, W_11*X_12 + W_12*X_11, W_12*X_12]])
"""

from __future__ import annotations

from typing import Any

import sympy

from symconv.conv import ConvConfig, _product, _sum, taps
from symconv.errors import ConfigError
from symconv.layer import bias_values, channels, filters
from symconv.matrices import as_matrix
from symconv.sizes import check_int, pair, transposed_output_size


def _single(value: Any) -> bool:
    """True for one 2-D matrix (a SymPy matrix, nested rows of numbers or a 2-D array), not a list of channels."""
    if isinstance(value, sympy.MatrixBase) or hasattr(value, "ndim"):
        return getattr(value, "ndim", 2) == 2
    try:
        first = value[0][0]
    except (TypeError, IndexError, KeyError):
        return False
    return not isinstance(first, (list, tuple, sympy.MatrixBase)) and getattr(first, "ndim", 0) == 0


def conv_transpose2d(x: Any, w: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Any:
    """The transposed convolution of ``x`` with ``w`` (ConvTranspose2d's forward pass).

    ``x`` is C_in×H×W and ``w`` is C_in×(C_out/groups)×kh×kw (PyTorch's layout for the transposed layer), with
    an optional bias of C_out values; the result is one matrix per output channel. Given one matrix for ``x``
    and one kernel for ``w`` the result is one matrix. Each output length is
    :func:`symconv.sizes.transposed_output_size`.

    >>> conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], stride=2)
    Matrix([
    [1, 1, 2, 2],
    [1, 1, 2, 2],
    [3, 3, 4, 4],
    [3, 3, 4, 4]])
    >>> conv_transpose2d([[1, 2, 3]], [[1, 1, 1]], padding=(0, 1), output_padding=(0, 1), stride=(1, 2))
    Matrix([[1, 3, 2, 5, 3, 3]])
    """
    single = _single(x) and _single(w)
    xs, ws = channels(x, "x"), [[as_matrix(w, "w")]] if _single(w) else filters(w, "w")
    groups = check_int("groups", groups, 1)
    if len(ws) != len(xs):
        raise ConfigError("w", f"must have one entry per input channel ({len(xs)}): C_in x C_out/groups x kh x kw",
                          len(ws))
    if len(xs) % groups:
        raise ConfigError("in_channels", f"must be divisible by groups ({groups})", len(xs))
    per_group, in_per_group = len(ws[0]), len(xs) // groups
    c_out = per_group * groups
    biases = None if bias is None else bias_values(bias, c_out)
    (H, W), k_shape = xs[0].shape, ws[0][0].shape
    s, p, a, d = (pair(name, value, lo) for name, value, lo in (
        ("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
        ("dilation", dilation, 1)))
    out_shape = tuple(transposed_output_size(xs[0].shape[i], k_shape[i], stride=s[i], padding=p[i],
                                             output_padding=a[i], dilation=d[i]) for i in (0, 1))
    cfg = ConvConfig(s, p, d)
    terms: list[list[list[list[sympy.Expr]]]] = [
        [[[] for _ in range(out_shape[1])] for _ in range(out_shape[0])] for _ in range(c_out)]
    for c, (xc, wc) in enumerate(zip(xs, ws)):
        xl = xc.tolist()
        for j, kernel in enumerate(wc):
            out, kl = terms[(c // in_per_group) * per_group + j], kernel.tolist()
            # the convolution of the output reads Y[a, b] into entry (u, v): scatter x[u, v] back to Y[a, b];
            # taps past x's edge exist only when output_padding >= stride (allowed when it is < dilation)
            for t in taps(out_shape, k_shape, cfg):  # type: ignore[arg-type]  # two lengths
                if t.u < H and t.v < W:
                    out[t.a][t.b].append(_product(xl[t.u][t.v], kl[t.m][t.n]))
    result = [sympy.Matrix(*out_shape, lambda i, j, o=o: _sum(terms[o][i][j])
                           + (biases[o] if biases is not None else 0)) for o in range(c_out)]
    return result[0] if single else result
