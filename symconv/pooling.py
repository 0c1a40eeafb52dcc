"""Symbolic 2-D max, average and LP pooling with PyTorch's arguments, and their gradients.

Every function walks the same windows (:func:`pool_windows`), which follow PyTorch: stride defaults to the
kernel size, padding cells are never chosen by max and count as zeros for the average, and ``ceil_mode`` keeps a
last partial window unless it would start inside the padding.

>>> from symconv import sym_matrix
>>> X = sym_matrix("X", 2, 4)
>>> max_pool2d(X, 2)
Matrix([[Max(X_11, X_12, X_21, X_22), Max(X_13, X_14, X_23, X_24)]])
>>> avg_pool2d([[1, 2], [3, 5]], 2)
Matrix([[11/4]])
>>> lp_pool2d([[3, 4]], 2, (1, 2))
Matrix([[5]])
>>> max_pool2d_grad([[1, 3], [3, 2]], 2)
Matrix([
[0, 1],
[0, 0]])

The two argument rules the symbolic and numeric pooling share (:func:`check_divisor_override`,
:func:`check_norm_type`) live here, written once.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import sympy

from symconv.errors import ConfigError
from symconv.matrices import as_matrix
from symconv.norms import check_norm
from symconv.sizes import pair, pool_output_size


@dataclass(frozen=True)
class Window:
    """Output entry (u, v), 0-based; its real input cells in row-major order; the size of the window clipped to
    the padded input (PyTorch's count_include_pad divisor); and the full kernel size."""

    u: int
    v: int
    cells: tuple[tuple[int, int], ...]
    padded_count: int
    kernel_count: int


def pool_windows(shape: tuple[int, int], kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, ceil_mode: bool = False) -> list[list[Window]]:
    """The pooling windows, as rows of :class:`Window`.

    >>> [w.cells for w in pool_windows((3, 3), 2, ceil_mode=True)[1]]
    [((2, 0), (2, 1)), ((2, 2),)]
    """
    k = pair("kernel_size", kernel_size, 1)
    s = pair("stride", k if stride is None else stride, 1)
    p = pair("padding", padding, 0)
    d = pair("dilation", dilation, 1)
    outs = [pool_output_size(shape[a], k[a], stride=s[a], padding=p[a], dilation=d[a], ceil_mode=ceil_mode)
            for a in (0, 1)]

    def axis(a: int, o: int) -> tuple[list[int], int]:
        start = o * s[a] - p[a]
        idx = [start + d[a] * m for m in range(k[a])]
        end = min(start + d[a] * (k[a] - 1) + 1, shape[a] + p[a])  # clipped to the padded extent
        return [i for i in idx if 0 <= i < shape[a]], len(range(start, end, d[a]))

    rows = []
    for u in range(outs[0]):
        ri, rn = axis(0, u)
        row = []
        for v in range(outs[1]):
            ci, cn = axis(1, v)
            row.append(Window(u, v, tuple((a, b) for a in ri for b in ci), rn * cn, k[0] * k[1]))
        rows.append(row)
    return rows


def _pool(x: Any, windows: list[list[Window]], reduce: Any) -> sympy.Matrix:
    xl = as_matrix(x, "x").tolist()
    return sympy.Matrix([[reduce([xl[a][b] for a, b in w.cells], w) for w in row] for row in windows])


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False) -> sympy.Matrix:
    """Max pooling: each output entry is ``Max`` of its window (a number when the entries are numbers)."""
    xm = as_matrix(x, "x")
    return _pool(xm, pool_windows(xm.shape, kernel_size, stride, padding, dilation, ceil_mode),
                 lambda vals, w: sympy.Max(*vals))


