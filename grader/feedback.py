r"""Feedback text for one part: the verdict, the points, the diagnoses in words, and what was expected.

Feedback is plain text a student can read at 2 a.m.: maths as Unicode (``⌊(I + 2P − D(K − 1) − 1)/S⌋ + 1``,
``B₁₁ + B₁₂``, ``∂E/∂A₂₄``, matrices as aligned rows), rendered from the LaTeX the project printer made of the
engine's values (``symconv.unicode.from_latex``). The student's answer only ever appears as ``given_latex``,
printed from the parsed tree, or (for an unreadable answer) in the parse error's caret render, which is left as
written. One line per diagnosis: the same mistake found at several places is said once, with every place.

A part the grader could not read gets no verdict: it is ``needs-review`` and its feedback says that a person will
read it (``review``).

>>> print(compose("1.1a", 0.0, 1.0, findings=[Finding("transposed")], expected_latex="3 \\times 4"))
1.1a: incorrect (0/1).
- transposed: your answer is the transpose of the expected one.
Expected: 3 × 4
>>> print(missing("1.2d"))
1.2d: no answer (0 points).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from grader.diagnose import CODES, Finding
from grader.errors import GraderError, ParseError
from symconv.unicode import from_latex

#: What a student reads when a person, not the grader, will decide a part.
REVIEW_LINE = "a person will read this answer and grade it by hand; this is not a verdict on your maths"
#: The line that replaces an expected answer when the spec withholds them (``feedback: {reveal: false}``).
WITHHELD = "(the expected answer is not shown for this course)"


def verdict(score: float, max_score: float) -> str:
    """"correct", "partly correct" or "incorrect".

    >>> verdict(1, 1), verdict(0.5, 1), verdict(0, 1)
    ('correct', 'partly correct', 'incorrect')
    """
    if score >= max_score - 1e-9:
        return "correct"
    return "partly correct" if score > 1e-9 else "incorrect"


def number(x: float) -> str:
    """Scores in files: at most 4 decimals, no trailing zeros (``2``, ``2.5``, ``1.6667``).

    >>> number(2.0), number(2.5), number(5 / 3), number(-0.0)
    ('2', '2.5', '1.6667', '0')
    """
    return f"{round(x, 4) + 0.0:.10g}"


def points(value: float) -> str:
    """A score the way people write it: 2, 2.5, 2.67."""
    return f"{round(value, 2):g}"


def readable(text: str) -> str:
    r"""Prose that may hold LaTeX from the project printer, with the maths as Unicode. Only the first line is
    rendered: the lines below it (a parse error's copy of the student's text, with a caret under a character) are
    left exactly as they are.

    >>> readable(r"C_{12}: expected 92, got \frac{1}{2}")
    'C₁₂: expected 92, got 1/2'
    >>> print(readable("could not read (A_{13}): unexpected '*'\n  B_{13} + * B12\n          ^"))
    could not read (A₁₃): unexpected '*'
      B_{13} + * B12
              ^
    """
    first, newline, rest = text.partition("\n")
    if not re.search(r"[\\_^]", first):
        return text
    return from_latex(first, math=False) + newline + rest


def math(latex_text: str) -> str:
    r"""A formula the project printer made, as Unicode (matrices on several lines).

    >>> math(r"\frac{\partial E}{\partial A_{24}}")
    '∂E/∂A₂₄'
    """
    return from_latex(latex_text)


def describe(finding: Finding) -> str:
    """A diagnosis in words: ``code: meaning (detail)``; a detail the meaning already says is not repeated.

    >>> describe(Finding("dilation-missing", "D = 1"))
    'dilation-missing: your formula has no dilation D; it only holds for D = 1.'
    """
    meaning = CODES.get(finding.code, finding.code)
    text = f"{finding.code}: {meaning}"
    shown = finding.detail and finding.detail not in meaning
    return readable(f"{text} ({finding.detail}).") if shown else f"{text}."


def describe_all(findings: Iterable[Finding]) -> list[str]:
    """One line per diagnosis code, in the order first found; the places a mistake occurs are listed together,
    so no sentence is repeated.

    >>> describe_all([Finding("entry-slip", "C_{12}"), Finding("entry-slip", "C_{21}"), Finding("transposed")])
    ['entry-slip: exactly one entry is wrong: a slip (C₁₂; C₂₁).', 'transposed: your answer is the transpose of \
the expected one.']
    """
    details: dict[str, list[str]] = {}
    for f in findings:
        places = details.setdefault(f.code, [])
        if f.detail and f.detail not in places:
            places.append(f.detail)
    return [describe(Finding(code, "; ".join(places))) for code, places in details.items()]


def compose(part: str, score: float, max_score: float, *, lines: Iterable[str] = (),
            findings: Iterable[Finding] = (), notes: Iterable[str] = (), expected_latex: str = "") -> str:
    """The feedback of one graded part: verdict and points, specific lines (wrong entries), diagnoses, notes,
    and the expected answer (unless the answer was correct)."""
    out = [f"{part}: {verdict(score, max_score)} ({points(score)}/{points(max_score)})."]
    out += [f"- {readable(line)}" for line in dict.fromkeys(lines)]
    out += [f"- {line}" for line in describe_all(findings)]
    out += [f"Note: {readable(note)}" for note in dict.fromkeys(notes)]
    if expected_latex and verdict(score, max_score) != "correct":
        out.append(expected_line(expected_latex))
    return "\n".join(out)


def expected_line(expected_latex: str) -> str:
    """``Expected: …`` with the formula as Unicode; a matrix goes on the lines below, indented."""
    shown = math(expected_latex)
    if "\n" in shown:
        return "Expected:\n" + "\n".join(f"  {row}" for row in shown.split("\n"))
    return f"Expected: {shown}"


def unreadable(part: str, error: GraderError) -> str:
    """``could not read your answer to 1.1c: <problem> at column 7; expected ...`` and, for a parse error,
    the offending line with a caret under the offending character."""
    text = error.render() if isinstance(error, ParseError) else str(error)
    prefix = "could not read your answer:"
    if text.startswith(prefix):
        return f"could not read your answer to {part}:" + text[len(prefix):]
    return f"could not read your answer to {part}: {text}"


def review(part: str, max_score: float, problem: str) -> str:
    """The feedback of a part a person must read: the state, why the grader could not read it, and REVIEW_LINE
    (the same head as a checker's needs-review part: ``1.1b: needs review (0/2 so far).``).

    >>> print(review("1.1b", 2, "could not read your answer to 1.1b: unknown command '\\\\input' at column 1"))
    1.1b: needs review (0/2 so far).
    - could not read your answer to 1.1b: unknown command '\\input' at column 1
    - a person will read this answer and grade it by hand; this is not a verdict on your maths
    """
    return f"{part}: needs review (0/{points(max_score)} so far).\n- {problem}\n- {REVIEW_LINE}"


def missing(part: str) -> str:
    """The feedback of a part with no answer.

    >>> missing("1.1b")
    '1.1b: no answer (0 points).'"""
    return f"{part}: no answer (0 points)."


def by_hand(score: float, max_score: float, comment: str) -> str:
    """The line a TA's override adds to a part's feedback.

    >>> by_hand(3, 3, "read the matrix from your figure")
    'Set by hand by the course staff: 3/3. Comment: read the matrix from your figure'
    """
    text = f"Set by hand by the course staff: {points(score)}/{points(max_score)}."
    return f"{text} Comment: {comment}" if comment else text


# --- withholding expected answers (a spec's ``feedback: {reveal: false}``) ------------------------------------------

_EXPECTED_GOT = re.compile(r"\bexpected (?P<what>.+?), got\b")
_EXPECTED_CLAUSE = re.compile(r"(?:[;,] | \()expected .*?(?:\)|$)")  # "...; expected X" and "... (expected X)"


def withhold(result: Any) -> Any:
    """A copy of a PartResult with every expected answer taken out: no ``expected_latex``, no ``Expected:`` block,
    and ``X: expected 92, got 91`` lines say only what was given.

    >>> from grader.result import PartResult
    >>> p = PartResult("1.1c", 2, 3, "1.1c: partly correct (2/3).\\n- C₁₂: expected 92, got 91\\nExpected:\\n  [1  2]",
    ...                expected_latex="M")
    >>> print(withhold(p).feedback); withhold(p).expected_latex
    1.1c: partly correct (2/3).
    - C₁₂: got 91, which is not right
    ''
    """
    lines, skipping = [], False
    for line in result.feedback.split("\n"):
        if line.startswith("Expected:"):
            skipping = True
            continue
        if skipping and line.startswith("  "):
            continue
        skipping = False
        match = _EXPECTED_GOT.search(line)
        if match:
            line = line[:match.start()] + "got" + line[match.end():] + ", which is not right"
        lines.append(_EXPECTED_CLAUSE.sub("", line))
    return dataclasses.replace(result, feedback="\n".join(lines), expected_latex="")


# --- Gradescope (results.json, output_format "md") -----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&])")
#: a heading, list or rule marker at the start of a line
_MD_LEADING = re.compile(r"^(\s*(?:\d+)?)([#+=.)-])(?=[\s#=-]|$)")


def markdown(text: str) -> str:
    """Feedback as Markdown for Gradescope: prose lines escaped (no markup or HTML from student text survives) and
    ended by a hard line break, ``- `` lines as list items, indented blocks (a caret under an answer, a matrix) in
    a fenced code block.

    >>> print(markdown("1.1c: incorrect (0/3).\\n- C₁₂: got <b>\\nExpected:\\n  [1  2]"))
    1.1c: incorrect (0/3).
    - C₁₂: got \\<b\\>
    <BLANKLINE>
    Expected:
    ```text
      [1  2]
    ```
    """
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            longest = max((len(run) for line in block for run in re.findall("`+", line)), default=0)
            fence = "`" * max(3, longest + 1)
            out.extend([f"{fence}text", *block, fence])
            block.clear()

    previous = ""
    for line in text.split("\n"):
        if line.startswith("  "):
            block.append(line)
            continue
        flush()
        is_item = line.startswith("- ")
        body = _MD_LEADING.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", line[2:] if is_item else line))
        if out and not out[-1].startswith("```"):
            if previous.startswith("- ") and not is_item:
                out.append("")  # a paragraph after a list
            elif not previous.startswith("- ") and not is_item:
                out[-1] += "\\"  # a hard line break between prose lines
        out.append(f"- {body}" if is_item else body)
        previous = line
    flush()
    return "\n".join(out)
