"""Feedback text for one part: the verdict, the points, the diagnoses in words, and what was expected.

Feedback is plain text. What was expected is LaTeX printed by the project's printer from the engine's value;
the student's answer only ever appears as ``given_latex``, printed from the parsed tree, or (for an unreadable
answer) in the parse error's caret render, which is plain text.

>>> print(compose("1.1a", 0.0, 1.0, findings=[Finding("transposed")], expected_latex="3 \\\\times 4"))
1.1a: incorrect (0/1).
- transposed: your answer is the transpose of the expected one.
Expected: 3 \\times 4
>>> print(missing("1.2d"))
1.2d: no answer (0 points).
"""

from __future__ import annotations

from collections.abc import Iterable

from grader.diagnose import CODES, Finding
from grader.errors import GraderError, ParseError


def verdict(score: float, max_score: float) -> str:
    """"correct", "partly correct" or "incorrect".

    >>> verdict(1, 1), verdict(0.5, 1), verdict(0, 1)
    ('correct', 'partly correct', 'incorrect')
    """
    if score >= max_score - 1e-9:
        return "correct"
    return "partly correct" if score > 1e-9 else "incorrect"


def points(value: float) -> str:
    """A score the way people write it: 2, 2.5, 2.67."""
    return f"{round(value, 2):g}"


def describe(finding: Finding) -> str:
    """A diagnosis in words: ``code: meaning (detail)``."""
    text = f"{finding.code}: {CODES.get(finding.code, finding.code)}"
    return f"{text} ({finding.detail})." if finding.detail else f"{text}."


def compose(part: str, score: float, max_score: float, *, lines: Iterable[str] = (),
            findings: Iterable[Finding] = (), notes: Iterable[str] = (), expected_latex: str = "") -> str:
    """The feedback of one graded part: verdict and points, specific lines (wrong entries), diagnoses, notes,
    and the expected answer (unless the answer was correct)."""
    out = [f"{part}: {verdict(score, max_score)} ({points(score)}/{points(max_score)})."]
    out += [f"- {line}" for line in lines]
    out += [f"- {describe(f)}" for f in _unique(findings)]
    out += [f"Note: {note}" for note in notes]
    if expected_latex and verdict(score, max_score) != "correct":
        out.append(f"Expected: {expected_latex}")
    return "\n".join(out)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def unreadable(part: str, error: GraderError) -> str:
    """``could not read your answer to 1.1c: <problem> at column 7; expected ...`` and, for a parse error,
    the offending line with a caret under the offending character."""
    text = error.render() if isinstance(error, ParseError) else str(error)
    prefix = "could not read your answer:"
    if text.startswith(prefix):
        return f"could not read your answer to {part}:" + text[len(prefix):]
    return f"could not read your answer to {part}: {text}"


def missing(part: str) -> str:
    return f"{part}: no answer (0 points)."
