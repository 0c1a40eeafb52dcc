"""symconv.sequence: 1-D convolution and its gradients against torch's conv1d (float64) and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import tensor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ConfigError, conv1d, conv1d_grad, conv2d, sym_matrix
from symconv.sequence import sequences
from symconv.verify import evaluate

SMALL = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_conv1d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, args: dict, flip: bool) -> torch.Tensor:
    """torch's conv1d on a (C, L) input; padding (left, right) done by F.pad first."""
    args = dict(args)
    padding = args.pop("padding", 0)
    if isinstance(padding, tuple):
        x, padding = F.pad(x, padding), 0
    return F.conv1d(x.unsqueeze(0), torch.flip(w, [-1]) if flip else w, b, padding=padding, **args)[0]


@st.composite
def layers(draw) -> dict:
    groups = draw(st.integers(1, 2))
    return {
        "c_in": groups * draw(st.integers(1, 2)), "c_out": groups * draw(st.integers(1, 2)),
        "length": draw(st.integers(1, 8)), "k": draw(st.integers(1, 3)),
        "args": {"stride": draw(st.integers(1, 3)), "dilation": draw(st.integers(1, 2)), "groups": groups,
                 "padding": draw(st.integers(0, 2) | st.tuples(st.integers(0, 2), st.integers(0, 2)))},
        "bias": draw(st.booleans()), "flip": draw(st.booleans()), "seed": draw(st.integers(0, 2**32 - 1)),
    }


