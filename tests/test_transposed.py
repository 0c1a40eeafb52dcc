"""symconv.transposed and sizes.transposed_output_size against torch's conv_transpose2d (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import tensor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import (
    ConfigError,
    conv2d_grad,
    conv_transpose2d,
    output_size,
    sym_matrix,
    transposed_output_size,
    transposed_output_size_expr,
)
from symconv.sizes import P_OUT, D, I, K, P, S
from symconv.verify import evaluate

SMALL = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AXIS = {"padding": (0, 2), "stride": (1, 3), "output_padding": (0, 2), "dilation": (1, 3)}


def torch_length(i: int, k: int, **kwargs) -> int | None:
    """torch's output length along one axis, or None when torch refuses the configuration."""
    try:
        return F.conv_transpose2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), **kwargs).shape[2]
    except RuntimeError:
        return None


# --- the output size --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("i", "k", "kwargs", "expected"), [
    (3, 3, {}, 5),
    (2, 2, {"stride": 2}, 4),
    (3, 3, {"stride": 2, "padding": 1}, 5),
    (3, 3, {"stride": 2, "padding": 1, "output_padding": 1}, 6),
    (4, 4, {"stride": 2, "padding": 1}, 8),           # the DCGAN upsampling layer doubles
    (3, 3, {"dilation": 2}, 7),
    (3, 2, {"dilation": 2, "output_padding": 1}, 6),  # output_padding >= stride is fine below the dilation
    (1, 1, {}, 1),
])
def test_transposed_output_size_table(i, k, kwargs, expected):
    assert transposed_output_size(i, k, **kwargs) == expected == torch_length(i, k, **kwargs)


@pytest.mark.parametrize(("i", "k", "kwargs", "argument"), [
    (2, 2, {"output_padding": 1}, "output_padding"),                     # not < stride 1 nor < dilation 1
    (2, 2, {"stride": 2, "output_padding": 2}, "output_padding"),
    (2, 2, {"stride": 2, "dilation": 2, "output_padding": 2}, "output_padding"),
    (2, 2, {"output_padding": -1, "stride": 2}, "output_padding"),
    (2, 2, {"padding": 2}, "padding"),                                   # 3 - 4 < 1: no output
    (2, 1, {"padding": 1}, "padding"),                                   # exactly 0: no output either
    (2, 2, {"padding": -1}, "padding"),
    (2, 2, {"stride": 0}, "stride"),
    (2, 2, {"dilation": 0}, "dilation"),
])
def test_transposed_output_size_errors_where_torch_raises(i, k, kwargs, argument):
    assert torch_length(i, k, **kwargs) is None
    with pytest.raises(ConfigError) as err:
        transposed_output_size(i, k, **kwargs)
    assert err.value.argument == argument and "\n" not in str(err.value)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8), st.integers(1, 4), *[st.integers(*AXIS[a]) for a in AXIS])
def test_transposed_output_size_matches_torch_and_inverts_output_size(i, k, p, s, a, d):
    kwargs = {"padding": p, "stride": s, "output_padding": a, "dilation": d}
    expected = torch_length(i, k, **kwargs)
    if expected is None:
        with pytest.raises(ConfigError):
            transposed_output_size(i, k, **kwargs)
        return
    out = transposed_output_size(i, k, **kwargs)
    assert out == expected
    assert transposed_output_size_expr().subs({I: i, K: k, P: p, S: s, D: d, P_OUT: a}) == out
    if a < s:  # output_padding below the stride only chooses among the inputs one convolution maps to i
        assert output_size(out, k, padding=p, stride=s, dilation=d) == i


def test_transposed_output_size_expr_forms():
    assert transposed_output_size_expr(dilation=False, output_padding=False) == (I - 1) * S - 2 * P + K
    difference = transposed_output_size_expr() - transposed_output_size_expr(dilation=False)
    assert sympy.expand(difference - (D * (K - 1) + 1 - K)) == 0


# --- the forward pass -------------------------------------------------------------------------------------------

