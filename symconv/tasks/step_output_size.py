"""Task ``step-output-size``: the size (rows × columns) of one step's output in the spec's ``layers:`` chain (the
part's ``output:``, default the last), from the step's own size rule: the floor formula for a convolution or a
pooling, ``(I − 1)S − 2P + D(K − 1) + P_out + 1`` for a transposed convolution (:mod:`symconv.sizes`).

Diagnosed alternatives, each the size recomputed under the mistaken rule: for a transposed convolution the forward
convolution's formula, the padding added instead of removed, the output padding left out; for any step one off on
either axis, and the two numbers swapped.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "transposed-conv.yaml")
>>> part = next(p for p in sol.spec.parts if p.task == "step-output-size")
>>> value(sol, part), sorted({a.code for a in alternatives(sol, part)})
((5, 5), ['output-size-off-by-one'])
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import aligned_rows, prose
from symconv.document.options import DocumentOptions
from symconv.latex import latex
from symconv.layer_chain import Step
from symconv.sizes import P_OUT, D, I, K, P, S, output_size, pair, transposed_output_size_expr
from symconv.solution import Solution
from symconv.spec import Part
from symconv.tasks._layers import chain
from symconv.tasks.base import Alternative, Task, distinct
from symconv.tasks.layer_forward import KEYS, output_of

Size = tuple[int, int]


def _step(sol: Solution, part: Part) -> tuple[Step, Size]:
    """The step the part asks about and the size of its input."""
    net = chain(sol.spec)
    k = net.step(output_of(sol.spec, part))
    x = net.tensor(net.input_of(k))[0]
    return net.steps[k], (x.rows, x.cols)


def value(sol: Solution, part: Part) -> Size:
    """The size of the step's output (every channel has it)."""
    out = chain(sol.spec).tensor(output_of(sol.spec, part))[0]
    return out.rows, out.cols


def _args(step: Step, size: Size, kernel: Size) -> list[dict[Any, int]]:
    """Per axis, the step's numbers for I, K, P, S, D and P_out."""
    a = step.args
    stride = pair("stride", a.get("stride", 1), 1)
    padding = pair("padding", a.get("padding", 0), 0)
    dilation = pair("dilation", a.get("dilation", 1), 1)
    extra = pair("output_padding", a.get("output_padding", 0), 0)
    return [{I: size[n], K: kernel[n], P: padding[n], S: stride[n], D: dilation[n], P_OUT: extra[n]} for n in (0, 1)]


def _kernel(sol: Solution, step: Step) -> Size | None:
    if step.weight is not None:
        w = chain(sol.spec).operands[step.weight]
        first = w
        while isinstance(first, list | tuple):
            first = first[0]
        return (first.rows, first.cols) if isinstance(first, sympy.MatrixBase) else None
    if "kernel_size" in step.args:
        return pair("kernel_size", step.args["kernel_size"], 1)
    return None


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The size recomputed under each mistaken rule (see the module's docstring)."""
    step, size = _step(sol, part)
    right = value(sol, part)
    alts = [Alternative("output-size-off-by-one", (right[0] + dh, right[1] + dw))
            for dh, dw in itertools.product((-1, 0, 1), repeat=2) if (dh, dw) != (0, 0)]
    kernel = _kernel(sol, step)
    if step.type == "conv_transpose2d" and kernel is not None:
        axes = _args(step, size, kernel)
        formula = transposed_output_size_expr()

        def size_by(expr: sympy.Expr) -> Size:
            rows, cols = (int(expr.xreplace(ax)) for ax in axes)
            return rows, cols
        try:
            forward = tuple(output_size(ax[I], ax[K], padding=ax[P], stride=ax[S], dilation=ax[D]) for ax in axes)
            alts.insert(0, Alternative("transposed-size-as-conv", forward))
        except Exception:  # noqa: BLE001 (the forward formula may not apply at all: then no such mistake)
            pass
        alts.append(Alternative("transposed-padding-added", size_by(formula + 4 * P)))
        alts.append(Alternative("output-padding-forgotten", size_by(formula - P_OUT)))
    alts.append(Alternative("transposed", right[::-1]))
    return distinct(right, alts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The step's size rule with its numbers, per axis."""
    step, size = _step(sol, part)
    rows, cols = value(sol, part)
    name = latex(sympy.Symbol(output_of(sol.spec, part)))
    kernel = _kernel(sol, step)
    if step.type == "conv_transpose2d" and kernel is not None:
        formula = transposed_output_size_expr()
        prose(box, r"A transposed convolution places a copy of the kernel every $S$ cells of its output, one per "
                   r"input entry, and crops $P$ cells on each side: along each axis")
        lines = [[rf"O &= {latex(formula)}"]]
        for axis, (label, ax) in enumerate(zip(("rows", "columns"), _args(step, size, kernel))):
            lines.append([rf"\text{{{label}}} &= {ax[D]} \cdot ({ax[K]} - 1) + {ax[S]} \cdot ({ax[I]} - 1) + "
                          rf"{ax[P_OUT]} - 2 \cdot {ax[P]} + 1 = {(rows, cols)[axis]}"])   # the formula's order
        box.append(aligned_rows(lines))
    else:
        prose(box, r"The step keeps the window rule of a convolution or a pooling: along each axis "
                   r"$\lfloor (I + 2P - D(K - 1) - 1)/S \rfloor + 1$ entries.")
    prose(box, rf"So ${name}$ is ${rows} \times {cols}$.")


TASK = Task("step-output-size", render, checker="grader.checkers.sizes:check_size", needs=("layers",),
            keys=KEYS, value=value, part_alternatives=alternatives, locate="grader.writeup.locate:find_number")
