"""symconv.stack against torch.nn: shapes (torch run on zeros), parameter counts (sum of numel), multiply-adds
(counted from torch's shapes), receptive fields (the input cells one output's gradient reaches), and impossible
stacks refused with the layer named, exactly where torch refuses them."""

from __future__ import annotations

import pytest
import sympy
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from symconv import ConfigError
from symconv.stack import (
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    LPPool2d,
    MaxPool2d,
    ReLU,
    multiply_adds,
    output_shape,
    parameter_count,
    receptive_field,
    summary,
)

FEW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])


def to_torch(layer) -> nn.Module:
    """The torch module with the same arguments."""
    if isinstance(layer, Conv2d):
        return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                         layer.dilation, layer.groups, layer.bias, dtype=torch.float64)
    if isinstance(layer, MaxPool2d):
        return nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, layer.dilation, ceil_mode=layer.ceil_mode)
    if isinstance(layer, AvgPool2d):
        return nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    if isinstance(layer, LPPool2d):
        return nn.LPPool2d(layer.norm_type, layer.kernel_size, layer.stride, ceil_mode=layer.ceil_mode)
    if isinstance(layer, Linear):
        return nn.Linear(layer.in_features, layer.out_features, layer.bias, dtype=torch.float64)
    return nn.Flatten() if isinstance(layer, Flatten) else nn.ReLU()


def torch_shapes(layers, input_shape) -> list[tuple[int, ...]]:
    x, shapes = torch.zeros(1, *input_shape, dtype=torch.float64), []
    with torch.no_grad():
        for layer in layers:
            x = to_torch(layer)(x)
            shapes.append(tuple(x.shape[1:]))
    return shapes


LENET = [Conv2d(1, 6, 5), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(), MaxPool2d(2), Flatten(), Linear(400, 120),
         ReLU(), Linear(120, 84)]

# (layers, input shape, shape after each layer, parameters of each layer): hand-worked, and torch must agree
STACKS = {
    "LeNet-5": (LENET, (1, 32, 32), [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5),
                                     (400,), (120,), (120,), (84,)], [156, 0, 0, 2416, 0, 0, 0, 48120, 0, 10164]),
    "32x32x3 by 32 filters 4x4: 29x29x32": ([Conv2d(3, 32, 4)], (3, 32, 32), [(32, 29, 29)], [1568]),
    "stride 2, padding 1, ceil-mode pool": ([Conv2d(3, 8, 3, stride=2, padding=1), MaxPool2d(2, ceil_mode=True)],
                                            (3, 7, 7), [(8, 4, 4), (8, 2, 2)], [224, 0]),
    "groups, no bias, dilation": ([Conv2d(4, 8, 3, dilation=2, groups=2, bias=False), AvgPool2d(3, 2, 1)],
                                  (4, 9, 9), [(8, 5, 5), (8, 3, 3)], [144, 0]),
    "depthwise, rectangular kernel": ([Conv2d(3, 3, (1, 3), padding=(0, 1), groups=3), LPPool2d(2, (2, 1))],
                                      (3, 5, 6), [(3, 5, 6), (3, 2, 6)], [12, 0]),
    "dilated max pool with padding": ([MaxPool2d(3, stride=1, padding=1, dilation=2)], (2, 6, 6), [(2, 4, 4)], [0]),
}


@pytest.mark.parametrize(("layers", "input_shape", "shapes", "params"), STACKS.values(), ids=STACKS.keys())
def test_stack_shapes_and_parameters_agree_with_torch(layers, input_shape, shapes, params):
    assert output_shape(layers, input_shape) == shapes == torch_shapes(layers, input_shape)
    assert [parameter_count(layer) for layer in layers] == params == \
        [sum(p.numel() for p in to_torch(layer).parameters()) for layer in layers]


