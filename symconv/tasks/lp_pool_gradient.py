"""Task ``lp-pool-gradient``: ∂E/∂X through PyTorch's LPPool2d, as a matrix, for X the pooling's input and the
upstream ∂E/∂Y_uv of the other pooling-gradient tasks (ones, or symbolic G_uv).

Each window maps to L_p = (Σ x_i^p)^(1/p) (no 1/N: PyTorch's definition), so ∂L_p/∂x_i = x_i^(p-1) / L_p^(p-1):
with p = 2 an entry receives x_i / L_2 of its window (radicals in general), and an entry in several overlapping
windows the sum. p is the part's ``norm_type:`` (default 2; ``.inf`` is max pooling); kernel size and stride
come from the pooling section (LPPool2d has no padding). A window whose sum is 0 passes no gradient
(:func:`symconv.pooling.lp_pool2d_grad`, PyTorch's convention).

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "lp-pool-gradient.yaml")
>>> reference(sol)[0, :2]
Matrix([[sqrt(5)/5, 2*sqrt(5)/5]])
>>> [a.code for a in alternatives(sol)]
['lp-normalisation', 'lp-as-max', 'pool-forward-result', 'transposed']
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv import numeric
from symconv.document.blocks import matrix_result, prose
from symconv.document.options import DocumentOptions
from symconv.errors import ConfigError, SpecError, VerificationError
from symconv.latex import latex
from symconv.matrices import entry_symbol
from symconv.pooling import Window, check_norm_type, lp_pool2d, lp_pool2d_grad, max_pool2d_grad, pool_windows
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import symbol
from symconv.tasks.max_pool_gradient import input_shape, pool_upstream, pooling, upstream_latex
from symconv.verify import verify

NAME = "lp-pool-gradient"
#: LPPool2d's exponent when a part does not say (``norm_type:``).
DEFAULT_NORM_TYPE = 2
KEYS = {"problems[].parts[]": ("norm_type",)}


def norm_type(spec: Spec) -> sympy.Expr:
    """p, from the ``norm_type:`` of the spec's lp-pool-gradient parts (default 2); the reference is one matrix per
    spec, so its parts must agree. A value that is no exponent is a SpecError naming the part.

    >>> from symconv.spec import load_spec
    >>> norm_type(load_spec())
    2
    """
    values: dict[sympy.Expr, str] = {}
    for part in spec.parts:
        if part.task != NAME:
            continue
        given = part.options.get("norm_type", DEFAULT_NORM_TYPE)
        try:
            p = check_norm_type(given, symbolic=False) if not isinstance(given, str) else None
        except ConfigError as error:
            raise SpecError(spec.source, f"part {part.id}: norm_type {error.args[0].partition(': ')[2]}") from None
        if p is None:
            raise SpecError(spec.source, f"part {part.id}: norm_type must be a number (or .inf), not {given!r}")
        values.setdefault(p, part.id)
    if len(values) > 1:
        raise SpecError(spec.source, "parts " + ", ".join(values.values()) + " ask for different norm_type values; "
                                     "one spec has one LP pooling")
    return next(iter(values), sympy.Integer(DEFAULT_NORM_TYPE))


def pool_args(spec: Spec) -> dict[str, Any]:
    """The pooling's kernel_size and stride (LPPool2d takes no padding: a padded pooling section is an error)."""
    pool = pooling(spec)
    if any(pool.padding):
        raise SpecError(spec.source, f"{NAME}: PyTorch's LPPool2d has no padding; the pooling section has "
                                     f"padding {pool.padding}")
    return dict(kernel_size=pool.kernel_size, stride=pool.stride)


def reference(sol: Solution) -> sympy.Matrix:
    """∂E/∂X, verified against :func:`symconv.numeric.lp_pool2d_backward` (torch's algorithm) at seeded values of
    the upstream."""
    spec = sol.spec
    p, args, x, g = norm_type(spec), pool_args(spec), sol.pool_input, pool_upstream(spec)
    grad = lp_pool2d_grad(x, p, upstream=g, **args)
    verify(grad, lambda xv, gv: numeric.lp_pool2d_backward(xv, gv, float(p), **args), [x, g],
           name=f"dE/d{pooling(spec).input}")
    return grad


