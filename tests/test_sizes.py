"""symconv.sizes: output sizes of convolution and pooling, against torch's output shapes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ConfigError, output_size, output_size_expr, pool_output_size
from symconv.sizes import D, I, K, P, S, pair

PROPERTY = settings(max_examples=300, deadline=None)


@pytest.mark.parametrize(("i", "k", "kwargs", "expected"), [
    (5, 3, {}, 3),
    (5, 5, {}, 1),
    (5, 1, {}, 5),
    (5, 3, {"padding": 1}, 5),
    (6, 3, {"padding": 1, "stride": 2}, 3),
    (7, 3, {"stride": 2}, 3),
    (8, 3, {"stride": 2}, 3),          # inputs that differ by up to s-1 give the same size
    (5, 3, {"dilation": 2}, 1),
    (7, 3, {"dilation": 2}, 3),
    (32, 5, {"padding": 2, "stride": 1}, 32),
    (224, 7, {"padding": 3, "stride": 2}, 112),
    (1, 3, {"padding": 1}, 1),
    (2, 3, {"padding": 1, "stride": 3}, 1),
])
def test_output_size_table(i, k, kwargs, expected):
    assert output_size(i, k, **kwargs) == expected


@PROPERTY
@given(st.integers(1, 16), st.integers(1, 5), st.integers(0, 2), st.integers(1, 3), st.integers(1, 3))
def test_output_size_matches_torch(i, k, p, s, d):
    x, w = torch.zeros(1, 1, i, 1, dtype=torch.float64), torch.zeros(1, 1, k, 1, dtype=torch.float64)
    try:
        torch_size = F.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]
    except RuntimeError:
        with pytest.raises(ConfigError) as err:
            output_size(i, k, padding=p, stride=s, dilation=d)
        assert err.value.argument == "kernel_size"
        return
    assert output_size(i, k, padding=p, stride=s, dilation=d) == torch_size


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"stride": 0}, "stride"),
    ({"stride": -2}, "stride"),
    ({"padding": -1}, "padding"),
    ({"dilation": 0}, "dilation"),
    ({"stride": 1.5}, "stride"),
    ({"padding": 0.5}, "padding"),
    ({"stride": "2"}, "stride"),
    ({"dilation": None}, "dilation"),
    ({"stride": True}, "stride"),
    ({"i": 2.5}, "input_size"),
    ({"i": 0}, "input_size"),
    ({"k": 0}, "kernel_size"),
    ({"k": "3"}, "kernel_size"),
    ({"k": 6}, "kernel_size"),                       # larger than the input
    ({"k": 3, "i": 2}, "kernel_size"),
    ({"k": 4, "dilation": 2}, "kernel_size"),        # effective kernel 7 > 5
    ({"k": 8, "padding": 1}, "kernel_size"),         # 8 > 5 + 2
])
def test_output_size_errors_name_the_argument(kwargs, argument):
    i, k = kwargs.pop("i", 5), kwargs.pop("k", 3)
    with pytest.raises(ConfigError) as err:
        output_size(i, k, **kwargs)
    assert err.value.argument == argument
    message = str(err.value)
    assert message.startswith(f"{argument}: ") and "\n" not in message
    assert ">=" in message or "<=" in message       # the allowed range is stated


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        output_size(5, 3, stride=0)


@pytest.mark.parametrize(("value", "expected"), [(2, (2, 2)), ((1, 3), (1, 3)), ([0, 2], (0, 2)), ((1,), (1, 1)),
                                                 (np.int64(2), (2, 2))])  # as PyTorch: 1-tuples, NumPy ints
def test_pair(value, expected):
    assert pair("padding", value, 0) == expected


@pytest.mark.parametrize("value", [(1, 2, 3), (), (1, -1), "2", (1.5, 1), 2.0, True])  # floats: as PyTorch
def test_pair_errors(value):
    with pytest.raises(ConfigError) as err:
        pair("padding", value, 0)
    assert err.value.argument == "padding"


@PROPERTY
@given(st.integers(1, 16), st.integers(1, 5), st.integers(0, 2), st.integers(1, 3), st.integers(1, 3))
def test_output_size_expr_substitutes_to_output_size(i, k, p, s, d):
    try:
        expected = output_size(i, k, padding=p, stride=s, dilation=d)
    except ConfigError:
        return
    assert output_size_expr().subs({I: i, K: k, P: p, S: s, D: d}) == expected
    if d == 1:
        assert output_size_expr(dilation=False).subs({I: i, K: k, P: p, S: s}) == expected
    if (i + 2 * p - d * (k - 1) - 1) % s == 0:
        assert output_size_expr(floor=False).subs({I: i, K: k, P: p, S: s, D: d}) == expected


def test_output_size_expr_forms():
    assert output_size_expr(dilation=False, floor=False) == 1 + (I - K + 2 * P) / S
    assert output_size_expr().has(sympy.floor)
    assert output_size_expr().free_symbols == {I, K, P, S, D}
    assert output_size_expr(dilation=False).free_symbols == {I, K, P, S}


@PROPERTY
@given(st.integers(1, 16), st.integers(1, 5), st.integers(0, 2), st.integers(1, 3), st.integers(1, 3),
       st.booleans())
def test_pool_output_size_matches_torch_max_pool2d(i, k, p, s, d, ceil_mode):
    x = torch.zeros(1, 1, i, 1, dtype=torch.float64)
    try:
        torch_size = F.max_pool2d(x, (k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1),
                                  ceil_mode=ceil_mode).shape[2]
    except RuntimeError:
        with pytest.raises(ConfigError):
            pool_output_size(i, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)
        return
    assert pool_output_size(i, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode) == torch_size


@pytest.mark.parametrize(("i", "k", "kwargs", "expected"), [
    (5, 2, {"stride": 2}, 2),
    (5, 2, {"stride": 2, "ceil_mode": True}, 3),
    (3, 2, {"stride": 1}, 2),                         # the homework: C is 3x3, kernel 2, stride 1
    (4, 2, {"stride": 2, "ceil_mode": True}, 2),      # nothing left over: no extra window
    (5, 3, {"stride": 2, "padding": 1, "ceil_mode": True}, 3),
    (6, 3, {"stride": 2, "padding": 1, "ceil_mode": True}, 4),
    # torch keeps one partial window under ceil_mode even when the kernel is larger than the padded input
    (1, 2, {"stride": 2, "ceil_mode": True}, 1),
    (3, 4, {"stride": 2, "ceil_mode": True}, 1),
])
def test_pool_output_size_table(i, k, kwargs, expected):
    assert pool_output_size(i, k, **kwargs) == expected


def test_pool_padding_must_be_at_most_half_the_kernel():
    with pytest.raises(ConfigError) as err:
        pool_output_size(5, 2, stride=2, padding=2)
    assert err.value.argument == "padding"
