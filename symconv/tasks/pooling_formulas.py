"""Task ``pooling-formulas``: the formulas of max, average and LP pooling over a window.

Each formula (answer-sheet fields ``max``, ``avg``, ``lp``) is checked on sample windows of the spec's pooling
by :func:`grader.checkers.pooling.check_formulas`.

>>> from symconv.spec import load_spec
>>> TASK.fields(load_spec())
['max', 'avg', 'lp']
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.document.blocks import aligned_rows, prose
from symconv.document.options import DocumentOptions
from symconv.solution import POOL_MODULES, Solution
from symconv.spec import Part
from symconv.tasks.base import Task


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The three definitions over a window, and how PyTorch's LP differs from the power mean."""
    prose(box, r"For channel $k$ and output entry $(i, j)$ with window $S^k_{ij}$ of $|S^k_{ij}|$ entries "
               r"$x^k_{mn}$:")
    box.append(aligned_rows([
        [r"\text{max:}\quad Y^k_{ij} &= \max_{(m,n) \in S^k_{ij}} x^k_{mn}"],
        [r"\text{average:}\quad Y^k_{ij} &= \frac{1}{|S^k_{ij}|} \sum_{(m,n) \in S^k_{ij}} x^k_{mn}"],
        [r"\text{LP (PyTorch):}\quad Y^k_{ij} &= \Bigl(\sum_{(m,n) \in S^k_{ij}} \bigl(x^k_{mn}\bigr)^p"
         r"\Bigr)^{1/p}"]]))
    prose(box, r"PyTorch's LP pooling has no factor $1/|S^k_{ij}|$; the power mean "
               r"$\bigl(\sum x^p / |S|\bigr)^{1/p}$ is that value times $|S|^{-1/p}$.", end=True)


TASK = Task("pooling-formulas", render, checker="grader.checkers.pooling:check_formulas",
            fields=lambda spec: list(POOL_MODULES), locate="grader.writeup.pooling:find_formulas",
            warm="grader.checkers.pooling:warm")
