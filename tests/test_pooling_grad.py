"""Pooling gradients against torch autograd: the first-maximum tie rule (overlapping windows, padding, ceil_mode,
dilation), the max routing (:func:`max_pool2d_routes`, :func:`max_pool2d_argmax`), symbolic upstream gradients
checked entry by entry against torch's Jacobian, and LP pooling's zero-window-sum rule."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import tensor
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv import ConfigError, sym_matrix
from symconv.pooling import (
    avg_pool2d_grad,
    lp_pool2d_grad,
    max_pool2d,
    max_pool2d_argmax,
    max_pool2d_grad,
    max_pool2d_routes,
)

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])


def torch_max_grad(x, kwargs, g=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """torch's output, its return_indices and dL/dx for upstream g (ones by default). Only for windows holding a
    real cell: for a window of padding only torch's index lies outside the input and its backward writes there."""
    xt = tensor(x, grad=True)
    out, idx = F.max_pool2d(xt[None, None], **kwargs, return_indices=True)
    assert torch.isfinite(out).all(), "a window of padding only: torch's backward would write out of bounds"
    out.backward(torch.ones_like(out) if g is None else g[None, None])
    return out[0, 0].detach(), idx[0, 0], xt.grad


def as_floats(m: sympy.Matrix) -> np.ndarray:
    return np.array(m.tolist(), dtype=float)


# --- max: the tie rule, by hand and by torch -----------------------------------------------------------------------

# (x, arguments, dE/dx with upstream ones, the winners 1-based): expected values worked out by hand from the rule
# "scan each window row-major, keep a later cell only if strictly greater"; torch must agree with each.
MAX_CASES = {
    "four-way tie": ([[5, 5], [5, 5]], {"kernel_size": 2}, [[1, 0], [0, 0]], [[(1, 1)]]),
    "tie in the second row": ([[1, 2], [5, 5]], {"kernel_size": 2}, [[0, 0], [1, 0]], [[(2, 1)]]),
    "tie across rows": ([[1, 5], [5, 5]], {"kernel_size": 2}, [[0, 1], [0, 0]], [[(1, 2)]]),
    "overlap, one cell wins two windows": ([[1, 9, 1]], {"kernel_size": (1, 2), "stride": 1}, [[0, 2, 0]],
                                           [[(1, 2), (1, 2)]]),
    "overlap, ties: each window's own first": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], {"kernel_size": 2, "stride": 1},
                                               [[1, 1, 0], [1, 1, 0], [0, 0, 0]], [[(1, 1), (1, 2)], [(2, 1), (2, 2)]]),
    "stride 2, kernel 3, shared middle": ([[0, 1, 5, 1, 0]], {"kernel_size": (1, 3), "stride": 2}, [[0, 0, 2, 0, 0]],
                                          [[(1, 3), (1, 3)]]),
    "stride 2, kernel 3, ties": ([[5, 1, 5, 1, 5]], {"kernel_size": (1, 3), "stride": 2}, [[1, 0, 1, 0, 0]],
                                 [[(1, 1), (1, 3)]]),
    "padding is never chosen": ([[-3, -1], [-2, -5]], {"kernel_size": 2, "stride": 1, "padding": 1},
                                [[1, 4], [3, 1]], [[(1, 1), (1, 2), (1, 2)], [(2, 1), (1, 2), (1, 2)],
                                                   [(2, 1), (2, 1), (2, 2)]]),
    "padding, all ties: four windows to the corner": ([[1, 1], [1, 1]],
                                                      {"kernel_size": 3, "stride": 1, "padding": 1},
                                                      [[4, 0], [0, 0]], [[(1, 1), (1, 1)], [(1, 1), (1, 1)]]),
    "ceil_mode partial windows": ([[1, 1, 2], [1, 1, 2], [3, 3, 3]], {"kernel_size": 2, "ceil_mode": True},
                                  [[1, 0, 1], [0, 0, 0], [1, 0, 1]], [[(1, 1), (1, 3)], [(3, 1), (3, 3)]]),
    "ceil_mode with padding, last window partial": ([[2, 2, 2, 2]], {"kernel_size": (1, 2), "stride": (1, 2),
                                                                     "padding": (0, 1), "ceil_mode": True},
                                                    [[1, 1, 0, 1]], [[(1, 1), (1, 2), (1, 4)]]),
    "dilation, ties": ([[2, 0, 2, 0, 2]], {"kernel_size": (1, 2), "dilation": (1, 2), "stride": 1},
                       [[1, 1, 1, 0, 0]], [[(1, 1), (1, 2), (1, 3)]]),
    "dilation and padding": ([[1, 1, 1, 1, 1]], {"kernel_size": (1, 3), "dilation": (1, 2), "padding": (0, 1),
                                                 "stride": 1}, [[1, 2, 0, 0, 0]], [[(1, 2), (1, 1), (1, 2)]]),
}


