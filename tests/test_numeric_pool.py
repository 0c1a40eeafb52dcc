"""symconv.numeric pooling (max, avg, lp) and backwards against torch (the oracle), float64, rtol 1e-10.

Where torch is degenerate the test pins what symconv does instead (see symconv/numeric/lp.py and pool.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv.errors import ConfigError
from symconv.numeric import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    lp_pool2d,
    lp_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

RTOL, ATOL = 1e-10, 1e-12
A = [[4, 5, 2, 2, 1], [3, 3, 2, 2, 4], [4, 3, 4, 1, 1], [5, 1, 4, 1, 2], [5, 1, 3, 1, 4]]
B = [[4, 3, 3], [5, 5, 5], [2, 4, 3]]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
INF = float("inf")


def close(ours, theirs) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL, equal_nan=True)


def t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def pairs(lo: int, hi: int):
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi))


@st.composite
def pool_inputs(draw, *, ties: bool) -> np.ndarray:
    """NCHW float64; with ``ties`` small integers, so windows often hold several equal maxima."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 16)), draw(st.integers(1, 16)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)


def attempt(fn, *args):
    """fn(*args), or None when torch rejects the configuration."""
    try:
        return fn(*args)
    except (RuntimeError, ValueError):
        return None


def check_rejection_agrees(theirs, ours, x, *args) -> None:
    """symconv raises ConfigError exactly when torch rejects the same call."""
    if attempt(theirs, torch.tensor(x), *args) is None:
        with pytest.raises(ConfigError):
            ours(x, *args)
    else:
        ours(x, *args)


# ---- max_pool2d ------------------------------------------------------------------------------------------


@PROPERTY
@given(pool_inputs(ties=True), pairs(1, 5), pairs(1, 3), pairs(0, 2), pairs(1, 3), st.booleans(), st.integers(0, 9))
def test_max_pool_matches_torch(x, kernel, stride, padding, dilation, ceil_mode, seed):
    args = (kernel, stride, padding, dilation, ceil_mode)
    xt = t(x)
    out = attempt(F.max_pool2d, xt, *args)
    assume(out is not None)
    close(max_pool2d(x, *args), out)
    # a window made only of padding (possible with dilation on tiny inputs) has no argmax; torch's backward then
    # writes out of bounds and corrupts the heap, so it is never run here (see test_all_padding_window)
    assume(not torch.isinf(out).any())
    grad_out = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(torch.tensor(grad_out))
    close(max_pool2d_backward(x, grad_out, *args), xt.grad)


@PROPERTY
@given(pool_inputs(ties=False), pairs(1, 5), pairs(1, 3), pairs(0, 3), pairs(1, 3), st.booleans())
def test_max_pool_rejects_what_torch_rejects(x, kernel, stride, padding, dilation, ceil_mode):
    check_rejection_agrees(F.max_pool2d, max_pool2d, x, kernel, stride, padding, dilation, ceil_mode)


def test_max_pool_first_maximum_gets_the_gradient_and_overlaps_accumulate():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 2.0, 3.0]])
    grad = max_pool2d_backward(x, np.array([[10.0, 1.0]]), 2, stride=1)
    np.testing.assert_array_equal(grad, [[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]])
    xt = t(x)
    F.max_pool2d(xt[None], 2, 1).backward(torch.tensor([[[10.0, 1.0]]], dtype=torch.float64))
    close(grad, xt.grad)


def test_max_pool_nan_wins_and_the_last_nan_gets_the_gradient_like_torch():
    x = np.array([[[[1.0, np.nan, 5.0, np.nan]]]])
    assert np.isnan(max_pool2d(x, (1, 4))).all()
    grad = max_pool2d_backward(x, np.ones((1, 1, 1, 1)), (1, 4))
    np.testing.assert_array_equal(grad, [[[[0.0, 0.0, 0.0, 1.0]]]])
    xt = t(x)
    F.max_pool2d(xt, (1, 4)).sum().backward()
    close(grad, xt.grad)


def test_max_pool_all_minus_inf_window_routes_to_its_first_real_cell_like_torch():
    x = np.array([[[[-INF, -INF]]]])
    args = ((1, 2), 1, (0, 1))
    xt = t(x)
    F.max_pool2d(xt, *args).sum().backward()
    np.testing.assert_array_equal(max_pool2d_backward(x, np.ones((1, 1, 1, 3)), *args), xt.grad.numpy())


def test_all_padding_window_gives_minus_inf_and_no_gradient():
    # H = 1, kernel rows at -1 and +1: the window never touches the input. torch agrees on the forward value;
    # its backward would scatter to an index outside the input, so symconv drops that gradient instead.
    x = np.zeros((1, 1, 1, 8))
    args = ((2, 4), 1, (1, 0), (2, 2))
    out = max_pool2d(x, *args)
    close(out, F.max_pool2d(torch.tensor(x), *args))
    assert np.isneginf(out).all()
    np.testing.assert_array_equal(max_pool2d_backward(x, np.ones(out.shape), *args), np.zeros(x.shape))


