"""symconv.pooling: symbolic max/avg/LP pooling and their gradients, lambdified, against torch (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import HOMEWORK_A, HOMEWORK_B, tensor
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv import (
    ConfigError,
    avg_pool2d,
    avg_pool2d_grad,
    conv2d,
    lp_pool2d,
    lp_pool2d_grad,
    max_pool2d,
    max_pool2d_grad,
    numeric,
    pool_windows,
    sym_matrix,
)
from symconv.verify import evaluate

RTOL, ATOL = 1e-10, 1e-12
SYMPY_HEAVY = settings(max_examples=40, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LP_HEAVY = settings(SYMPY_HEAVY, max_examples=25)   # powers with float exponents are SymPy's slowest case


@st.composite
def configs(draw, dilation: bool = False, padding: bool = True) -> dict:
    """Pooling arguments torch accepts with every window holding a real cell (kernel within the padded input;
    the ceil_mode case of a kernel larger than that is tested in test_sizes)."""
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))) if padding else (0, 0)
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    assume(all(d[a] * (k[a] - 1) + 1 <= (H, W)[a] + 2 * p[a] for a in (0, 1)))
    args = {"kernel_size": k, "stride": draw(st.none() | st.integers(1, 3) | st.tuples(st.integers(1, 3),
                                                                                        st.integers(1, 3))),
            "ceil_mode": draw(st.booleans())}
    if padding:
        args["padding"] = p
    if dilation:
        args["dilation"] = d
    return {"x": (H, W), "args": args, "seed": draw(st.integers(0, 2**32 - 1))}


def symbols_and_values(shape, seed, low=-2.0, high=2.0, name="X"):
    X = sym_matrix(name, *shape)
    rng = np.random.default_rng(seed)
    return X, dict(zip(X, rng.uniform(low, high, len(X)).tolist()))


def close(ours, theirs: torch.Tensor) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


def upstream_for(out: torch.Tensor, seed: int) -> tuple[sympy.Matrix, dict, torch.Tensor]:
    G = sym_matrix("G", *out.shape[-2:])
    values = dict(zip(G, np.random.default_rng(seed + 1).standard_normal(len(G)).tolist()))
    return G, values, tensor(evaluate(G, values).tolist())


# --- max ----------------------------------------------------------------------------------------------------------

@SYMPY_HEAVY
@given(configs(dilation=True))
def test_max_pool2d_matches_torch(cfg):
    X, values = symbols_and_values(cfg["x"], cfg["seed"])
    x = tensor(evaluate(X, values).tolist())[None, None]
    close(evaluate(max_pool2d(X, **cfg["args"]), values), F.max_pool2d(x, **cfg["args"])[0, 0])


@SYMPY_HEAVY
@given(configs(dilation=True))
def test_max_pool2d_grad_first_max_with_ties(cfg):
    # entries from {0, 1, 2}: ties in almost every window, so the first-maximum rule decides
    xs = np.random.default_rng(cfg["seed"]).integers(0, 3, cfg["x"]).tolist()
    x = tensor(xs, grad=True)
    out = F.max_pool2d(x[None, None], **cfg["args"])[0, 0]
    assume(torch.isfinite(out).all())   # a window of padding only: see test_max_pool2d_grad_all_padding_window
    G, values, g = upstream_for(out, cfg["seed"])
    out.backward(g)
    close(evaluate(max_pool2d_grad(xs, **cfg["args"], upstream=G), values), x.grad)
    close(np.array(max_pool2d(xs, **cfg["args"]).tolist(), dtype=float), out)


def test_max_pool2d_grad_tie_goes_to_the_first_maximum():
    assert max_pool2d_grad([[5, 5], [5, 5]], 2).tolist() == [[1, 0], [0, 0]]
    assert max_pool2d_grad([[1, 5], [5, 5]], 2).tolist() == [[0, 1], [0, 0]]
    assert max_pool2d_grad([[1, 2], [5, 5]], 2).tolist() == [[0, 0], [1, 0]]


def test_max_pool2d_grad_overlapping_windows_accumulate():
    x = [[1, 2, 1], [2, 9, 2], [1, 2, 1]]
    assert max_pool2d_grad(x, 2, stride=1).tolist() == [[0, 0, 0], [0, 4, 0], [0, 0, 0]]
    G = sym_matrix("G", 2, 2)
    assert max_pool2d_grad(x, 2, stride=1, upstream=G)[1, 1] == sum(G)


def test_max_pool2d_grad_all_padding_window():
    # with dilation 2 the one window reads rows -1 and 1 of a 1-row input: only padding. torch's forward gives
    # -inf there and an index outside the input (no cell wins); its backward must not be run here: it scatters to
    # that index, out of bounds, and corrupts the heap
    args = {"kernel_size": (2, 1), "padding": (1, 0), "dilation": (2, 1)}
    out, index = F.max_pool2d(tensor([[3.0]])[None, None], **args, return_indices=True)
    assert max_pool2d([[3]], **args)[0, 0] == -sympy.oo == out.item()
    assert index.item() >= 1
    assert max_pool2d_grad([[3]], **args).tolist() == [[0]]


def test_max_pool2d_grad_refuses_symbols():
    with pytest.raises(ConfigError) as err:
        max_pool2d_grad(sym_matrix("X", 2, 2), 2)
    assert err.value.argument == "x"


def test_homework_max_pool():
    C = conv2d(HOMEWORK_A, HOMEWORK_B)
    Y = max_pool2d(C, 2, stride=1)
    assert Y.shape == (2, 2)
    expected = F.max_pool2d(tensor(C.tolist())[None, None], 2, stride=1)[0, 0]
    assert Y.tolist() == expected.to(torch.int64).tolist()


# --- average ------------------------------------------------------------------------------------------------------

@SYMPY_HEAVY
@given(configs(), st.booleans(), st.none() | st.integers(-6, 6).filter(bool))
def test_avg_pool2d_and_grad_match_torch(cfg, count_include_pad, divisor_override):
    X, values = symbols_and_values(cfg["x"], cfg["seed"])
    kwargs = {**cfg["args"], "count_include_pad": count_include_pad, "divisor_override": divisor_override}
    x = tensor(evaluate(X, values).tolist(), grad=True)
    out = F.avg_pool2d(x[None, None], **kwargs)[0, 0]
    close(evaluate(avg_pool2d(X, **kwargs), values), out)
    G, g_values, g = upstream_for(out, cfg["seed"])
    out.backward(g)
    close(evaluate(avg_pool2d_grad(X, **kwargs, upstream=G), {**values, **g_values}), x.grad)


def test_avg_pool2d_exact():
    assert avg_pool2d([[1, 2], [3, 5]], 2) == sympy.Matrix([[sympy.Rational(11, 4)]])
    assert avg_pool2d_grad([[1, 2], [3, 5]], 2) == sympy.Matrix(2, 2, [sympy.Rational(1, 4)] * 4)
    # padding 1 on a 1x1 input with a 2x2 kernel: the pad counts, or not
    assert avg_pool2d([[8]], 2, padding=1, count_include_pad=True)[0, 0] == 2
    assert avg_pool2d([[8]], 2, padding=1, count_include_pad=False)[0, 0] == 8


# PyTorch 2.13: any nonzero int (negatives too); 0 is a RuntimeError, bools and floats TypeErrors.
DIVISORS = [(-2, True), (-1, True), (1, True), (3, True), (np.int64(-3), True), (None, True),
            (0, False), (True, False), (False, False), (1.5, False), (2.0, False), ("2", False)]


@pytest.mark.parametrize("divisor, accepted", DIVISORS)
def test_divisor_override_rule_is_torchs_on_both_sides(divisor, accepted):
    """One rule (symconv.pooling.check_divisor_override) for the symbolic forward and gradient and the numeric
    forward and backward, and it is torch's."""
    x = [[1.0, 2.0, 0.5], [3.0, 5.0, -1.0], [2.0, 0.0, 4.0]]
    xt = tensor(x, grad=True)
    try:
        theirs = F.avg_pool2d(xt[None, None], 2, 1, divisor_override=divisor)
    except (RuntimeError, TypeError):
        theirs = None
    assert (theirs is not None) is accepted
    calls = [lambda: avg_pool2d(x, 2, 1, divisor_override=divisor),
             lambda: avg_pool2d_grad(x, 2, 1, divisor_override=divisor),
             lambda: numeric.avg_pool2d(np.array(x), 2, 1, divisor_override=divisor),
             lambda: numeric.avg_pool2d_backward(np.array(x), np.ones((2, 2)), 2, 1, divisor_override=divisor)]
    if not accepted:
        for call in calls:
            with pytest.raises(ConfigError) as err:
                call()
            assert err.value.argument == "divisor_override"
        return
    forward, grad, numeric_forward, numeric_grad = (call() for call in calls)
    theirs.sum().backward()
    close(forward, theirs[0, 0])
    close(numeric_forward, theirs[0, 0])
    close(grad, xt.grad)
    close(numeric_grad, xt.grad)


