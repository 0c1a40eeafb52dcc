"""Shapes and argument checks shared by the numeric conv and pooling functions.

Arrays are NCHW; CHW and plain HW are accepted and the result keeps the caller's rank. Every invalid
configuration raises :class:`symconv.errors.ConfigError` naming the argument and the allowed range, for the
configurations torch rejects.

>>> pair(2, "stride")
(2, 2)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from symconv import sizes
from symconv.errors import ConfigError
from symconv.sizes import pool_length  # the length formula, shared with the symbolic engine

Pair = tuple[int, int]


def pair(value: object, name: str, *, minimum: int = 1) -> Pair:
    """An int or an (h, w) pair of ints, each at least ``minimum``: the engine's one validator."""
    return sizes.pair(name, value, minimum)


def to_nchw(x: object, name: str = "input") -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """``x`` as a float64 NCHW array, and a function that gives a result back the caller's rank."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 4:
        return a, _keep
    if a.ndim == 3:
        return a[None], _drop_batch
    if a.ndim == 2:
        return a[None, None], _drop_batch_channel
    raise ConfigError(name, "must be an array of rank 2 (HW), 3 (CHW) or 4 (NCHW)", a.shape)


def _keep(a: np.ndarray) -> np.ndarray:
    return a


def _drop_batch(a: np.ndarray) -> np.ndarray:
    return a[0]


def _drop_batch_channel(a: np.ndarray) -> np.ndarray:
    return a[0, 0]


def check_nonempty(x: np.ndarray, name: str = "input") -> None:
    if x.size == 0:
        raise ConfigError(name, "must have non-zero size in every dimension", x.shape)


def check_grad_shape(grad_out: np.ndarray, expected: tuple[int, ...]) -> None:
    if grad_out.shape != expected:
        raise ConfigError("grad_out", f"must have the output's shape {expected}", grad_out.shape)


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """Read-only view (N, C, Ho, Wo, kh, kw) of the windows of a C-contiguous padded array ``xp``."""
    xp = np.ascontiguousarray(xp)
    n, c, _, _ = xp.shape
    s0, s1, s2, s3 = xp.strides
    shape = (n, c, out[0], out[1], kernel[0], kernel[1])
    strides = (s0, s1, s2 * stride[0], s3 * stride[1], s2 * dilation[0], s3 * dilation[1])
    view = np.ndarray(shape, np.float64, xp, 0, strides)
    view.flags.writeable = False
    return view


def offset_slices(m: int, n: int, stride: Pair, dilation: Pair, out: Pair) -> tuple[slice, slice]:
    """Where kernel offset (m, n) reads in the padded input, over all output positions."""
    top, left = m * dilation[0], n * dilation[1]
    return (
        slice(top, top + stride[0] * (out[0] - 1) + 1, stride[0]),
        slice(left, left + stride[1] * (out[1] - 1) + 1, stride[1]),
    )


def pool_geometry(
    x: np.ndarray, kernel_size: object, stride: object, padding: object, dilation: object, ceil_mode: bool
) -> tuple[Pair, Pair, Pair, Pair, Pair]:
    """Checked (kernel, stride, padding, dilation, out) for a pooling of NCHW ``x``, as torch checks them."""
    check_nonempty(x)
    kernel = pair(kernel_size, "kernel_size")
    strides = kernel if stride is None or stride == () or stride == [] else pair(stride, "stride")
    pads = pair(padding, "padding", minimum=0)
    dils = pair(dilation, "dilation")
    for axis in (0, 1):
        if pads[axis] > kernel[axis] // 2:
            raise ConfigError("padding", f"must be at most half the kernel size ({kernel[axis] // 2})", padding)
    out = tuple(
        pool_length(x.shape[2 + a], kernel[a], pads[a], strides[a], dils[a], ceil_mode) for a in (0, 1)
    )
    if out[0] < 1 or out[1] < 1:
        raise ConfigError("kernel_size", "with this dilation must fit in the padded input (output size >= 1)", kernel)
    return kernel, strides, pads, dils, out  # type: ignore[return-value]


def pad_for_pool(
    x: np.ndarray, kernel: Pair, stride: Pair, pads: Pair, dils: Pair, out: Pair, value: float
) -> np.ndarray:
    """Pad NCHW ``x`` by ``pads`` with ``value``, plus what ceil_mode's last window needs bottom/right."""
    extra = [
        max(0, (out[a] - 1) * stride[a] + dils[a] * (kernel[a] - 1) + 1 - (x.shape[2 + a] + 2 * pads[a]))
        for a in (0, 1)
    ]
    widths = ((0, 0), (0, 0), (pads[0], pads[0] + extra[0]), (pads[1], pads[1] + extra[1]))
    return np.pad(x, widths, constant_values=value)


def crop(gp: np.ndarray, pads: Pair, size: Pair) -> np.ndarray:
    """The real-input part of a gradient accumulated over a padded array."""
    return np.ascontiguousarray(gp[:, :, pads[0] : pads[0] + size[0], pads[1] : pads[1] + size[1]])
