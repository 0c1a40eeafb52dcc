"""One checker per spec task: ``check(reference, part, answer) -> PartResult``.

A checker raises ParseError or UnreadableAnswer when the whole answer cannot be read (the grader turns that
into a zero with the parse error); answers with several pieces (entries, poolings) report unreadable pieces in
their feedback and grade the rest.

>>> from symconv.spec import TASKS
>>> sorted(CHECKERS) == sorted(TASKS)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.checkers.chain import check_chain
from grader.checkers.matrices import check_matrix
from grader.checkers.modules import check_modules
from grader.checkers.pooling import check_formulas, check_limits
from grader.checkers.reference import Reference
from grader.checkers.sizes import check_formula, check_size
from grader.checkers.values import UnreadableAnswer
from grader.result import PartResult

Checker = Callable[[Reference, Any, Any], PartResult]

CHECKERS: dict[str, Checker] = {
    "output-size": check_size,
    "output-size-formula": check_formula,
    "convolution": check_matrix,
    "input-gradient": check_chain,
    "input-gradient-matrix": check_matrix,
    "kernel-gradient-matrix": check_matrix,
    "pooling-modules": check_modules,
    "pooling-formulas": check_formulas,
    "max-pool": check_matrix,
    "avg-pool": check_matrix,
    "lp-limits": check_limits,
}

__all__ = ["CHECKERS", "Checker", "Reference", "UnreadableAnswer"]
