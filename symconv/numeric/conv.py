"""conv2d and its backward on NumPy arrays, matching torch.nn.functional.conv2d (cross-correlation).

Forward is im2col plus one batched matmul over groups; backward reuses the same columns for the kernel
gradient and scatters the column gradient back over the kh*kw kernel offsets (col2im) for the input gradient.

The coursework example: the gradient of sum(conv2d(A, B)) with respect to A is the full correlation of a
ones matrix with the rotated kernel, so its middle entry is the sum of all of B.

>>> import numpy as np
>>> A = np.arange(16.0).reshape(4, 4)
>>> B = np.array([[1.0, 0.0], [0.0, -1.0]])
>>> conv2d(A, B)
array([[-5., -5., -5.],
       [-5., -5., -5.],
       [-5., -5., -5.]])
>>> gx, gw, gb = conv2d_backward(A, B, np.ones((3, 3)))
>>> gx
array([[ 1.,  1.,  1.,  0.],
       [ 1.,  0.,  0., -1.],
       [ 1.,  0.,  0., -1.],
       [ 0., -1., -1., -1.]])
>>> gb
array([9.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from symconv.errors import ConfigError
from symconv.numeric._shapes import (
    Pair,
    check_grad_shape,
    check_nonempty,
    offset_slices,
    pair,
    to_nchw,
    windows,
)


class _Conv(NamedTuple):
    x: np.ndarray  # NCHW
    w: np.ndarray  # (C_out, C_in/groups, kh, kw)
    stride: Pair
    dilation: Pair
    pads: tuple[Pair, Pair]  # ((top, bottom), (left, right))
    groups: int
    out: Pair
    restore: Callable[[np.ndarray], np.ndarray]  # back to the caller's rank


def _padding(padding: object, kernel: Pair, stride: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ConfigError("padding", "must be an integer, a pair, 'valid' or 'same'", padding)
        if stride != (1, 1):
            raise ConfigError("padding", "'same' needs stride 1", stride)
        totals = [dilation[a] * (kernel[a] - 1) for a in (0, 1)]
        return (totals[0] // 2, totals[0] - totals[0] // 2), (totals[1] // 2, totals[1] - totals[1] // 2)
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph), (pw, pw)


def _setup(x: object, w: object, stride: object, padding: object, dilation: object, groups: object) -> _Conv:
    x4, restore = to_nchw(x)
    w4 = np.asarray(w, dtype=np.float64)
    if w4.ndim == 2:
        w4 = w4[None, None]
    elif w4.ndim != 4:
        raise ConfigError("weight", "must have rank 4 (C_out, C_in/groups, kh, kw), or rank 2 for one filter", w4.shape)
    check_nonempty(x4)
    check_nonempty(w4, "weight")
    if not isinstance(groups, int | np.integer) or isinstance(groups, bool) or groups < 1:
        raise ConfigError("groups", "must be an integer >= 1", groups)
    groups = int(groups)
    strides, dils = pair(stride, "stride"), pair(dilation, "dilation")
    kernel = (w4.shape[2], w4.shape[3])
    pads = _padding(padding, kernel, strides, dils)
    c_in, c_out = x4.shape[1], w4.shape[0]
    if c_in % groups:
        raise ConfigError("groups", f"must divide the input channels ({c_in})", groups)
    if c_out % groups:
        raise ConfigError("groups", f"must divide the output channels ({c_out})", groups)
    if w4.shape[1] * groups != c_in:
        raise ConfigError("weight", f"needs {c_in // groups} input channels per group (shape[1])", w4.shape)
    if np.ndim(x) == 2 and c_out != 1:  # type: ignore[arg-type]  # x: any array-like (numpy checks)
        raise ConfigError("weight", "must be a single filter for a 2-D (HW) input", w4.shape)
    out = []
    for a in (0, 1):
        padded = x4.shape[2 + a] + sum(pads[a])
        reach = dils[a] * (kernel[a] - 1) + 1
        if reach > padded:
            raise ConfigError(
                "weight", f"dilated kernel size ({reach}) must fit in the padded input ({padded})", kernel
            )
        out.append((padded - reach) // strides[a] + 1)
    return _Conv(x4, w4, strides, dils, pads, groups, (out[0], out[1]), restore)


def _columns(c: _Conv) -> np.ndarray:
    """im2col: (groups, C_in/groups * kh * kw, N * Ho * Wo)."""
    n, c_in, _, _ = c.x.shape
    kh, kw = c.w.shape[2:]
    xp = c.x if c.pads == ((0, 0), (0, 0)) else np.pad(c.x, ((0, 0), (0, 0), c.pads[0], c.pads[1]))
    win = windows(xp, (kh, kw), c.stride, c.dilation, c.out)
    cg = c_in // c.groups
    win = win.reshape(n, c.groups, cg, c.out[0], c.out[1], kh, kw).transpose(1, 2, 5, 6, 0, 3, 4)
    return win.reshape(c.groups, cg * kh * kw, n * c.out[0] * c.out[1])


def _fast_hw(x: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """Single 2-D image and filter, stride 1, no padding: one strided view, one matvec."""
    (h, wd), (kh, kw) = x.shape, w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    if ho < 1 or wo < 1 or kh < 1 or kw < 1 or not x.flags.c_contiguous:
        return None
    s0, s1 = x.strides
    view = np.ndarray((ho, wo, kh, kw), np.float64, x, 0, (s0, s1, s0, s1))
    return (view.reshape(ho * wo, kh * kw) @ w.reshape(kh * kw)).reshape(ho, wo)


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """torch.nn.functional.conv2d on NCHW, CHW or HW arrays (float64); padding may be 'valid' or 'same'.

    >>> conv2d(np.ones((1, 2, 3, 3)), np.ones((4, 1, 2, 2)), bias=np.arange(4.0), groups=2)[0, :, 0, 0]
    array([4., 5., 6., 7.])
    """
    if (
        bias is None
        and type(x) is np.ndarray
        and type(w) is np.ndarray
        and x.ndim == 2
        and w.ndim == 2
        and x.dtype == np.float64
        and w.dtype == np.float64
        and type(stride) is int
        and stride == 1
        and type(padding) is int
        and padding == 0
        and type(dilation) is int
        and dilation == 1
        and type(groups) is int
        and groups == 1
    ):
        fast = _fast_hw(x, w)
        if fast is not None:
            return fast
    c = _setup(x, w, stride, padding, dilation, groups)
    n, c_out = c.x.shape[0], c.w.shape[0]
    wm = c.w.reshape(c.groups, c_out // c.groups, -1)
    res = (wm @ _columns(c)).reshape(c.groups, c_out // c.groups, n, c.out[0], c.out[1])
    res = res.transpose(2, 0, 1, 3, 4).reshape(n, c_out, c.out[0], c.out[1])
    if bias is not None:
        b = np.asarray(bias, dtype=np.float64)
        if b.shape != (c_out,):
            raise ConfigError("bias", f"must have shape ({c_out},)", b.shape)
        res = res + b[:, None, None]
    return c.restore(res)


def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1, groups=1):
    """(grad_x, grad_w, grad_bias) of E = sum(grad_out * conv2d(x, w, ...)); shapes follow x, w and C_out.

    >>> gx, gw, gb = conv2d_backward(np.ones((3, 3)), np.ones((2, 2)), np.ones((2, 2)))
    >>> gw
    array([[4., 4.],
           [4., 4.]])
    """
    c = _setup(x, w, stride, padding, dilation, groups)
    n, c_in, h, wd = c.x.shape
    c_out, cg, kh, kw = c.w.shape
    g4, _ = to_nchw(grad_out, "grad_out")
    check_grad_shape(g4, (n, c_out, c.out[0], c.out[1]))
    cog, pixels = c_out // c.groups, n * c.out[0] * c.out[1]
    gm = g4.reshape(n, c.groups, cog, c.out[0] * c.out[1]).transpose(1, 2, 0, 3).reshape(c.groups, cog, pixels)
    cols = _columns(c)
    grad_w = (gm @ cols.transpose(0, 2, 1)).reshape(c.w.shape)
    wm = c.w.reshape(c.groups, cog, cg * kh * kw)
    dcols = (wm.transpose(0, 2, 1) @ gm).reshape(c.groups, cg, kh, kw, n, c.out[0], c.out[1])
    (top, bottom), (left, right) = c.pads
    gxp = np.zeros((n, c.groups, cg, h + top + bottom, wd + left + right))
    for m in range(kh):
        for k in range(kw):
            rows, cols_ = offset_slices(m, k, c.stride, c.dilation, c.out)
            gxp[:, :, :, rows, cols_] += dcols[:, :, m, k].transpose(2, 0, 1, 3, 4)
    grad_x = gxp.reshape(n, c_in, h + top + bottom, wd + left + right)[:, :, top : top + h, left : left + wd]
    return (
        c.restore(np.ascontiguousarray(grad_x)),
        grad_w.reshape(np.shape(w)),
        g4.sum(axis=(0, 2, 3)),
    )