@pytest.mark.parametrize(("layers", "input_shape", "shapes", "params"), STACKS.values(), ids=STACKS.keys())
def test_multiply_adds_counted_from_torchs_shapes(layers, input_shape, shapes, params):
    x = torch.zeros(1, *input_shape, dtype=torch.float64)
    for row, layer in zip(summary(layers, input_shape), layers, strict=True):
        module = to_torch(layer)
        with torch.no_grad():
            y = module(x)
        if isinstance(layer, Conv2d):  # one multiply-add per weight per output position: numel · C_in/g · kh · kw
            expected = y.numel() * module.weight[0].numel()
        elif isinstance(layer, Linear):
            expected = module.weight.numel()
        else:
            expected = 0
        assert row.multiply_adds == multiply_adds(layer, tuple(x.shape[1:])) == expected
        assert (row.input_shape, row.output_shape, row.parameters) == (tuple(x.shape[1:]), tuple(y.shape[1:]),
                                                                      parameter_count(layer))
        x = y


def test_multiply_adds_of_lenet_by_hand():
    # 28·28·6 outputs × 25 weights; 10·10·16 × 6·25; 400·120; 120·84; bias additions not counted
    assert [multiply_adds(row.layer, row.input_shape) for row in summary(LENET, (1, 32, 32)) if row.multiply_adds] \
        == [117600, 240000, 48000, 10080]


# --- random stacks: the engine refuses exactly what torch refuses, and agrees on the rest ---------------------------

@st.composite
def spatial_layer(draw, channels: int, pools: bool = True):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    kind = draw(st.sampled_from(["conv", "relu", "max", "avg", "lp"] if pools else ["conv", "relu", "avg"]))
    if kind == "conv":
        g = draw(st.sampled_from([1, channels]))
        return Conv2d(channels, g * draw(st.integers(1, 2)), k, s, p, d, g, draw(st.booleans()))
    if kind == "max":
        return MaxPool2d(k, draw(st.none() | st.just(s)), p, d, draw(st.booleans()))
    if kind == "avg":
        return AvgPool2d(k, draw(st.none() | st.just(s)), p, draw(st.booleans()))
    return LPPool2d(2, k, draw(st.none() | st.just(s)), draw(st.booleans())) if kind == "lp" else ReLU()


@st.composite
def stacks(draw, pools: bool = True, depth: int = 3):
    channels, layers = draw(st.integers(1, 3)), []
    first = channels
    for _ in range(draw(st.integers(1, depth))):
        layers.append(draw(spatial_layer(channels, pools)))
        if isinstance(layers[-1], Conv2d):
            channels = layers[-1].out_channels
    return layers, first


@FEW
@given(stacks(), st.integers(1, 9), st.integers(1, 9))
def test_random_stacks_shape_and_validity_match_torch(stack, H, W):
    layers, channels = stack
    try:
        theirs = torch_shapes(layers, (channels, H, W))
    except (RuntimeError, ValueError):
        theirs = None
    try:
        ours = output_shape(layers, (channels, H, W))
    except ConfigError as err:
        assert str(err).startswith("layer ")
        ours = None
    assert ours == theirs


