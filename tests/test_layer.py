"""symconv.layer: the multi-channel convolution layer and ReLU against torch (float64) forward and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import tensor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ConfigError, conv2d, conv2d_layer, conv2d_layer_grad, relu, relu_grad, sym_matrix
from symconv.layer import padding_sides
from symconv.verify import evaluate

SMALL = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def layers(draw) -> dict:
    """A valid layer: groups dividing both channel counts, padding as an int, a pair or four sides."""
    groups = draw(st.integers(1, 2))
    pairs = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi)) | st.integers(lo, hi)  # noqa: E731
    sides = st.tuples(*[st.integers(0, 2)] * 4)
    return {
        "c_in": groups * draw(st.integers(1, 2)), "c_out": groups * draw(st.integers(1, 2)),
        "x": (draw(st.integers(1, 6)), draw(st.integers(1, 6))),
        "k": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "args": {"stride": draw(pairs(1, 2)), "padding": draw(pairs(0, 2) | sides), "dilation": draw(pairs(1, 2)),
                 "groups": groups},
        "bias": draw(st.booleans()), "flip": draw(st.booleans()), "seed": draw(st.integers(0, 2**32 - 1)),
    }


def integers(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(-3, 4, size=shape)


def torch_layer(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, args: dict, flip: bool) -> torch.Tensor:
    """torch's conv2d with the padding given per side done by F.pad (left, right, top, bottom) first."""
    args = dict(args)
    padding = args.pop("padding", 0)
    if isinstance(padding, tuple) and len(padding) == 4:
        top, bottom, left, right = padding
        x, padding = F.pad(x, (left, right, top, bottom)), 0
    return F.conv2d(x, torch.flip(w, [-2, -1]) if flip else w, b, padding=padding, **args)


