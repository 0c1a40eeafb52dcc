"""Tasks ``max-pool`` and ``avg-pool``: the pooled matrix, window by window (one family, two records).

What the prose says about a pooling comes from its sizes: the padding note only when there is padding, and the
rows and columns that the floor of the output size leaves out of every window, read off the engine's windows.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> dropped_cells(derive_solution(TEMPLATES / "maxpool7.yaml"))
([4], [4])
>>> describe_dropped("C", [4], [4], (5, 5))
"$C$'s last row and last column"
>>> [a.code for a in alternatives(derive_solution(), "max")][:2]
['pool-wrong-stride', 'transposed']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv.document import equations as eq
from symconv.document.blocks import aligned_rows, matrix_result, prose
from symconv.document.options import DocumentOptions
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.pooling import avg_pool2d, max_pool2d, pool_windows
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import pooled_shape


def dropped_cells(sol: Solution) -> tuple[list[int], list[int]]:
    """The rows and columns (0-based) of the pooled matrix that no pooling window covers."""
    pool = sol.spec.pooling
    if pool is None:
        return [], []
    x = sol.pool_input
    windows = [w for row in pool_windows(x.shape, pool.kernel_size, pool.stride, pool.padding) for w in row]
    rows = {a for w in windows for a, _ in w.cells}
    cols = {b for w in windows for _, b in w.cells}
    return [a for a in range(x.rows) if a not in rows], [b for b in range(x.cols) if b not in cols]


def _axis_words(dropped: list[int], size: int, noun: str) -> str:
    if not dropped:
        return ""
    if dropped == list(range(size - len(dropped), size)):
        return f"last {noun}" if len(dropped) == 1 else f"last {len(dropped)} {noun}s"
    return f"{noun}{'s' if len(dropped) > 1 else ''} " + ", ".join(str(k + 1) for k in dropped)


def describe_dropped(name: str, rows: list[int], cols: list[int], shape: tuple[int, int]) -> str:
    """Words for the rows and columns of ``name`` that no window covers (LaTeX)."""
    words = [w for w in (_axis_words(rows, shape[0], "row"), _axis_words(cols, shape[1], "column")) if w]
    return f"${latex(sympy.Symbol(name))}$'s " + " and ".join(words)


def _pool(kind: str) -> Callable[[Container, Solution, Part, DocumentOptions], None]:
    def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
        pool = sol.spec.pooling
        if pool is None:
            raise SpecError(sol.spec.source, f"part {part.id} ({part.task}) needs a pooling section")
        result = sol.pooled_max if kind == "max" else sol.pooled_avg
        assert result is not None   # the spec has a pooling section (checked above)
        x = sol.pool_input
        windows = [(u, v) for u in range(result.rows) for v in range(result.cols)]
        shown = windows if not opts.summary or len(windows) <= 2 else [windows[0], windows[-1]]
        lines = eq.pool_lines(sol, kind, shown, **opts.printer)
        padded = any(pool.padding)
        note = " (padding cells never win the max)" if kind == "max" and padded else \
            " (padding cells count as zeros)" if padded else ""
        prose(box, f"Each output entry pools one window{note}:")
        box.append(aligned_rows([[line] for line in lines]))
        rows, cols = dropped_cells(sol)
        before = [p.id for p in sol.spec.parts[:sol.spec.parts.index(part)] if p.task in ("max-pool", "avg-pool")]
        if (rows or cols) and before:   # the same windows as the earlier pooling part: the same cells left out
            prose(box, rf"As in part {before[0]}, no window reaches "
                       rf"{describe_dropped(pool.input, rows, cols, x.shape)}.")
        elif rows or cols:
            sizes = [rf"\lfloor ({x.shape[a]} + 2 \cdot {pool.padding[a]} - {pool.kernel_size[a]})/{pool.stride[a]}"
                     rf"\rfloor + 1 = {result.shape[a]}" for a in (0, 1)]
            per_axis = (f"${sizes[0]}$ windows along each axis" if sizes[0] == sizes[1] else
                        f"${sizes[0]}$ windows down, ${sizes[1]}$ across")
            prose(box, rf"The output size has a floor ({per_axis}), so no window reaches "
                       rf"{describe_dropped(pool.input, rows, cols, x.shape)}: those entries never "
                       "reach $Y$.")
        if len(shown) < len(windows):
            i = latex(pool.stride[0] * (sympy.Symbol("u") - 1) + sympy.Symbol("m") - pool.padding[0])
            j = latex(pool.stride[1] * (sympy.Symbol("v") - 1) + sympy.Symbol("n") - pool.padding[1])
            what = r"\max" if kind == "max" else r"\operatorname{mean}"
            X = latex(sympy.Symbol(pool.input))
            prose(box, rf"Every other window follows the same rule, $Y_{{uv}} = {what}_{{m,n}} {X}_{{{i},\,{j}}}$ "
                       rf"with $1 \le m \le {pool.kernel_size[0]}$ and $1 \le n \le {pool.kernel_size[1]}$.")
        matrix_result(box, "Y", result, "Y", "Altogether", **opts.printer)
    return render


def alternatives(sol: Solution, kind: str) -> list[Alternative]:
    """The pool recomputed with every other stride (1 .. kernel size + 1), in ceil mode, without padding, and
    transposed."""
    pool = sol.spec.pooling
    assert pool is not None
    x = sol.pool_input
    reference = sol.pooled_max if kind == "max" else sol.pooled_avg
    assert reference is not None  # pooled_max/pooled_avg are None only without a pooling section (asserted above)

    def run(**changes: Any) -> sympy.Matrix | None:
        args = {**dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding), **changes}
        try:
            return (max_pool2d if kind == "max" else avg_pool2d)(x, **args)
        except Exception:  # an impossible configuration (window larger than the input): no alternative
            return None

    alts = []
    strides = sorted({(s, s) for s in range(1, max(pool.kernel_size) + 2)} - {pool.stride})
    for stride in strides:
        if (value := run(stride=stride)) is not None:
            alts.append(Alternative("pool-wrong-stride", value, f"stride {stride[0]}"))
    if (value := run(ceil_mode=True)) is not None:
        alts.append(Alternative("ceil-instead-of-floor", value, "ceil_mode=True"))
    if any(pool.padding) and (value := run(padding=0)) is not None:
        alts.append(Alternative("padding-forgotten", value))
    alts.append(Alternative("transposed", reference.T))
    return distinct(reference, alts)


def _written_as(spec: Spec) -> WrittenAs:
    assert spec.pooling is not None   # needs=("pooling",)
    return WrittenAs(avoid=(spec.pooling.input,))


def _record(kind: str) -> Task:
    return Task(f"{kind}-pool", _pool(kind), checker="grader.checkers.matrices:check_matrix", needs=("pooling",),
                reference=lambda sol: sol.pooled_max if kind == "max" else sol.pooled_avg, shape=pooled_shape,
                label=lambda spec: "Y", written_as=_written_as,
                alternatives=lambda sol: alternatives(sol, kind))


TASKS = (_record("max"), _record("avg"))
