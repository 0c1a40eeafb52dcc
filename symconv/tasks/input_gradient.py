"""Task ``input-gradient``: every ∂E/∂A_ij by the chain rule, as a sum of kernel terms.

An answer sheet gives one line per input entry (``A_{11}`` …); the grader's
:func:`grader.checkers.chain.check_chain` checks each sum and each written chain-rule term.

>>> from symconv.spec import load_spec
>>> fields(load_spec())[:3]
['A_{11}', 'A_{12}', 'A_{13}']
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.document import equations as eq
from symconv.document import figures
from symconv.document.blocks import picture, prose
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part, Spec, upstream_text
from symconv.tasks.base import Task
from symconv.tasks.common import chain_equations, entry_fields, index_rule, symbol


def fields(spec: Spec) -> list[str]:
    """One answer line per input entry (:func:`symconv.tasks.common.entry_fields`)."""
    return entry_fields(spec, spec.conv.input)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """Why each entry's gradient is a sum over the outputs it feeds, a figure of how many, and the numbered
    chain-rule equations (every entry, or one per number of terms in a summary)."""
    c = sol.spec.conv
    counts = eq.feed_counts(sol)
    eq.check_chain(sol)
    A, B, C, E = symbol(c.input), symbol(c.kernel), symbol(c.output), symbol(c.loss)
    settings = eq.printer(sol, opts.printer)
    a, y = ("k", "l") if c.index == "flat" else ("ij", "uv")   # entries named as the problem numbers them
    prose(box, rf"${E}$ depends on ${A}_{{{a}}}$ only through the entries ${C}_{{{y}}}$ whose window covers it, "
               rf"and $\partial {C}_{{{y}}}/\partial {A}_{{{a}}}$ is the kernel entry that meets ${A}_{{{a}}}$ in "
               rf"that window; the upstream gradient is $\partial {E}/\partial {C}_{{{y}}} = "
               rf"{upstream_text(c).replace('_{uv}', f'_{{{y}}}')}$. "
               r"Figure~\ref{fig:feeds} shows how many terms each sum has.", end=True)
    box.append(picture(figures.heatmap_picture(counts, c.input, c.output),
                       caption=rf"How many entries of ${C}$ each ${A}_{{{a}}}$ feeds.\label{{fig:feeds}}"))
    i, j = index_rule(sol, 0, "u", "m"), index_rule(sol, 1, "v", "n")
    chain_equations(
        box, sol.chain, opts.summary,
        rf"One entry for each number of terms; every other entry sums over the outputs ${C}_{{uv}}$ "
        rf"whose window covers it, each term $\partial {E}/\partial {C}_{{uv}} \cdot {B}_{{mn}}$ with "
        rf"$i = {i}$ and $j = {j}$:",
        rf"For each entry of ${A}$:",
        lambda key: eq.chain_equation(sol, sol.chain[key], **settings))


TASK = Task("input-gradient", render, needs=("convolution",),
            checker="grader.checkers.chain:check_chain", fields=fields,
            locate="grader.writeup.chain:find_input_chain", warm="grader.checkers.chain:warm")