def window_parts(sol: Solution, upstream: sympy.Matrix | None = None) -> Iterator[tuple[Window, sympy.Matrix]]:
    """Each window (row-major order of Y) with what it alone sends back: the engine's gradient under the upstream
    that keeps only that window's entry (``upstream``: the problem's, else ones: ∂Y_uv/∂X)."""
    spec = sol.spec
    p, args, x = norm_type(spec), pool_args(spec), sol.pool_input
    g = pool_upstream(spec) if upstream is None else upstream
    for row in pool_windows(x.shape, **args):
        for w in row:
            only = sympy.zeros(*g.shape)
            only[w.u, w.v] = g[w.u, w.v]
            yield w, lp_pool2d_grad(x, p, upstream=only, **args)


def _one_window_only(sol: Solution, keep: str) -> sympy.Matrix:
    """∂E/∂X with overlapping windows not summed: each entry keeps the first or the last window's share."""
    grad = sympy.zeros(*sol.pool_input.shape)
    seen: set[tuple[int, int]] = set()
    for w, part in window_parts(sol):
        for cell in w.cells:
            if keep == "last" or cell not in seen:
                grad[cell] = part[cell]
            seen.add(cell)
    return grad


def alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂X recomputed for the normalised power mean (with 1/N), with overlapping windows not summed (first or
    last window only), as max pooling's gradient, the forward result Y given instead, and transposed."""
    right, spec = reference(sol), sol.spec
    p, args, x, g = norm_type(spec), pool_args(spec), sol.pool_input, pool_upstream(spec)
    alts = [Alternative("lp-normalisation", lp_pool2d_grad(x, p, norm="normalized", upstream=g, **args),
                        "the power mean"),
            Alternative("pool-overlap-not-summed", _one_window_only(sol, "first"), "the first window's only"),
            Alternative("pool-overlap-not-summed", _one_window_only(sol, "last"), "the last window's only"),
            Alternative("lp-as-max", max_pool2d_grad(x, upstream=g, **args)),
            Alternative("pool-forward-result", lp_pool2d(x, p, **args)),
            Alternative("transposed", right.T)]
    return distinct(right, alts)


def local_rule(p: sympy.Expr) -> sympy.Expr:
    """∂L_p/∂x_i = x_i^(p-1) / L_p^(p-1) in the symbols x_i and L_p, checked against the derivative of
    (Σ x^p)^(1/p) over a window of three entries at a seeded positive point (VerificationError otherwise).

    >>> local_rule(sympy.Integer(2))
    x_i/L_p
    """
    xi, L = sympy.Symbol("x_i", positive=True), sympy.Symbol("L_p", positive=True)
    rule = xi ** (p - 1) / L ** (p - 1)
    xs = sympy.symbols("x_1:4", positive=True)
    lp = sympy.Add(*(v**p for v in xs)) ** (1 / p)
    point = {v: sympy.Rational(random.Random(k).randint(1, 9), 3) for k, v in enumerate(xs)}
    got = sympy.diff(lp, xs[0]).xreplace(point)
    want = rule.xreplace({xi: point[xs[0]], L: lp.xreplace(point)})
    if abs(sympy.N(got - want)) > 1e-12:
        raise VerificationError("dL_p/dx_i", "x_1", float(sympy.N(got)), float(sympy.N(want)))
    return rule


def _base(value: sympy.Expr, **settings: Any) -> str:
    """An entry as the base of a power: in parentheses unless a nonnegative integer or a symbol."""
    text = latex(value, **settings)
    return text if (value.is_Integer and value >= 0) or value.is_Symbol else rf"\left({text}\right)"


