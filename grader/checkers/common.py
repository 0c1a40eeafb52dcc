"""Helpers every checker uses: the PartResult of a graded part, and credit after diagnosed mistakes."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from grader import feedback
from grader.diagnose import Finding
from grader.result import PartResult
from symconv.latex import latex
from symconv.spec import Part


@lru_cache(maxsize=16384)
def _tex(value: Any) -> str:
    return latex(value)


def tex(value: Any) -> str:
    """The project's LaTeX for a SymPy value, memoised (printing costs milliseconds; values repeat)."""
    try:
        return _tex(value)
    except TypeError:  # unhashable
        return latex(value)


def graded(part: Part, score: float, *, lines: Iterable[str] = (), findings: Iterable[Finding] = (),
           notes: Iterable[str] = (), expected_latex: str = "", given_latex: str = "",
           show_expected: bool = True) -> PartResult:
    """A graded part; the score is clamped to [0, points] and rounded to 6 decimals. ``show_expected=False``
    keeps the expected LaTeX out of the text (when the lines already name each expected entry)."""
    score = round(min(max(score, 0.0), part.points), 6)
    findings = list(dict.fromkeys(findings))
    text = feedback.compose(part.id, score, part.points, lines=lines, findings=findings, notes=notes,
                            expected_latex=expected_latex if show_expected else "")
    codes = list(dict.fromkeys(c for f in findings for c in f.code.split()))
    return PartResult(part.id, score, part.points, text, codes, expected_latex=expected_latex,
                      given_latex=given_latex)


def credit(codes: Iterable[str], cost) -> float:
    """The fraction kept after every diagnosed mistake in ``codes`` (each code's rubric cost, added up)."""
    return max(0.0, 1.0 - sum(cost(c) for c in dict.fromkeys(codes)))
