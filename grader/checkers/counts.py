"""Value parts about a network: a count (parameters, multiply-adds), a shape with channels, a receptive field.

The expected value and the recomputed mistakes come from the task's record (``value(sol, part)`` and
``part_alternatives(sol, part)``, :mod:`symconv.tasks`). A count may carry its unit (``224 parameters``); a shape
may be written channels first (PyTorch's 32 × 29 × 29) or last (29 × 29 × 32); a square receptive field may be one
number. An answer that cannot be read goes to a person; a guessed reading too.

>>> from grader.checkers.reference import Reference
>>> _unit("1,168 parameters"), _unit("7 \\\\text{ MACs}")
('1,168', '7')
"""

from __future__ import annotations

import math
import re
from typing import Any

from grader.checkers.common import graded
from grader.checkers.reference import Reference
from grader.checkers.values import Log, UnreadableAnswer, read, read_equation
from grader.diagnose import Finding
from grader.errors import ParseError
from grader.result import PartResult
from symconv.spec import Part
from symconv.tasks import task as registry_task

_UNITS = re.compile(r"(?i)\s*(?:\\(?:text|mathrm)\s*\{\s*)?(?:(?:learnable|trainable)\s+)?"
                    r"(?:parameters?|params?|weights?|macs?|multiply[- ]?adds?|multiply[- ]?accumulates?|"
                    r"multiplications?|pixels?|cells?|entries)"
                    r"\s*\}?\s*\.?\s*$")


_LABEL = re.compile(r"(?i)^\s*(?:total\s+)?(?:(?:learnable|trainable)\s+)?(?:parameters|params|macs|multiply-adds)\s*:")
_TIMES_X = re.compile(r"(?<=[0-9)])\s*[xX×]\s*(?=[0-9(])")


def _unit(text: str) -> str:
    """The answer without a trailing unit word or a leading label (``Total params: 1,568``)."""
    return _LABEL.sub("", _UNITS.sub("", text)).strip()


def _times(text: str) -> str:
    """A count has no variable: ``4x4x3x32`` is a product (as an x read as a name it escaped the working's check).

    >>> _times("(4x4x3+1)x32"), _times("0x1F")
    ('(4*4*3+1)*32', '0*1F')
    """
    return _TIMES_X.sub("*", text)


def _expected(ref: Reference, part: Part) -> tuple[Any, list[Any]]:
    t = registry_task(part.task)
    value, mistakes = t.value, t.part_alternatives
    assert value is not None and mistakes is not None   # the task's record says so (tests/test_tasks)
    return ref.memo(f"value:{part.id}", lambda: (value(ref.solution, part), mistakes(ref.solution, part)))


def _judge(ref: Reference, part: Part, given: Any, expected: Any, alternatives: list[Any], answer: Any,
           show: str, log: Log) -> PartResult:
    shown = dict(expected_latex=show, cost=ref.cost, raw=answer)
    if log.guessed:
        return graded(part, 0.0, notes=log.notes, review=["your answer"], **shown)
    if given == expected:
        return graded(part, part.points, notes=log.notes, **shown)
    matched = [a for a in alternatives if a.value == given]
    best = max((1.0 - ref.cost(a.code) for a in matched), default=0.0)
    return graded(part, best * part.points, findings=[Finding(a.code, a.assumption) for a in matched],
                  notes=log.notes, **shown)


def _last_side(equation: Any) -> Any:
    """The last side of a chain of working; every side that is a number must equal it (``4*4*3*32 = 1568`` states
    1536 = 1568: not a right count, whatever its last side). Sides in letters are the working's names or formula.

    >>> from grader.parse import Equation
    >>> import sympy
    >>> _last_side(Equation((sympy.Integer(1536) + 32, sympy.Integer(1568))))
    1568
    """
    last = equation.sides[-1]
    for side in equation.sides[:-1]:
        if not getattr(side, "free_symbols", None) and side != last:
            raise UnreadableAnswer(f"the sides of your working differ ({side} and {last}): which one is your answer?")
    return last


def _integer(value: Any, log: Log, ref: Reference, part: Part) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise UnreadableAnswer("expected a whole number")
    number = _last_side(read_equation(_times(_unit(value)), ref.context(part.task), log))
    if not (getattr(number, "is_Integer", False) and number >= 0):
        raise UnreadableAnswer("expected a whole number, like 1168")
    return int(number)


def check_count(ref: Reference, part: Part, answer: Any) -> PartResult:
    """A whole number (parameters, multiply-adds), thousands separators and a unit word allowed."""
    expected, alternatives = _expected(ref, part)
    log = Log()
    given = _integer(answer, log, ref, part)
    return _judge(ref, part, given, expected, alternatives, answer, str(expected), log)


def _sizes(value: Any, log: Log, ref: Reference, part: Part) -> tuple[int, ...]:
    if isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if not isinstance(value, str):
        raise UnreadableAnswer("expected a shape, like 32 \\times 29 \\times 29")
    text = _unit(value)
    if re.fullmatch(r"\s*\$*\s*\d+\s*\$*\s*", text):
        return (int(text.strip(" $")),)
    total = _worked_total(text, ref, part) if "=" in text else None
    found = Log()
    try:
        result = read(text, "size", ref.context(part.task), found)
    except ParseError:
        if total is None:
            raise
        return (total,)
    if not isinstance(result, tuple):
        raise UnreadableAnswer("expected a shape, like 32 \\times 29 \\times 29")
    inside = any("working around it" in n for n in found.notes)
    if total is not None and inside and math.prod(result) != total:   # 5 + (3-1)*2*2 = 13: 13, not the 2 × 2
        return (total,)
    log.notes += found.notes   # 13 \times 13 = 169: the size, its area worked out
    log.guessed = log.guessed or found.guessed
    return tuple(int(n) for n in result)


def _worked_total(text: str, ref: Reference, part: Part) -> int | None:
    """The whole number a chain of working ends at (``r = 5 + 2 \\cdot 4 = 13``), None when it ends elsewhere; sides
    that are numbers must agree (UnreadableAnswer), sides in letters are the working's names and formulas."""
    try:
        last = _last_side(read_equation(text, ref.context(part.task), Log()))
    except ParseError:
        return None
    return int(last) if getattr(last, "is_Integer", False) and last >= 1 else None


def check_shape(ref: Reference, part: Part, answer: Any) -> PartResult:
    """A shape with channels: C × H × W, or H × W × C (read as channels last when that is the only way it is
    right, or the only way it matches a diagnosed mistake)."""
    expected, alternatives = _expected(ref, part)
    log = Log()
    given = _sizes(answer, log, ref, part)
    if len(given) == 3 and len(expected) == 3 and given != expected:
        last = (given[2], given[0], given[1])   # H × W × C, as many courses write it
        if last == expected or any(a.value == last for a in alternatives):
            given = last
    show = r" \times ".join(map(str, expected))
    return _judge(ref, part, given, expected, alternatives, answer, show, log)


def check_field(ref: Reference, part: Part, answer: Any) -> PartResult:
    """A receptive field: one number for a square field, or rows × columns."""
    expected, alternatives = _expected(ref, part)
    log = Log()
    given = _sizes(answer, log, ref, part)
    if len(given) == 1:
        given = (given[0], given[0])
    show = str(expected[0]) if expected[0] == expected[1] else rf"{expected[0]} \times {expected[1]}"
    return _judge(ref, part, given, expected, alternatives, answer, show, log)
