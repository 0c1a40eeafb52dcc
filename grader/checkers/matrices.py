"""Matrix parts: convolution, input- and kernel-gradient matrices, max and average pooling.

Shape first: a wrong shape scores zero unless it is a recomputed mistake whose rubric cost leaves credit, and is
diagnosed (transposed? off by one? padding forgotten? pooled with another stride?). Then per-entry credit, each
wrong entry named with its expected and given value; a full match with a recomputed mistake is diagnosed and
earns that mistake's rubric credit if it is more.
"""

from __future__ import annotations

import re
from typing import Any

from grader.checkers.common import entry_label, graded, printed_names, tex
from grader.checkers.reference import Reference
from grader.checkers.values import Log, read_matrix
from grader.compare import compare_entries, same_value
from grader.diagnose import Finding, shape_codes
from grader.parse import has_ellipsis
from grader.result import PartResult
from symconv.spec import Part
from symconv.tasks import task as registry_task

MAX_LINES = 8


def label(ref: Reference, task: str) -> str:
    """How the feedback names an entry of the answer: C_{12}, (∂E/∂A)_{12}, Y_{12} (the task's ``label``; a
    Reference for one matrix of a part names it itself, ``Z[1]``: grader.checkers.channels)."""
    own = getattr(ref, "entry_label", None)
    if own is not None:
        return str(own)
    name = registry_task(task).label
    return name(ref.spec) if name is not None else "Y"


def _shape_guessed(answer: Any, given: Any, expected: Any) -> bool:
    """All the entries on one line of text, with nothing marking rows: which shape was meant is a guess (nine
    numbers for a 3x3 matrix)."""
    return (isinstance(answer, str) and given.rows == 1 and given.cols == expected.rows * expected.cols
            and expected.rows > 1 and not re.search(r"[;\n\[\]]|\\\\|\\begin|\|", answer.strip()))


def _only_zeros_right(expected: Any, wrong: list[tuple[int, int]]) -> bool:
    """Every entry the answer has right is a zero of a reference that is not all zeros: a sparse gradient (max
    pooling routes each window to one entry) would otherwise give most of its credit to an answer that worked out
    nothing.

    >>> import sympy
    >>> _only_zeros_right(sympy.Matrix([[0, 1], [0, 0]]), [(0, 1)]), _only_zeros_right(sympy.Matrix([[0, 1]]), [])
    (True, False)
    """
    bad = set(wrong)
    right = [expected[r, c] for r in range(expected.rows) for c in range(expected.cols) if (r, c) not in bad]
    return len(bad) > 0 and all(v == 0 for v in right)


def check_matrix(ref: Reference, part: Part, answer: Any) -> PartResult:
    """A matrix part: the shape first (a wrong shape is diagnosed), then per-entry credit, each wrong entry
    named; a whole answer that equals a recomputed mistake is diagnosed and earns that mistake's rubric credit."""
    expected = ref.expected(part.task)
    log = Log()
    given = read_matrix(answer, ref.context(part.task), log)
    alternatives = ref.alternatives(part.task)
    seed = ref.seed_for(part.id)
    same = lambda a, b: same_value(a, b, ref.tolerance, seed=seed)  # noqa: E731
    shown = dict(expected_latex=tex(expected), given_latex=tex(given), cost=ref.cost, raw=answer,
                 read_as=tex(given))
    if log.guessed or _shape_guessed(answer, given, expected) or has_ellipsis(given):   # 0.4472...: digits elided
        return graded(part, 0.0, notes=log.notes, review=["your matrix"], **shown)
    matched = [a for a in alternatives if getattr(a.value, "shape", None) == given.shape
               and not compare_entries(given, a.value, same=same)]
    findings = [Finding(a.code, a.assumption) for a in matched]
    best = max((1.0 - ref.cost(a.code) for a in matched), default=0.0)
    if given.shape != expected.shape:
        findings += [Finding(code) for code in shape_codes(given.shape, expected.shape, alternatives)
                     if code not in {f.code for f in findings}]
        line = f"expected a {expected.rows}x{expected.cols} matrix, got {given.rows}x{given.cols}"
        return graded(part, best * part.points, lines=[line], findings=findings, notes=log.notes, **shown)
    wrong = compare_entries(given, expected, same=same)
    n = expected.rows * expected.cols
    name = label(ref, part.task)
    flat = bool(printed_names()) and "convolution" in registry_task(part.task).needs   # x_{5}: the spec's numbering
    lines = [f"{entry_label(name, r, c, expected.cols, flat)}: expected {tex(expected[r, c])}, got {tex(given[r, c])}"
             for r, c in wrong[:MAX_LINES]]
    if len(wrong) > MAX_LINES:
        lines.append(f"... and {len(wrong) - MAX_LINES} more wrong entries")
    if len(wrong) == 1 and not matched:   # a recomputed mistake explains the answer; no slip on top of it
        findings.append(Finding("entry-slip", entry_label(name, *wrong[0], expected.cols, flat)))
    right = n - len(wrong)
    if right and _only_zeros_right(expected, wrong):   # the zero matrix is not 3/4 of a sparse gradient
        right = 0
        lines.append("no nonzero entry is right; zeros alone earn no per-entry credit")
    score = max(part.points * right / n, best * part.points)
    return graded(part, score, lines=lines, findings=findings, notes=log.notes if wrong else (), **shown)