def _entry(name: str, cell: tuple[int, int]) -> str:
    return latex(entry_symbol(name, cell[0] + 1, cell[1] + 1))


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The rule ∂L_p/∂x_i = x_i^(p-1)/L_p^(p-1) once, one window worked out, the windows whose sum is 0, the sums
    where windows overlap, and the matrix ∂E/∂X (for p = oo: max pooling's rule, and the matrix)."""
    spec = sol.spec
    name, p = pooling(spec).input, norm_type(spec)
    X, g, grad = symbol(name), upstream_latex(spec), reference(sol)
    s = opts.printer
    if p == sympy.oo:   # the limit p -> oo: max pooling, whose gradient goes to one entry per window
        prose(box, rf"With $p = \infty$ LP pooling is max pooling (the limit of $L_p$ as $p \to \infty$), so each "
                   rf"window passes its upstream gradient $\partial E/\partial Y_{{uv}} = {g}$ to one entry of "
                   rf"${X}$, its first maximum in row-major order (PyTorch's rule); an entry that wins several windows "
                   "receives the sum.", end=True)
        matrix_result(box, rf"\frac{{\partial E}}{{\partial {X}}}", grad, f"dE/d{name}", "Altogether", **s)
        return
    general = r"\frac{x_i^{p-1}}{L_p^{p-1}}"
    rule = latex(local_rule(p), **s)
    prose(box, rf"LP pooling (PyTorch's LPPool2d, $p = {latex(p, **s)}$) maps each window to "
               r"$L_p = \left(\sum_i x_i^p\right)^{1/p}$ (a sum, not a mean: no factor $1/N$); by the chain rule "
               r"through the sum and the "
               rf"$1/p$ power, $\partial L_p/\partial x_i = {general}$"
               + ("" if rule == general else rf", here ${rule}$") +
               rf". With $\partial E/\partial Y_{{uv}} = {g}$, every entry of a window receives "
               + ("this derivative" if g == "1" else f"${g}$ times this derivative") +
               ", and an entry that lies in several windows receives the sum.", end=True)
    parts = list(window_parts(sol, sympy.ones(*pool_upstream(spec).shape)))
    x = sol.pool_input
    worked = next(((w, d) for w, d in parts if any(d[c] != 0 for c in w.cells)), None)
    if worked is not None:
        w, d = worked
        y = latex(entry_symbol("Y", w.u + 1, w.v + 1))
        value = lp_pool2d(x, p, **pool_args(spec))[w.u, w.v]
        powers = " + ".join(f"{_base(x[c], **s)}^{{{latex(p, **s)}}}" for c in w.cells)
        derivs = [rf"$\partial {y}/\partial {_entry(name, c)} = {latex(d[c], **s)}$" for c in w.cells]
        prose(box, rf"For window ${y}$: ${y} = \left({powers}\right)^{{1/{latex(p, **s)}}} = "
                   rf"{latex(value, **s)}$, so "
                   + (", ".join(derivs[:-1]) + " and " if len(derivs) > 1 else "") + derivs[-1] + ".", end=True)
    zero = [w for w, _ in parts if sympy.Add(*(x[c] ** p for c in w.cells)).is_zero]
    if zero:
        ys = ", ".join(f"${latex(entry_symbol('Y', w.u + 1, w.v + 1))}$" for w in zero)
        prose(box, rf"The sum $\sum_i x_i^p$ is 0 in window{'s' if len(zero) > 1 else ''} {ys}: PyTorch passes no "
                   "gradient through such a window (0 to each of its entries).", end=True)
    windows_of: dict[tuple[int, int], list[Window]] = {}
    for w, _ in parts:
        for cell in w.cells:
            windows_of.setdefault(cell, []).append(w)
    cell, inside = max(windows_of.items(), key=lambda item: len(item[1]))
    if len(inside) > 1:
        prose(box, rf"The windows overlap: ${_entry(name, cell)}$ lies in {len(inside)} of them, so its entry is the "
                   rf"sum of {len(inside)} terms, $\partial E/\partial {_entry(name, cell)} = "
                   rf"{latex(grad[cell], **s)}$.", end=True)
    matrix_result(box, rf"\frac{{\partial E}}{{\partial {X}}}", grad, f"dE/d{name}", "Altogether", **s)


def _label(spec: Spec) -> str:
    return f"(\\partial E/\\partial {pooling(spec).input})"


TASK = Task(NAME, render, checker="grader.checkers.matrices:check_matrix", needs=("pooling",), keys=KEYS,
            reference=reference, shape=input_shape, label=_label,
            written_as=lambda spec: WrittenAs(gradient_of=pooling(spec).input), alternatives=alternatives)
