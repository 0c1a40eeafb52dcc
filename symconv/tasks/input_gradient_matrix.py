"""Task ``input-gradient-matrix``: ∂E/∂A as one matrix.

>>> from symconv import derive_solution
>>> [a.code for a in alternatives(derive_solution())]
['unflipped-kernel-in-gradient', 'transposed']
>>> from symconv.spec import TEMPLATES
>>> [a.code for a in alternatives(derive_solution(TEMPLATES / "true-convolution.yaml"))]
['unflipped-kernel', 'transposed']
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
    """∂E/∂A recomputed as the gradient of the other operation, and transposed.

    For a cross-correlation, correlating the (padded, dilated) upstream with the kernel as given is the gradient
    of a true convolution: ``conv2d_grad(A, B, G, flip=True)[0]`` (``unflipped-kernel-in-gradient``). For a true
    convolution (``convolution.mode: convolution``) the mistake turns around: the cross-correlation's gradient,
    an answer for the kernel not rotated (``unflipped-kernel``).
    """
    cfg = conv_config(sol.spec)
    other = conv2d_grad(sol.input, sol.kernel, sol.upstream, **{**cfg, "flip": not cfg["flip"]})[0]
    code = "unflipped-kernel" if cfg["flip"] else "unflipped-kernel-in-gradient"
    return distinct(sol.grad_input, [Alternative(code, other), Alternative("transposed", sol.grad_input.T)])


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The matrix ∂E/∂A: the values of an earlier input-gradient part's equations in their places, or the rule
    that gives each entry."""
    c = sol.spec.conv
    A, B, C, E = symbol(c.input), symbol(c.kernel), symbol(c.output), symbol(c.loss)
    before = [p.id for p in sol.spec.parts[:sol.spec.parts.index(part)] if p.task == "input-gradient"]
    a, y = ("k", "l") if c.index == "flat" else ("ij", "uv")   # entries named as the problem numbers them
    lead = (f"The values of the equations of part {before[-1]}" if before else   # ':' or ', entry by entry' follows
            rf"Summing, for each entry ${A}_{{{a}}}$, $\partial {E}/\partial {C}_{{{y}}}$ times the kernel entry of "
            rf"${B}$ that meets ${A}_{{{a}}}$ over the outputs ${C}_{{{y}}}$ whose window covers it")
    matrix_result(box, rf"\frac{{\partial {E}}}{{\partial {A}}}", sol.grad_input, f"d{c.loss}/d{c.input}", lead,
                  **eq.printer(sol, opts.printer))


def _label(spec: Spec) -> str:
    return f"(\\partial {spec.conv.loss}/\\partial {spec.conv.input})"


TASK = Task("input-gradient-matrix", render, needs=("convolution",),
            checker="grader.checkers.matrices:check_matrix",
            reference=lambda sol: sol.grad_input, shape=lambda spec: spec.matrices[spec.conv.input].shape,
            label=_label, written_as=lambda spec: WrittenAs(gradient_of=spec.conv.input),
            alternatives=alternatives)
