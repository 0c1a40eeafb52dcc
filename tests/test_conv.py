"""symconv.conv: symbolic conv2d and conv2d_grad, lambdified, against torch (float64) as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import HOMEWORK_A, HOMEWORK_B, tensor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ConfigError, conv2d, conv2d_grad, entry_symbol, sym_matrix
from symconv.conv import _product, _sum
from symconv.verify import evaluate

RTOL, ATOL = 1e-10, 1e-12
SYMPY_HEAVY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IN_NAMES, K_NAMES = ("A", "Aa", "Ab"), ("B", "Ba", "Bb")


@st.composite
def configs(draw, max_channels: int = 1) -> dict:
    pairs = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi)) | st.integers(lo, hi)  # noqa: E731
    return {
        "channels": draw(st.integers(1, max_channels)),
        "x": (draw(st.integers(1, 10)), draw(st.integers(1, 10))),
        "w": (draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        "args": {"stride": draw(pairs(1, 3)), "padding": draw(pairs(0, 2)), "dilation": draw(pairs(1, 3))},
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def operands(cfg: dict) -> tuple[list[sympy.Matrix], list[sympy.Matrix], dict[sympy.Symbol, float]]:
    """Symbolic channel matrices and seeded standard-normal values for their symbols."""
    xs = [sym_matrix(IN_NAMES[c], *cfg["x"]) for c in range(cfg["channels"])]
    ws = [sym_matrix(K_NAMES[c], *cfg["w"]) for c in range(cfg["channels"])]
    symbols = [s for m in xs + ws for s in m]
    rng = np.random.default_rng(cfg["seed"])
    return xs, ws, dict(zip(symbols, rng.standard_normal(len(symbols)).tolist()))


def as_tensor(mats: list[sympy.Matrix], values: dict, grad: bool = False) -> torch.Tensor:
    """Channel matrices at ``values`` as a (1, C, H, W) float64 tensor."""
    return tensor([evaluate(m, values).tolist() for m in mats], grad=grad).unsqueeze(0).detach().requires_grad_(grad)


def torch_conv(x: torch.Tensor, w: torch.Tensor, args: dict) -> torch.Tensor | None:
    try:
        return F.conv2d(x, w, **args)
    except RuntimeError:
        return None


def close(ours: np.ndarray, theirs: torch.Tensor) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


# --- forward --------------------------------------------------------------------------------------------------

@SYMPY_HEAVY
@given(configs(), st.booleans())
def test_conv2d_matches_torch(cfg, flip):
    (x,), (w,), values = operands(cfg)
    tw = as_tensor([w], values)
    out = torch_conv(as_tensor([x], values), torch.flip(tw, [-2, -1]) if flip else tw.unsqueeze(0)[0], cfg["args"])
    if out is None:
        with pytest.raises(ConfigError):
            conv2d(x, w, flip=flip, **cfg["args"])
        return
    close(evaluate(conv2d(x, w, flip=flip, **cfg["args"]), values), out[0, 0])


@SYMPY_HEAVY
@given(configs())
def test_flip_is_conv_with_the_rotated_kernel(cfg):
    (x,), (w,), _ = operands(cfg)
    try:
        flipped = conv2d(x, w, flip=True, **cfg["args"])
    except ConfigError:
        return
    assert flipped == conv2d(x, w[::-1, ::-1], **cfg["args"])


@SYMPY_HEAVY
@given(configs(max_channels=3))
def test_multi_channel_sums_over_channels(cfg):
    xs, ws, values = operands(cfg)
    out = torch_conv(as_tensor(xs, values), as_tensor(ws, values), cfg["args"])
    if out is None:
        return
    ours = conv2d(xs, ws, **cfg["args"])
    close(evaluate(ours, values), out[0, 0])
    assert sympy.expand(ours - sum((conv2d(x, w, **cfg["args"]) for x, w in zip(xs, ws)),
                                   sympy.zeros(*ours.shape))) == sympy.zeros(*ours.shape)


def test_channel_count_mismatch():
    with pytest.raises(ConfigError) as err:
        conv2d([sym_matrix("A", 3, 3), sym_matrix("Aa", 3, 3)], [sym_matrix("B", 2, 2)])
    assert err.value.argument == "w"


def test_channel_shapes_must_agree():
    with pytest.raises(ConfigError) as err:
        conv2d([sym_matrix("A", 3, 3), sym_matrix("Aa", 3, 4)], [sym_matrix("B", 2, 2)] * 2)
    assert err.value.argument == "x"


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"stride": 0}, "stride"), ({"padding": -1}, "padding"), ({"dilation": 0}, "dilation"),
    ({"stride": (1, 2, 3)}, "stride"), ({"padding": 1.5}, "padding"),
])
def test_conv2d_bad_config(kwargs, argument):
    with pytest.raises(ConfigError) as err:
        conv2d(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), **kwargs)
    assert err.value.argument == argument


def test_conv2d_kernel_larger_than_input():
    with pytest.raises(ConfigError) as err:
        conv2d(sym_matrix("A", 2, 5), sym_matrix("B", 3, 3))
    assert err.value.argument == "kernel_size"


# --- the homework -----------------------------------------------------------------------------------------------

def test_homework_output():
    C = conv2d(HOMEWORK_A, HOMEWORK_B)
    assert C.shape == (3, 3)
    assert all(isinstance(e, sympy.Integer) for e in C)
    expected = F.conv2d(tensor([[HOMEWORK_A]]), tensor([[HOMEWORK_B]]))[0, 0]
    assert C.tolist() == expected.to(torch.int64).tolist()


def test_homework_input_gradient_with_ones():
    dA, dB = conv2d_grad(HOMEWORK_A, HOMEWORK_B)
    assert dA.tolist() == [[4, 7, 10, 6, 3], [9, 17, 25, 16, 8], [11, 23, 34, 23, 11], [7, 16, 24, 17, 8],
                           [2, 6, 9, 7, 3]]
    a, b = tensor([[HOMEWORK_A]], grad=True), tensor([[HOMEWORK_B]], grad=True)
    F.conv2d(a, b).sum().backward()
    assert dA.tolist() == a.grad[0, 0].to(torch.int64).tolist()
    assert dB.tolist() == b.grad[0, 0].to(torch.int64).tolist()


def test_homework_symbolic_gradient_substitutes_to_numbers():
    A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
    dA, _ = conv2d_grad(A, B)
    subs = dict(zip(B, sympy.Matrix(HOMEWORK_B)))
    assert dA.xreplace(subs) == conv2d_grad(HOMEWORK_A, HOMEWORK_B)[0]
    assert dA[0, 0] == B[0, 0]
    assert dA[2, 2] == sum(B)


# --- gradients ----------------------------------------------------------------------------------------------------

@SYMPY_HEAVY
@given(configs(max_channels=2), st.booleans())
def test_conv2d_grad_matches_autograd(cfg, symbolic_upstream):
    xs, ws, values = operands(cfg)
    multi = cfg["channels"] > 1
    tx, tw = as_tensor(xs, values, grad=True), as_tensor(ws, values, grad=True)
    out = torch_conv(tx, tw, cfg["args"])
    if out is None:
        with pytest.raises(ConfigError):
            conv2d_grad(xs if multi else xs[0], ws if multi else ws[0], **cfg["args"])
        return
    G = None
    if symbolic_upstream:
        G = sym_matrix("G", *out.shape[2:])
        values = {**values, **dict(zip(G, np.random.default_rng(cfg["seed"] + 1).standard_normal(len(G))))}
        out.backward(tensor(evaluate(G, values).tolist())[None, None])
    else:
        out.sum().backward()
    dX, dW = conv2d_grad(xs if multi else xs[0], ws if multi else ws[0], G, **cfg["args"])
    dXs, dWs = (dX, dW) if multi else ([dX], [dW])
    assert len(dXs) == len(dWs) == cfg["channels"]
    for c in range(cfg["channels"]):
        close(evaluate(dXs[c], values), tx.grad[0, c])
        close(evaluate(dWs[c], values), tw.grad[0, c])


@SYMPY_HEAVY
@given(configs())
def test_input_gradient_with_ones_is_a_sum_of_kernel_symbols(cfg):
    (x,), (w,), _ = operands(cfg)
    try:
        dX, _ = conv2d_grad(x, w, **cfg["args"])
    except ConfigError:
        return
    kernel = set(w)
    for entry in dX:
        terms = sympy.Add.make_args(entry) if entry != 0 else ()
        assert all(t in kernel for t in terms), entry     # each term is one kernel symbol, coefficient 1
        assert len(set(terms)) == len(terms)


def test_numeric_upstream_and_shape_check():
    A, B = sym_matrix("A", 3, 3), sym_matrix("B", 2, 2)
    dA, _ = conv2d_grad(A, B, [[1, 2], [3, 4]])
    assert dA[0, 0] == B[0, 0] and dA[2, 2] == 4 * B[1, 1]
    with pytest.raises(ConfigError) as err:
        conv2d_grad(A, B, [[1, 2, 3]])
    assert err.value.argument == "upstream"


def test_stride_skips_give_zero_gradient():
    A, B = sym_matrix("A", 5, 5), sym_matrix("B", 2, 2)
    dA, _ = conv2d_grad(A, B, stride=2)   # rows/cols 5 are never read
    assert all(dA[4, j] == 0 for j in range(5)) and all(dA[i, 4] == 0 for i in range(5))
    assert dA[0, 0] == B[0, 0]


# --- the fast paths equal SymPy's own constructors ---------------------------------------------------------------

def same(ours: sympy.Expr, theirs: sympy.Expr) -> None:
    assert ours == theirs
    assert hash(ours) == hash(theirs)
    assert str(ours) == str(theirs)
    assert ours.args == theirs.args
    assert ours - theirs == 0


ENTRY = st.builds(entry_symbol, st.sampled_from(["A", "B", "G", "Ba", "Z"]), st.integers(1, 12), st.integers(1, 12))
PLAIN = st.builds(sympy.Symbol, st.sampled_from(["a", "b", "g", "x", "A_11", "B_2", "z"]))
NUMBER = st.sampled_from([sympy.S.One, sympy.Integer(2), sympy.Integer(-1), sympy.Rational(1, 2), sympy.S.Zero])


def products(symbol: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(symbol, symbol).map(lambda ab: ab[0] * ab[1])


@settings(max_examples=300, deadline=None)
@given(ENTRY | NUMBER | products(ENTRY), ENTRY | NUMBER | products(ENTRY))
def test_product_is_mul(a, b):
    same(_product(a, b), a * b)


@settings(max_examples=300, deadline=None)
@given(st.lists(ENTRY, max_size=12) | st.lists(products(ENTRY), max_size=12)
       | st.lists(ENTRY | products(ENTRY) | NUMBER, max_size=12))
def test_sum_is_add(terms):
    same(_sum(terms), sympy.Add(*terms))


# Symbols with different assumptions (a real entry symbol and a plain Symbol) are ordered by SymPy by the length
# of their hashable content, not by name; the fast paths must still build SymPy's canonical form.
@settings(max_examples=200, deadline=None)
@given(ENTRY | PLAIN, ENTRY | PLAIN)
def test_product_is_mul_with_mixed_assumptions(a, b):
    same(_product(a, b), a * b)


@settings(max_examples=200, deadline=None)
@given(st.lists(ENTRY | PLAIN, max_size=8) | st.lists(products(ENTRY | PLAIN), max_size=8))
def test_sum_is_add_with_mixed_assumptions(terms):
    same(_sum(terms), sympy.Add(*terms))


def test_gradient_with_a_plain_symbol_upstream_is_canonical():
    A, B = sym_matrix("A", 2, 2), sym_matrix("B", 1, 1)
    G = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"g{i}{j}"))
    dA, _ = conv2d_grad(A, B, G)
    assert dA[0, 0] - B[0, 0] * G[0, 0] == 0
