"""Task ``convolution``: the output C = A ⋆ B (cross-correlation), or C = A * B (true convolution, the kernel
rotated by 180 degrees, with ``convolution.mode: convolution``), entry by entry.

>>> from symconv import derive_solution
>>> [a.code for a in alternatives(derive_solution())]
['flipped-kernel', 'transposed']
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.conv import conv2d
from symconv.document import equations as eq
from symconv.document import figures
from symconv.document.blocks import aligned_rows, matrix_result, picture, prose
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks.base import Alternative, Task, WrittenAs, distinct
from symconv.tasks.common import conv_config, index_rule, other_mode_code, output_shape, symbol


def alternatives(sol: Solution) -> list[Alternative]:
    """C recomputed as the other operation (the kernel flipped for a cross-correlation, not rotated for a true
    convolution), transposed, and without the padding."""
    cfg = conv_config(sol.spec)
    other = {**cfg, "flip": not cfg["flip"]}
    alts = [Alternative(other_mode_code(sol.spec), conv2d(sol.input, sol.kernel, **other),
                        "kernel not rotated" if cfg["flip"] else "kernel flipped"),
            Alternative("transposed", sol.output.T)]
    if any(cfg["padding"]):
        alts.append(Alternative("padding-forgotten", conv2d(sol.input, sol.kernel, **{**cfg, "padding": 0})))
    return distinct(sol.output, alts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The first window as a figure, each entry's sum of products (or the first and last), the matrix."""
    c = sol.spec.conv
    eq.check_products(sol)
    settings = eq.printer(sol, opts.printer)
    names = {k: v for k, v in settings.items() if k == "symbol_names"}   # the figure's numbers print as always
    A, B, C = symbol(c.input), symbol(c.kernel), symbol(c.output)
    how = (rf", rotated by $180^\circ$, with the window of ${A}$ under it (true convolution: the window's "
           r"top-left entry meets the kernel's bottom-right entry)" if c.flip else
           rf" with the window of ${A}$ under it (cross-correlation: the kernel is not flipped)")
    prose(box, rf"Each entry of ${C}$ is the sum of the products of the kernel ${B}${how}. "
               r"Figure~\ref{fig:window} shades the first window; the dashed one is the next window along the row, "
               "one stride further.", end=True)
    box.append(picture(figures.window_picture(sol, **names),
                       caption=rf"The first window of ${A}$ and the entry of ${C}$ it gives; each shaded cell is "
                               r"multiplied by the kernel entry in its corner.\label{fig:window}"))
    rows, cols = sol.output_shape
    entries = [(u, v) for u in range(rows) for v in range(cols)]
    shown = entries if not opts.summary or len(entries) <= 2 else [entries[0], entries[-1]]
    prose(box, "Written out, the first and the last entry:" if len(shown) < len(entries) else
          "Written out, entry by entry:")
    box.append(aligned_rows([eq.product_equation(sol, u, v, **settings) for u, v in shown]))
    if len(shown) < len(entries):
        i, j = index_rule(sol, 0, "u", "m"), index_rule(sol, 1, "v", "n")
        pad = " (an index outside the input is a padding zero)" if any(c.padding) else ""
        prose(box, rf"Every other entry is the same sum over its own window{pad}: "
                   rf"${C}_{{uv}} = \sum_{{m,n}} {A}_{{{i},\,{j}}}\, {B}_{{mn}}$.")
    matrix_result(box, C, sol.output, c.output, "Altogether", **settings)


def _written_as(spec: Spec) -> WrittenAs:
    return WrittenAs(name=spec.conv.output)


TASK = Task("convolution", render, needs=("convolution",),
            checker="grader.checkers.matrices:check_matrix",
            reference=lambda sol: sol.output, shape=output_shape, label=lambda spec: spec.conv.output,
            written_as=_written_as, alternatives=alternatives)
