"""Symbolic 2-D convolution and its gradients, derived by index arithmetic.

Deep learning's "convolution" is cross-correlation (PyTorch's semantics, the default here):
``C[u, v] = Σ_{m,n} w[m, n] · x_pad[s·u + d·m, s·v + d·n]``. ``flip=True`` rotates the kernel by 180° first, which
is true convolution. Every function below walks the same list of *taps* (output entry, kernel entry, input
entry), so the forward pass, both gradients and the chain-rule expansion cannot disagree about which input entry
meets which kernel entry. Nothing is differentiated: ∂C[u,v]/∂x[a,b] is read off the taps.

>>> from symconv import sym_matrix
>>> A, B = sym_matrix("A", 3, 3), sym_matrix("B", 2, 2)
>>> conv2d(A, B)[0, 0]
A_11*B_11 + A_12*B_12 + A_21*B_21 + A_22*B_22
>>> dA, dB = conv2d_grad(A, B)
>>> dA[1, 1]
B_11 + B_12 + B_21 + B_22
>>> dB[0, 0]
A_11 + A_12 + A_21 + A_22
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import sympy

from symconv.errors import ConfigError
from symconv.matrices import as_matrix
from symconv.sizes import Pair, output_size, pair


@dataclass(frozen=True)
class ConvConfig:
    """Validated stride, padding and dilation, each an (h, w) pair."""

    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)

    @classmethod
    def make(cls, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> ConvConfig:
        """A validated config from ints or (h, w) pairs; a bad value is a ConfigError.

        >>> ConvConfig.make(stride=2, padding=(1, 0))
        ConvConfig(stride=(2, 2), padding=(1, 0), dilation=(1, 1))"""
        return cls(pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1))

    def out_shape(self, in_shape: Pair, k_shape: Pair) -> Pair:
        """The (h, w) output shape for an input and a kernel shape (``output_size`` per axis).

        >>> ConvConfig.make(stride=2).out_shape((5, 5), (3, 3))
        (2, 2)"""
        return tuple(  # type: ignore[return-value]
            output_size(in_shape[a], k_shape[a], padding=self.padding[a], stride=self.stride[a],
                        dilation=self.dilation[a]) for a in (0, 1))


class Tap(NamedTuple):
    """Output entry (u, v) reads input entry (a, b) through kernel entry (m, n); all 0-based, unpadded."""

    u: int
    v: int
    m: int
    n: int
    a: int
    b: int


def taps(in_shape: Pair, k_shape: Pair, cfg: ConvConfig) -> Iterator[Tap]:
    """Every (output, kernel, input) triple whose input entry is real (padding cells are zero and skipped)."""
    (H, W), (kh, kw) = in_shape, k_shape
    oh, ow = cfg.out_shape(in_shape, k_shape)
    (sh, sw), (ph, pw), (dh, dw) = cfg.stride, cfg.padding, cfg.dilation
    for u in range(oh):
        for m in range(kh):
            a = sh * u + dh * m - ph
            if not 0 <= a < H:
                continue
            for v in range(ow):
                for n in range(kw):
                    b = sw * v + dw * n - pw
                    if 0 <= b < W:
                        yield Tap(u, v, m, n, a, b)


def _is_channel_list(value: Any) -> bool:
    """True for a list of 2-D matrices (channels), False for one matrix given as nested lists."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    first = value[0]
    return (isinstance(first, sympy.MatrixBase) or getattr(first, "ndim", 0) == 2
            or isinstance(first, (list, tuple)) and bool(first) and isinstance(first[0], (list, tuple)))


def _channels(value: Any, argument: str) -> list[sympy.Matrix]:
    """One matrix, or a list of channel matrices of one shape."""
    if not _is_channel_list(value):
        return [as_matrix(value, argument)]
    mats = [as_matrix(c, f"{argument}[{k}]") for k, c in enumerate(value)]
    if len({m.shape for m in mats}) != 1:
        raise ConfigError(argument, "channels must all have the same shape", [m.shape for m in mats])
    return mats


def _prepare(x: Any, w: Any, flip: bool = False) -> tuple[list[sympy.Matrix], list[sympy.Matrix]]:
    xs, ws = _channels(x, "x"), _channels(w, "w")
    if len(xs) != len(ws):
        raise ConfigError("w", f"must have one kernel per input channel ({len(xs)})", len(ws))
    if flip:  # true convolution = cross-correlation with the kernel rotated by 180 degrees
        ws = [k[::-1, ::-1] for k in ws]
    return xs, ws


def conv2d(x: Any, w: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           flip: bool = False) -> sympy.Matrix:
    """The symbolic output of convolving ``x`` with ``w`` (cross-correlation unless ``flip``).

    ``x`` and ``w`` are SymPy matrices (or nested lists / arrays), or lists of channel matrices, which are summed
    over input channels. stride, padding and dilation are each an int or an (h, w) pair.

    >>> conv2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    Matrix([
    [-4, -4],
    [-4, -4]])
    >>> conv2d([[1, 2], [3, 4]], [[1, 0], [0, 0]], flip=True)
    Matrix([[4]])
    """
    xs, ws = _prepare(x, w, flip)
    cfg = ConvConfig.make(stride, padding, dilation)
    oh, ow = cfg.out_shape(xs[0].shape, ws[0].shape)
    terms: list[list[list[sympy.Expr]]] = [[[] for _ in range(ow)] for _ in range(oh)]
    for xc, wc in zip(xs, ws):
        xl, wl = xc.tolist(), wc.tolist()  # plain lists: Matrix indexing costs microseconds per call
        for t in taps(xc.shape, wc.shape, cfg):
            terms[t.u][t.v].append(_product(wl[t.m][t.n], xl[t.a][t.b]))
    return sympy.Matrix(oh, ow, lambda u, v: _sum(terms[u][v]))


