"""Cross-check symbolic results against the NumPy evaluator at seeded random points.

Every symbolic result used in a document or as a grading reference goes through here: the free symbols of the
operands get seeded random values, the symbolic result is evaluated at them (symconv.evaluate), the same values go
through :mod:`symconv.numeric`, and any disagreement raises :class:`VerificationError` naming the entry.

>>> from symconv import sym_matrix, conv2d, conv2d_grad
>>> A, B = sym_matrix("A", 4, 4), sym_matrix("B", 2, 2)
>>> verify_conv2d(A, B, conv2d(A, B)) < 1e-12
True
>>> wrong = conv2d(A, B).copy(); wrong[1, 2] = 0
>>> verify_conv2d(A, B, wrong, name="C")
Traceback (most recent call last):
...
symconv.errors.VerificationError: verification failed for C at C_{23}: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy

from symconv import numeric
from symconv.errors import VerificationError
from symconv.evaluate import value_at
from symconv.matrices import as_matrix, entry_name

Matrices = Sequence[sympy.Matrix]


def random_values(operands: Matrices, seed: int = 0) -> dict[sympy.Symbol, float]:
    """Seeded values in [0.5, 2) for every free symbol of the operands (positive, so powers stay real)."""
    symbols = sorted({s for m in operands for s in m.free_symbols}, key=lambda s: s.name)
    rng = np.random.default_rng(seed)
    return dict(zip(symbols, rng.uniform(0.5, 2.0, size=len(symbols)).tolist()))


def evaluate(result: sympy.Matrix, values: dict[sympy.Symbol, float]) -> np.ndarray:
    """A symbolic matrix as floats at ``values`` (NaN where an entry has no finite real value).

    The tree is walked by :func:`symconv.evaluate.value_at` rather than lambdify: gradients of large inputs are
    sums of thousands of terms, and lambdify's generated code for them is too deeply nested to compile.
    """
    named = {s.name: v for s, v in values.items()}
    out = np.empty(result.shape, dtype=float)
    for (i, j), e in np.ndenumerate(np.array(result.tolist(), dtype=object)):
        v = value_at(e, named, finite=False)
        out[i, j] = v.real if v is not None and v.imag == 0 else np.nan
    return out


def _operand_values(m: sympy.Matrix, values: dict[sympy.Symbol, float]) -> np.ndarray:
    """An operand (symbols or numbers) as floats, entry by entry: no code generation needed."""
    return np.array([[values[e] if e in values else float(e) for e in row] for row in m.tolist()], dtype=float)


def verify(result: Any, numeric_fn: Callable[..., np.ndarray], operands: Matrices, *, name: str = "result",
           seed: int = 0, rtol: float = 1e-9, atol: float = 1e-9) -> float:
    """Compare ``result`` (symbolic, in the operands' symbols) with ``numeric_fn(*arrays)`` at seeded points.

    Returns the largest absolute difference; raises VerificationError naming the first bad entry as
    ``name_{ij}`` (1-based).
    """
    result = as_matrix(result, name)
    operands = [as_matrix(m, "operand") for m in operands]
    values = random_values(operands, seed)
    arrays = [_operand_values(m, values) for m in operands]
    got = evaluate(result, values)
    want = np.asarray(numeric_fn(*arrays), dtype=float)
    if want.shape != got.shape:
        raise VerificationError(name, "shape", float("nan"), float("nan")) from None
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        entry = f"{name}_{{{entry_name(name, i + 1, j + 1).rpartition('_')[2]}}}"   # C_{23}, C_{12,3}
        raise VerificationError(name, entry, float(got[i, j]), float(want[i, j]))
    return float(np.max(np.abs(got - want), initial=0.0))


def verify_conv2d(x: Any, w: Any, result: Any, *, flip: bool = False, name: str = "C", **cfg: Any) -> float:
    """Check a symbolic conv2d result (``cfg``: stride, padding, dilation)."""
    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return numeric.conv2d(a, b[::-1, ::-1] if flip else b, **cfg)
    return verify(result, fn, [x, w], name=name)


def conv2d_backward(a: np.ndarray, b: np.ndarray, g: np.ndarray, *, flip: bool = False,
                    **cfg: Any) -> tuple[np.ndarray, np.ndarray]:
    """torch's (∂E/∂x, ∂E/∂w) of E = Σ g ⊙ conv2d(a, b) (:func:`symconv.numeric.conv2d_backward`); with ``flip``
    (true convolution) the layer uses the kernel rotated by 180 degrees, whose gradient is rotated back.

    >>> dx, dw = conv2d_backward(np.eye(2), np.array([[1.0]]), np.ones((2, 2)), flip=True)
    >>> dw.tolist()
    [[2.0]]
    """
    dx, dw = numeric.conv2d_backward(a, b[::-1, ::-1] if flip else b, g, **cfg)[:2]
    return dx, (dw[::-1, ::-1] if flip else dw)


def verify_conv2d_grad(x: Any, w: Any, upstream: Any, grad_x: Any, grad_w: Any | None = None, *,
                       names: tuple[str, str] = ("dE/dA", "dE/dB"), flip: bool = False, **cfg: Any) -> float:
    """Check symbolic (∂E/∂x, ∂E/∂w) for E = Σ upstream ⊙ conv2d(x, w, flip=flip); ``upstream=None`` means ones."""
    xm, wm = as_matrix(x, "x"), as_matrix(w, "w")
    if upstream is None:
        out = numeric.conv2d(np.zeros(xm.shape), np.zeros(wm.shape), **cfg)
        upstream = sympy.ones(*out.shape)
    operands = [xm, wm, as_matrix(upstream, "upstream")]
    err = verify(grad_x, lambda a, b, g: conv2d_backward(a, b, g, flip=flip, **cfg)[0], operands, name=names[0])
    if grad_w is not None:
        err = max(err, verify(grad_w, lambda a, b, g: conv2d_backward(a, b, g, flip=flip, **cfg)[1], operands,
                              name=names[1]))
    return err


def verify_pool(kind: str, x: Any, result: Any, *, name: str = "Y", **kwargs: Any) -> float:
    """Check a symbolic pooling result; ``kind`` is "max", "avg" or "lp" and kwargs are the pooling arguments
    (for "lp": norm_type first among them, plus ``norm``)."""
    pools: dict[str, Callable[..., Any]] = {"max": numeric.max_pool2d, "avg": numeric.avg_pool2d,
                                            "lp": numeric.lp_pool2d}
    fn = pools[kind]
    return verify(result, lambda a: fn(a, **kwargs), [x], name=name)