@pytest.mark.parametrize(("x", "kwargs", "grad", "winners"), MAX_CASES.values(), ids=MAX_CASES.keys())
def test_max_pool2d_grad_tie_table_agrees_with_torch(x, kwargs, grad, winners):
    out, idx, tgrad = torch_max_grad(x, kwargs)
    assert tgrad.to(torch.int64).tolist() == grad          # the hand-worked answer is torch's
    assert max_pool2d_grad(x, **kwargs).tolist() == grad
    assert max_pool2d_argmax(x, **kwargs) == winners
    width = len(x[0])
    assert [[(i - 1) * width + j - 1 for i, j in row] for row in winners] == idx.tolist()
    assert max_pool2d(x, **kwargs).tolist() == out.to(torch.int64).tolist()


def test_max_pool2d_grad_symbolic_upstream_accumulates():
    x, kwargs = [[1, 9, 1], [1, 1, 10]], {"kernel_size": 2, "stride": 1}   # 9 wins the left window, 10 the right
    G = sym_matrix("G", 1, 2)
    dX = max_pool2d_grad(x, **kwargs, upstream=G)
    assert dX.tolist() == [[0, G[0, 0], 0], [0, 0, G[0, 1]]]
    dX = max_pool2d_grad([[1, 9, 1]], (1, 2), stride=1, upstream=G)
    assert dX.tolist() == [[0, G[0, 0] + G[0, 1], 0]]
    g = tensor([[0.25, -3.0]])
    _, _, tgrad = torch_max_grad([[1, 9, 1]], {"kernel_size": (1, 2), "stride": 1}, g)
    assert as_floats(dX.subs({G[0, 0]: 0.25, G[0, 1]: -3.0})).tolist() == tgrad.tolist()


def test_max_pool2d_routes_report_ties_and_the_winner():
    routes = max_pool2d_routes([[5, 1, 7], [5, 5, 7]], (2, 2), stride=1)
    first, second = routes[0]
    assert (first.maximum, first.winner, first.ties) == (5, (0, 0), ((0, 0), (1, 0), (1, 1)))
    assert (second.maximum, second.winner, second.ties) == (7, (0, 2), ((0, 2), (1, 2)))
    assert (first.window.u, first.window.v, second.window.v) == (0, 0, 1)


def test_max_pool2d_routes_padding_only_window():
    # dilation 2 reads rows -1 and 1 of a 1-row input: padding only; torch's output is -inf and no cell gets a gradient
    args = {"kernel_size": (2, 1), "padding": (1, 0), "dilation": (2, 1)}
    (route,), = max_pool2d_routes([[3]], **args)
    assert (route.maximum, route.winner, route.ties) == (-sympy.oo, None, ())
    assert max_pool2d_argmax([[3]], **args) == [[None]]
    out, index = F.max_pool2d(tensor([[3.0]])[None, None], **args, return_indices=True)
    assert out.item() == -float("inf") and index.item() >= 1   # torch: no cell of the 1x1 input wins


@pytest.mark.parametrize("function", [max_pool2d_routes, max_pool2d_argmax, max_pool2d_grad])
@pytest.mark.parametrize("x", [sym_matrix("X", 2, 2), [[1, sympy.I], [0, 0]], [[1, sympy.nan], [0, 0]]])
def test_max_routing_needs_real_numbers(function, x):
    with pytest.raises(ConfigError) as err:
        function(x, 2)
    assert err.value.argument == "x"


def test_max_routing_compares_exactly():
    # equal values written differently tie (the first wins); exact maths decides below float64 resolution, where
    # torch would see a tie (a conscious departure, stated in max_pool2d_routes)
    assert max_pool2d_argmax([[(1 + sympy.sqrt(2)) ** 2, 3 + 2 * sympy.sqrt(2)]], (1, 2)) == [[(1, 1)]]
    assert max_pool2d_argmax([[1, 1 + sympy.Rational(1, 10**20)]], (1, 2)) == [[(1, 2)]]


@st.composite
def pool_cases(draw, dilation: bool = True, padding: bool = True) -> dict:
    """Small pooling problems torch accepts, every window holding a real cell."""
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))) if padding else (0, 0)
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    assume(all(d[a] * (k[a] - 1) + 1 <= (H, W)[a] + 2 * p[a] for a in (0, 1)))
    args = {"kernel_size": k, "stride": draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3))),
            "ceil_mode": draw(st.booleans())}
    if padding:
        args["padding"] = p
    if dilation:
        args["dilation"] = d
    return {"shape": (H, W), "args": args, "seed": draw(st.integers(0, 2**32 - 1))}


