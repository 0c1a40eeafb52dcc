"""A convolution layer: several input and output channels, groups, a bias, padding per side, and ReLU.

Each output channel is :func:`symconv.conv.conv2d` of its group's input channels with one filter, plus that
channel's bias; the gradients are :func:`symconv.conv.conv2d_grad`'s, summed over the output channels that read
an input channel. Padding given per side is applied as explicit zeros, then the unpadded path runs, so no index
arithmetic is written twice.

>>> from symconv import sym_matrix
>>> x = [sym_matrix("X", 2, 2), sym_matrix("Y", 2, 2)]
>>> w = [[[[1]], [[2]]]]                       # one output channel, a 1x1 kernel per input channel
>>> conv2d_layer(x, w, bias=[5])[0][0, 0]
X_11 + 2*Y_11 + 5
>>> gx, gw, gb = conv2d_layer_grad(x, w)
>>> gx[1], gw[0][0][0, 0], gb
(Matrix([
[2, 2],
[2, 2]]), X_11 + X_12 + X_21 + X_22, [4])
"""

from __future__ import annotations

from typing import Any

import sympy

from symconv.conv import ConvConfig, _channels, _is_channel_list, conv2d, conv2d_grad
from symconv.errors import ConfigError
from symconv.matrices import as_matrix
from symconv.sizes import check_int, pair

Sides = tuple[int, int, int, int]  # (top, bottom, left, right)


def channels(value: Any, argument: str = "x") -> list[sympy.Matrix]:
    """C×H×W as a list of C matrices of one shape: a channel list, a 3-D array or nested list, or one matrix.

    >>> [m.shape for m in channels([[[1, 2]], [[3, 4]]])]
    [(1, 2), (1, 2)]
    """
    if getattr(value, "ndim", None) == 3:  # numpy arrays (and tensors): one 2-D array per channel
        value = list(value)
    return _channels(value, argument)


def filters(value: Any, argument: str = "w") -> list[list[sympy.Matrix]]:
    """C_out×C_in×kh×kw as C_out lists of C_in kernels, all of one shape (a 4-D array or nested lists).

    >>> [[k.shape for k in f] for f in filters([[[[1, 2]]], [[[3, 4]]]])]
    [[(1, 2)], [(1, 2)]]
    """
    if getattr(value, "ndim", None) == 4:
        value = list(value)
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(argument, "must be a list of filters (C_out x C_in x kh x kw)", type(value).__name__)
    out = [channels(f, f"{argument}[{o}]") for o, f in enumerate(value)]
    if len({(len(f), f[0].shape) for f in out}) != 1:
        raise ConfigError(argument, "filters must all have the same number of channels and kernel shape",
                          [(len(f), f[0].shape) for f in out])
    return out


def padding_sides(padding: Any, k_shape: tuple[int, int], *, stride: Any = 1, dilation: Any = 1) -> Sides:
    """Padding as (top, bottom, left, right): an int, an (h, w) pair, four sides, 'valid' or 'same'.

    'same' pads d(k−1) in total per axis, the odd extra at the bottom/right, and needs stride 1 (PyTorch's rule).

    >>> padding_sides("same", (2, 3)), padding_sides((1, 0), (3, 3)), padding_sides((0, 1, 2, 3), (3, 3))
    ((0, 1, 1, 1), (1, 1, 0, 0), (0, 1, 2, 3))
    """
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ConfigError("padding", "must be an int, a pair, four sides, 'valid' or 'same'", padding)
        if pair("stride", stride, 1) != (1, 1):
            raise ConfigError("padding", "'same' needs stride 1 (as in PyTorch)", padding)
        totals = [d * (k - 1) for d, k in zip(pair("dilation", dilation, 1), k_shape)]
        return totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        top, bottom, left, right = (check_int("padding", p, 0) for p in padding)
        return top, bottom, left, right
    ph, pw = pair("padding", padding, 0)
    return ph, ph, pw, pw


def zero_pad(m: sympy.Matrix, sides: Sides) -> sympy.Matrix:
    """``m`` with zero rows above and below and zero columns left and right.

    >>> zero_pad(sympy.Matrix([[7]]), (0, 1, 1, 0))
    Matrix([
    [0, 7],
    [0, 0]])
    """
    top, bottom, left, right = sides
    out = sympy.zeros(m.rows + top + bottom, m.cols + left + right)
    out[top:top + m.rows, left:left + m.cols] = m
    return out


