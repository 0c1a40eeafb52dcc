"""1-D convolution (cross-correlation, PyTorch's conv1d) and its gradients, as the 2-D layer on 1×L matrices.

A sequence of length L is a 1×L matrix and a kernel of length k a 1×k one; with stride (1, s), padding (0, p) and
dilation (1, d) the 2-D layer's taps never move along the rows, so :func:`symconv.layer.conv2d_layer` and its
gradient are the 1-D ones and no second formula exists. Several channels are the rows of one matrix
(C×L, PyTorch's layout without the batch).

>>> from symconv import sym_matrix
>>> conv1d(sym_matrix("x", 1, 4), [1, -1], stride=2)
Matrix([[x_11 - x_12, x_13 - x_14]])
>>> conv1d([1, 2, 3, 4], [1, 1], padding=(1, 0))
Matrix([[1, 3, 5, 7]])
"""

from __future__ import annotations

from typing import Any

import sympy

from symconv.errors import ConfigError
from symconv.layer import conv2d_layer, conv2d_layer_grad
from symconv.matrices import as_matrix
from symconv.sizes import check_int


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (list, tuple, sympy.MatrixBase)) and getattr(value, "ndim", 0) == 0


def sequences(value: Any, argument: str = "x") -> sympy.Matrix:
    """C×L as a matrix whose rows are the channels: a flat sequence (one channel), a matrix, nested rows, a 1-D
    or 2-D array, or a list of 1×L row vectors.

    >>> sequences([1, 2, 3]), sequences([sympy.Matrix([[1, 2]]), sympy.Matrix([[3, 4]])]).shape
    (Matrix([[1, 2, 3]]), (2, 2))
    """
    ndim = getattr(value, "ndim", None)
    if ndim == 1 or isinstance(value, (list, tuple)) and value and ndim is None and all(map(_is_scalar, value)):
        return as_matrix([list(value)], argument)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, sympy.MatrixBase) for v in value):
        if any(v.rows != 1 for v in value) or len({v.cols for v in value}) != 1:
            raise ConfigError(argument, "channels given as matrices must be 1xL rows of one length",
                              [v.shape for v in value])
        return sympy.Matrix.vstack(*value)
    return as_matrix(value, argument)


def _is_2d(value: Any) -> bool:
    return (isinstance(value, sympy.MatrixBase) or getattr(value, "ndim", None) == 2
            or isinstance(value, (list, tuple)) and bool(value) and not _is_scalar(value[0]))


def _filters(value: Any) -> tuple[list[sympy.Matrix], bool]:
    """The filters (each C_in/groups × k) and whether ``w`` was one filter (a sequence or a single matrix)."""
    ndim = getattr(value, "ndim", None)
    several = ndim == 3 or ndim is None and isinstance(value, (list, tuple)) and bool(value) and all(
        map(_is_2d, value))
    if several:
        return [sequences(f, f"w[{o}]") for o, f in enumerate(value)], False
    return [sequences(value, "w")], True


def _axis(argument: str, value: Any, minimum: int) -> int:
    """An int or a 1-tuple (PyTorch's conv1d takes both)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return check_int(argument, value, minimum)


def _layer_args(stride: Any, padding: Any, dilation: Any, groups: Any) -> dict[str, Any]:
    """The 1-D configuration as the 2-D layer's: nothing moves along the rows."""
    if isinstance(padding, str):
        sides: Any = padding  # 'valid' / 'same' (the layer checks which)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:  # (left, right)
        sides = (0, 0, check_int("padding", padding[0], 0), check_int("padding", padding[1], 0))
    elif isinstance(padding, (tuple, list)) and len(padding) != 1:
        raise ConfigError("padding", "must be an int, (left, right), 'valid' or 'same'", padding)
    else:
        p = _axis("padding", padding, 0)
        sides = (0, 0, p, p)
    return {"stride": (1, _axis("stride", stride, 1)), "padding": sides,
            "dilation": (1, _axis("dilation", dilation, 1)), "groups": groups}


def _rows(m: sympy.Matrix) -> list[sympy.Matrix]:
    return [m[r, :] for r in range(m.rows)]


def conv1d(x: Any, w: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1, flip: bool = False) -> sympy.Matrix:
    """``out[o, u] = b[o] + Σ_c Σ_m w[o][c, m] · x_pad[c, s·u + d·m]``, as a C_out×L_out matrix (a row for one
    output channel).

    ``x`` is C_in×L (or one flat sequence), ``w`` one filter (a sequence, or C_in/groups×k) or a list of filters,
    ``padding`` an int, (left, right), 'valid' or 'same'; ``flip`` reverses the kernels (true convolution).

    >>> conv1d([[1, 2, 3], [0, 1, 0]], [[[1, 0], [0, 1]], [[0, 0], [1, 1]]], bias=[0, 5])
    Matrix([
    [2, 2],
    [6, 6]])
    """
    xs, (ws, _) = sequences(x, "x"), _filters(w)
    out = conv2d_layer(_rows(xs), [_rows(f) for f in ws], bias, flip=flip,
                       **_layer_args(stride, padding, dilation, groups))
    return sympy.Matrix.vstack(*out)


def conv1d_grad(x: Any, w: Any, upstream: Any = None, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                groups: int = 1, flip: bool = False) -> tuple[sympy.Matrix, Any, list[sympy.Expr]]:
    """(∂E/∂x, ∂E/∂w, ∂E/∂b) for E = Σ upstream ⊙ conv1d(x, w, b); ``upstream=None`` means all ones.

    ∂E/∂x is C_in×L; ∂E/∂w is one matrix when ``w`` was one filter, else a list like ``w``; ∂E/∂b has one value
    per output channel.

    >>> gx, gw, gb = conv1d_grad([1, 2, 3], [1, -1], [5, 7])
    >>> gx, gw, gb
    (Matrix([[5, 2, -7]]), Matrix([[19, 31]]), [12])
    """
    xs, (ws, single) = sequences(x, "x"), _filters(w)
    gs = None if upstream is None else _rows(sequences(upstream, "upstream"))
    gx, gw, gb = conv2d_layer_grad(_rows(xs), [_rows(f) for f in ws], gs, flip=flip,
                                   **_layer_args(stride, padding, dilation, groups))
    filters = [sympy.Matrix.vstack(*f) for f in gw]
    return sympy.Matrix.vstack(*gx), filters[0] if single else filters, gb