# --- LP -----------------------------------------------------------------------------------------------------------

P_VALUES = st.sampled_from([1, 2, 3, 4, 1.5, 2.5, 0.7, 3.25])


@LP_HEAVY
@given(configs(padding=False), P_VALUES)
def test_lp_pool2d_torch_norm_and_grad(cfg, p):
    X, values = symbols_and_values(cfg["x"], cfg["seed"], 0.5, 2.0)   # positive: torch's form is defined
    x = tensor(evaluate(X, values).tolist(), grad=True)
    out = F.lp_pool2d(x[None, None], p, **cfg["args"])[0, 0]
    close(evaluate(lp_pool2d(X, p, **cfg["args"]), values), out)
    G, g_values, g = upstream_for(out, cfg["seed"])
    out.backward(g)
    close(evaluate(lp_pool2d_grad(X, p, **cfg["args"], upstream=G), {**values, **g_values}), x.grad)


@LP_HEAVY
@given(configs(padding=False), P_VALUES)
def test_lp_pool2d_normalized_is_torch_over_n_root_p(cfg, p):
    args = {**cfg["args"], "ceil_mode": False}             # full windows: N = kh * kw everywhere
    n = args["kernel_size"][0] * args["kernel_size"][1]
    X, values = symbols_and_values(cfg["x"], cfg["seed"], 0.5, 2.0)
    x = tensor(evaluate(X, values).tolist(), grad=True)
    out = F.lp_pool2d(x[None, None], p, **args)[0, 0] / n ** (1 / p)
    close(evaluate(lp_pool2d(X, p, **args, norm="normalized"), values), out)
    G, g_values, g = upstream_for(out, cfg["seed"])
    out.backward(g)
    close(evaluate(lp_pool2d_grad(X, p, **args, norm="normalized", upstream=G), {**values, **g_values}), x.grad)


