"""Task ``max-pool-gradient``: ∂E/∂X through max pooling, as a matrix, for X the pooling's input (the convolution
output or one of the spec's matrices) and the upstream ∂E/∂Y_uv of the convolution section's convention (ones, or
symbolic G_uv).

PyTorch's rule (:func:`symconv.pooling.max_pool2d_routes`): each window sends its whole upstream entry to ONE
input entry, the first maximum in row-major order; an entry that wins several overlapping windows collects the
sum. The diagnosed alternatives are the gradient recomputed under the usual mistaken rules.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "maxpool-backprop-ties.yaml")
>>> reference(sol).tolist()[0]
[0, 1, 1, 0]
>>> [a.code for a in alternatives(sol)]
['pool-tie-split', 'pool-tie-all', 'pool-tie-last', 'pool-forward-result', 'transposed']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv import numeric
from symconv.document.blocks import matrix_result, prose
from symconv.document.options import DocumentOptions
from symconv.latex import latex
from symconv.matrices import entry_symbol, sym_matrix
from symconv.pooling import MaxRoute, max_pool2d_grad, max_pool2d_routes
from symconv.solution import Solution
from symconv.spec import Part, PoolSetup, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import output_shape, pooled_shape, symbol
from symconv.verify import verify

Cell = tuple[int, int]


def pooling(spec: Spec) -> PoolSetup:
    """The spec's pooling section (a pooling task needs it; the spec loader has checked that it is there)."""
    pool = spec.pooling
    assert pool is not None   # needs=("pooling",)
    return pool


def pool_args(spec: Spec) -> dict[str, Any]:
    """The pooling's kernel_size, stride and padding as keyword arguments of :mod:`symconv.pooling`."""
    pool = pooling(spec)
    return dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding)


def input_shape(spec: Spec) -> tuple[int, int]:
    """The shape of the pooling's input X (one of the matrices, or the convolution output), before deriving."""
    name = pooling(spec).input
    return spec.matrices[name].shape if name in spec.matrices else output_shape(spec)


def pool_upstream(spec: Spec) -> sympy.Matrix:
    """∂E/∂Y for the pooled output Y, by the convolution section's convention: ones, or symbolic G_uv.

    >>> from symconv.spec import load_spec
    >>> pool_upstream(load_spec()).shape
    (2, 2)
    """
    c = spec.convolution
    symbolic = c is not None and c.upstream == "symbolic"
    return sym_matrix("G", *pooled_shape(spec)) if symbolic else sympy.ones(*pooled_shape(spec))


def upstream_latex(spec: Spec) -> str:
    """∂E/∂Y_uv as the problem states it: ``1`` or ``G_{uv}``."""
    return "G_{uv}" if pool_upstream(spec).free_symbols else "1"


def routes(sol: Solution) -> list[MaxRoute]:
    """Every window's route (its maximum, its winner, the cells tied with it), in row-major order of Y."""
    return [r for row in max_pool2d_routes(sol.pool_input, **pool_args(sol.spec)) for r in row]


def reference(sol: Solution) -> sympy.Matrix:
    """∂E/∂X by PyTorch's rule, verified against :func:`symconv.numeric.max_pool2d_backward` (torch's algorithm)
    at seeded values of the upstream."""
    args, x, g = pool_args(sol.spec), sol.pool_input, pool_upstream(sol.spec)
    grad = max_pool2d_grad(x, upstream=g, **args)
    verify(grad, lambda xv, gv: numeric.max_pool2d_backward(xv, gv, **args), [x, g],
           name=f"dE/d{pooling(sol.spec).input}")
    return grad


def _routed(sol: Solution, share: Callable[[MaxRoute], dict[Cell, sympy.Expr]], summed: str = "sum") -> sympy.Matrix:
    """∂E/∂X when each window r sends upstream · share(r)[cell] to its cells; ``summed`` says how an entry that
    gets something from several windows combines them: "sum" (right), "first" or "last" window only."""
    g = pool_upstream(sol.spec)
    grad = sympy.zeros(*sol.pool_input.shape)
    seen: set[Cell] = set()
    for r in routes(sol):
        for cell, d in share(r).items():
            value = g[r.window.u, r.window.v] * d
            if summed == "sum":
                grad[cell] += value
            elif summed == "last" or cell not in seen:
                grad[cell] = value
            seen.add(cell)
    return grad


def _winner(r: MaxRoute) -> dict[Cell, sympy.Expr]:
    return {} if r.winner is None else {r.winner: sympy.Integer(1)}


def alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂X recomputed with the upstream split among tied maxima, sent to every tied maximum, sent to the last
    maximum, with overlapping windows not summed (an entry keeps the first or the last window's upstream only),
    the forward result Y given instead, and transposed."""
    right = reference(sol)
    alts = [
        Alternative("pool-tie-split", _routed(sol, lambda r: {c: sympy.Rational(1, len(r.ties)) for c in r.ties}),
                    "split among the tied maxima"),
        Alternative("pool-tie-all", _routed(sol, lambda r: {c: sympy.Integer(1) for c in r.ties}),
                    "sent to every tied maximum"),
        Alternative("pool-tie-last", _routed(sol, lambda r: {r.ties[-1]: sympy.Integer(1)} if r.ties else {}),
                    "sent to the last maximum"),
        Alternative("pool-overlap-not-summed", _routed(sol, _winner, "first"), "the first window's only"),
        Alternative("pool-overlap-not-summed", _routed(sol, _winner, "last"), "the last window's only"),
        Alternative("pool-forward-result", sol.pooled_max),
        Alternative("transposed", right.T),
    ]
    return distinct(right, alts)


def _cells(cells: tuple[Cell, ...]) -> str:
    """A window's real cells as 1-based row and column ranges: ``rows 1--2, columns 3--4``."""
    def span(values: list[int]) -> str:
        lo, hi = min(values) + 1, max(values) + 1
        return f"${lo}$" if lo == hi else f"${lo}$--${hi}$"
    return f"rows {span([a for a, _ in cells])}, columns {span([b for _, b in cells])}"


def _entry(name: str, cell: Cell) -> str:
    return latex(entry_symbol(name, cell[0] + 1, cell[1] + 1))


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """Which entry wins each window (a table: the window, its maximum, the winner, the entries tied with it), the
    tie rule when a tie occurs, the sums where windows overlap, and the matrix ∂E/∂X."""
    name = pooling(sol.spec).input
    X, g = symbol(name), upstream_latex(sol.spec)
    table = routes(sol)
    prose(box, rf"Max pooling passes the upstream gradient $\partial E/\partial Y_{{uv}} = {g}$ of each window to "
               rf"the one entry of ${X}$ that gave the window's maximum; every other entry of the window gets "
               r"nothing from it. The winner of each window:", end=True)
    rows = []
    for r in table:
        y = latex(entry_symbol("Y", r.window.u + 1, r.window.v + 1))
        winner = "none (padding only)" if r.winner is None else f"${_entry(name, r.winner)}$"
        others = ", ".join(f"${_entry(name, c)}$" for c in r.ties[1:]) or "--"
        rows.append(rf"${y}$ & {_cells(r.window.cells)} & ${latex(r.maximum, **opts.printer)}$ & {winner} & "
                    rf"{others} \\")
    box.append(booktabs_table(["window", rf"cells of ${X}$", "maximum", "winner", "tied with"], rows))
    tied = [r for r in table if len(r.ties) > 1]
    if tied:
        windows = _listing([f"${latex(entry_symbol('Y', r.window.u + 1, r.window.v + 1))}$" for r in tied])
        prose(box, rf"{'Windows' if len(tied) > 1 else 'Window'} {windows} "
                   rf"{'hold their' if len(tied) > 1 else 'holds its'} maximum more than once. PyTorch scans a window "
                   r"row by row and replaces the running maximum only by a strictly greater entry, so the whole "
                   r"upstream entry goes to the first maximum in row-major order (the winner above); the entries "
                   r"tied with it get nothing from that window.", end=True)
    wins: dict[Cell, list[MaxRoute]] = {}
    for r in table:
        if r.winner is not None:
            wins.setdefault(r.winner, []).append(r)
    shared = {cell: rs for cell, rs in wins.items() if len(rs) > 1}
    if shared:
        cell, rs = next(iter(shared.items()))
        terms = " + ".join(latex(pool_upstream(sol.spec)[r.window.u, r.window.v]) for r in rs)
        more = f" (and {len(shared) - 1} more {'entry' if len(shared) == 2 else 'entries'} likewise)" \
            if len(shared) > 1 else ""
        prose(box, rf"Overlapping windows add up: ${_entry(name, cell)}$ wins {len(rs)} windows, so "
                   rf"$\partial E/\partial {_entry(name, cell)} = {terms} = "
                   rf"{latex(reference(sol)[cell], **opts.printer)}$" + more + ".", end=True)
    matrix_result(box, rf"\frac{{\partial E}}{{\partial {X}}}", reference(sol), f"dE/d{name}", "Altogether",
                  **opts.printer)


def booktabs_table(header: list[str], rows: list[str]) -> Any:
    """A centred booktabs table of trusted LaTeX rows (the header's cells, then each row ending in ``\\\\``)."""
    from pylatex import NoEscape

    spec = "l" * len(header)
    return NoEscape("\n".join([r"\begin{center}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                               " & ".join(header) + r" \\", r"\midrule", *rows, r"\bottomrule", r"\end{tabular}",
                               r"\end{center}"]))


def _label(spec: Spec) -> str:
    return f"(\\partial E/\\partial {pooling(spec).input})"


TASK = Task("max-pool-gradient", render, checker="grader.checkers.matrices:check_matrix", needs=("pooling",),
            reference=reference, shape=input_shape, label=_label,
            written_as=lambda spec: WrittenAs(gradient_of=pooling(spec).input), alternatives=alternatives)