def numeric_case(cfg: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(cfg["seed"])
    x = integers(rng, cfg["c_in"], *cfg["x"])
    w = integers(rng, cfg["c_out"], cfg["c_in"] // cfg["args"]["groups"], *cfg["k"])
    return x, w, integers(rng, cfg["c_out"]) if cfg["bias"] else None


def as_array(mats: list[sympy.Matrix]) -> np.ndarray:
    return np.array([np.array(m.tolist(), dtype=float) for m in mats])


# --- forward and backward against torch, exact on integers -------------------------------------------------------

@SMALL
@given(layers())
def test_layer_forward_and_gradients_match_torch(cfg):
    x, w, b = numeric_case(cfg)
    tx, tw = tensor(x.tolist(), grad=True), tensor(w.tolist(), grad=True)
    tb = None if b is None else tensor(b.tolist(), grad=True)
    try:
        out = torch_layer(tx.unsqueeze(0), tw, tb, cfg["args"], cfg["flip"])[0]
    except RuntimeError:
        with pytest.raises(ConfigError):
            conv2d_layer(x, w, b, flip=cfg["flip"], **cfg["args"])
        return
    ours = conv2d_layer(x, w, b, flip=cfg["flip"], **cfg["args"])
    assert as_array(ours).tolist() == out.detach().numpy().tolist()   # integers: exact
    g = integers(np.random.default_rng(cfg["seed"] + 1), *out.shape)
    (out * tensor(g.tolist())).sum().backward()
    gx, gw, gb = conv2d_layer_grad(x, w, g, flip=cfg["flip"], **cfg["args"])
    assert as_array(gx).tolist() == tx.grad.numpy().tolist()
    assert np.array([as_array(f) for f in gw]).tolist() == tw.grad.numpy().tolist()
    if tb is not None:
        assert [int(v) for v in gb] == tb.grad.numpy().tolist()


@pytest.mark.parametrize("cfg", [
    {"args": {}, "flip": False},
    {"args": {"stride": 2, "padding": (0, 1, 1, 0), "groups": 2}, "flip": False},
    {"args": {"dilation": (2, 1), "padding": 1}, "flip": True},
])
def test_symbolic_layer_at_random_points(cfg):
    """Random symbols for x, w, b and the upstream gradient, evaluated at a random point, against torch."""
    c_in, c_out, groups = 2, 2, cfg["args"].get("groups", 1)
    xs = [sym_matrix(n, 4, 3) for n in ("Xa", "Xb")]
    ws = [[sym_matrix(f"W{o}{c}", 2, 2) for c in "ab"[:c_in // groups]] for o in "ab"]
    bs = list(sympy.symbols("b_1 b_2", real=True))
    out = conv2d_layer(xs, ws, bs, flip=cfg["flip"], **cfg["args"])
    gs = [sym_matrix(n, *out[0].shape) for n in ("Ga", "Gb")]
    gx, gw, gb = conv2d_layer_grad(xs, ws, gs, flip=cfg["flip"], **cfg["args"])
    symbols = [s for m in xs + [k for f in ws for k in f] + gs for s in m] + bs
    values = dict(zip(symbols, np.random.default_rng(7).standard_normal(len(symbols)).tolist()))
    tx = tensor([evaluate(m, values).tolist() for m in xs], grad=True)
    tw = tensor([[evaluate(k, values).tolist() for k in f] for f in ws], grad=True)
    tb = tensor([values[b] for b in bs], grad=True)
    ref = torch_layer(tx.unsqueeze(0), tw, tb, cfg["args"], cfg["flip"])[0]
    (ref * tensor([evaluate(g, values).tolist() for g in gs])).sum().backward()
    close = lambda ours, theirs: np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)  # noqa: E731
    close(np.array([evaluate(m, values) for m in out]), ref)
    close(np.array([evaluate(m, values) for m in gx]), tx.grad)
    close(np.array([[evaluate(k, values) for k in f] for f in gw]), tw.grad)
    close(np.array([float(e.subs(values)) for e in gb]), tb.grad)
    assert c_out == len(out) == len(gw) == len(gb)


def test_one_channel_no_bias_is_conv2d():
    """The layer adds channels, groups and a bias around conv2d, nothing else."""
    A, B = sym_matrix("A", 4, 4), sym_matrix("B", 2, 2)
    assert conv2d_layer([A], [[B]], stride=2, padding=1) == [conv2d(A, B, stride=2, padding=1)]


# --- padding ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("padding", "k", "kwargs", "expected"), [
    (0, (3, 3), {}, (0, 0, 0, 0)),
    (2, (3, 3), {}, (2, 2, 2, 2)),
    ((1, 0), (3, 3), {}, (1, 1, 0, 0)),
    ((1,), (3, 3), {}, (1, 1, 1, 1)),
    ((0, 1, 2, 3), (3, 3), {}, (0, 1, 2, 3)),
    ("valid", (3, 3), {}, (0, 0, 0, 0)),
    ("same", (3, 3), {}, (1, 1, 1, 1)),
    ("same", (2, 4), {}, (0, 1, 1, 2)),           # the odd extra at the bottom and the right
    ("same", (2, 3), {"dilation": (3, 2)}, (1, 2, 2, 2)),
])
def test_padding_sides_table(padding, k, kwargs, expected):
    assert padding_sides(padding, k, **kwargs) == expected


@pytest.mark.parametrize(("shape", "k", "dilation"), [
    ((4, 5), (2, 2), 1), ((5, 5), (3, 2), (1, 2)), ((3, 6), (2, 4), 2),
])
@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_same_padding_matches_torch(shape, k, dilation):
    rng = np.random.default_rng(3)
    x, w = integers(rng, 1, *shape), integers(rng, 1, 1, *k)
    ours = conv2d_layer(x, w, padding="same", dilation=dilation)
    theirs = F.conv2d(tensor(x.tolist()).unsqueeze(0), tensor(w.tolist()), padding="same", dilation=dilation)
    assert as_array(ours).tolist() == theirs[0].numpy().tolist()
    assert ours[0].shape == shape


def test_asymmetric_padding_gradient_is_cut_back_to_the_input():
    """Padding cells are constants: ∂E/∂x has x's shape, and a cell outside every window gets 0."""
    (gx,), _, _ = conv2d_layer_grad([sympy.ones(2, 2)], [[sympy.ones(1, 1)]], padding=(1, 0, 0, 2), stride=2)
    assert gx == sympy.Matrix([[0, 0], [1, 0]])


# --- inputs in every form ---------------------------------------------------------------------------------------

def test_arrays_nested_lists_and_matrices_agree():
    rng = np.random.default_rng(5)
    x, w = integers(rng, 2, 3, 3), integers(rng, 3, 2, 2, 2)
    matrices = ([sympy.Matrix(c) for c in x], [[sympy.Matrix(k) for k in f] for f in w])
    forms = [(x, w), (x.tolist(), w.tolist()), matrices]
    results = [conv2d_layer(xf, wf, bias=np.array([1, 2, 3])) for xf, wf in forms]
    assert results[0] == results[1] == results[2]


# --- errors (torch raises for each) -----------------------------------------------------------------------------

X2 = [sympy.ones(3, 3)] * 2
W2 = [[sympy.ones(2, 2)] * 2]


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: conv2d_layer(X2, [[sympy.ones(2, 2)]] * 3, groups=2), "out_channels"),
    (lambda: conv2d_layer([sympy.ones(3, 3)] * 3, [[sympy.ones(2, 2)]] * 3, groups=2), "in_channels"),
    (lambda: conv2d_layer(X2, [[sympy.ones(2, 2)]] * 2), "w"),                  # 1 kernel, 2 channels, groups 1
    (lambda: conv2d_layer(X2, W2 * 2, groups=2), "w"),                          # 2 kernels, groups 2 wants 1
    (lambda: conv2d_layer(X2, W2, groups=0), "groups"),
    (lambda: conv2d_layer(X2, [W2[0], [sympy.ones(1, 1)] * 2]), "w"),           # filters of two kernel shapes
    (lambda: conv2d_layer(X2, W2, bias=[1, 2]), "bias"),
    (lambda: conv2d_layer(X2, W2, bias=3), "bias"),
    (lambda: conv2d_layer(X2, W2, bias=["1"]), "bias"),
    (lambda: conv2d_layer(X2, W2, padding="same", stride=2), "padding"),
    (lambda: conv2d_layer(X2, W2, padding="full"), "padding"),
    (lambda: conv2d_layer(X2, W2, padding=(1, 1, 1)), "padding"),
    (lambda: conv2d_layer(X2, W2, padding=(0, 0, -1, 0)), "padding"),
    (lambda: conv2d_layer(X2, [[sympy.ones(5, 2)] * 2], padding=(0, 1, 0, 0)), "kernel_size"),
    (lambda: conv2d_layer(X2, "w"), "w"),
    (lambda: conv2d_layer_grad(X2, W2, [sympy.ones(2, 2)] * 2), "upstream"),     # one per output channel
    (lambda: conv2d_layer_grad(X2, W2, [sympy.ones(3, 3)]), "upstream"),         # the output's shape
])
def test_bad_layers_are_config_errors(call, argument):
    with pytest.raises(ConfigError) as err:
        call()
    assert err.value.argument == argument and "\n" not in str(err.value)


