"""max_pool2d and avg_pool2d with their backwards, matching torch.nn.functional (float64).

Max pooling routes each window's gradient to its FIRST maximum in row-major window order (torch scans the
window and replaces only on a strictly greater value); a NaN always wins, and of several NaNs the last one
(torch replaces on every NaN). Overlapping windows accumulate at a shared argmax.

>>> import numpy as np
>>> x = np.array([[1.0, 3.0, 3.0], [0.0, 2.0, 1.0]])
>>> max_pool2d(x, (2, 2), stride=1)
array([[3., 3.]])
>>> max_pool2d_backward(x, np.ones((1, 2)), (2, 2), stride=1)
array([[0., 2., 0.],
       [0., 0., 0.]])
>>> avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)[0]
array([1., 2., 3., 3.])
"""

from __future__ import annotations

import numpy as np

from symconv.numeric._shapes import (
    Pair,
    check_grad_shape,
    crop,
    offset_slices,
    pad_for_pool,
    pool_geometry,
    to_nchw,
    windows,
)
from symconv.pooling import check_divisor_override


def _argmax(x4: np.ndarray, kernel_size, stride, padding, dilation, ceil_mode):
    """(out, idx, geometry): window maxima and the flat window index torch picks for each."""
    kernel, strides, pads, dils, out = pool_geometry(x4, kernel_size, stride, padding, dilation, ceil_mode)
    xp = pad_for_pool(x4, kernel, strides, pads, dils, out, -np.inf)
    vals = windows(xp, kernel, strides, dils, out).reshape(*x4.shape[:2], *out, kernel[0] * kernel[1])
    idx = np.argmax(vals, axis=-1)  # numpy also returns the first maximum
    nan = np.isnan(vals)
    if nan.any():  # torch keeps replacing on NaN, so the last NaN in the window wins
        last = vals.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        idx = np.where(nan.any(axis=-1), last, idx)
    res = np.take_along_axis(vals, idx[..., None], axis=-1)[..., 0]
    if np.isneginf(res).any():  # all -inf: torch keeps the window's first real cell, never a padded one
        real = pad_for_pool(np.ones(x4.shape), kernel, strides, pads, dils, out, 0.0)
        flags = windows(real, kernel, strides, dils, out).reshape(vals.shape)
        idx = np.where(np.isneginf(res), np.argmax(flags, axis=-1), idx)
    return res, idx, (kernel, strides, pads, dils, out)


def _small_int_pair(value) -> Pair | None:
    if type(value) is int:
        return (value, value) if value >= 1 else None
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int:
        return value if value[0] >= 1 and value[1] >= 1 else None
    return None


