"""The LP-pooling part of a solution document: max pooling as p -> oo and average pooling as p = 1.

The proofs come from :mod:`symconv.limits` over N = (pool window size) symbolic entries, each step checked by
SymPy; a proof or a table that is not verified aborts the document (VerificationError). One concrete window of the
pooled matrix then shows PyTorch's L_p approaching the max, with the exact limits and the float64 cross-check.

>>> from symconv import derive_solution
>>> window_values(derive_solution())
[109, 92, 108, 85]
"""

from __future__ import annotations

import functools

import sympy
from pylatex import NoEscape
from pylatex.base_classes import Container

from symconv.errors import ConfigError, SpecError, VerificationError
from symconv.latex import latex
from symconv.limits import MAX_SYMBOLIC, WindowLimits, prove_max_limit, prove_p1, window_limits
from symconv.pooling import pool_windows
from symconv.solution import Solution
from symconv.spec import Part


def window_values(sol: Solution) -> list[sympy.Expr] | None:
    """The entries of the first full pooling window with no negative entry (None if there is none)."""
    pool = sol.spec.pooling
    if pool is None:
        return None
    x = sol.pool_input
    for row in pool_windows(x.shape, pool.kernel_size, pool.stride, pool.padding):
        for w in row:
            values = [x[a, b] for a, b in w.cells]
            if len(values) == w.kernel_count and all(v >= 0 for v in values):
                return values
    return None


@functools.lru_cache(maxsize=32)
def _window_limits(values: tuple[sympy.Expr, ...]) -> WindowLimits:
    """sympy.limit takes seconds per window; a rebuilt document with the same window reuses the result."""
    return window_limits(values, norm="torch")


def _proof(kind: str, n: int, norm: str) -> str:
    proof = (prove_max_limit if kind == "max" else prove_p1)(n, norm)
    if not proof.verified:
        raise VerificationError("lp-limits", proof.title, float("nan"), float("nan"))
    return proof.to_latex()


def lp_limits(box: Container, sol: Solution, part: Part) -> None:
    pool = sol.spec.pooling
    if pool is None:
        raise SpecError(sol.spec.source, f"part {part.id} ({part.task}) needs a pooling section")
    n = pool.kernel_size[0] * pool.kernel_size[1]
    if n > MAX_SYMBOLIC:
        raise SpecError(sol.spec.source, f"part {part.id}: pool windows of {n} entries are beyond the proofs "
                        f"(at most {MAX_SYMBOLIC})")
    N = latex(sympy.Integer(n))
    box.append(NoEscape(
        rf"Write the power mean of a window's $N = {N}$ entries $x_i \ge 0$ as "
        r"$M_p = \bigl(\frac{1}{N}\sum_i x_i^p\bigr)^{1/p}$. Max pooling is its limit as $p \to \infty$ and "
        r"average pooling is $p = 1$; SymPy checked every step below."))
    box.append(NoEscape(_proof("max", n, "normalized")))
    box.append(NoEscape(_proof("p1", n, "normalized")))
    box.append(NoEscape(
        r"\paragraph{PyTorch's definition.} \texttt{torch.nn.LPPool2d} computes "
        r"$L_p = \bigl(\sum_i x_i^p\bigr)^{1/p} = N^{1/p} M_p$, without the $1/N$. Since $N^{1/p} \to 1$, "
        r"$L_p$ still tends to the max as $p \to \infty$ (squeezed between $m$ and $N^{1/p} m$), but at $p = 1$ "
        rf"it is the \emph{{sum}} of the window, $N = {N}$ times the average: average pooling is "
        r"\texttt{LPPool2d} with $p = 1$ divided by $N$. (For entries of mixed sign PyTorch takes no absolute "
        r"value, and non-integer $p$ gives NaN.)"))
    values = window_values(sol)
    if values is None:
        box.append("No window of the pooled matrix is nonnegative, so no convergence table is shown.")
        return
    try:
        result = _window_limits(tuple(values))
    except ConfigError as err:
        raise SpecError(sol.spec.source, f"part {part.id}: {err}") from None
    if not result.verified:
        raise VerificationError("lp-limits", "the convergence table", float("nan"), float("nan"))
    shown = ", ".join(latex(v) for v in values)
    box.append(NoEscape(
        rf"\paragraph{{One window.}} For the first window, $({shown})$, PyTorch's $L_p$ and its exact limits "
        r"(SymPy), then the approach to the max $m$ within the squeeze bound (mpmath, 50 digits; the float64 "
        r"\texttt{lp\_pool2d} agrees where floats do not overflow):"))
    box.append(NoEscape(r"\begin{center}" + result.to_latex().replace("\n\n", r"\par\medskip" + "\n")
                        + r"\end{center}"))
