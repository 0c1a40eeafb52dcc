"""Task ``pool-output-size``: the pooling output's size, rows × columns, from the pooling section (kernel_size,
stride, padding) and the size of its input.

Checked by :func:`grader.checkers.sizes.check_size`, the output-size checker, which takes the expected size and
its mistakes from this record (``value``, ``part_alternatives``); the document works PyTorch's formula out per axis
with the spec's numbers and cross-checks it against the pooled output.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "pool-gradients-overlap.yaml")
>>> expected(sol)
(3, 3)
>>> sorted({a.code for a in alternatives(sol)})
['ceil-instead-of-floor', 'output-size-off-by-one', 'padding-forgotten']
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import aligned_rows, prose
from symconv.document.options import DocumentOptions
from symconv.errors import ConfigError, VerificationError
from symconv.latex import latex
from symconv.sizes import I, K, P, S, output_size_expr, pool_output_size
from symconv.solution import Solution
from symconv.spec import Part
from symconv.tasks.base import Alternative, Task, distinct
from symconv.tasks.common import pooled_shape
from symconv.tasks.max_pool_gradient import pooling

#: PyTorch's pooling output size along one axis (no dilation): floor((I + 2P - K)/S) + 1.
FORMULA = output_size_expr(dilation=False)


def expected(sol: Solution) -> tuple[int, int]:
    """The pooled output's size, checked against the derived pooled matrix."""
    size = pooled_shape(sol.spec)
    assert sol.pooled_max is not None   # needs=("pooling",)
    if tuple(sol.pooled_max.shape) != tuple(size):
        raise VerificationError("pool output size", "Y", float(size[0]), float(sol.pooled_max.shape[0]))
    return size


def _values(sol: Solution, axis: int) -> dict[sympy.Symbol, int]:
    pool = pooling(sol.spec)
    return {I: sol.pool_input.shape[axis], K: pool.kernel_size[axis], P: pool.padding[axis], S: pool.stride[axis]}


def alternatives(sol: Solution) -> list[Alternative]:
    """The size recomputed off by one on either axis, rounding up, without padding, and transposed."""
    pool, right = pooling(sol.spec), expected(sol)
    alts = [Alternative("output-size-off-by-one", (right[0] + dh, right[1] + dw))
            for dh, dw in itertools.product((-1, 0, 1), repeat=2) if (dh, dw) != (0, 0)]
    ceil = FORMULA.replace(sympy.floor, sympy.ceiling)
    alts.append(Alternative("ceil-instead-of-floor", tuple(int(ceil.xreplace(_values(sol, a))) for a in (0, 1))))
    if any(pool.padding):
        try:
            alts.append(Alternative("padding-forgotten", tuple(
                pool_output_size(sol.pool_input.shape[a], pool.kernel_size[a], stride=pool.stride[a])
                for a in (0, 1))))
        except ConfigError:   # without its padding the window does not fit: no such mistake to diagnose
            pass
    alts.append(Alternative("transposed", right[::-1]))
    return distinct(right, alts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The formula, then each axis with the spec's numbers in it, cross-checked against the pooled output."""
    rows = [rf"O &= {latex(FORMULA)}"]
    size = expected(sol)
    for axis, noun in ((0, "rows"), (1, "columns")):
        values = _values(sol, axis)
        got = FORMULA.xreplace(values)
        if got != size[axis]:
            raise VerificationError("pool output size", noun, float(got), float(size[axis]))
        n: dict[str, Any] = {k.name: latex(sympy.Integer(v)) for k, v in values.items()}
        rows.append(rf"\text{{{noun}}} &= \left\lfloor \frac{{{n['I']} + 2 \cdot {n['P']} - {n['K']}}}{{{n['S']}}}"
                    rf" \right\rfloor + 1 = {latex(got)}")
    X = latex(sympy.Symbol(pooling(sol.spec).input))
    prose(box, rf"Along each axis a pooling window of size $K$, moved by the stride $S$ over the input ${X}$ "
               r"padded by $P$ on each side, fits $O$ times:")
    box.append(aligned_rows([[row] for row in rows]))
    prose(box, rf"So $Y$ is ${latex(sympy.Integer(size[0]))} \times {latex(sympy.Integer(size[1]))}$.")


TASK = Task("pool-output-size", render, checker="grader.checkers.sizes:check_size", needs=("pooling",),
            value=lambda sol, part: expected(sol), part_alternatives=lambda sol, part: alternatives(sol),
            locate="grader.writeup.locate:find_pool_size")