def test_lp_pool2d_normalized_partial_window_is_the_power_mean():
    # ceil_mode leaves a 1-cell window; the power mean of one value is that value
    Y = lp_pool2d([[3, 4, 7]], 2, (1, 2), ceil_mode=True, norm="normalized")
    assert Y[0, 1] == 7
    assert Y[0, 0] == sympy.sqrt(sympy.Rational(25, 2))


def test_lp_pool2d_symbolic_p_substitutes():
    p = sympy.Symbol("p", positive=True)
    X = sym_matrix("X", 2, 2)
    Y = lp_pool2d(X, p, 2)
    values = dict(zip(X, [0.5, 1.5, 2.0, 0.75]))
    x = tensor([[list(values.values())[:2], list(values.values())[2:]]])
    for pv in (1, 2, 3.5):
        close(evaluate(Y.subs(p, pv), values), F.lp_pool2d(x, pv, 2)[0])


def test_lp_pool2d_exact_and_special_cases():
    assert lp_pool2d([[3, 4]], 2, (1, 2)) == sympy.Matrix([[5]])
    assert lp_pool2d([[3, 4]], 1, (1, 2)) == sympy.Matrix([[7]])                        # p = 1: sum pooling
    assert lp_pool2d([[3, 4]], 1, (1, 2), norm="normalized") == sympy.Matrix([[sympy.Rational(7, 2)]])  # mean
    assert lp_pool2d_grad([[3, 4]], 2, (1, 2)) == sympy.Matrix([[sympy.Rational(3, 5), sympy.Rational(4, 5)]])


