"""A stack of layers as small frozen dataclasses with PyTorch's arguments, and what courses ask about it: the shape
after each layer, the number of parameters and of multiply-adds, and the receptive field.

Layers are checked when a function walks them, so an impossible stack is a ConfigError naming the layer (1-based,
as a problem counts them) and its argument. Every output length comes from :mod:`symconv.sizes`.

>>> layers = [Conv2d(3, 8, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3)]
>>> output_shape(layers, (3, 32, 32))
[(8, 32, 32), (8, 32, 32), (8, 16, 16), (16, 14, 14)]
>>> [parameter_count(layer) for layer in layers]
[224, 0, 0, 1168]
>>> receptive_field(layers)[-1].size
(8, 8)
>>> output_shape([Conv2d(3, 8, 3), Conv2d(4, 8, 3)], (3, 8, 8))
Traceback (most recent call last):
...
symconv.errors.ConfigError: layer 2 (Conv2d): in_channels: must equal the channels of its input (8) (got 4)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from math import prod
from typing import Any

import sympy

from symconv.errors import ConfigError
from symconv.sizes import Pair, check_int, output_size, pair, pool_output_size

Shape = tuple[int, ...]  # (C, H, W), or (n,) after Flatten


@dataclass(frozen=True)
class Conv2d:
    """torch.nn.Conv2d's arguments; kernel_size, stride, padding and dilation are ints or (h, w) pairs."""

    in_channels: int
    out_channels: int
    kernel_size: Any
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    groups: int = 1
    bias: bool = True


@dataclass(frozen=True)
class MaxPool2d:
    """torch.nn.MaxPool2d's arguments (stride None is the kernel size)."""

    kernel_size: Any
    stride: Any = None
    padding: Any = 0
    dilation: Any = 1
    ceil_mode: bool = False


@dataclass(frozen=True)
class AvgPool2d:
    """torch.nn.AvgPool2d's geometry (no dilation, as in torch; its divisor does not change a shape)."""

    kernel_size: Any
    stride: Any = None
    padding: Any = 0
    ceil_mode: bool = False


@dataclass(frozen=True)
class LPPool2d:
    """torch.nn.LPPool2d's arguments (no padding, no dilation, as in torch)."""

    norm_type: float
    kernel_size: Any
    stride: Any = None
    ceil_mode: bool = False


@dataclass(frozen=True)
class ReLU:
    """Elementwise: the shape and the receptive field pass through."""


@dataclass(frozen=True)
class Flatten:
    """(C, H, W) -> (C·H·W,), as torch.nn.Flatten on a batch."""


@dataclass(frozen=True)
class Linear:
    """torch.nn.Linear on a flat input."""

    in_features: int
    out_features: int
    bias: bool = True


Layer = Conv2d | MaxPool2d | AvgPool2d | LPPool2d | ReLU | Flatten | Linear
LAYERS = (Conv2d, MaxPool2d, AvgPool2d, LPPool2d, ReLU, Flatten, Linear)
Geometry = tuple[Pair, Pair, Pair, Pair]  # kernel, stride, padding, dilation


@contextmanager
def _at(index: int, layer: object) -> Iterator[None]:
    """Prefix any ConfigError raised inside with the layer it is about."""
    try:
        yield
    except ConfigError as err:
        raise ConfigError(f"layer {index} ({type(layer).__name__}): {err.argument}", err.requirement,
                          err.got) from err