def check_divisor_override(divisor_override: object) -> int | None:
    """avg_pool2d's ``divisor_override`` by PyTorch's rule: None, or a nonzero integer (negative ones too; not a
    bool, not a float), for the symbolic and the numeric pooling alike.

    >>> check_divisor_override(-2), check_divisor_override(None)
    (-2, None)
    >>> check_divisor_override(True)
    Traceback (most recent call last):
    ...
    symconv.errors.ConfigError: divisor_override: must be a nonzero integer or None (got True)
    """
    if divisor_override is None:
        return None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, numbers.Integral) \
            or int(divisor_override) == 0:
        raise ConfigError("divisor_override", "must be a nonzero integer or None", divisor_override)
    return int(divisor_override)


def _divisor(w: Window, count_include_pad: bool, divisor_override: int | None) -> int:
    if divisor_override is not None:
        return divisor_override
    return w.padded_count if count_include_pad else len(w.cells)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> sympy.Matrix:
    """Average pooling with PyTorch's divisor: ``divisor_override``, else the window clipped to the padded input
    (``count_include_pad``), else the number of real cells.

    >>> avg_pool2d([[1, 2], [3, 5]], 2, divisor_override=-2)
    Matrix([[-11/2]])
    """
    divisor_override = check_divisor_override(divisor_override)
    xm = as_matrix(x, "x")
    return _pool(xm, pool_windows(xm.shape, kernel_size, stride, padding, 1, ceil_mode),
                 lambda vals, w: sympy.Add(*vals) / _divisor(w, count_include_pad, divisor_override))


def _lp_scale(w: Window, norm: str) -> sympy.Expr:
    """The factor c in (c Σ x^p)^(1/p): PyTorch's K/n (1 for full windows), or 1/n for the power mean."""
    check_norm(norm)
    n = len(w.cells)
    return sympy.Rational(w.kernel_count, n) if norm == "torch" else sympy.Rational(1, n)


def check_norm_type(norm_type: object, symbolic: bool = True) -> sympy.Expr:
    """LP pooling's exponent p, for the symbolic and the numeric pooling alike: a nonzero real number, or ``inf``
    (max pooling, the limit p -> oo); with ``symbolic``, also an expression in symbols. NaN, -inf (PyTorch's
    min of |x|, no LP pooling), 0, complex numbers, bools and strings are ConfigErrors.

    >>> check_norm_type(float("inf")), check_norm_type(2.5)
    (oo, 2.50000000000000)
    >>> check_norm_type(float("nan"))
    Traceback (most recent call last):
    ...
    symconv.errors.ConfigError: norm_type: must be a nonzero real number or inf, not NaN or -inf (got nan)
    """
    requirement = "must be a nonzero real number or inf, not NaN or -inf"
    if isinstance(norm_type, sympy.Expr) and not norm_type.is_number:
        if not symbolic:
            raise ConfigError("norm_type", requirement + " (numeric pooling needs a number)", norm_type)
        if norm_type.is_zero:
            raise ConfigError("norm_type", requirement, norm_type)
        return norm_type
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real | sympy.Expr):
        raise ConfigError("norm_type", requirement, norm_type)
    p = sympy.sympify(norm_type)  # a number here (checked above), never text
    if p is sympy.nan or not p.is_extended_real or p.is_zero or p == -sympy.oo:
        raise ConfigError("norm_type", requirement, norm_type)
    return p


def lp_pool2d(x: Any, norm_type: Any, kernel_size: Any, stride: Any = None, ceil_mode: bool = False,
              norm: str = "torch") -> sympy.Matrix:
    """LP pooling, ``(c Σ x^p)^(1/p)`` over each window; ``norm_type = inf`` is max pooling (the limit p -> oo,
    as in symconv.numeric).

    ``norm="torch"`` is PyTorch's definition (c = 1 on full windows; K/n on a partial ceil-mode window, as its
    implementation scales); ``norm="normalized"`` is the power mean, c = 1/n. ``norm_type`` may be a symbol.

    >>> p = sympy.Symbol("p", positive=True)
    >>> lp_pool2d([[1, 2]], p, (1, 2), norm="normalized")
    Matrix([[(2**p/2 + 1/2)**(1/p)]])
    >>> lp_pool2d([[1, 2, 3, 5]], float("inf"), (1, 2))
    Matrix([[2, 5]])
    """
    p, norm = check_norm_type(norm_type), check_norm(norm)
    xm = as_matrix(x, "x")
    windows = pool_windows(xm.shape, kernel_size, stride, 0, 1, ceil_mode)
    if p == sympy.oo:
        return _pool(xm, windows, lambda vals, w: sympy.Max(*vals))
    return _pool(xm, windows, lambda vals, w: (_lp_scale(w, norm) * sympy.Add(*(v**p for v in vals))) ** (1 / p))