class _Layer:
    """Validated operands and configuration, shared by the forward and the backward pass."""

    def __init__(self, x: Any, w: Any, bias: Any, stride: Any, padding: Any, dilation: Any, groups: Any,
                 flip: bool):
        self.xs, self.ws = channels(x, "x"), filters(w, "w")
        self.groups = check_int("groups", groups, 1)
        c_in, c_out, per_group = len(self.xs), len(self.ws), len(self.ws[0])
        for name, count in (("in_channels", c_in), ("out_channels", c_out)):
            if count % self.groups:
                raise ConfigError(name, f"must be divisible by groups ({self.groups})", count)
        if per_group != c_in // self.groups:
            raise ConfigError("w", f"each filter must have in_channels/groups = {c_in // self.groups} kernels",
                              per_group)
        if flip:  # true convolution = cross-correlation with each kernel rotated by 180 degrees
            self.ws = [[k[::-1, ::-1] for k in f] for f in self.ws]
        self.bias = None if bias is None else bias_values(bias, c_out)
        self.sides = padding_sides(padding, self.ws[0][0].shape, stride=stride, dilation=dilation)
        top, bottom, left, right = self.sides
        self.args: dict[str, Any]
        if top == bottom and left == right:  # symmetric: conv2d's own padding, no zero products
            self.padded, self.args = self.xs, {"padding": (top, left)}
        else:
            self.padded, self.args = [zero_pad(m, self.sides) for m in self.xs], {"padding": 0}
        self.args |= {"stride": stride, "dilation": dilation}
        self.out_shape = ConvConfig.make(**self.args).out_shape(self.padded[0].shape, self.ws[0][0].shape)
        self.flip = flip

    def group_of(self, o: int) -> slice:
        """The input channels output channel ``o`` reads."""
        size, per_out = len(self.xs) // self.groups, len(self.ws) // self.groups
        g = o // per_out
        return slice(g * size, (g + 1) * size)

    def crop(self, m: sympy.Matrix) -> sympy.Matrix:
        """A gradient over the padded input, cut back to the real input (padding cells are constants)."""
        if self.padded is self.xs:
            return m
        top, _, left, _ = self.sides
        return m[top:top + self.xs[0].rows, left:left + self.xs[0].cols]


def bias_values(bias: Any, c_out: int) -> list[sympy.Expr]:
    """One exact value per output channel, from a list, a 1-D array or a SymPy vector.

    >>> bias_values((1, sympy.Symbol("b")), 2)
    [1, b]
    """
    if isinstance(bias, str) or not hasattr(bias, "__iter__"):
        raise ConfigError("bias", f"must be a list of {c_out} values", bias)
    items = list(bias)
    if len(items) != c_out:
        raise ConfigError("bias", f"must have one value per output channel ({c_out})", len(items))
    return list(as_matrix([items], "bias"))


def conv2d_layer(x: Any, w: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, flip: bool = False) -> list[sympy.Matrix]:
    """One output matrix per filter: Σ over the group's input channels of conv2d, plus the filter's bias.

    ``x`` is C_in×H×W, ``w`` is C_out×(C_in/groups)×kh×kw (PyTorch's layout), ``bias`` has C_out values.
    ``padding`` is an int, an (h, w) pair, (top, bottom, left, right), 'valid' or 'same'.

    >>> conv2d_layer([[[1, 2, 3]]], [[[[1, 1]]], [[[1, -1]]]], bias=[0, 10], padding=(0, 0, 1, 0))
    [Matrix([[1, 3, 5]]), Matrix([[9, 9, 9]])]
    """
    layer = _Layer(x, w, bias, stride, padding, dilation, groups, flip)
    out = []
    for o, f in enumerate(layer.ws):
        c = conv2d(layer.padded[layer.group_of(o)], f, **layer.args)
        out.append(c if layer.bias is None else c.applyfunc(lambda e, b=layer.bias[o]: e + b))
    return out