def _fast_hw_windows(x, kernel_size, stride, padding) -> tuple[np.ndarray, Pair, Pair] | None:
    """Coursework fast path: a C-contiguous float64 HW array, no padding (and, by the callers, no dilation or
    ceil_mode): the windows as a (Ho*Wo, kh*kw) copy, with (Ho, Wo) and (kh, kw); None to take the general path.
    """
    if type(x) is not np.ndarray or x.ndim != 2 or x.dtype != np.float64 or not x.flags.c_contiguous:
        return None
    if type(padding) is not int or padding != 0:
        return None
    kernel = _small_int_pair(kernel_size)
    strides = kernel if stride is None else _small_int_pair(stride)
    if kernel is None or strides is None or kernel[0] > x.shape[0] or kernel[1] > x.shape[1]:
        return None
    out = ((x.shape[0] - kernel[0]) // strides[0] + 1, (x.shape[1] - kernel[1]) // strides[1] + 1)
    s0, s1 = x.strides
    view = np.ndarray((*out, *kernel), np.float64, x, 0, (s0 * strides[0], s1 * strides[1], s0, s1))
    return view.reshape(out[0] * out[1], kernel[0] * kernel[1]), out, kernel


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> np.ndarray:
    """torch.nn.functional.max_pool2d; padding counts as -inf; stride defaults to kernel_size.

    >>> max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    array([[ 5.,  7.],
           [13., 15.]])
    """
    if not ceil_mode and type(dilation) is int and dilation == 1:
        fast = _fast_hw_windows(x, kernel_size, stride, padding)
        if fast is not None:
            return fast[0].max(axis=1).reshape(fast[1])  # max propagates NaN, as torch does
    x4, restore = to_nchw(x)
    return restore(_argmax(x4, kernel_size, stride, padding, dilation, ceil_mode)[0])


def max_pool2d_backward(x, grad_out, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Gradient of sum(grad_out * max_pool2d(x, ...)) with respect to x.

    A window made only of padding (dilation on a tiny input) has value -inf, like torch, and passes no
    gradient; torch 2.13's backward scatters it to an index outside the input there (heap corruption).

    >>> max_pool2d_backward(np.zeros((2, 2)), np.ones((1, 1)), 2)  # a four-way tie: the first cell wins
    array([[1., 0.],
           [0., 0.]])
    """
    x4, restore = to_nchw(x)
    _, idx, (kernel, strides, pads, dils, out) = _argmax(x4, kernel_size, stride, padding, dilation, ceil_mode)
    g4, _ = to_nchw(grad_out, "grad_out")
    check_grad_shape(g4, idx.shape)
    gp = np.zeros(pad_for_pool(x4, kernel, strides, pads, dils, out, 0.0).shape)
    for m in range(kernel[0]):
        for n in range(kernel[1]):
            rows, cols = offset_slices(m, n, strides, dils, out)
            gp[:, :, rows, cols] += np.where(idx == m * kernel[1] + n, g4, 0.0)
    return restore(crop(gp, pads, x4.shape[2:]))


def _divisors(x4, kernel: Pair, strides: Pair, pads: Pair, out: Pair, count_include_pad, divisor_override):
    """torch's avg_pool2d divisor for each output cell, (Ho, Wo): separable per axis."""
    divisor_override = check_divisor_override(divisor_override)  # the symbolic side's rule: one rule for both
    if divisor_override is not None:
        return np.full(out, float(divisor_override))
    sizes = []
    for a in (0, 1):
        size = x4.shape[2 + a]
        start = np.arange(out[a]) * strides[a] - pads[a]
        end = np.minimum(start + kernel[a], size + pads[a])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        sizes.append((end - start).astype(np.float64))
    return np.outer(sizes[0], sizes[1])


def _avg_setup(x4, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    kernel, strides, pads, _, out = pool_geometry(x4, kernel_size, stride, padding, 1, ceil_mode)
    div = _divisors(x4, kernel, strides, pads, out, count_include_pad, divisor_override)
    return kernel, strides, pads, out, div


def avg_pool2d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
) -> np.ndarray:
    """torch.nn.functional.avg_pool2d: zero padding; torch's divisor rule (see _divisors).

    >>> avg_pool2d(np.arange(16.0).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    if not ceil_mode and divisor_override is None:
        fast = _fast_hw_windows(x, kernel_size, stride, padding)
        if fast is not None:
            return (fast[0].sum(axis=1) / (fast[2][0] * fast[2][1])).reshape(fast[1])
    x4, restore = to_nchw(x)
    kernel, strides, pads, out, div = _avg_setup(
        x4, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    xp = pad_for_pool(x4, kernel, strides, pads, (1, 1), out, 0.0)
    total = windows(xp, kernel, strides, (1, 1), out).sum(axis=(-2, -1))
    return restore(total / div)


def avg_pool2d_backward(
    x,
    grad_out,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """Gradient of sum(grad_out * avg_pool2d(x, ...)): each window spreads grad/divisor over its cells.

    >>> avg_pool2d_backward(np.zeros((2, 3)), np.ones((1, 2)), 2, stride=1)
    array([[0.25, 0.5 , 0.25],
           [0.25, 0.5 , 0.25]])
    """
    x4, restore = to_nchw(x)
    kernel, strides, pads, out, div = _avg_setup(
        x4, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    g4, _ = to_nchw(grad_out, "grad_out")
    check_grad_shape(g4, (*x4.shape[:2], *out))
    share = g4 / div
    gp = np.zeros(pad_for_pool(x4, kernel, strides, pads, (1, 1), out, 0.0).shape)
    for m in range(kernel[0]):
        for n in range(kernel[1]):
            rows, cols = offset_slices(m, n, strides, (1, 1), out)
            gp[:, :, rows, cols] += share
    return restore(crop(gp, pads, x4.shape[2:]))