def centre_gradient_extent(layers, input_shape, point=None) -> tuple[tuple[int, int], ...]:
    """Backpropagate from one output pixel (the centre, or ``point``) of the torch stack with positive weights and
    biases on an all-ones input; the first and last input row and column with a nonzero gradient. A max pool sends
    its gradient to one cell only, so it is replaced by a depthwise all-ones convolution of the same geometry."""
    torch.manual_seed(0)
    modules, c = [], input_shape[0]
    for layer in layers:
        c = layer.out_channels if isinstance(layer, Conv2d) else c
        if isinstance(layer, MaxPool2d):
            module = nn.Conv2d(c, c, layer.kernel_size, layer.stride or layer.kernel_size, layer.padding,
                               layer.dilation, groups=c, bias=False, dtype=torch.float64)
        else:
            module = to_torch(layer)
        for p in module.parameters():
            p.data = torch.rand_like(p) + 0.5
        modules.append(module)
    x = torch.ones(1, *input_shape, dtype=torch.float64, requires_grad=True)
    y = nn.Sequential(*modules)(x)
    u, v = point or (y.shape[2] // 2, y.shape[3] // 2)
    y[0, 0, u, v].backward()
    rows, cols = torch.nonzero(x.grad[0].abs().sum(0), as_tuple=True)
    return (u, v), ((rows.min().item(), rows.max().item()), (cols.min().item(), cols.max().item()))


@FEW
@given(stacks())
def test_receptive_field_is_the_extent_of_one_outputs_gradient(stack):
    layers, channels = stack
    field = receptive_field(layers)[-1]
    # an input large enough that the centre output's field and every intermediate cell it uses lie inside
    H = W = 2 * max(field.size) + 2 * max(field.jump) + 8
    try:
        assert receptive_field(layers, (channels, H, W))[-1] == field
    except ConfigError:   # a pool padded beyond half its kernel: refused as torch refuses it (test above)
        assume(False)
    (u, v), extent = centre_gradient_extent(layers, (channels, H, W))
    expected = tuple((field.start[a] + (u, v)[a] * field.jump[a],
                      field.start[a] + (u, v)[a] * field.jump[a] + field.size[a] - 1) for a in (0, 1))
    assert all(0 <= lo and hi < H for lo, hi in expected)
    assert extent == expected


# (layers, r, j, start, per axis) worked by hand: r ← r + (k_eff − 1)·j, start ← start − p·j, j ← j·s
FIELDS = {
    "three 3x3 convolutions": ([Conv2d(1, 1, 3)] * 3, [(3, 1, 0), (5, 1, 0), (7, 1, 0)]),
    "conv, pool, conv": ([Conv2d(1, 1, 3, padding=1), MaxPool2d(2), Conv2d(1, 1, 3)],
                         [(3, 1, -1), (4, 2, -1), (8, 2, -1)]),
    "stride 2 then dilation 2": ([Conv2d(1, 1, 3, stride=2, padding=1), Conv2d(1, 1, 3, dilation=2, padding=2)],
                                 [(3, 2, -1), (11, 2, -5)]),
    "ReLU passes through": ([Conv2d(1, 1, 5, stride=3), ReLU(), AvgPool2d(2)], [(5, 3, 0), (5, 3, 0), (8, 6, 0)]),
}


@pytest.mark.parametrize(("layers", "rows"), FIELDS.values(), ids=FIELDS.keys())
def test_receptive_field_table(layers, rows):
    steps = receptive_field(layers)
    assert [(f.size[0], f.jump[0], f.start[0]) for f in steps] == rows
    assert all(f.size[0] == f.size[1] and f.index == i for i, f in enumerate(steps, start=1))
    # padding-free stacks: the corner output sees exactly [0, r-1] when the input holds it
    if all(f.start == (0, 0) for f in steps):
        r = steps[-1].size[0]
        assert centre_gradient_extent(layers, (1, r + 3, r + 3), point=(0, 0))[1] == ((0, r - 1), (0, r - 1))


def test_receptive_field_rectangular_and_centre():
    f = receptive_field([Conv2d(1, 1, (3, 2), padding=(1, 0)), MaxPool2d((2, 3), dilation=(1, 2))])[-1]
    assert (f.size, f.jump, f.start, f.kernel) == ((4, 6), (2, 3), (-1, 0), (2, 5))
    assert f.centre == (sympy.Rational(1, 2), sympy.Rational(5, 2))


def test_max_pool_field_by_perturbation():
    # the real max pool: raising one input cell changes the output at (u, v) exactly inside its field
    layers = [Conv2d(1, 1, 3, padding=1), MaxPool2d(2, dilation=2), Conv2d(1, 1, 2)]
    f = receptive_field(layers)[-1]
    H = 16
    modules = [to_torch(layer) for layer in layers]
    for m in modules:
        for p in m.parameters():
            p.data = torch.rand_like(p) + 0.5 if p.dim() > 1 else torch.zeros_like(p)
    x = torch.zeros(H * H, 1, H, H, dtype=torch.float64)
    x.view(H * H, -1)[range(H * H), range(H * H)] = 1.0
    with torch.no_grad():
        y = nn.Sequential(*modules)(x)
    u = v = 2
    hit = torch.nonzero(y[:, 0, u, v].view(H, H) > 0, as_tuple=True)
    lo = (f.start[0] + u * f.jump[0], f.start[1] + v * f.jump[1])
    assert (hit[0].min().item(), hit[0].max().item()) == (lo[0], lo[0] + f.size[0] - 1)
    assert (hit[1].min().item(), hit[1].max().item()) == (lo[1], lo[1] + f.size[1] - 1)


# --- impossible stacks ---------------------------------------------------------------------------------------------

BAD = {
    "kernel larger than its padded input at layer 3": (
        [Conv2d(1, 1, 3), MaxPool2d(2), Conv2d(1, 1, 5)], (1, 8, 8), "layer 3 (Conv2d): kernel_size:"),
    "channel mismatch": ([Conv2d(3, 8, 3), ReLU(), Conv2d(4, 8, 3)], (3, 9, 9), "layer 3 (Conv2d): in_channels:"),
    "input channels": ([Conv2d(1, 8, 3)], (3, 9, 9), "layer 1 (Conv2d): in_channels:"),
    "groups do not divide in_channels": ([Conv2d(4, 6, 3, groups=3)], (4, 5, 5), "layer 1 (Conv2d): groups:"),
    "groups do not divide out_channels": ([Conv2d(4, 6, 3, groups=4)], (4, 5, 5), "layer 1 (Conv2d): groups:"),
    "pool padding above half the kernel": ([ReLU(), MaxPool2d(2, padding=2)], (1, 8, 8),
                                           "layer 2 (MaxPool2d): padding:"),
    "pool larger than its input": ([AvgPool2d(3)], (1, 2, 8), "layer 1 (AvgPool2d): kernel_size:"),
    "stride 0": ([Conv2d(1, 1, 3, stride=0)], (1, 5, 5), "layer 1 (Conv2d): stride:"),
    "Linear on a 3-D input": ([Linear(4, 2)], (1, 2, 2), "layer 1 (Linear): input_shape:"),
    "Linear size mismatch": ([Flatten(), Linear(5, 2)], (1, 2, 2), "layer 2 (Linear): in_features:"),
}


@pytest.mark.parametrize(("layers", "input_shape", "message"), BAD.values(), ids=BAD.keys())
def test_impossible_stacks_name_the_layer_and_torch_refuses_them_too(layers, input_shape, message):
    with pytest.raises(ConfigError) as err:
        output_shape(layers, input_shape)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    with pytest.raises((RuntimeError, ValueError)):
        torch_shapes(layers, input_shape)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: output_shape([Flatten(), Conv2d(4, 1, 1)], (1, 2, 2)), "layer 2 (Conv2d): input_shape: must be (C, H, W)"),
    (lambda: output_shape([Conv2d(1, 1, 1, bias=1)], (1, 2, 2)), "layer 1 (Conv2d): bias: must be True or False"),
    (lambda: output_shape([MaxPool2d(2, ceil_mode="yes")], (1, 2, 2)), "layer 1 (MaxPool2d): ceil_mode:"),
    (lambda: output_shape([ReLU(), "conv"], (1, 2, 2)), "layer 2 (str): layer: must be one of Conv2d"),
    (lambda: output_shape([ReLU()], (1, 0, 2)), "input_shape: must be an integer >= 1"),
    (lambda: output_shape([ReLU()], (2, 2)), "input_shape: must be (C, H, W) or a flat (n,)"),
    (lambda: receptive_field([Conv2d(1, 1, 3), Flatten()]), "layer 2 (Flatten): layer: has no sliding window"),
    (lambda: receptive_field([Conv2d(2, 3, 3, groups=2)]), "layer 1 (Conv2d): groups:"),
    (lambda: receptive_field([MaxPool2d(2, dilation=0)]), "layer 1 (MaxPool2d): dilation:"),
    (lambda: receptive_field([ReLU(), MaxPool2d(2, padding=2)], (1, 8, 8)), "layer 2 (MaxPool2d): padding:"),
    (lambda: receptive_field([Conv2d(3, 1, 3)], (1, 8, 8)), "layer 1 (Conv2d): in_channels:"),
    (lambda: parameter_count(Conv2d(0, 1, 1)), "in_channels: must be an integer >= 1"),
    (lambda: multiply_adds(Conv2d(2, 1, 3), (1, 5, 5)), "in_channels: must equal the channels of its input (1)"),
])
def test_argument_errors_are_one_line_config_errors(call, message):
    with pytest.raises(ConfigError) as err:
        call()
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
