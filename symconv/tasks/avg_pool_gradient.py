"""Task ``avg-pool-gradient``: ∂E/∂X through average pooling, as a matrix: every window spreads its upstream entry
∂E/∂Y_uv (ones, or symbolic G_uv) evenly, upstream/N, over its cells, and an entry in several overlapping windows
collects the sum. N is PyTorch's divisor: with ``count_include_pad`` (its default, and the only choice the spec's
pooling section offers today) the window clipped to the padded input, else its real cells.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "pool-gradients-overlap.yaml")
>>> reference(sol)[1, 1]
4/9
>>> [a.code for a in alternatives(sol)]
['pool-avg-not-divided', 'pool-overlap-not-summed', 'pool-divisor-padding', 'pool-forward-result']
"""

from __future__ import annotations

from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv import numeric
from symconv.document.blocks import matrix_result, prose
from symconv.document.options import DocumentOptions
from symconv.latex import latex
from symconv.matrices import entry_symbol
from symconv.pooling import Window, avg_pool2d, avg_pool2d_grad, pool_windows
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import symbol
from symconv.tasks.max_pool_gradient import input_shape, pool_args, pool_upstream, pooling, upstream_latex
from symconv.verify import verify


def count_include_pad(spec: Spec) -> bool:
    """Whether the average's divisor counts padding cells: the pooling section's ``count_include_pad`` when it
    has one, else PyTorch's default (True)."""
    return bool(getattr(pooling(spec), "count_include_pad", True))


def _args(spec: Spec) -> dict[str, Any]:
    return {**pool_args(spec), "count_include_pad": count_include_pad(spec)}


def reference(sol: Solution) -> sympy.Matrix:
    """∂E/∂X, verified against :func:`symconv.numeric.avg_pool2d_backward` at seeded values of the upstream."""
    args, x, g = _args(sol.spec), sol.pool_input, pool_upstream(sol.spec)
    grad = avg_pool2d_grad(x, upstream=g, **args)
    verify(grad, lambda xv, gv: numeric.avg_pool2d_backward(xv, gv, **args), [x, g],
           name=f"dE/d{pooling(sol.spec).input}")
    return grad


def windows(sol: Solution) -> list[Window]:
    """The pooling windows in row-major order of Y."""
    return [w for row in pool_windows(sol.pool_input.shape, **pool_args(sol.spec)) for w in row]


def divisor(w: Window, include_pad: bool) -> int:
    """PyTorch's divisor of one window: the window clipped to the padded input, or its real cells."""
    return w.padded_count if include_pad else len(w.cells)


def _one_window_only(sol: Solution, keep: str) -> sympy.Matrix:
    """∂E/∂X with overlapping windows not summed: each entry keeps the share of the first or the last window
    that contains it."""
    g, include_pad = pool_upstream(sol.spec), count_include_pad(sol.spec)
    grad = sympy.zeros(*sol.pool_input.shape)
    seen: set[tuple[int, int]] = set()
    for w in windows(sol):
        for cell in w.cells:
            if keep == "last" or cell not in seen:
                grad[cell] = g[w.u, w.v] / divisor(w, include_pad)
            seen.add(cell)
    return grad


def alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂X recomputed without dividing by the window size, with overlapping windows not summed (first or last
    window only), with the other count_include_pad (when there is padding), the forward result Y, and
    transposed."""
    right, spec = reference(sol), sol.spec
    x, g, args = sol.pool_input, pool_upstream(spec), _args(spec)
    alts = [Alternative("pool-avg-not-divided", avg_pool2d_grad(x, upstream=g, **{**args, "divisor_override": 1})),
            Alternative("pool-overlap-not-summed", _one_window_only(sol, "first"), "the first window's only"),
            Alternative("pool-overlap-not-summed", _one_window_only(sol, "last"), "the last window's only")]
    if any(pooling(spec).padding):
        other = not args["count_include_pad"]
        alts.append(Alternative("pool-divisor-padding",
                                avg_pool2d_grad(x, upstream=g, **{**args, "count_include_pad": other}),
                                f"count_include_pad={other}"))
    alts += [Alternative("pool-forward-result", avg_pool2d(x, **args)), Alternative("transposed", right.T)]
    return distinct(right, alts)


def _entry(name: str, cell: tuple[int, int]) -> str:
    return latex(entry_symbol(name, cell[0] + 1, cell[1] + 1))


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The rule (upstream/N to every cell of a window), the divisor at the border when there is padding, one
    entry worked out where windows overlap, and the matrix ∂E/∂X."""
    spec = sol.spec
    name, include_pad = pooling(spec).input, count_include_pad(spec)
    X, g, grad = symbol(name), upstream_latex(spec), reference(sol)
    ws = windows(sol)
    kh, kw = pooling(spec).kernel_size
    prose(box, rf"Each output $Y_{{uv}}$ is the mean of its window, $Y_{{uv}} = \frac{{1}}{{N}}\sum {X}_{{ij}}$ "
               rf"over the window's entries, so $\partial Y_{{uv}}/\partial {X}_{{ij}} = 1/N$ for each of them. With "
               rf"$\partial E/\partial Y_{{uv}} = {g}$, every entry of a window receives ${g}/N$ from it, and an "
               "entry that lies in several windows receives the sum.", end=True)
    if any(pooling(spec).padding):
        border = [w for w in ws if divisor(w, include_pad) != len(w.cells)] if include_pad else \
            [w for w in ws if len(w.cells) != kh * kw]
        rule = (rf"padding cells count (count\_include\_pad, PyTorch's default), so $N = {kh * kw}$ for every "
                "window, even where padding zeros fill part of it") if include_pad else \
            r"padding cells do not count (count\_include\_pad=False), so $N$ is the number of real entries"
        example = ""
        if border:
            w = border[0]
            example = (rf" (window $Y_{{{w.u + 1}{w.v + 1}}}$, for one, has only {len(w.cells)} real entries)"
                       if include_pad else rf"; window $Y_{{{w.u + 1}{w.v + 1}}}$, for one, has {len(w.cells)}, so "
                       rf"$N = {divisor(w, include_pad)}$ there")
        prose(box, f"With padding, {rule}{example}.", end=True)
    counts: dict[tuple[int, int], list[Window]] = {}
    for w in ws:
        for cell in w.cells:
            counts.setdefault(cell, []).append(w)
    cell, inside = max(counts.items(), key=lambda item: len(item[1]))
    if len(inside) > 1:
        upstream = pool_upstream(spec)
        terms = " + ".join(latex(upstream[w.u, w.v] / divisor(w, include_pad), **opts.printer) for w in inside)
        prose(box, rf"The windows overlap: ${_entry(name, cell)}$ lies in {len(inside)} of them, so "
                   rf"$\partial E/\partial {_entry(name, cell)} = {terms} = {latex(grad[cell], **opts.printer)}$.",
              end=True)
    matrix_result(box, rf"\frac{{\partial E}}{{\partial {X}}}", grad, f"dE/d{name}", "Altogether", factor=True,
                  **opts.printer)


def _label(spec: Spec) -> str:
    return f"(\\partial E/\\partial {pooling(spec).input})"


TASK = Task("avg-pool-gradient", render, checker="grader.checkers.matrices:check_matrix", needs=("pooling",),
            reference=reference, shape=input_shape, label=_label,
            written_as=lambda spec: WrittenAs(gradient_of=pooling(spec).input), alternatives=alternatives)
