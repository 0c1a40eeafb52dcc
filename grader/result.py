"""What grading produces: a Result per submission with a PartResult per part, and its Gradescope form.

Results cross process boundaries in batch grading, so they convert to and from plain dicts (``to_dict`` /
``from_dict``) without loss.

>>> r = Result("ada", [PartResult("1.1a", 1.0, 1.0, "Correct.", [])])
>>> r.score, r.max_score, r.to_gradescope()["tests"][0]["name"]
(1.0, 1.0, '1.1a')
>>> settle(Result("bo", [PartResult("1.1a", 0.0, 1.0, "...", status=NEEDS_REVIEW)])).status
'needs-review'

"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

#: PartResult.status values. NEEDS_REVIEW: the answer could not be read, or was read only by a guess, so a
#: person must look at it (the grader never gives a verdict on maths it could not read).
GRADED, UNREADABLE, MISSING, NEEDS_REVIEW = "graded", "unreadable", "missing", "needs-review"
#: Result.status values (REVIEW: graded, but at least one part needs a person)
OK, ERROR, REVIEW = "ok", "error", "needs-review"


@dataclass
class PartResult:
    """One part's verdict.

    ``feedback`` is plain text for the student (never their raw input echoed into LaTeX; ``given_latex`` and
    ``expected_latex`` are re-rendered from parsed trees by the project's printer).
    """

    part: str
    score: float
    max_score: float
    feedback: str
    diagnoses: list[str] = field(default_factory=list)
    status: str = GRADED
    expected_latex: str = ""
    given_latex: str = ""
    #: the student's answer as written (kept for a part that needs review, so a person can read it)
    raw: str = ""
    #: what the grader made of the answer, as plain Unicode text ("" when it could make nothing of it)
    read_as: str = ""
    #: what a reviewer should know: which reading was used, or why nothing could be read
    notes: list[str] = field(default_factory=list)
    #: set by a TA's override (grader.overrides): the comment, and the score the grader had given
    by_hand: bool = False
    comment: str = ""
    auto_score: float | None = None
    #: where a write-up's answer to this part was read ("lines 12-14", "cell 3, line 2"; grader.writeup)
    where: str = ""

    # How a part shows itself in a REPL and a notebook (short; the feedback is in ``feedback``).

    def __str__(self) -> str:
        status = "" if self.status == GRADED else f" [{self.status}]"
        found = f" ({', '.join(self.diagnoses)})" if self.diagnoses else ""
        return f"{self.part}: {self.score:g}/{self.max_score:g}{status}{found}"

    def __repr__(self) -> str:
        found = f"; {', '.join(self.diagnoses)}" if self.diagnoses else ""
        return f"PartResult({self.part!r}: {self.score:g}/{self.max_score:g}, {self.status}{found})"

    def _repr_latex_(self) -> str:
        """The score, and what was read against what was expected (both re-rendered by the project's printer)."""
        out = rf"\text{{{_tex_text(self.part)}: }} {self.score:g}/{self.max_score:g}"
        if self.diagnoses:
            out += rf"\quad \text{{({_tex_text(', '.join(self.diagnoses))})}}"
        if self.given_latex:
            out += rf"\\ \text{{given: }} {self.given_latex}"
        if self.expected_latex:
            out += rf"\\ \text{{expected: }} {self.expected_latex}"
        return rf"$\begin{{array}}{{l}}{out}\end{{array}}$"


@dataclass
class Result:
    """A graded submission. ``status`` is "error" (with ``error``, one line) when the file could not be read;
    such a result still lists every part of the spec, with zero scores."""

    student: str
    parts: list[PartResult]
    status: str = OK
    error: str = ""
    source: str = ""
    execution_time: float = 0.0
    #: notes on the whole file for the student and the TA (answers for parts the spec does not have)
    notes: list[str] = field(default_factory=list)
    #: per-student variants (grader.variants): the variant's fingerprint, each part's reference digest, the digests
    #: of wrong answers, and the answers found to match another variant (never shown to the student)
    variant: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The total score of the parts (rounded to 6 places, so sums of thirds print cleanly)."""
        return round(sum(p.score for p in self.parts), 6)

    @property
    def max_score(self) -> float:
        """The total of the parts' maximum scores."""
        return round(sum(p.max_score for p in self.parts), 6)

    @property
    def diagnoses(self) -> list[str]:
        """Every part's diagnosis codes, in part order."""
        return [code for p in self.parts for code in p.diagnoses]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (a worker sends it through a pipe); every field is a str, number, bool, None or list of str,
        so a shallow copy per part is a deep one, ten times faster than ``dataclasses.asdict``."""
        data = {**self.__dict__, "notes": list(self.notes)}
        data["parts"] = [{**p.__dict__, "diagnoses": list(p.diagnoses), "notes": list(p.notes)} for p in self.parts]
        return data

    @property
    def needs_review(self) -> bool:
        """Whether some part waits for a person to grade it."""
        return any(p.status == NEEDS_REVIEW for p in self.parts)

    # How a result shows itself in a REPL and a notebook: one line, a table of parts (text, HTML, LaTeX).

    def __repr__(self) -> str:
        found = "; ".join(f"{p.part}: {', '.join(p.diagnoses)}" for p in self.parts if p.diagnoses)
        error = f": {self.error}" if self.error else ""
        return (f"Result({self.student!r}: {self.score:g}/{self.max_score:g}, {self.status}{error}"
                + (f"; {found}" if found else "") + ")")

    def __str__(self) -> str:
        error = f": {self.error}" if self.error else ""
        head = f"{self.student}: {self.score:g}/{self.max_score:g} ({self.status}{error})"
        return "\n".join([head, *(f"  {p}" for p in self.parts), *(f"Note: {n}" for n in self.notes)])

    def _repr_html_(self) -> str:
        def row(cells: list[str], tag: str = "td") -> str:
            return "<tr>" + "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in cells) + "</tr>"

        rows = [row([p.part, f"{p.score:g}", f"{p.max_score:g}", p.status, ", ".join(p.diagnoses),
                     p.feedback.splitlines()[0] if p.feedback else ""]) for p in self.parts]
        head = f"{self.student}: {self.score:g} / {self.max_score:g} ({self.status})"
        return "\n".join([f"<p><b>{html.escape(head)}</b>{html.escape(': ' + self.error) if self.error else ''}</p>",
                          "<table>", row(["part", "score", "max", "status", "diagnoses", "feedback"], "th"), *rows,
                          "</table>", *(f"<p>Note: {html.escape(n)}</p>" for n in self.notes)])

    def _repr_latex_(self) -> str:
        rows = [rf"\text{{{_tex_text(p.part)}}} & {p.score:g} & {p.max_score:g} & "
                rf"\text{{{_tex_text(', '.join(p.diagnoses))}}}" for p in self.parts]
        total = rf"\text{{total}} & {self.score:g} & {self.max_score:g} & \text{{{_tex_text(self.status)}}}"
        return (r"$\begin{array}{lrrl}\text{part} & \text{score} & \text{max} & \text{diagnoses} \\ \hline "
                + r" \\ ".join([*rows, r"\hline " + total]) + r"\end{array}$")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The Result that ``to_dict`` gave (a worker's result, or results/<student>.json read back).

        >>> r = Result("ada", [PartResult("1.1a", 1.0, 1.0, "ok")])
        >>> Result.from_dict(r.to_dict()) == r
        True"""
        parts = [PartResult(**p) for p in data.get("parts", [])]
        return cls(**{**data, "parts": parts})

    def to_gradescope(self, visibility: str = "visible") -> dict[str, Any]:
        """Gradescope's results.json: score, max_score, output, tests[{name, score, max_score, output,
        visibility, number, tags}], visibility, stdout_visibility, execution_time.

        Outputs are Markdown (``output_format: "md"``, the richest format Gradescope renders besides sanitised
        HTML) with the maths as Unicode; a part waiting for a person is visible, tagged ``needs-review``, and says
        so; a score a TA set by hand says so, with the comment."""
        from grader.feedback import markdown

        tests = []
        for p in self.parts:
            tags = list(p.diagnoses) + (["needs-review"] if p.status == NEEDS_REVIEW else []) + (
                ["set-by-hand"] if p.by_hand else [])
            tests.append({"name": p.part, "number": p.part, "score": p.score, "max_score": p.max_score,
                          "output": markdown(p.feedback), "output_format": "md", "visibility": visibility,
                          "tags": tags})
        if self.status == ERROR:
            output = f"Could not grade this submission: {self.error}"
        else:
            output = f"{self.student}: {self.score:g} / {self.max_score:g}"
            review = [p.part for p in self.parts if p.status == NEEDS_REVIEW]
            if review:
                output += (f"\nA person will read your answers to {', '.join(review)} and grade them by hand; "
                           "what the grader could not read earns nothing until then.")
        output = "\n".join([output, *(f"Note: {n}" for n in self.notes)])
        return {"score": self.score, "max_score": self.max_score, "output": markdown(output), "output_format": "md",
                "tests": tests, "visibility": visibility, "stdout_visibility": "hidden",
                "execution_time": round(self.execution_time, 3)}


def _tex_text(text: str) -> str:
    """Text for ``\\text{...}`` in a notebook's MathJax: letters, digits and plain punctuation only (part ids and
    diagnosis codes are; anything else becomes ?, so no input reaches LaTeX as markup)."""
    return re.sub(r"[^A-Za-z0-9 .,:;()/+-]", "?", text)

def settle(result: Result) -> Result:
    """The result with its status recomputed from its parts (an error stays an error)."""
    if result.status != ERROR:
        result.status = REVIEW if result.needs_review else OK
    return result


def exit_code(results: list[Result]) -> int:
    """The exit code of a grading run: 1 when some file could not be graded, else 3 when some answers wait for a
    person (needs-review), else 0.

    >>> ok, review = Result("a", []), Result("b", [], status=REVIEW)
    >>> exit_code([ok]), exit_code([ok, review]), exit_code([review, Result("c", [], status=ERROR)])
    (0, 3, 1)
    """
    if any(r.status == ERROR for r in results):
        return 1
    return 3 if any(r.status == REVIEW for r in results) else 0