def _upstream(upstream: Any, windows: list[list[Window]]) -> list[list[sympy.Expr]]:
    shape = (len(windows), len(windows[0]))
    if upstream is None:
        return sympy.ones(*shape).tolist()
    g = as_matrix(upstream, "upstream")
    if g.shape != shape:
        raise ConfigError("upstream", f"must have the output's shape {shape}", g.shape)
    return g.tolist()


def _scatter(xm: sympy.Matrix, windows: list[list[Window]], upstream: Any, local: Any) -> sympy.Matrix:
    """∂E/∂x = Σ over windows of upstream · ∂Y/∂x_cell, where ``local(window) -> {cell: ∂Y/∂x_cell}``."""
    g = _upstream(upstream, windows)
    grad = [[sympy.Integer(0)] * xm.cols for _ in range(xm.rows)]
    for row in windows:
        for w in row:
            for (a, b), d in local(w).items():
                grad[a][b] += g[w.u][w.v] * d
    return sympy.Matrix(grad)


@dataclass(frozen=True)
class MaxRoute:
    """Where one max-pooling window sends its upstream gradient. ``winner`` is the first cell holding the maximum
    in the window's row-major scan (PyTorch's tie rule; None for a window of padding only, whose maximum is -oo);
    ``ties`` lists every cell holding the maximum, the winner first. Cells are 0-based, as in :class:`Window`."""

    window: Window
    maximum: sympy.Expr
    winner: tuple[int, int] | None
    ties: tuple[tuple[int, int], ...]


def max_pool2d_routes(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                      ceil_mode: bool = False) -> list[list[MaxRoute]]:
    """Each max-pooling window's maximum, the cell that wins it and the cells tied with it, as rows of
    :class:`MaxRoute`. The scan keeps a later cell only if it is strictly greater, so the first maximum wins.
    Entries are compared exactly (PyTorch compares their float64 roundings: values closer than that may differ).
    Needs real numeric entries.

    >>> r = max_pool2d_routes([[5, 1], [5, 2]], 2)[0][0]
    >>> r.maximum, r.winner, r.ties
    (5, (0, 0), ((0, 0), (1, 0)))
    """
    xm = as_matrix(x, "x")
    if not all(e.is_number and e.is_real for e in xm):
        raise ConfigError("x", "max pooling's gradient needs real numeric entries to find each window's maximum")

    def route(w: Window) -> MaxRoute:
        if not w.cells:  # a window of padding only: its max is -inf and nothing receives a gradient
            return MaxRoute(w, -sympy.oo, None, ())
        best = w.cells[0]
        for cell in w.cells[1:]:
            if xm[cell] > xm[best]:  # strictly greater: the first maximum wins
                best = cell
        ties = tuple(c for c in w.cells if not xm[c] < xm[best])
        return MaxRoute(w, xm[best], best, ties)
    return [[route(w) for w in row] for row in pool_windows(xm.shape, kernel_size, stride, padding, dilation,
                                                             ceil_mode)]


def max_pool2d_argmax(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                      ceil_mode: bool = False) -> list[list[tuple[int, int] | None]]:
    """The 1-based (i, j) of the input entry x_ij that receives each output's gradient (its window's first
    maximum), None for a window of padding only. PyTorch's ``return_indices`` holds (i-1)·W + (j-1).

    >>> max_pool2d_argmax([[1, 3, 3, 0], [3, 2, 0, 3]], 2)
    [[(1, 2), (1, 3)]]
    """
    return [[None if r.winner is None else (r.winner[0] + 1, r.winner[1] + 1) for r in row]
            for row in max_pool2d_routes(x, kernel_size, stride, padding, dilation, ceil_mode)]