def conv2d_layer_grad(x: Any, w: Any, upstream: Any = None, *, stride: Any = 1, padding: Any = 0,
                      dilation: Any = 1, groups: int = 1, flip: bool = False
                      ) -> tuple[list[sympy.Matrix], list[list[sympy.Matrix]], list[sympy.Expr]]:
    """(∂E/∂x, ∂E/∂w, ∂E/∂b) for E = Σ_o Σ upstream[o] ⊙ conv2d_layer(x, w, b)[o]; ``upstream=None`` is all ones.

    ∂E/∂x has C_in matrices (each the sum over the output channels that read it), ∂E/∂w has w's layout, and
    ∂E/∂b[o] is the sum of upstream[o] (the bias does not change the other gradients, so it is not an argument).

    >>> gx, gw, gb = conv2d_layer_grad([[[1, 2, 3]]], [[[[1, -1]]]], [[[5, 7]]])
    >>> gx, gw, gb
    ([Matrix([[5, 2, -7]])], [[Matrix([[19, 31]])]], [12])
    """
    layer = _Layer(x, w, None, stride, padding, dilation, groups, flip)
    gs = [sympy.ones(*layer.out_shape)] * len(layer.ws) if upstream is None else channels(upstream, "upstream")
    if len(gs) != len(layer.ws):
        raise ConfigError("upstream", f"must have one matrix per output channel ({len(layer.ws)})", len(gs))
    grad_x = [sympy.zeros(*m.shape) for m in layer.xs]
    grad_w, grad_b = [], []
    for o, (f, g) in enumerate(zip(layer.ws, gs)):
        group = layer.group_of(o)
        dx, dw = conv2d_grad(layer.padded[group], f, g, **layer.args)
        for c, d in zip(range(group.start, group.stop), dx):
            grad_x[c] += layer.crop(d)  # every output channel that reads channel c adds its share
        # with flip the layer used the rotated kernel: the gradient of the kernel as given is rotated back
        grad_w.append([k[::-1, ::-1] for k in dw] if layer.flip else dw)
        grad_b.append(sympy.Add(*g))  # ∂(conv + b)/∂b = 1 at every output entry
    return grad_x, grad_w, grad_b


def _elementwise(x: Any, upstream: Any, fn: Any) -> Any:
    """``fn(entry, upstream entry)`` over one matrix or a channel list (the result has the same form)."""
    multi = getattr(x, "ndim", None) == 3 or _is_channel_list(x)
    xs = channels(x, "x") if multi else [as_matrix(x, "x")]
    if upstream is None:
        gs = [sympy.ones(*m.shape) for m in xs]
    else:
        gs = channels(upstream, "upstream") if multi else [as_matrix(upstream, "upstream")]
        if [g.shape for g in gs] != [m.shape for m in xs]:
            raise ConfigError("upstream", f"must have x's shape {[m.shape for m in xs]}", [g.shape for g in gs])
    out = [sympy.Matrix(m.rows, m.cols, lambda i, j, m=m, g=g: fn(m[i, j], g[i, j])) for m, g in zip(xs, gs)]
    return out if multi else out[0]


def relu(x: Any) -> Any:
    """max(0, x) entry by entry, for one matrix or a channel list; symbolic entries stay ``Max(0, e)``.

    >>> relu([[-1, 0], [2, sympy.Rational(1, 2)]])
    Matrix([
    [0,   0],
    [2, 1/2]])
    """
    return _elementwise(x, None, lambda e, _: sympy.Max(sympy.S.Zero, e))


def _relu_slope(e: sympy.Expr, g: sympy.Expr) -> sympy.Expr:
    """g where e > 0, else 0: PyTorch's rule, whose gradient at e == 0 is 0."""
    positive = e.is_positive
    if positive is None:  # a symbol of unknown sign: the rule itself, as a piecewise
        return sympy.Piecewise((g, e > 0), (0, True))
    return g if positive else sympy.S.Zero


def relu_grad(x: Any, upstream: Any = None) -> Any:
    """∂E/∂x for E = Σ upstream ⊙ relu(x): the upstream entry where x > 0, else 0 (also at x == 0, as PyTorch).

    >>> relu_grad([[-1, 0, 3]], [[5, 6, 7]])
    Matrix([[0, 0, 7]])
    """
    return _elementwise(x, upstream, _relu_slope)
