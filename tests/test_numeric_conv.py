"""symconv.numeric.conv2d and conv2d_backward against torch (the oracle), float64, rtol 1e-10.

atol 1e-12 on top of rtol only absorbs cancellation in sums of standard-normal terms that land near zero.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv.errors import ConfigError
from symconv.numeric import conv2d, conv2d_backward

RTOL, ATOL = 1e-10, 1e-12
A = [[4, 5, 2, 2, 1], [3, 3, 2, 2, 4], [4, 3, 4, 1, 1], [5, 1, 4, 1, 2], [5, 1, 3, 1, 4]]
B = [[4, 3, 3], [5, 5, 5], [2, 4, 3]]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


def close(ours, theirs) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


@st.composite
def conv_configs(draw) -> dict:
    groups = draw(st.integers(1, 4))
    c_in = groups * draw(st.integers(1, 4 // groups))
    c_out = groups * draw(st.integers(1, 4 // groups))
    pairs = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi))  # noqa: E731
    stride = draw(pairs(1, 3))
    named = st.sampled_from(["valid", "same"])
    padding = draw(pairs(0, 2) | named) if stride == (1, 1) else draw(pairs(0, 2))
    return {
        "x": (draw(st.integers(1, 3)), c_in, draw(st.integers(1, 16)), draw(st.integers(1, 16))),
        "w": (c_out, c_in // groups, draw(st.integers(1, 5)), draw(st.integers(1, 5))),
        "bias": draw(st.booleans()),
        "args": {"stride": stride, "padding": padding, "dilation": draw(pairs(1, 3)), "groups": groups},
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def torch_conv(cfg: dict):
    """(x, w, bias, out) as torch tensors with grad, or None when torch rejects the configuration."""
    rng = np.random.default_rng(cfg["seed"])
    x = torch.tensor(rng.standard_normal(cfg["x"]), requires_grad=True)
    w = torch.tensor(rng.standard_normal(cfg["w"]), requires_grad=True)
    b = torch.tensor(rng.standard_normal(cfg["w"][0]), requires_grad=True) if cfg["bias"] else None
    try:
        return x, w, b, F.conv2d(x, w, b, **cfg["args"])
    except (RuntimeError, ValueError):
        return None


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@PROPERTY
@given(conv_configs())
def test_forward_and_gradients_match_torch(cfg):
    run = torch_conv(cfg)
    assume(run is not None)
    x, w, b, out = run
    bias = None if b is None else b.detach().numpy()
    close(conv2d(x.detach().numpy(), w.detach().numpy(), bias, **cfg["args"]), out)
    grad_out = np.random.default_rng(cfg["seed"] + 1).standard_normal(out.shape)
    out.backward(torch.tensor(grad_out))
    gx, gw, gb = conv2d_backward(x.detach().numpy(), w.detach().numpy(), grad_out, **cfg["args"])
    close(gx, x.grad)
    close(gw, w.grad)
    if b is not None:
        close(gb, b.grad)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@PROPERTY
@given(conv_configs())
def test_rejects_exactly_what_torch_rejects(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x, w = rng.standard_normal(cfg["x"]), rng.standard_normal(cfg["w"])
    if torch_conv(cfg) is None:
        with pytest.raises(ConfigError):
            conv2d(x, w, **cfg["args"])
    else:
        conv2d(x, w, **cfg["args"])


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "argument"),
    [
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": -1}, "padding"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, "stride"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"dilation": 0}, "dilation"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 1.5}, "stride"),
        ((1, 1, 2, 5), (1, 1, 3, 3), {}, "weight"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"dilation": 3}, "weight"),
        ((1, 3, 5, 5), (2, 2, 3, 3), {}, "weight"),
        ((1, 3, 5, 5), (2, 1, 3, 3), {"groups": 2}, "groups"),
        ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, "groups"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"groups": 0}, "groups"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2}, "padding"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"}, "padding"),
        ((5, 5), (2, 1, 3, 3), {}, "weight"),
        ((1, 1, 1, 5, 5), (1, 1, 3, 3), {}, "input"),
    ],
)
def test_invalid_configs_name_the_argument(x_shape, w_shape, kwargs, argument):
    with pytest.raises(ConfigError) as err:
        conv2d(np.ones(x_shape), np.ones(w_shape), **kwargs)
    assert err.value.argument == argument


def test_bad_bias_and_grad_shapes_are_config_errors():
    with pytest.raises(ConfigError, match="bias"):
        conv2d(np.ones((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), bias=np.ones(3))
    with pytest.raises(ConfigError, match="grad_out"):
        conv2d_backward(np.ones((5, 5)), np.ones((3, 3)), np.ones((2, 2)))


def test_homework_input_gradient_is_the_known_table():
    gx, gw, gb = conv2d_backward(np.array(A, float), np.array(B, float), np.ones((3, 3)))
    expected = [
        [4, 7, 10, 6, 3],
        [9, 17, 25, 16, 8],
        [11, 23, 34, 23, 11],
        [7, 16, 24, 17, 8],
        [2, 6, 9, 7, 3],
    ]
    np.testing.assert_array_equal(gx, expected)
    assert gw.shape == (3, 3) and gb.shape == (1,) and gb[0] == 9


def test_homework_forward_and_kernel_gradient_match_torch():
    x = torch.tensor(A, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(B, dtype=torch.float64, requires_grad=True)
    out = F.conv2d(x[None, None], w[None, None])[0, 0]
    out.sum().backward()
    ours = conv2d(np.array(A, float), np.array(B, float))
    assert ours.shape == (3, 3)
    close(ours, out)
    gx, gw, _ = conv2d_backward(np.array(A, float), np.array(B, float), np.ones((3, 3)))
    close(gx, x.grad)
    close(gw, w.grad)


@pytest.mark.parametrize("shape", [(5, 5), (1, 5, 5), (1, 1, 5, 5)])
def test_output_keeps_the_input_rank(shape):
    x = np.array(A, float).reshape(shape)
    w = np.array(B, float) if len(shape) == 2 else np.array(B, float)[None, None]
    out = conv2d(x, w, padding=1)
    assert out.shape == (*shape[:-2], 5, 5)
    nchw = conv2d(np.array(A, float)[None, None], w.reshape(1, 1, 3, 3), padding=1)
    np.testing.assert_array_equal(out.reshape(5, 5), nchw[0, 0])
    gx, gw, _ = conv2d_backward(x, w, np.ones(out.shape), padding=1)
    assert gx.shape == shape and gw.shape == w.shape


def test_fast_path_for_plain_2d_inputs_agrees_with_general_path():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((7, 6)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(conv2d(x, w), conv2d(x[None, None], w[None, None])[0, 0], rtol=RTOL)
    np.testing.assert_allclose(conv2d(x.T, w), conv2d(x.T.copy(), w), rtol=RTOL)  # non-contiguous input


def test_integer_inputs_are_computed_in_float64():
    out = conv2d(A, B)
    assert out.dtype == np.float64
