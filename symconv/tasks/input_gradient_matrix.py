"""Task ``input-gradient-matrix``: ∂E/∂A as one matrix.

>>> from symconv import derive_solution
>>> [a.code for a in alternatives(derive_solution())]
['unflipped-kernel-in-gradient', 'transposed']
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.conv import conv2d_grad
from symconv.document import equations as eq
from symconv.document.blocks import matrix_result
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import conv_config, symbol


def alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂A recomputed with the unrotated kernel, and transposed.

    Correlating the (padded, dilated) upstream with the kernel as given is the gradient of a layer whose kernel
    is rotated by 180 degrees: ``conv2d_grad(A, rot180(B), G)[0]``.
    """
    unflipped = conv2d_grad(sol.input, sol.kernel[::-1, ::-1], sol.upstream, **conv_config(sol.spec))[0]
    return distinct(sol.grad_input, [Alternative("unflipped-kernel-in-gradient", unflipped),
                                     Alternative("transposed", sol.grad_input.T)])


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The matrix ∂E/∂A."""
    c = sol.spec.conv
    matrix_result(box, rf"\frac{{\partial {symbol(c.loss)}}}{{\partial {symbol(c.input)}}}", sol.grad_input,
                  f"d{c.loss}/d{c.input}", **eq.printer(sol, opts.printer))


def _label(spec: Spec) -> str:
    return f"(\\partial {spec.conv.loss}/\\partial {spec.conv.input})"


TASK = Task("input-gradient-matrix", render, needs=("convolution",),
            checker="grader.checkers.matrices:check_matrix",
            reference=lambda sol: sol.grad_input, shape=lambda spec: spec.matrices[spec.conv.input].shape,
            label=_label, written_as=lambda spec: WrittenAs(gradient_of=spec.conv.input),
            alternatives=alternatives)
