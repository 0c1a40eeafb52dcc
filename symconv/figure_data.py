"""The data behind every picture, as pure functions: the documents' TikZ figures and ``symconv.plot`` draw the same
numbers from here (no matplotlib, no LaTeX). Indices are 0-based, like :func:`~symconv.conv.taps`.

>>> conv_window((5, 5), (3, 3), 0, 1)[(0, 1)]          # output C_12's window starts at column 1, with B_11
(0, 0)
>>> feed_counts((4, 4), (2, 2)).tolist()[0]
[1, 2, 2, 1]
>>> pool_window_cells([[1, 3], [3, 2]], 2, 0, 0)
PoolWindow(cells=((0, 0), (0, 1), (1, 0), (1, 1)), winner=(0, 1), ties=((1, 0),))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import sympy

from symconv.conv import ConvConfig, taps
from symconv.errors import ConfigError
from symconv.matrices import as_matrix
from symconv.pooling import pool_windows
from symconv.sizes import Pair


def conv_window(in_shape: Pair, k_shape: Pair, u: int, v: int, *, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1) -> dict[tuple[int, int], tuple[int, int]]:
    """The cells of output (u, v)'s window, in **padded** input coordinates (padding cells included), each with
    the kernel entry (m, n) that meets it.

    >>> sorted(conv_window((3, 3), (2, 2), 0, 0, padding=1))
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    cfg = ConvConfig.make(stride, padding, dilation)
    oh, ow = cfg.out_shape(in_shape, k_shape)
    for name, value, size in (("u", u, oh), ("v", v, ow)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise ConfigError(name, f"must be an output index from 0 to {size - 1}", value)
    (sh, sw), (dh, dw) = cfg.stride, cfg.dilation
    return {(sh * u + dh * m, sw * v + dw * n): (m, n) for m in range(k_shape[0]) for n in range(k_shape[1])}


def feed_counts(in_shape: Pair, k_shape: Pair, *, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1) -> sympy.Matrix:
    """How many output entries each input entry feeds (the terms of its chain rule; the input gradient for a
    kernel and an upstream gradient of ones)."""
    counts = [[0] * in_shape[1] for _ in range(in_shape[0])]
    for t in taps(in_shape, k_shape, ConvConfig.make(stride, padding, dilation)):
        counts[t.a][t.b] += 1
    return sympy.Matrix(counts)


class PoolWindow(NamedTuple):
    """A pooling window's real input cells (row-major), the cell max pooling takes (the first maximum, as
    PyTorch's gradient routes to it; None for symbolic entries) and the other cells that tie with it."""

    cells: tuple[tuple[int, int], ...]
    winner: tuple[int, int] | None
    ties: tuple[tuple[int, int], ...]


def pool_window_cells(x: Any, kernel_size: Any, u: int, v: int, *, stride: Any = None, padding: Any = 0,
                      dilation: Any = 1, ceil_mode: bool = False) -> PoolWindow:
    """Output (u, v)'s pooling window over ``x``, with its winner and ties (:class:`PoolWindow`).

    >>> pool_window_cells(sympy.Matrix(2, 2, sympy.symbols("a:4")), 2, 0, 0).winner is None
    True
    """
    xm = as_matrix(x, "x")
    windows = pool_windows(xm.shape, kernel_size, stride, padding, dilation, ceil_mode)
    for name, value, size in (("u", u, len(windows)), ("v", v, len(windows[0]))):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise ConfigError(name, f"must be an output index from 0 to {size - 1}", value)
    cells = windows[u][v].cells
    values = [xm[c] for c in cells]
    if not cells or not all(value.is_number and value.is_extended_real for value in values):
        return PoolWindow(cells, None, ())
    top = max(values)
    best = [c for c, value in zip(cells, values) if value == top]
    return PoolWindow(cells, best[0], tuple(best[1:]))


def score_bins(scores: Sequence[float], top: float) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges of a class's score histogram: one bin per point up to 20 bins, from 0 to
    ``top`` (each bin holds its left edge; the last also ``top``).

    >>> counts, edges = score_bins([1.0, 2.5, 3.0, 3.0], 3)
    >>> counts.tolist(), edges.tolist()
    ([0, 1, 3], [0.0, 1.0, 2.0, 3.0])
    """
    bins = max(1, min(20, int(top) or 1))
    counts, edges = np.histogram(np.asarray(scores, dtype=float), bins=bins, range=(0.0, float(top) or 1.0))
    return counts, edges