def _flag(argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(argument, "must be True or False", value)
    return value


def _geometry(layer: Layer) -> Geometry:
    """The validated (kernel, stride, padding, dilation) pairs of a layer that slides a window."""
    if isinstance(layer, ReLU):
        return (1, 1), (1, 1), (0, 0), (1, 1)
    if isinstance(layer, (Flatten, Linear)):
        raise ConfigError("layer", "has no sliding window: a receptive field needs convolution, pooling or ReLU "
                          "layers only")
    k = pair("kernel_size", layer.kernel_size, 1)
    s = k if isinstance(layer, (MaxPool2d, AvgPool2d, LPPool2d)) and layer.stride is None else \
        pair("stride", layer.stride, 1)
    p = (0, 0) if isinstance(layer, LPPool2d) else pair("padding", layer.padding, 0)
    d = pair("dilation", layer.dilation, 1) if isinstance(layer, (Conv2d, MaxPool2d)) else (1, 1)
    return k, s, p, d


def _conv_channels(layer: Conv2d) -> tuple[int, int, int]:
    c_in, c_out = check_int("in_channels", layer.in_channels, 1), check_int("out_channels", layer.out_channels, 1)
    g = check_int("groups", layer.groups, 1)
    if c_in % g or c_out % g:
        raise ConfigError("groups", f"must divide in_channels ({c_in}) and out_channels ({c_out})", g)
    _flag("bias", layer.bias)
    return c_in, c_out, g


def _check_shape(shape: object) -> Shape:
    if not isinstance(shape, (tuple, list)) or len(shape) not in (1, 3):
        raise ConfigError("input_shape", "must be (C, H, W) or a flat (n,)", shape)
    return tuple(check_int("input_shape", n, 1) for n in shape)


def _next_shape(layer: object, shape: Shape) -> Shape:
    """The shape one layer makes of ``shape`` (validated), or a ConfigError naming the argument."""
    if not isinstance(layer, LAYERS):
        raise ConfigError("layer", f"must be one of {', '.join(t.__name__ for t in LAYERS)}", layer)
    if isinstance(layer, (ReLU, Flatten)):
        return (prod(shape),) if isinstance(layer, Flatten) else shape
    if isinstance(layer, Linear):
        n_in, n_out = check_int("in_features", layer.in_features, 1), check_int("out_features", layer.out_features, 1)
        _flag("bias", layer.bias)
        if len(shape) != 1:
            raise ConfigError("input_shape", "must be flat (n,): put a Flatten before a Linear", shape)
        if n_in != shape[0]:
            raise ConfigError("in_features", f"must equal the size of its input ({shape[0]})", n_in)
        return (n_out,)
    if len(shape) != 3:
        raise ConfigError("input_shape", "must be (C, H, W), not flat", shape)
    channels = shape[0]
    if isinstance(layer, Conv2d):
        c_in, channels, _ = _conv_channels(layer)
        if c_in != shape[0]:
            raise ConfigError("in_channels", f"must equal the channels of its input ({shape[0]})", c_in)
    else:
        _flag("ceil_mode", layer.ceil_mode)
    k, s, p, d = _geometry(layer)
    if isinstance(layer, Conv2d):
        hw = [output_size(shape[1 + a], k[a], padding=p[a], stride=s[a], dilation=d[a]) for a in (0, 1)]
    else:
        hw = [pool_output_size(shape[1 + a], k[a], stride=s[a], padding=p[a], dilation=d[a],
                               ceil_mode=layer.ceil_mode) for a in (0, 1)]
    return (channels, *hw)


@dataclass(frozen=True)
class LayerSummary:
    """One row of a stack's table: layer ``index`` (1-based), its input and output shapes and its counts."""

    index: int
    layer: Layer
    input_shape: Shape
    output_shape: Shape
    parameters: int
    multiply_adds: int


def summary(layers: Sequence[Layer], input_shape: Sequence[int]) -> list[LayerSummary]:
    """The stack walked layer by layer: shapes, parameters and multiply-adds (the table a document prints).

    >>> [(r.output_shape, r.parameters, r.multiply_adds) for r in summary([Conv2d(1, 2, 3), Flatten(),
    ...                                                                      Linear(8, 1)], (1, 4, 4))]
    [((2, 2, 2), 20, 72), ((8,), 0, 0), ((1,), 9, 8)]
    """
    shape = _check_shape(input_shape)
    rows = []
    for index, layer in enumerate(layers, start=1):
        with _at(index, layer):
            rows.append(LayerSummary(index, layer, shape, _next_shape(layer, shape), parameter_count(layer),
                                     multiply_adds(layer, shape)))
        shape = rows[-1].output_shape
    return rows


def output_shape(layers: Sequence[Layer], input_shape: Sequence[int]) -> list[Shape]:
    """The shape after each layer: (C, H, W), or (n,) after a Flatten.

    >>> output_shape([MaxPool2d(2, ceil_mode=True)], (1, 5, 5))
    [(1, 3, 3)]
    """
    return [row.output_shape for row in summary(layers, input_shape)]


def parameter_count(layer: Layer) -> int:
    """Learnable numbers in a layer: weights plus biases. A convolution has C_out · (C_in/groups) · kh · kw weights
    and C_out biases; a linear layer in · out weights and out biases; pooling, ReLU and Flatten none.

    >>> parameter_count(Conv2d(4, 8, 3, groups=2, bias=False)), parameter_count(Linear(10, 3))
    (144, 33)
    """
    if isinstance(layer, Conv2d):
        c_in, c_out, g = _conv_channels(layer)
        k = pair("kernel_size", layer.kernel_size, 1)
        return c_out * (c_in // g) * k[0] * k[1] + (c_out if layer.bias else 0)
    if isinstance(layer, Linear):
        n_in, n_out = check_int("in_features", layer.in_features, 1), check_int("out_features", layer.out_features, 1)
        return n_in * n_out + (n_out if _flag("bias", layer.bias) else 0)
    if not isinstance(layer, LAYERS):
        raise ConfigError("layer", f"must be one of {', '.join(t.__name__ for t in LAYERS)}", layer)
    return 0


def multiply_adds(layer: Layer, input_shape: Sequence[int]) -> int:
    """Multiply-adds (MACs) of one layer on an input of ``input_shape``. Convention: one multiply-add per weight per
    output position, i.e. output numel · (C_in/groups) · kh · kw for a convolution (padding taps included) and
    in · out for a linear layer; the bias additions are not counted; pooling, ReLU and Flatten count 0.

    >>> multiply_adds(Conv2d(3, 8, 3, padding=1), (3, 32, 32))
    221184
    """
    shape = _check_shape(input_shape)
    out = _next_shape(layer, shape)
    if isinstance(layer, Conv2d):
        k = pair("kernel_size", layer.kernel_size, 1)
        return prod(out) * (shape[0] // layer.groups) * k[0] * k[1]
    if isinstance(layer, Linear):
        return layer.in_features * layer.out_features
    return 0


@dataclass(frozen=True)
class FieldStep:
    """The receptive field after layer ``index`` (1-based), each an (h, w) pair: the layer's effective kernel
    d(k−1)+1, stride and padding; the field's ``size`` r (input cells one output sees), ``jump`` j (input distance
    between neighbouring outputs) and ``start`` (input coordinate of the first cell output 0 sees; negative
    reaches into the padding)."""

    index: int
    layer: Layer
    kernel: Pair
    stride: Pair
    padding: Pair
    size: Pair
    jump: Pair
    start: Pair

    @property
    def centre(self) -> tuple[sympy.Rational, sympy.Rational]:
        """Input coordinate of the centre of output 0's field: start + (r−1)/2 (a half for even sizes)."""
        return tuple(self.start[a] + sympy.Rational(self.size[a] - 1, 2) for a in (0, 1))  # type: ignore[return-value]


def receptive_field(layers: Sequence[Layer], input_shape: Sequence[int] | None = None) -> list[FieldStep]:
    """The receptive field after each layer, from r = 1, j = 1, start = 0 at the input, per axis:
    r ← r + (k_eff − 1)·j, start ← start − p·j, j ← j·s, with k_eff = d(k−1)+1 (the field of an output inside the
    input; at the borders the padding cuts it). Flatten and Linear have no field (ConfigError). With
    ``input_shape`` the whole stack is checked first, as :func:`summary` does (channels, sizes, pool padding).

    >>> [(f.size, f.jump, f.start) for f in receptive_field([Conv2d(1, 1, 3, padding=1), MaxPool2d(2),
    ...                                                        Conv2d(1, 1, 3, dilation=2)])]
    [((3, 3), (1, 1), (-1, -1)), ((4, 4), (2, 2), (-1, -1)), ((12, 12), (2, 2), (-1, -1))]
    """
    if input_shape is not None:
        summary(layers, input_shape)
    r, j, start = (1, 1), (1, 1), (0, 0)
    steps = []
    for index, layer in enumerate(layers, start=1):
        with _at(index, layer):
            if not isinstance(layer, LAYERS):
                raise ConfigError("layer", f"must be one of {', '.join(t.__name__ for t in LAYERS)}", layer)
            if isinstance(layer, Conv2d):
                _conv_channels(layer)
            k, s, p, d = _geometry(layer)
        k_eff = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
        r = (r[0] + (k_eff[0] - 1) * j[0], r[1] + (k_eff[1] - 1) * j[1])
        start = (start[0] - p[0] * j[0], start[1] - p[1] * j[1])
        j = (j[0] * s[0], j[1] * s[1])
        steps.append(FieldStep(index, layer, k_eff, s, p, r, j, start))
    return steps