def _assumptions(s: sympy.Symbol) -> tuple[Any, ...]:
    """What Basic.compare looks at after the name (symbols with other assumptions order by that first)."""
    return s._hashable_content()[1:]


def _product(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """a*b, fast for the common case of two symbols (or a one), which is most of every gradient.

    SymPy's Mul spends its time canonicalising; for two distinct symbols the canonical form is just the pair in
    ``Basic.compare`` order, so build it directly (``_product(x, y) == x*y`` is tested).
    """
    if a is sympy.S.One:
        return b
    if b is sympy.S.One:
        return a
    if (type(a) is sympy.Symbol and type(b) is sympy.Symbol and a.name != b.name
            and _assumptions(a) == _assumptions(b)):
        # Basic.compare orders two plain symbols with equal assumptions and different names by name
        return sympy.Mul._from_args((a, b) if a.name < b.name else (b, a), is_commutative=True)
    return a * b


def _sum_key(term: sympy.Expr) -> tuple[str, ...] | None:
    """The canonical sort key of a symbol or a product of two symbols, else None."""
    if type(term) is sympy.Symbol:
        return (term.name,)
    if type(term) is sympy.Mul and len(term.args) == 2 and all(type(f) is sympy.Symbol for f in term.args):
        return (term.args[0].name, term.args[1].name)
    return None


def _sum(terms: list[sympy.Expr]) -> sympy.Expr:
    """Add(*terms), fast for distinct symbols or distinct products of two symbols (every symbolic gradient).

    For such terms (all symbols with the same assumptions) Basic.compare reduces to comparing names, so the
    canonical order is a plain sort by name and nothing needs collecting; anything else goes through SymPy's
    Add (``_sum(t) == Add(*t)`` is tested).
    """
    if len(terms) > 1:
        keys = [_sum_key(t) for t in terms]
        if (None not in keys and len({len(k) for k in keys}) == 1 and len(set(keys)) == len(keys)  # type: ignore
                and len({_assumptions(s) for t in terms for s in (t.args or (t,))}) == 1):
            order = sorted(range(len(terms)), key=keys.__getitem__)  # type: ignore[arg-type]  # no None key here
            return sympy.Add._from_args([terms[k] for k in order], is_commutative=True)
    return sympy.Add(*terms)


def _upstream(upstream: Any, out_shape: Pair) -> sympy.Matrix:
    if upstream is None:
        return sympy.ones(*out_shape)
    g = as_matrix(upstream, "upstream")
    if g.shape != out_shape:
        raise ConfigError("upstream", f"must have the output's shape {out_shape}", g.shape)
    return g


def conv2d_grad(x: Any, w: Any, upstream: Any = None, *, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, flip: bool = False) -> tuple[Any, Any]:
    """(∂E/∂x, ∂E/∂w) for E = Σ upstream ⊙ conv2d(x, w, flip=flip); ``upstream=None`` means all ones.

    Each entry is a sum of kernel terms (times upstream entries), the way a student writes it. With channel
    lists, both results are lists of channel matrices. With ``flip`` (true convolution) ∂E/∂w is the gradient of
    the kernel as given: the rotated kernel's gradient, rotated back.

    >>> from symconv import sym_matrix
    >>> dA, _ = conv2d_grad(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), sym_matrix("G", 2, 2))
    >>> dA[0, 1]
    B_11*G_12 + B_12*G_11
    """
    xs, ws = _prepare(x, w, flip)
    multi = _is_channel_list(x)
    cfg = ConvConfig.make(stride, padding, dilation)
    gl = _upstream(upstream, cfg.out_shape(xs[0].shape, ws[0].shape)).tolist()
    dxs, dws = [], []
    for xc, wc in zip(xs, ws):
        dx: list[list[list[sympy.Expr]]] = [[[] for _ in range(xc.cols)] for _ in range(xc.rows)]
        dw: list[list[list[sympy.Expr]]] = [[[] for _ in range(wc.cols)] for _ in range(wc.rows)]
        xl, wl = xc.tolist(), wc.tolist()
        for t in taps(xc.shape, wc.shape, cfg):
            gt = gl[t.u][t.v]
            dx[t.a][t.b].append(_product(gt, wl[t.m][t.n]))
            dw[t.m][t.n].append(_product(gt, xl[t.a][t.b]))
        dxs.append(sympy.Matrix(xc.rows, xc.cols, lambda a, b, dx=dx: _sum(dx[a][b])))
        dws.append(sympy.Matrix(wc.rows, wc.cols, lambda m, n, dw=dw: _sum(dw[m][n])))
    if flip:  # the taps ran through the rotated kernel: its gradient, rotated back, is the given kernel's
        dws = [d[::-1, ::-1] for d in dws]
    return (dxs, dws) if multi else (dxs[0], dws[0])