def max_pool2d_grad(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                    ceil_mode: bool = False, upstream: Any = None) -> sympy.Matrix:
    """∂E/∂x for max pooling: each window's upstream entry goes to its first maximum in row-major order
    (PyTorch's tie rule, :func:`max_pool2d_routes`); overlapping windows accumulate. Needs numeric entries to find
    the maxima."""
    xm = as_matrix(x, "x")
    routes = max_pool2d_routes(xm, kernel_size, stride, padding, dilation, ceil_mode)
    winner = {(r.window.u, r.window.v): r.winner for row in routes for r in row}

    def first_max(w: Window) -> dict[tuple[int, int], sympy.Expr]:
        cell = winner[(w.u, w.v)]
        return {} if cell is None else {cell: sympy.Integer(1)}
    return _scatter(xm, [[r.window for r in row] for row in routes], upstream, first_max)


def avg_pool2d_grad(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                    count_include_pad: bool = True, divisor_override: int | None = None,
                    upstream: Any = None) -> sympy.Matrix:
    """∂E/∂x for average pooling: each window spreads upstream/divisor over its real cells.

    >>> avg_pool2d_grad([[1, 2], [3, 5]], 2, divisor_override=-2)
    Matrix([
    [-1/2, -1/2],
    [-1/2, -1/2]])
    """
    divisor_override = check_divisor_override(divisor_override)
    xm = as_matrix(x, "x")
    windows = pool_windows(xm.shape, kernel_size, stride, padding, 1, ceil_mode)
    return _scatter(xm, windows, upstream, lambda w: {
        c: sympy.Rational(1, _divisor(w, count_include_pad, divisor_override)) for c in w.cells})


def lp_pool2d_grad(x: Any, norm_type: Any, kernel_size: Any, stride: Any = None, ceil_mode: bool = False,
                   norm: str = "torch", upstream: Any = None) -> sympy.Matrix:
    """∂E/∂x for LP pooling by the chain rule: with Y = (c S)^(1/p) and S = Σ x^p,
    ∂Y/∂x_i = c · x_i^(p-1) · (c S)^(1/p - 1); for ``norm_type = inf``, max pooling's gradient. Where a window
    sum S is 0 the gradient is 0 (NaN if some x_i^(p-1) is infinite), as PyTorch sets it.

    >>> lp_pool2d_grad([[3, 4]], 2, (1, 2))
    Matrix([[3/5, 4/5]])
    >>> lp_pool2d_grad([[3, 4]], float("inf"), (1, 2))
    Matrix([[0, 1]])
    >>> lp_pool2d_grad([[0, 0, -1, 1]], 1, (1, 2))
    Matrix([[0, 0, 0, 0]])
    """
    p, norm = check_norm_type(norm_type), check_norm(norm)
    if p == sympy.oo:
        return max_pool2d_grad(x, kernel_size, stride, 0, 1, ceil_mode, upstream)
    xm = as_matrix(x, "x")
    windows = pool_windows(xm.shape, kernel_size, stride, 0, 1, ceil_mode)

    def local(w: Window) -> dict[tuple[int, int], sympy.Expr]:
        c = _lp_scale(w, norm)
        inner = c * sympy.Add(*(xm[cell] ** p for cell in w.cells))
        # torch's sign(S)·relu(|S|) passes no gradient where the window sum is 0 (0·oo stays NaN, as in torch)
        outer = sympy.Integer(0) if inner.is_zero else inner ** (1 / p - 1)
        return {cell: c * _power(xm[cell], p - 1) * outer for cell in w.cells}
    return _scatter(xm, windows, upstream, local)


def _power(x: sympy.Expr, e: sympy.Expr) -> sympy.Expr:
    """x**e, but 0 to a negative power is +oo (torch's pow, the limit from x > 0), not SymPy's complex zoo."""
    return sympy.oo if x.is_zero and e.is_negative else x**e
