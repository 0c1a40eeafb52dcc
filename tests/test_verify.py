"""symconv.verify: symbolic results checked against the numeric evaluator at seeded random points."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from symconv import (
    VerificationError,
    avg_pool2d,
    conv2d,
    conv2d_grad,
    lp_pool2d,
    max_pool2d,
    sym_matrix,
    verify_conv2d,
    verify_conv2d_grad,
    verify_pool,
)
from symconv.verify import evaluate, random_values, verify

A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
CONFIGS = [{}, {"stride": 2}, {"padding": 1}, {"dilation": 2}, {"stride": (1, 2), "padding": (2, 0)}]


def corrupt(m: sympy.Matrix, i: int, j: int, value: sympy.Expr) -> sympy.Matrix:
    out = m.copy()
    out[i, j] = value
    return out


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("flip", [False, True])
def test_conv2d_passes(cfg, flip):
    assert verify_conv2d(A, B, conv2d(A, B, flip=flip, **cfg), flip=flip, **cfg) < 1e-12


def test_conv2d_flip_mismatch_is_caught():
    with pytest.raises(VerificationError):
        verify_conv2d(A, B, conv2d(A, B, flip=True))


@pytest.mark.parametrize(("i", "j", "entry"), [(1, 2, "C_{23}"), (0, 0, "C_{11}"), (2, 2, "C_{33}")])
def test_conv2d_corrupted_entry_is_named(i, j, entry):
    C = conv2d(A, B)
    with pytest.raises(VerificationError) as err:
        verify_conv2d(A, B, corrupt(C, i, j, C[i, j] + B[0, 0]), name="C")
    assert err.value.entry == entry and err.value.what == "C"
    assert entry in str(err.value) and "\n" not in str(err.value)


def test_two_digit_entries_take_a_comma():
    X, K = sym_matrix("A", 12, 12), sym_matrix("B", 1, 1)
    C = conv2d(X, K)
    with pytest.raises(VerificationError) as err:
        verify_conv2d(X, K, corrupt(C, 10, 2, 0), name="C")
    assert err.value.entry == "C_{11,3}"


def test_swapped_kernel_entry_is_caught():
    dA, _ = conv2d_grad(A, B)
    wrong = corrupt(dA, 0, 1, B[0, 0] + B[1, 1])   # right count of terms, wrong variable
    with pytest.raises(VerificationError) as err:
        verify_conv2d_grad(A, B, None, wrong)
    assert err.value.entry == "dE/dA_{12}"


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("symbolic", [False, True])
def test_conv2d_grad_passes_and_catches(cfg, symbolic):
    C = conv2d(A, B, **cfg)
    G = sym_matrix("G", *C.shape) if symbolic else None
    dA, dB = conv2d_grad(A, B, G, **cfg)
    assert verify_conv2d_grad(A, B, G, dA, dB, **cfg) < 1e-9
    with pytest.raises(VerificationError) as err:
        verify_conv2d_grad(A, B, G, dA, corrupt(dB, 2, 1, dB[2, 1] * 2), **cfg)
    assert err.value.entry == "dE/dB_{32}"
    with pytest.raises(VerificationError) as err:
        verify_conv2d_grad(A, B, G, corrupt(dA, 4, 4, dA[4, 4] + 1), names=("gA", "gB"), **cfg)
    assert err.value.entry == "gA_{55}"


def test_numeric_upstream():
    G = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    dA, dB = conv2d_grad(A, B, G)
    assert verify_conv2d_grad(A, B, G, dA, dB) < 1e-9


X = sym_matrix("X", 4, 5)
POOLS = [
    ("max", max_pool2d, {"kernel_size": 2}),
    ("max", max_pool2d, {"kernel_size": 3, "stride": 1, "padding": 1}),
    ("max", max_pool2d, {"kernel_size": 2, "ceil_mode": True}),
    ("avg", avg_pool2d, {"kernel_size": 2, "stride": 1}),
    ("avg", avg_pool2d, {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
    ("lp", lambda x, **kw: lp_pool2d(x, 2, **kw), {"kernel_size": 2}),
]


@pytest.mark.parametrize(("kind", "pool", "kwargs"), POOLS)
def test_pools_pass_and_catch(kind, pool, kwargs):
    Y = pool(X, **kwargs)
    extra = {"norm_type": 2} if kind == "lp" else {}
    assert verify_pool(kind, X, Y, **extra, **kwargs) < 1e-9
    with pytest.raises(VerificationError) as err:
        verify_pool(kind, X, corrupt(Y, 0, 1, X[0, 0]), **extra, **kwargs)
    assert err.value.entry == "Y_{12}"


def test_shape_mismatch():
    with pytest.raises(VerificationError):
        verify_conv2d(A, B, conv2d(A, B)[:2, :])


def test_generic_verify():
    assert verify(A * 2, lambda a: a * 2, [A]) < 1e-12
    with pytest.raises(VerificationError) as err:
        verify(A * 2, lambda a: a * 3, [A], name="Z")
    assert err.value.entry == "Z_{11}"


def test_random_values_are_seeded_and_positive():
    v1, v2 = random_values([A, B], seed=3), random_values([A, B], seed=3)
    assert v1 == v2 and len(v1) == 34
    assert all(0.5 <= v < 2.0 for v in v1.values())
    assert random_values([A, B], seed=4) != v1


def test_evaluate():
    values = {s: float(k) for k, s in enumerate(B)}
    np.testing.assert_array_equal(evaluate(B, values), np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(evaluate(sympy.Matrix([[1, 2]]), {}), [[1.0, 2.0]])
