"""Task ``output-size``: the convolution output's size, rows × columns.

Checked by :func:`grader.checkers.sizes.check_size`; the document works the formula out per axis with the spec's
numbers and cross-checks it against the derived output.

>>> from symconv import derive_solution
>>> [(a.code, a.value) for a in alternatives(derive_solution())][:2]
[('output-size-off-by-one', (2, 2)), ('output-size-off-by-one', (2, 3))]
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import aligned_rows, prose
from symconv.document.options import DocumentOptions
from symconv.errors import VerificationError
from symconv.latex import latex
from symconv.sizes import D, I, K, P, S, output_size, output_size_expr
from symconv.solution import Solution
from symconv.spec import Part
from symconv.tasks.base import Alternative, Task, distinct
from symconv.tasks.common import symbol


def alternatives(sol: Solution) -> list[Alternative]:
    """The output size recomputed off by one on either axis, rounding up, without padding, and transposed."""
    spec = sol.spec
    c, (A, B) = spec.conv, (spec.matrices[spec.conv.input], spec.matrices[spec.conv.kernel])

    def size(axis: int, **changes: Any) -> int:
        args = {**dict(padding=c.padding[axis], stride=c.stride[axis], dilation=c.dilation[axis]), **changes}
        return output_size(A.shape[axis], B.shape[axis], **args)

    right = (size(0), size(1))
    alts = [Alternative("output-size-off-by-one", (right[0] + dh, right[1] + dw))
            for dh, dw in itertools.product((-1, 0, 1), repeat=2) if (dh, dw) != (0, 0)]
    ceil = output_size_expr().replace(sympy.floor, sympy.ceiling)
    alts.append(Alternative("ceil-instead-of-floor", tuple(
        int(ceil.subs(dict(zip((I, K, P, S, D),
                               (A.shape[a], B.shape[a], c.padding[a], c.stride[a], c.dilation[a])))))
        for a in (0, 1))))
    if any(c.padding):
        alts.append(Alternative("padding-forgotten", (size(0, padding=0), size(1, padding=0))))
    alts.append(Alternative("transposed", right[::-1]))
    return distinct(right, alts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The formula, then each axis with the spec's numbers in it, cross-checked against the derived output."""
    c = sol.spec.conv
    dilated = any(d != 1 for d in c.dilation)   # without dilation, the formula the problem's letters make
    formula = output_size_expr(dilation=dilated)
    rows = [rf"O &= {latex(formula)}"]
    for axis, name in ((0, "rows"), (1, "columns")):
        values = {I: sol.input.shape[axis], K: sol.kernel.shape[axis], P: c.padding[axis], S: c.stride[axis],
                  D: c.dilation[axis]}
        size = formula.xreplace(values)
        if size != sol.output_shape[axis]:
            raise VerificationError("output size", name, float(size), float(sol.output_shape[axis]))
        n = {k.name: latex(sympy.Integer(v)) for k, v in values.items()}
        # the formula's own term order (I + 2P - D(K - 1) - 1, or I + 2P - K), with the numbers for the letters
        span = rf"{n['D']} \cdot \left({n['K']} - 1\right) - 1" if dilated else n["K"]
        rows.append(rf"\text{{{name}}} &= \left\lfloor \frac{{{n['I']} + 2 \cdot {n['P']} - {span}}}{{{n['S']}}} "
                    rf"\right\rfloor + 1 = {latex(size)}")
    rows_, cols = sol.output_shape
    prose(box, "Along each axis the output has $O$ entries:")
    box.append(aligned_rows([[row] for row in rows]))
    prose(box, rf"So ${symbol(c.output)}$ is "
               rf"${latex(sympy.Integer(rows_))} \times {latex(sympy.Integer(cols))}$.")


TASK = Task("output-size", render, needs=("convolution",),
            checker="grader.checkers.sizes:check_size", alternatives=alternatives,
            locate="grader.writeup.locate:find_size")