@SMALL
@given(layers())
def test_conv1d_and_its_gradients_match_torch(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.integers(-3, 4, size=(cfg["c_in"], cfg["length"]))
    w = rng.integers(-3, 4, size=(cfg["c_out"], cfg["c_in"] // cfg["args"]["groups"], cfg["k"]))
    b = rng.integers(-3, 4, size=cfg["c_out"]) if cfg["bias"] else None
    tx, tw = tensor(x.tolist(), grad=True), tensor(w.tolist(), grad=True)
    tb = None if b is None else tensor(b.tolist(), grad=True)
    try:
        out = torch_conv1d(tx, tw, tb, cfg["args"], cfg["flip"])
    except RuntimeError:
        with pytest.raises(ConfigError):
            conv1d(x, w, b, flip=cfg["flip"], **cfg["args"])
        return
    assert conv1d(x, w, b, flip=cfg["flip"], **cfg["args"]).tolist() == out.detach().numpy().astype(int).tolist()
    g = np.random.default_rng(cfg["seed"] + 1).integers(-3, 4, size=tuple(out.shape))
    (out * tensor(g.tolist())).sum().backward()
    gx, gw, gb = conv1d_grad(x, w, g, flip=cfg["flip"], **cfg["args"])
    assert gx.tolist() == tx.grad.numpy().astype(int).tolist()
    assert [m.tolist() for m in gw] == tw.grad.numpy().astype(int).tolist()
    if tb is not None:
        assert gb == tb.grad.numpy().astype(int).tolist()


@pytest.mark.parametrize("args", [{}, {"stride": 2, "padding": (1, 0)}, {"dilation": 2, "padding": 2}])
def test_symbolic_conv1d_at_random_points(args):
    """One symbolic sequence and kernel: the sums of products, evaluated at a random point, and their gradients."""
    x, w = sym_matrix("x", 1, 7), sym_matrix("w", 1, 3)
    out = conv1d(x, w, **args)
    G = sym_matrix("g", *out.shape)
    gx, gw, _ = conv1d_grad(x, w, G, **args)
    values = dict(zip([*x, *w, *G], np.random.default_rng(2).standard_normal(7 + 3 + len(G)).tolist()))
    tx, tw = tensor([evaluate(x, values)[0].tolist()], grad=True), tensor([evaluate(w, values).tolist()], grad=True)
    ref = torch_conv1d(tx, tw, None, args, False)
    (ref * tensor(evaluate(G, values).tolist())).sum().backward()
    close = lambda ours, theirs: np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)  # noqa: E731
    close(evaluate(out, values), ref)
    close(evaluate(gx, values), tx.grad)
    close(evaluate(gw, values), tw.grad[0])


def test_conv1d_is_conv2d_on_a_row():
    x, w = sym_matrix("x", 1, 6), sym_matrix("w", 1, 2)
    assert conv1d(x, w, stride=2, padding=1, dilation=2) == conv2d(x, w, stride=(1, 2), padding=(0, 1),
                                                                  dilation=(1, 2))


@pytest.mark.parametrize(("x", "w", "expected"), [
    ([1, 2, 3], [1, 1], [[3, 5]]),                                            # flat lists
    (np.array([1, 2, 3]), np.array([1, 1]), [[3, 5]]),                        # 1-D arrays
    (sympy.Matrix([[1, 2, 3]]), sympy.Matrix([[1, 1]]), [[3, 5]]),            # row vectors
    ([[1, 2, 3], [1, 1, 1]], [[1, 1], [0, 1]], [[4, 6]]),                     # one filter over two channels
    ([sympy.Matrix([[1, 2, 3]]), sympy.Matrix([[1, 1, 1]])], np.array([[[1, 1], [0, 1]]]), [[4, 6]]),
    ([1, 2, 3], [sympy.Matrix([[1, 1]]), sympy.Matrix([[1, -1]])], [[3, 5], [-1, -1]]),   # two filters
    ([1, 2, 3], np.array([[[1, 1]], [[1, -1]]]), [[3, 5], [-1, -1]]),
])
def test_every_form_of_sequence_and_filter(x, w, expected):
    assert conv1d(x, w).tolist() == expected


def test_the_kernel_gradient_has_the_form_of_the_kernel():
    _, one, _ = conv1d_grad([1, 2, 3], [1, 1])
    _, several, _ = conv1d_grad([1, 2, 3], [[[1, 1]], [[1, -1]]])
    assert one == sympy.Matrix([[3, 5]]) and several == [sympy.Matrix([[3, 5]])] * 2


@pytest.mark.parametrize(("padding", "kernel"), [("same", [1, 2, 3]), ("same", [1, 2]), ("valid", [1, 2])])
@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_string_padding_matches_torch(padding, kernel):
    x = [3, -1, 4, 1, -5]
    theirs = F.conv1d(tensor([[x]]), tensor([[kernel]]), padding=padding)[0]
    assert conv1d(x, kernel, padding=padding).tolist() == theirs.numpy().astype(int).tolist()


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: conv1d([1, 2, 3], [1, 1], stride=(1, 2)), "stride"),        # one axis: a 2-tuple is not a stride
    (lambda: conv1d([1, 2, 3], [1, 1], dilation=0), "dilation"),
    (lambda: conv1d([1, 2, 3], [1, 1], padding=(1, 1, 1)), "padding"),
    (lambda: conv1d([1, 2, 3], [1, 1], padding=(0, -1)), "padding"),
    (lambda: conv1d([1, 2, 3], [1, 1], padding="same", stride=2), "padding"),
    (lambda: conv1d([1, 2], [1, 1, 1]), "kernel_size"),
    (lambda: conv1d([[1, 2], [3, 4]], [1, 1]), "w"),                    # two channels, a one-channel kernel
    (lambda: conv1d([sympy.Matrix([[1, 2]]), sympy.Matrix([[1], [2]])], [1]), "x"),
    (lambda: conv1d_grad([1, 2, 3], [1, 1], [1, 1, 1]), "upstream"),
])
def test_bad_1d_configurations_are_config_errors(call, argument):
    with pytest.raises(ConfigError) as err:
        call()
    assert err.value.argument == argument


def test_sequences_keeps_rows_as_channels():
    assert sequences(np.array([[1, 2], [3, 4]])).tolist() == [[1, 2], [3, 4]]