@pytest.mark.parametrize("groups", [1, 2])
def test_a_filter_with_the_wrong_number_of_kernels_is_named_in_the_layer_s_terms(groups):
    """conv2d alone would complain about one kernel per input channel; the layer says what groups asks for."""
    kernels = 2 // groups + 1
    with pytest.raises(ConfigError, match=f"in_channels/groups = {2 // groups} kernels"):
        conv2d_layer(X2, [[sympy.ones(2, 2)] * kernels] * 2, groups=groups)


# --- ReLU -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[[-2, 0, 3]], [[0, 0], [1, -1]], [[sympy.Rational(-1, 2), sympy.Rational(5, 3)]]])
def test_relu_and_its_gradient_match_torch(values):
    """PyTorch's rule: the gradient at exactly 0 is 0."""
    t = tensor([[float(v) for v in row] for row in values], grad=True)
    g = [[2 + i + j for j in range(len(values[0]))] for i in range(len(values))]
    torch.relu(t).mul(tensor(g)).sum().backward()
    assert relu(values) == sympy.Matrix(values).applyfunc(lambda v: max(v, 0))
    assert np.array(relu_grad(values, g).tolist(), dtype=float).tolist() == t.grad.numpy().tolist()


def test_relu_gradient_at_zero_is_zero():
    assert relu_grad([[0]]) == sympy.Matrix([[0]])


def test_relu_of_symbols_is_max_and_a_piecewise_gradient():
    a, p = sympy.Symbol("a", real=True), sympy.Symbol("p", positive=True)
    assert relu([[a, p]]) == sympy.Matrix([[sympy.Max(0, a), p]])
    (da, dp), = relu_grad([[a, p]]).tolist()
    assert dp == 1 and [da.subs(a, v) for v in (-1, 0, 2)] == [0, 0, 1]


def test_relu_keeps_the_channel_list():
    out = relu([sympy.Matrix([[-1]]), sympy.Matrix([[2]])])
    assert out == [sympy.Matrix([[0]]), sympy.Matrix([[2]])]
    assert relu_grad(np.array([[[-1]], [[2]]]), [[[5]], [[6]]]) == [sympy.Matrix([[0]]), sympy.Matrix([[6]])]


def test_relu_grad_rejects_an_upstream_of_another_shape():
    with pytest.raises(ConfigError) as err:
        relu_grad([[1, 2]], [[1]])
    assert err.value.argument == "upstream"