BAD_P = [0, 0.0, float("nan"), -float("inf"), True, "2", sympy.nan, sympy.zoo, -sympy.oo, sympy.I, 1 + sympy.I,
         sympy.Integer(0)]


@pytest.mark.parametrize("function", [lp_pool2d, lp_pool2d_grad])
@pytest.mark.parametrize(("kwargs", "argument"), [
    *(({"norm_type": p}, "norm_type") for p in BAD_P),
    ({"norm": "mean"}, "norm"), ({"norm_type": float("inf"), "norm": "mean"}, "norm"),
])
def test_lp_pool2d_errors(function, kwargs, argument):
    args = {"norm_type": 2, **kwargs}
    with pytest.raises(ConfigError) as err:
        function([[1, 2], [3, 4]], args.pop("norm_type"), 2, **args)
    assert err.value.argument == argument


@pytest.mark.parametrize("p", BAD_P)
def test_lp_p_rule_is_the_same_on_the_numeric_side(p):
    with pytest.raises(ConfigError) as err:
        numeric.lp_pool2d(np.ones((2, 2)), p, 2)
    assert err.value.argument == "norm_type"
    with pytest.raises(ConfigError, match="number"):  # a symbol is for the symbolic side only
        numeric.lp_pool2d(np.ones((2, 2)), sympy.Symbol("p"), 2)


@pytest.mark.parametrize("norm", ["torch", "normalized"])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("inf", [float("inf"), sympy.oo, np.inf])
def test_lp_pool2d_inf_is_max_pooling_like_the_numeric_side(norm, ceil_mode, inf):
    """Issue 15: symbolic p = inf gave (x^oo)^(1/oo) = 1; it is max pooling, as symconv.numeric and README say."""
    x = [[1, 7, 3, 0], [5, 2, 9, 4], [6, 8, 2, 5]]
    kw = {"kernel_size": 2, "stride": None, "ceil_mode": ceil_mode}
    ours = lp_pool2d(x, inf, **kw, norm=norm)
    assert ours == max_pool2d(x, **kw) and ours != sympy.ones(*ours.shape)
    np.testing.assert_array_equal(np.array(ours.tolist(), dtype=float),
                                  numeric.lp_pool2d(np.array(x, dtype=float), inf, **kw, norm=norm))
    grad = lp_pool2d_grad(x, inf, **kw, norm=norm)
    assert grad == max_pool2d_grad(x, **kw)
    np.testing.assert_array_equal(np.array(grad.tolist(), dtype=float),
                                  numeric.lp_pool2d_backward(np.array(x, dtype=float), np.ones(ours.shape), inf,
                                                             **kw, norm=norm))


# --- windows ------------------------------------------------------------------------------------------------------

def test_pool_windows_ceil_mode_partial_window():
    rows = pool_windows((3, 3), 2, ceil_mode=True)
    assert [[w.cells for w in row] for row in rows] == [
        [((0, 0), (0, 1), (1, 0), (1, 1)), ((0, 2), (1, 2))],
        [((2, 0), (2, 1)), ((2, 2),)]]
    assert rows[1][1].kernel_count == 4


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"kernel_size": 0}, "kernel_size"), ({"kernel_size": 2, "stride": 0}, "stride"),
    ({"kernel_size": 2, "padding": 2}, "padding"), ({"kernel_size": 2, "padding": -1}, "padding"),
])
def test_pool_config_errors(kwargs, argument):
    with pytest.raises(ConfigError) as err:
        max_pool2d(sym_matrix("X", 4, 4), **kwargs)
    assert err.value.argument == argument
