"""Task ``output-size-formula``: the output length along one axis as a formula in I, K, P, S (and D).

Answers are read with the size letters (``reading="size-formula"``) and checked by
:func:`grader.checkers.sizes.check_formula` at the course's evaluation points. A part with ``dilation: false``
asks about I, K, P and S only: its reference is the formula at D = 1, so a formula without D is fully right (and
one with D too, since it is the same formula at D = 1).

>>> [a.code for a in alternatives(None)][:3]
['output-size-off-by-one', 'output-size-off-by-one', 'ceil-instead-of-floor']
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import display, prose
from symconv.document.options import DocumentOptions
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.sizes import P, output_size_expr
from symconv.solution import Solution
from symconv.spec import Part
from symconv.tasks.base import Alternative, Task


def asks_dilation(part: Part, where: str = "<spec>") -> bool:
    """Whether the part asks for the formula with dilation (its key ``dilation:``, true unless it says false).

    >>> asks_dilation(Part("1", "output-size-formula", 1, options={"dilation": False}))
    False
    """
    value = part.options.get("dilation", True)
    if not isinstance(value, bool):
        raise SpecError(where, f"part {part.id}: dilation must be true or false, not {str(value)[:40]!r}")
    return value


def reference(part: Part, where: str = "<spec>") -> sympy.Expr:
    """The formula the part asks for: PyTorch's, or (``dilation: false``) the same formula at D = 1.

    >>> reference(Part("1", "output-size-formula", 1, options={"dilation": False}))
    floor((I - K + 2*P)/S) + 1
    """
    return output_size_expr(dilation=asks_dilation(part, where))


def alternatives(sol: Any = None) -> list[Alternative]:
    """The output-size formula without dilation, without padding, without floor, with ceiling, and off by one
    (and their combinations), each labelled with every code that applies; the reference is
    ``output_size_expr()`` (the same for every spec, so ``sol`` is not used)."""
    alts = []
    for dilation, padding, rounding, offset in itertools.product((True, False), (True, False),
                                                                 ("floor", "ceil", "none"), (0, 1, -1)):
        if (dilation, padding, rounding, offset) == (True, True, "floor", 0):
            continue
        expr = output_size_expr(dilation=dilation, floor=rounding != "none")
        if rounding == "ceil":
            expr = expr.replace(sympy.floor, sympy.ceiling)
        if not padding:
            expr = expr.subs(P, 0)
        codes = ([] if dilation else ["dilation-missing"]) + ([] if padding else ["padding-forgotten"])
        codes += {"floor": [], "ceil": ["ceil-instead-of-floor"], "none": ["floor-missing"]}[rounding]
        codes += ["output-size-off-by-one"] if offset else []
        assumption = ", ".join(x for x, used in (("D = 1", not dilation), ("P = 0", not padding)) if used)
        alts.append(Alternative(" ".join(codes), expr + offset, assumption))
    return alts


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """PyTorch's formula, what each term means, and the formula without dilation; for a part that asks about I,
    K, P and S only (``dilation: false``), that formula, with dilation as an aside."""
    f = sol.output_size_formula
    D = next(s for s in f.free_symbols if s.name == "D")
    if not asks_dilation(part, sol.spec.source):
        prose(box, "Along one axis (PyTorch's rule, also Dumoulin and Visin's):")
        box.append(display(rf"O = {latex(reference(part, sol.spec.source))}"))
        prose(box, r"The padded input has $I + 2P$ cells and the kernel covers $K$ of them; the window moves $S$ "
                   r"cells at a time, and the floor drops a last window that would not fit, so inputs that differ "
                   r"by up to $S - 1$ give the same output size. With a dilation $D$ the kernel would span "
                   r"$D(K - 1) + 1$ cells instead of $K$, which gives PyTorch's general form (the formula above "
                   r"at $D = 1$):")
        box.append(display(rf"O = {latex(f)}"))
        return
    prose(box, "Along one axis (PyTorch's rule, also Dumoulin and Visin's):")
    box.append(display(rf"O = {latex(f)}"))
    prose(box, r"The dilated kernel spans $D(K - 1) + 1$ input cells; the padded input has $I + 2P$; the window "
               r"moves $S$ cells at a time, and the floor drops a last window that would not fit, so inputs that "
               r"differ by up to $S - 1$ give the same output size. Without dilation ($D = 1$):")
    box.append(display(rf"O = {latex(f.subs(D, 1))}"))


TASK = Task("output-size-formula", render, checker="grader.checkers.sizes:check_formula",
            keys={"problems[].parts[]": ("dilation",)}, alternatives=alternatives, reading="size-formula",
            locate="grader.writeup.locate:find_formula",
            warm="grader.checkers.sizes:warm_formula")
