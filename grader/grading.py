"""Grade a submission against a spec: ``grade(spec, submission) -> Result``, or a ``Grader`` for many.

The reference (``derive_solution``) and every diagnosis alternative are derived once per spec and kept: a
Grader holds them, and ``grade()`` keeps the Graders of the specs it has seen (by path and modification time,
or by identity for Spec objects).

A part that cannot be read (or checked: too slow, too deep, a checker fault) gets no verdict: it is
``needs-review``, scores zero until a person grades it (``grader.overrides``), and keeps the raw answer for the
reviewer; grading goes on. The submission is then ``needs-review`` too. Part ids are matched the way people type
them (``grader.submission.match_parts``); answers for parts the spec does not have are reported in
``Result.notes``, and a submission none of whose answers is for a part of the spec is an error, not a zero.
With the spec's ``grading.feedback.reveal: false`` no expected answer appears in any part's feedback.

>>> result = grade(None, {"student": "ada", "answers": {"1.1a": "3 \\\\times 3", "1.1c": "[[1, 2], [3, 4]]"}})
>>> result.student, [(p.part, p.score) for p in result.parts[:3]]
('ada', [('1.1a', 1.0), ('1.1b', 0.0), ('1.1c', 0.0)])
>>> result.parts[1].status, result.parts[2].diagnoses
('missing', ['output-size-off-by-one'])
>>> r = grade(None, {"student": "bo", "answers": {"1.1 (A)": "3 x", "Q1.2aa": "?"}})
>>> r.status, r.parts[0].status, r.notes
('needs-review', 'needs-review', ["answers for unknown parts: 'Q1.2aa'; did you mean 1.2a?"])
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from grader import budget, feedback
from grader.checkers import CHECKERS, Reference, UnreadableAnswer
from grader.checkers.common import entry_names
from grader.errors import GraderError, ParseError
from grader.result import ERROR, MISSING, NEEDS_REVIEW, OK, REVIEW, UNREADABLE, PartResult, Result
from grader.submission import match_parts, unknown_parts_note
from symconv.spec import Part, Spec, load_spec
from symconv.unicode import from_latex

MAX_CACHED_SPECS = 8
PART_BUDGET = 3.0   # seconds to check one part (the batch's per-submission budget kills the whole worker)
MAX_KEPT_RESULTS = 50_000
MAX_KEY_SIZE = 20_000   # answers bigger than this (in characters and items) are graded without keeping


def _freeze(value: Any, budget: list[int] | None = None) -> Any:
    """A hashable copy of an answer made of str/int/float/bool/None, lists and dicts; None when it is too big
    or holds anything else. Types are kept apart (1 and 1.0 and "1" are three keys)."""
    budget = budget if budget is not None else [MAX_KEY_SIZE]
    budget[0] -= len(value) if isinstance(value, str) else 1
    if budget[0] < 0:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, list | tuple):
        items = [_freeze(v, budget) for v in value]
        return None if any(i is None for i in items) else ("list", tuple(items))
    if isinstance(value, dict):
        items = [(_freeze(k, budget), _freeze(v, budget)) for k, v in value.items()]
        return None if any(k is None or v is None for k, v in items) else ("dict", tuple(items))
    return None


class Grader:
    """A spec with its reference derived once; ``grade(submission)`` for each submission."""

    def __init__(self, spec: Spec | str | Path | dict | None = None):
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self.reference = Reference(self.spec)
        self.reference.warm()
        self._results: dict[Any, PartResult] = {}

    def grade(self, submission: Any) -> Result:
        """Grade a submission: a dict ``{"student": ..., "answers": {part: answer}}``, a loaded submission
        (with .student, .answers, .source), or a path (read by ``grader.submission.load_submission``)."""
        start = time.perf_counter()
        if isinstance(submission, str | Path):   # a write-up is read for this spec's parts
            submission = importlib.import_module("grader.submission").load_submission(submission, spec=self.spec)
        student, answers, source = read_submission(submission)
        ids = [p.id for p in self.spec.parts]
        match = match_parts(answers, ids)
        notes = match.notes + ([unknown_parts_note(match.unknown, ids)] if match.unknown else [])
        if answers and not match.answers:
            reason = f"{source or student}: none of the answers is for a part of this spec; {notes[-1]}"
            parts = [PartResult(p.id, 0.0, p.points, f"{p.id}: not graded ({reason}).", [], UNREADABLE)
                     for p in self.spec.parts]
            return Result(student, parts, status=ERROR, error=reason, source=source)
        parts = [self.grade_part(part, match.answers) for part in self.spec.parts]
        status = REVIEW if any(p.status == NEEDS_REVIEW for p in parts) else OK
        result = Result(student, parts, status=status, source=source, notes=notes,
                        execution_time=time.perf_counter() - start)
        found = submission.get("found") if isinstance(submission, dict) else getattr(submission, "found", None)
        if found:   # a write-up: say where each answer was read; a part not found goes to a person
            result = importlib.import_module("grader.writeup").annotate(result, found)
        return result

    def grade_part(self, part: Part, answers: dict[str, Any]) -> PartResult:
        """One part's result. Grading is a pure function of (part, answer), and a class repeats answers, so
        results are kept by the answer's frozen value (a copy is returned)."""
        if part.id not in answers or answers[part.id] is None or answers[part.id] == "":
            return PartResult(part.id, 0.0, part.points, feedback.missing(part.id), status=MISSING)
        key = _freeze((part.id, answers[part.id]))
        if key is None:
            return self._finish(self._check(part, answers[part.id]), answers[part.id])
        if key not in self._results:
            self._results[key] = self._finish(self._check(part, answers[part.id]), answers[part.id])
            if len(self._results) > MAX_KEPT_RESULTS:
                self._results.pop(next(iter(self._results)))
        kept = self._results[key]
        return dataclasses.replace(kept, diagnoses=list(kept.diagnoses), notes=list(kept.notes))

    def _finish(self, result: PartResult, answer: Any) -> PartResult:
        """Keep the raw answer of a part a person must read; withhold expected answers if the spec says so."""
        if result.status == NEEDS_REVIEW and (not result.raw or result.raw == repr(answer)):
            result = dataclasses.replace(result, raw=raw_text(answer))
        if "\\" in result.read_as or "_{" in result.read_as:  # the printer's LaTeX: shown as plain Unicode text
            result = dataclasses.replace(result, read_as=from_latex(result.read_as))
        return result if self.spec.reveal else feedback.withhold(result)

    def _check(self, part: Part, answer: Any) -> PartResult:
        """One checker run, contained: an unreadable answer, one that takes too long to check, or a fault in a
        checker costs this part only, and grading goes on with the next."""
        try:
            with entry_names(self.reference.entry_names):   # feedback numbers entries as the spec does
                if not budget.available():
                    return CHECKERS[part.task](self.reference, part, answer)
                with budget.time_limit(PART_BUDGET):
                    return CHECKERS[part.task](self.reference, part, answer)
        except (ParseError, UnreadableAnswer) as error:
            message = feedback.unreadable(part.id, error)
        except budget.OutOfTime:
            message = f"could not check your answer to {part.id} within {PART_BUDGET:g} s"
        except RecursionError:
            message = f"could not check your answer to {part.id}: it is nested too deeply"
        except Exception as error:  # noqa: BLE001 (a checker fault must not cost the other parts)
            message = f"could not check your answer to {part.id} (internal error: {type(error).__name__})"
        return PartResult(part.id, 0.0, part.points, feedback.review(part.id, part.points, message),
                          status=NEEDS_REVIEW, notes=[message.split("\n")[0]])