def check_jacobian(grad_fn, torch_fn, x, args, extra=()) -> None:
    """The engine's dE/dx with a symbolic upstream G is linear in G, and the coefficient of G_uv in dE/dx_ab is
    torch's Jacobian entry dY_uv/dx_ab (which carries torch's tie rule for max pooling)."""
    J = torch.autograd.functional.jacobian(lambda t: torch_fn(t[None, None], *extra, **args)[0, 0], tensor(x))
    G = sym_matrix("G", J.shape[0], J.shape[1])
    dX = grad_fn(x, *extra, **args, upstream=G)
    assert dX.subs({g: 0 for g in G}) == sympy.zeros(*dX.shape)
    ours = np.array([[[[float(dX[a, b].diff(G[u, v])) for b in range(J.shape[3])] for a in range(J.shape[2])]
                      for v in range(J.shape[1])] for u in range(J.shape[0])])
    np.testing.assert_allclose(ours, J.numpy(), rtol=1e-12, atol=1e-12)


@FEW
@given(pool_cases())
def test_max_pool2d_grad_and_argmax_match_torch_with_ties(case):
    xs = np.random.default_rng(case["seed"]).integers(-1, 2, case["shape"]).tolist()   # ties almost everywhere
    assume(torch.isfinite(F.max_pool2d(tensor(xs)[None, None], **case["args"])).all())   # no padding-only window
    out, idx, _ = torch_max_grad(xs, case["args"])
    W = case["shape"][1]
    assert [[(i - 1) * W + j - 1 for i, j in row] for row in max_pool2d_argmax(xs, **case["args"])] == idx.tolist()
    for route in (r for row in max_pool2d_routes(xs, **case["args"]) for r in row):
        assert route.ties[0] == route.winner and all(xs[a][b] == route.maximum for a, b in route.ties)
    check_jacobian(max_pool2d_grad, F.max_pool2d, xs, case["args"])


# --- average and LP ------------------------------------------------------------------------------------------------

@FEW
@given(pool_cases(dilation=False), st.booleans(), st.none() | st.integers(-4, 4).filter(bool))
def test_avg_pool2d_grad_symbolic_upstream_is_torchs_jacobian(case, count_include_pad, divisor_override):
    xs = np.random.default_rng(case["seed"]).integers(-3, 4, case["shape"]).tolist()
    args = {**case["args"], "count_include_pad": count_include_pad, "divisor_override": divisor_override}
    check_jacobian(avg_pool2d_grad, F.avg_pool2d, xs, args)


@FEW
@given(pool_cases(dilation=False, padding=False), st.sampled_from([1, 2, 3]))
def test_lp_pool2d_grad_symbolic_upstream_is_torchs_jacobian(case, p):
    # nonnegative entries with zeros: windows summing to 0 occur and take torch's zero-gradient rule
    xs = np.random.default_rng(case["seed"]).integers(0, 3, case["shape"]).tolist()
    check_jacobian(lp_pool2d_grad, F.lp_pool2d, xs, case["args"], extra=(p,))


# Regressions: the engine gave NaN (0 · oo) at a zero window sum and SymPy's complex zoo for 0 to a negative power,
# where torch gives 0 and ±inf.
LP_EDGES = {
    "zero window, p = 2": ([[0, 0, 3, 4]], 2, [[1, 1]]),
    "zero window, p = 3": ([[0, 0]], 3, [[-2]]),
    "zero sum of nonzero entries, p = 1": ([[-1, 1], [2, -2]], 1, [[1], [1]]),
    "zero entry, p = 1/2": ([[0, 2]], 0.5, [[-1]]),
    "zero window, p = 1/2: NaN as torch": ([[0, 0]], 0.5, [[1]]),
}


@pytest.mark.parametrize(("x", "p", "g"), LP_EDGES.values(), ids=LP_EDGES.keys())
def test_lp_pool2d_grad_edges_are_torchs(x, p, g):
    xt = tensor(x, grad=True)
    F.lp_pool2d(xt[None, None], p, (1, 2)).backward(tensor(g)[None, None])
    ours = as_floats(lp_pool2d_grad(x, p, (1, 2), upstream=g))
    np.testing.assert_allclose(ours, xt.grad.numpy(), rtol=1e-12, atol=0)   # NaN and inf must match too