def test_homework_max_pool_of_the_convolution():
    c = conv2d(np.array(A, float), np.array(B, float))
    pooled = max_pool2d(c, 2, stride=1)
    assert pooled.shape == (2, 2)
    close(pooled, F.max_pool2d(torch.tensor(c)[None], 2, 1)[0])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"kernel_size": 2, "padding": 2}, "padding"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": 2, "stride": 0}, "stride"),
        ({"kernel_size": 2, "dilation": 0}, "dilation"),
        ({"kernel_size": 2, "padding": -1}, "padding"),
        ({"kernel_size": 4, "dilation": 2}, "kernel_size"),
        ({"kernel_size": (2, 2.5)}, "kernel_size"),
    ],
)
def test_max_pool_invalid_configs_name_the_argument(kwargs, argument):
    with pytest.raises(ConfigError) as err:
        max_pool2d(np.ones((5, 5)), **kwargs)
    assert err.value.argument == argument


@pytest.mark.parametrize("shape", [(4, 6), (2, 4, 6), (1, 2, 4, 6)])
def test_pool_output_keeps_the_input_rank(shape):
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    for pool in (max_pool2d, avg_pool2d):
        assert pool(x, 2).shape == (*shape[:-2], 2, 3)
    assert lp_pool2d(x, 2, 2).shape == (*shape[:-2], 2, 3)
    assert max_pool2d_backward(x, np.ones((*shape[:-2], 2, 3)), 2).shape == shape