@st.composite
def layers(draw) -> dict:
    """Mostly valid layers: output_padding below max(stride, dilation), now and then equal to it (refused)."""
    groups = draw(st.integers(1, 2))
    stride, dilation = [tuple(draw(st.integers(1, hi)) for _ in "hw") for hi in (3, 2)]
    limits = [max(s, d) for s, d in zip(stride, dilation)]
    output_padding = tuple(draw(st.integers(0, m - 1)) for m in limits)
    if draw(st.integers(0, 5)) == 0:
        output_padding = (limits[0], output_padding[1])
    return {
        "c_in": groups * draw(st.integers(1, 2)), "per_group": draw(st.integers(1, 2)),
        "x": (draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        "k": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "args": {"stride": stride, "padding": (draw(st.integers(0, 1)), draw(st.integers(0, 1))),
                 "output_padding": output_padding,
                 "dilation": dilation, "groups": groups},
        "bias": draw(st.booleans()), "seed": draw(st.integers(0, 2**32 - 1)),
    }


@SMALL
@given(layers())
def test_conv_transpose2d_matches_torch(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.integers(-3, 4, size=(cfg["c_in"], *cfg["x"]))
    w = rng.integers(-3, 4, size=(cfg["c_in"], cfg["per_group"], *cfg["k"]))
    b = rng.integers(-3, 4, size=cfg["per_group"] * cfg["args"]["groups"]) if cfg["bias"] else None
    try:
        out = F.conv_transpose2d(tensor(x.tolist()).unsqueeze(0), tensor(w.tolist()),
                                 None if b is None else tensor(b.tolist()), **cfg["args"])[0]
    except RuntimeError:
        with pytest.raises(ConfigError):
            conv_transpose2d(x, w, b, **cfg["args"])
        return
    ours = conv_transpose2d(x, w, b, **cfg["args"])
    assert [m.tolist() for m in ours] == out.numpy().astype(int).tolist() and out.numpy().tolist() == [
        np.array(m.tolist(), dtype=float).tolist() for m in ours]


@pytest.mark.parametrize("args", [
    {}, {"stride": 2, "padding": 1, "output_padding": 1}, {"stride": (2, 1), "dilation": (1, 2), "groups": 2},
])
def test_symbolic_conv_transpose2d_at_random_points(args):
    xs = [sym_matrix(n, 3, 2) for n in ("Xa", "Xb")]
    ws = [[sym_matrix(f"W{c}{o}", 2, 3) for o in "ab"] for c in "ab"]
    bs = list(sympy.symbols("b_1:5", real=True))[:2 * args.get("groups", 1)]
    out = conv_transpose2d(xs, ws, bs, **args)
    symbols = [s for m in xs + [k for f in ws for k in f] for s in m] + bs
    values = dict(zip(symbols, np.random.default_rng(11).standard_normal(len(symbols)).tolist()))
    ref = F.conv_transpose2d(tensor([evaluate(m, values).tolist() for m in xs]).unsqueeze(0),
                             tensor([[evaluate(k, values).tolist() for k in f] for f in ws]),
                             tensor([values[b] for b in bs]), **args)[0]
    np.testing.assert_allclose(np.array([evaluate(m, values) for m in out]), ref.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("args", [{}, {"stride": 2}, {"stride": (3, 1), "padding": (1, 0), "dilation": 2}])
def test_transposed_convolution_is_the_input_gradient_of_the_convolution(args):
    """Y = conv_transpose2d(G, w) is ∂E/∂x of conv2d(x, w) with upstream G, for an x of Y's shape."""
    G, B = sym_matrix("G", 2, 3), sym_matrix("B", 3, 2)
    Y = conv_transpose2d(G, B, **args)
    assert Y == conv2d_grad(sym_matrix("A", *Y.shape), B, G, **args)[0]


def test_one_matrix_in_one_matrix_out():
    assert conv_transpose2d([[1, 2]], np.array([[1, -1]]), bias=[10]) == sympy.Matrix([[11, 11, 8]])
    assert conv_transpose2d([[[1, 2]]], [[[[1, -1]]]]) == [sympy.Matrix([[1, 1, -2]])]


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: conv_transpose2d([sympy.ones(2, 2)] * 2, [[sympy.ones(2, 2)]]), "w"),   # one entry per input
    (lambda: conv_transpose2d([sympy.ones(2, 2)] * 3, [[sympy.ones(2, 2)]] * 3, groups=2), "in_channels"),
    (lambda: conv_transpose2d(sympy.ones(2, 2), sympy.ones(2, 2), groups=0), "groups"),
    (lambda: conv_transpose2d(sympy.ones(2, 2), sympy.ones(2, 2), bias=[1, 2]), "bias"),
    (lambda: conv_transpose2d(sympy.ones(2, 2), sympy.ones(2, 2), output_padding=1), "output_padding"),
    (lambda: conv_transpose2d(sympy.ones(2, 2), sympy.ones(2, 2), output_padding=(0, 2), stride=2), "output_padding"),
])
def test_bad_transposed_layers_are_config_errors(call, argument):
    with pytest.raises(ConfigError) as err:
        call()
    assert err.value.argument == argument
