"""Task ``kernel-gradient-matrix``: ∂E/∂B as one matrix.

>>> from symconv import derive_solution
>>> [a.code for a in alternatives(derive_solution())]
['flipped-kernel', 'transposed']
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.document import equations as eq
from symconv.document.blocks import display, matrix_result, prose
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import index_rule, other_mode_code, symbol


def alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂B recomputed for the other operation (a cross-correlation's kernel gradient is a true convolution's
    rotated by 180 degrees, and the other way round), and transposed."""
    return distinct(sol.grad_kernel, [Alternative(other_mode_code(sol.spec), sol.grad_kernel[::-1, ::-1]),
                                      Alternative("transposed", sol.grad_kernel.T)])


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """What each kernel entry's gradient sums, and the matrix ∂E/∂B."""
    c = sol.spec.conv
    A, B, C, E = symbol(c.input), symbol(c.kernel), symbol(c.output), symbol(c.loss)
    i, j = index_rule(sol, 0, "u", "m"), index_rule(sol, 1, "v", "n")
    prose(box, rf"Each kernel entry ${B}_{{mn}}$ multiplies one input entry in every output, so "
               rf"$\partial {E}/\partial {B}_{{mn}}$ sums $\partial {E}/\partial {C}_{{uv}}$ times the entry of ${A}$ "
               + ("it meets (a padding cell counts 0)" if any(c.padding) else "it meets")
               + (":" if c.index != "flat" else "."))
    if c.index != "flat":   # with entries numbered 1, 2, ... an (i, j) rule would name them otherwise
        box.append(display(rf"\frac{{\partial {E}}}{{\partial {B}_{{mn}}}} = \sum_{{u,v}} \frac{{\partial {E}}}"
                           rf"{{\partial {C}_{{uv}}}}\, {A}_{{ij}}, \qquad i = {i},\quad j = {j}."))
    matrix_result(box, rf"\frac{{\partial {E}}}{{\partial {B}}}", sol.grad_kernel, f"d{c.loss}/d{c.kernel}",
                  "Altogether", **eq.printer(sol, opts.printer))


def _label(spec: Spec) -> str:
    return f"(\\partial {spec.conv.loss}/\\partial {spec.conv.kernel})"


TASK = Task("kernel-gradient-matrix", render, needs=("convolution",),
            checker="grader.checkers.matrices:check_matrix",
            reference=lambda sol: sol.grad_kernel, shape=lambda spec: spec.matrices[spec.conv.kernel].shape,
            label=_label, written_as=lambda spec: WrittenAs(gradient_of=spec.conv.kernel),
            alternatives=alternatives)