@PROPERTY
@given(
    st.integers(1, 8),
    st.integers(1, 8),
    st.integers(1, 5) | pairs(1, 5),
    st.none() | st.integers(1, 3) | pairs(1, 3),
    st.integers(0, 2**32 - 1),
)
def test_plain_2d_inputs_match_torch(h, w, kernel, stride, seed):
    """HW arrays (the coursework fast path when there is no padding) against torch on the CHW equivalent."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (h, w)).astype(float)
    x[rng.random((h, w)) < 0.05] = np.nan
    xt = torch.tensor(x)[None]
    for ours, theirs in [(max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)]:
        out = attempt(theirs, xt, kernel, stride)
        if out is None:
            with pytest.raises(ConfigError):
                ours(x, kernel, stride)
        else:
            close(ours(x, kernel, stride), out[0])
    out = attempt(F.lp_pool2d, xt, 2, kernel, stride)
    if out is not None:
        close(lp_pool2d(x, 2, kernel, stride), out[0])


# ---- avg_pool2d ------------------------------------------------------------------------------------------


@PROPERTY
@given(
    pool_inputs(ties=False),
    pairs(1, 5),
    pairs(1, 3),
    pairs(0, 2),
    st.booleans(),
    st.booleans(),
    st.none() | st.integers(1, 9),
)
def test_avg_pool_matches_torch(x, kernel, stride, padding, ceil_mode, include_pad, divisor):
    args = (kernel, stride, padding, ceil_mode, include_pad, divisor)
    xt = t(x)
    out = attempt(F.avg_pool2d, xt, *args)
    assume(out is not None)
    close(avg_pool2d(x, *args), out)
    grad_out = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(torch.tensor(grad_out))
    close(avg_pool2d_backward(x, grad_out, *args), xt.grad)


@PROPERTY
@given(pool_inputs(ties=False), pairs(1, 5), pairs(0, 3), pairs(0, 3), st.booleans())
def test_avg_pool_rejects_what_torch_rejects(x, kernel, stride, padding, ceil_mode):
    check_rejection_agrees(F.avg_pool2d, avg_pool2d, x, kernel, stride, padding, ceil_mode)


def test_avg_pool_divisor_override_zero_is_a_config_error():
    with pytest.raises(ConfigError, match="divisor_override"):
        avg_pool2d(np.ones((4, 4)), 2, divisor_override=0)


# ---- lp_pool2d -------------------------------------------------------------------------------------------


@PROPERTY
@given(
    pool_inputs(ties=False),
    st.sampled_from([1, 2, 3, 1.5, 0.7, 4.0, -1, 2.5]),
    pairs(1, 5),
    st.none() | pairs(1, 3),
    st.booleans(),
)
def test_lp_pool_matches_torch(x, p, kernel, stride, ceil_mode):
    if p != int(p) or p < 0:
        x = np.abs(x) + 0.1  # positive entries: the non-integer-power NaN case is tested on its own below
    xt = t(x)
    out = attempt(F.lp_pool2d, xt, p, kernel, stride, ceil_mode)
    assume(out is not None)
    close(lp_pool2d(x, p, kernel, stride, ceil_mode), out)
    grad_out = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(torch.tensor(grad_out))
    close(lp_pool2d_backward(x, grad_out, p, kernel, stride, ceil_mode), xt.grad)


@PROPERTY
@given(pool_inputs(ties=False), pairs(0, 5), st.none() | pairs(0, 3), st.booleans())
def test_lp_pool_rejects_what_torch_rejects(x, kernel, stride, ceil_mode):
    check_rejection_agrees(F.lp_pool2d, lp_pool2d, x, 2, kernel, stride, ceil_mode)


@PROPERTY
@given(pool_inputs(ties=False), st.sampled_from([1, 2, 3, 0.5, -2]), pairs(1, 4), st.booleans())
def test_normalized_lp_is_the_power_mean_over_real_cells(x, p, kernel, ceil_mode):
    x = np.abs(x) + 0.1
    assume(all(k <= n for k, n in zip(kernel, x.shape[2:], strict=True)))
    ours = lp_pool2d(x, p, kernel, None, ceil_mode, norm="normalized")
    mean = avg_pool2d(x**p, kernel, None, 0, ceil_mode, count_include_pad=False)
    np.testing.assert_allclose(ours, mean ** (1 / p), rtol=RTOL)
    # full windows: torch's value is K^(1/p) times the power mean
    full = lp_pool2d(x, p, kernel, None, False) / (kernel[0] * kernel[1]) ** (1 / p)
    np.testing.assert_allclose(lp_pool2d(x, p, kernel, None, False, norm="normalized"), full, rtol=RTOL)
    xt = t(x)
    (F.avg_pool2d(xt**p, kernel, None, 0, ceil_mode, count_include_pad=False) ** (1 / p)).sum().backward()
    close(lp_pool2d_backward(x, np.ones(ours.shape), p, kernel, None, ceil_mode, "normalized"), xt.grad)


def test_lp_partial_window_under_ceil_mode_is_scaled_by_k_over_n_valid_like_torch():
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    ours = lp_pool2d(x, 2, (1, 2), None, True)
    np.testing.assert_allclose(ours[0, 0, 0], [np.sqrt(5.0), np.sqrt(2 / 1 * 9.0)], rtol=RTOL)
    close(ours, F.lp_pool2d(torch.tensor(x), 2, (1, 2), None, True))
    np.testing.assert_allclose(lp_pool2d(x, 2, (1, 2), None, True, norm="normalized")[0, 0, 0, 1], 3.0)


def test_lp_inf_is_max_pooling_where_torch_is_max_of_abs():
    pos = np.array([[[[0.5, 2.0, 3.0, 1.0]]]])
    np.testing.assert_array_equal(lp_pool2d(pos, INF, (1, 2)), max_pool2d(pos, (1, 2)))
    close(lp_pool2d(pos, INF, (1, 2)), F.lp_pool2d(torch.tensor(pos), INF, (1, 2)))  # agree for x >= 0
    neg = -pos
    ours = lp_pool2d(neg, INF, (1, 2))
    np.testing.assert_array_equal(ours, [[[[-0.5, -1.0]]]])
    theirs = F.lp_pool2d(torch.tensor(neg), INF, (1, 2)).numpy()
    np.testing.assert_array_equal(theirs, [[[[2.0, 3.0]]]])  # torch 2.13: max of |x|: a different answer
    grad = lp_pool2d_backward(pos, np.ones((1, 1, 1, 2)), INF, (1, 2), norm="normalized")
    np.testing.assert_array_equal(grad, [[[[0.0, 1.0, 1.0, 0.0]]]])


def test_lp_negative_entries_with_non_integer_p_give_nan_like_torch():
    x = np.array([[[[-1.0, 2.0], [3.0, 4.0]]]])
    ours = lp_pool2d(x, 1.5, 2)
    assert np.isnan(ours).all()
    close(ours, F.lp_pool2d(torch.tensor(x), 1.5, 2))


def test_lp_gradient_is_zero_where_the_window_sum_is_zero_like_torch():
    x = np.array([[[[0.0, 0.0, 1.0, 2.0]]]])
    xt = t(x)
    F.lp_pool2d(xt, 2, (1, 2)).sum().backward()
    grad = lp_pool2d_backward(x, np.ones((1, 1, 1, 2)), 2, (1, 2))
    np.testing.assert_array_equal(grad[0, 0, 0, :2], [0.0, 0.0])
    close(grad, xt.grad)


@pytest.mark.parametrize(("p", "norm"), [(0, "torch"), (-INF, "torch"), (float("nan"), "torch"), (2, "l2")])
def test_lp_degenerate_norm_type_or_unknown_norm_is_a_config_error(p, norm):
    with pytest.raises(ConfigError):
        lp_pool2d(np.ones((4, 4)), p, 2, norm=norm)