def raw_text(answer: Any) -> str:
    """A student's answer as text for a reviewer: strings as written, anything else (lists, mappings) as JSON.

    >>> raw_text("3 x 3"), raw_text({"max": "nn.MaxPool2d"}), raw_text([[1, 2]])
    ('3 x 3', '{"max": "nn.MaxPool2d"}', '[[1, 2]]')
    """
    if isinstance(answer, str):
        return answer
    return json.dumps(answer, ensure_ascii=False, default=str)


def read_submission(submission: Any) -> tuple[str, dict[str, Any], str]:
    """(student, answers by part id as text, source) from a dict, a loaded submission or a path."""
    if isinstance(submission, str | Path):
        try:
            loader = importlib.import_module("grader.submission").load_submission
        except (ImportError, AttributeError):
            raise GraderError("reading submission files needs grader.submission; pass a dict instead") from None
        submission = loader(submission)
    if isinstance(submission, dict):
        student, answers, source = submission.get("student", ""), submission.get("answers"), ""
    else:
        student = getattr(submission, "student", "")
        answers, source = getattr(submission, "answers", None), str(getattr(submission, "source", ""))
    if not isinstance(answers, dict):
        raise GraderError("a submission needs 'answers': a mapping from part ids to answers")
    return str(student or Path(source).stem or "student"), {str(k).strip(): v for k, v in answers.items()}, source


_GRADERS: OrderedDict[Any, tuple[Any, Grader]] = OrderedDict()


def _key(spec: Any) -> Any:
    if spec is None:
        return ("builtin",)
    if isinstance(spec, str | Path):
        path = Path(spec).resolve()
        try:
            return ("path", str(path), path.stat().st_mtime_ns)
        except OSError:
            return ("path", str(path), None)
    if isinstance(spec, dict):  # by content: a dict edited in place must not meet its old reference
        return ("dict", json.dumps(spec, sort_keys=True, default=str))
    return ("object", id(spec))


def grader_for(spec: Spec | str | Path | dict | None = None) -> Grader:
    """The kept Grader of a spec (built on first use; the last few specs are kept)."""
    key = _key(spec)
    if key in _GRADERS:
        _GRADERS.move_to_end(key)
        return _GRADERS[key][1]
    grader = Grader(spec)
    _GRADERS[key] = (spec, grader)  # keep the spec object alive so its id stays unique
    while len(_GRADERS) > MAX_CACHED_SPECS:
        _GRADERS.popitem(last=False)
    return grader


def grade(spec: Spec | str | Path | dict | None, submission: Any) -> Result:
    """Grade ``submission`` against ``spec`` (None: the built-in homework)."""
    return grader_for(spec).grade(submission)
