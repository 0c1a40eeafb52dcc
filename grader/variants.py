r"""Grading a class in which every student has their own variant of the problem (issue 13).

``VariantGrader(spec, secret, roster=...)`` is a grade function for grader.batch (``grade_fn``): called with a
submission it finds the student's id (the file's ``student`` key, the answer sheet's ``\student{}``, the name a
write-up gives, the export's naming or the file name; mapped through the roster when there is one), draws that
student's variant (``symconv.variants.variant_spec`` with the course secret) and grades against it. A submission
whose id is absent, or not on the roster, is never graded against a guessed variant: its answers are needs-review,
with a note saying why.

References are derived once per variant fingerprint and kept (the last MAX_GRADERS). They are derived lazily, in
the worker that first meets the variant, inside that submission's time budget (the parent still kills an overdue
worker). Not before forking: a variant's reference takes about a second to derive, a class of 400 has 400
different variants and each student one submission, so the workers derive them side by side with nothing derived
twice, where the parent would derive all 400 one after another before grading the first file. Only the default
problem (the spec as written, without its variants) is derived before forking: every worker compares against it.

``other-variant``: a part that is not fully right for the student's own variant but whose answer is the reference
of ANOTHER variant. Only wrong parts are compared, and only against references that differ from the student's own:

- the default problem, in the worker: the wrong part is graded against the default reference (kept by answer,
  like every part), unless the two references are known to be equal;
- a classmate's variant, after the batch (``match_classmates``): each result carries, per part, a digest of its
  reference as the project's printer writes it, and a digest of each wrong answer as read (the same printer, so
  109.0 and 109 are one value); matching is a dictionary look-up, never a re-grade.

A single size or number matches many variants by chance (a 3 × 3 written off by one is another variant's 4 × 4),
so a match is claimed only when it is distinctive: a matrix or a structured answer, or at least two parts matching
the same variant. The part then costs ``diagnose.cost(spec, "other-variant")`` (all of it unless the rubric says
otherwise); the student reads that the answer is right for another variant, never whose; summary.md names whose.

>>> sorted(distinctive_matches({"1.1a": ["bo", "cy"], "1.1b": ["cy"]}, {"1.1a": False, "1.1b": False}).items())
[('1.1a', ['cy']), ('1.1b', ['cy'])]
>>> distinctive_matches({"1.1a": ["bo"]}, {"1.1a": False}), distinctive_matches({"1.1c": ["bo"]}, {"1.1c": True})
({}, {'1.1c': ['bo']})
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader import diagnose, feedback
from grader.diagnose import Finding
from grader.errors import GraderError
from grader.grading import Grader, raw_text
from grader.result import GRADED, MISSING, NEEDS_REVIEW, OK, REVIEW, PartResult, Result
from grader.submission import match_parts, safe_id
from symconv.errors import SymconvError
from symconv.spec import Spec, load_spec

OTHER_VARIANT = "other-variant"
DEFAULT = "default"                 # who a match with the instructor's default problem names
MAX_GRADERS = 64                    # variants' References kept per process
NAMED = 3                           # classmates named per matched part in summary.md
_SHOWN = {DEFAULT: "it is the answer to the default problem"}
_CLASSMATE = "it is the answer to another student's variant"


class VariantError(GraderError):
    """Variants cannot be graded as asked (no secret for a spec with variants, a secret for one without)."""


def digest(text: str) -> str:
    """A short digest of a reference or an answer as the project's printer writes it.

    >>> digest("3 \\\\times 3") == digest("3 \\\\times 3"), len(digest("x"))
    (True, 16)
    """
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class KeyedGrader(Grader):
    """A Grader that also keeps each part's reference digest (taken before any expected answer is withheld)."""

    def __init__(self, spec: Spec | str | Path | dict | None = None):
        self.reference_keys: dict[str, str] = {}
        super().__init__(spec)

    def _finish(self, result: PartResult, answer: Any) -> PartResult:
        if result.expected_latex:
            self.reference_keys.setdefault(result.part, digest(result.expected_latex))
        return super()._finish(result, answer)


class VariantGrader:
    """A grade function (``grade_fn(spec, submission) -> Result``) grading each student against their variant.

    ``source`` is the spec (a path or its data), ``secret`` the course secret (``symconv.variants.load_secret``),
    ``roster`` a class list with ``lookup(*names) -> id | None`` (grader.writeup.roster), ``student`` an id that
    overrides the submission's own (Gradescope's authenticated submitter)."""

    def __init__(self, source: str | Path | dict, secret: str, *, roster: Any = None, student: str | None = None):
        self.source, self.secret, self.roster, self.student = source, secret, roster, student
        self.default_spec = load_spec(source)
        self._default: KeyedGrader | None = None
        self._default_failed = False
        self._graders: OrderedDict[str, KeyedGrader] = OrderedDict()

    def warm(self) -> None:
        """Check the variants section and derive the default problem's reference (grader.batch calls this once,
        before forking): an error here is the spec's (a misspelt key or rubric code), raised once for the run."""
        from symconv.spec import read_spec_data
        from symconv.variants import parse_variants

        data, where, lines = read_spec_data(self.source)
        parse_variants(data, where, lines)
        self._default = self._default or KeyedGrader(self.default_spec)

    def default_grader(self) -> KeyedGrader | None:
        """The default problem's Grader; None when it cannot be derived (then nothing is matched with it)."""
        if self._default is None and not self._default_failed:
            try:
                self.warm()
            except Exception:  # noqa: BLE001 (the student's own variant is still graded; only this match is lost)
                self._default_failed = True
        return self._default

    def grader_for(self, student: str) -> tuple[str, KeyedGrader]:
        """The fingerprint of ``student``'s variant and its Grader (derived on first use, kept by fingerprint)."""
        from symconv.variants import fingerprint, variant_spec

        spec = variant_spec(self.source, student, self.secret)
        key = fingerprint(spec)
        if key not in self._graders:
            self._graders[key] = KeyedGrader(spec)
            while len(self._graders) > MAX_GRADERS:
                self._graders.popitem(last=False)
        self._graders.move_to_end(key)
        return key, self._graders[key]

    def resolve(self, claimed: str) -> tuple[str, str]:
        """(the id the variant is drawn for, "") or ("", why the submission has none)."""
        claimed = (self.student or claimed or "").strip()
        if not claimed:
            return "", "the submission names no student, so its variant is unknown"
        if self.roster is None:
            return safe_id(claimed), ""
        found = self.roster.lookup(claimed)
        if not found:
            return "", f"student id {safe_id(claimed)!r} is not on the roster, so its variant is unknown"
        return safe_id(found), ""

    def __call__(self, spec: Spec | None, submission: Any) -> Result:
        """Grade one submission (a dict or a loaded submission) against its student's variant."""
        claimed, answers, found = _read(submission)
        student, why = self.resolve(claimed)
        if not student:
            return unknown_student(self.default_spec, safe_id(claimed) if claimed else "student", answers, why)
        try:
            key, grader = self.grader_for(student)
        except SymconvError as err:   # the spec's draw for this id failed (a constraint that never held)
            from grader.batch import error_result

            return error_result(self.default_spec, student, "", f"no variant could be drawn for {student}: {err}")
        result = grader.grade({"student": student, "answers": answers, **({"found": found} if found else {})})
        matched = match_parts(answers, [p.id for p in grader.spec.parts]).answers
        wrong = {p.part: p for p in result.parts if _wrong(p)}
        references = dict(grader.reference_keys)
        default = self.default_grader()
        matches: dict[str, list[str]] = {}
        if default is not None and wrong:
            for part in grader.spec.parts:
                if part.id in wrong and _may_differ(references, default.reference_keys, part.id):
                    other = default.grade_part(part, matched)
                    if other.status == GRADED and other.score >= other.max_score - 1e-9:
                        matches[part.id] = [DEFAULT]
        distinct = {pid: _distinctive(p, matched.get(pid)) for pid, p in wrong.items()}
        claimed_matches = distinctive_matches(matches, distinct)
        cost = diagnose.cost(grader.spec, OTHER_VARIANT)
        result.parts = [mark(p, cost, DEFAULT) if p.part in claimed_matches else p for p in result.parts]
        result.variant = {
            "fingerprint": key, "references": references,
            "answers": {pid: [digest(p.given_latex), distinct[pid]] for pid, p in wrong.items()
                        if p.given_latex and pid not in claimed_matches},
            "matches": claimed_matches,
        }
        return result


def _read(submission: Any) -> tuple[str, dict[str, Any], Any]:
    """(the id the submission gives, '' for none; its answers; where a write-up's answers were found)."""
    if isinstance(submission, dict):
        student, answers, found = submission.get("student"), submission.get("answers"), submission.get("found")
    else:
        student, answers = getattr(submission, "student", ""), getattr(submission, "answers", None)
        found = getattr(submission, "found", None)
    if not isinstance(answers, dict):
        raise GraderError("a submission needs 'answers': a mapping from part ids to answers")
    return str(student or "").strip(), {str(k).strip(): v for k, v in answers.items()}, found


def _wrong(part: PartResult) -> bool:
    return part.status == GRADED and part.score < part.max_score - 1e-9


def _may_differ(own: dict[str, str], other: dict[str, str], part: str) -> bool:
    """Whether two references of a part may differ (equal digests: they do not; an unknown one: they may)."""
    return part not in own or part not in other or own[part] != other[part]


def _distinctive(part: PartResult, answer: Any) -> bool:
    """A matrix or a structured answer (a mapping, a list): no chance match with another variant's reference."""
    return "\\begin{" in part.given_latex or isinstance(answer, dict | list)


def distinctive_matches(matches: dict[str, list[str]], distinct: dict[str, bool]) -> dict[str, list[str]]:
    """The matches (part -> the variants it matches) worth claiming: a whose, per part, matched in a distinctive
    part or in at least two parts."""
    parts_of: dict[str, list[str]] = {}
    for part, whose in matches.items():
        for who in whose:
            parts_of.setdefault(who, []).append(part)
    kept = {who for who, parts in parts_of.items() if len(parts) >= 2 or any(distinct.get(p) for p in parts)}
    out = {part: sorted(w for w in whose if w in kept) for part, whose in matches.items()}
    return {part: whose for part, whose in sorted(out.items()) if whose}


def mark(part: PartResult, cost: float, whose: str) -> PartResult:
    """The part diagnosed ``other-variant``: the score at most (1 - cost) of its points, the diagnosis in its
    feedback (saying the default problem, or another student's variant, and never whose).

    >>> p = mark(PartResult("1.1c", 1.0, 3.0, "1.1c: partly correct (1/3).\\nExpected: …"), 1.0, DEFAULT)
    >>> p.score, p.diagnoses, p.feedback.split("\\n")[0], p.feedback.split("\\n")[1].endswith("default problem).")
    (0.0, ['other-variant'], '1.1c: incorrect (0/3).', True)
    """
    score = round(min(part.score, part.max_score * (1.0 - cost)), 6) + 0.0
    head = f"{part.part}: {feedback.verdict(score, part.max_score)} ({feedback.points(score)}/" \
           f"{feedback.points(part.max_score)})."
    line = "- " + feedback.describe(Finding(OTHER_VARIANT, _SHOWN.get(whose, _CLASSMATE)))
    rest = part.feedback.split("\n")[1:]
    return dataclasses.replace(part, score=score, diagnoses=[*part.diagnoses, OTHER_VARIANT],
                               feedback="\n".join([head, line, *rest]))


def unknown_student(spec: Spec, student: str, answers: dict[str, Any], why: str) -> Result:
    """The result of a submission with no known student: every answered part needs review (no variant is
    guessed), every other part is missing; the note says why.

    >>> r = unknown_student(load_spec(), "anon", {"1.1a": "3 x 3"}, "no id")
    >>> r.status, [(p.part, p.status) for p in r.parts[:2]], r.notes
    ('needs-review', [('1.1a', 'needs-review'), ('1.1b', 'missing')], ['no id'])
    """
    matched = match_parts(answers, [p.id for p in spec.parts]).answers
    parts = []
    for p in spec.parts:
        answer = matched.get(p.id)
        if answer is None or answer == "":
            parts.append(PartResult(p.id, 0.0, float(p.points), feedback.missing(p.id), status=MISSING))
        else:
            parts.append(PartResult(p.id, 0.0, float(p.points), feedback.review(p.id, p.points, why),
                                    status=NEEDS_REVIEW, raw=raw_text(answer), notes=[why]))
    status = REVIEW if any(p.status == NEEDS_REVIEW for p in parts) else OK
    return Result(student, parts, status=status, notes=[why])


def match_classmates(graded: Sequence[Any], spec: Spec) -> list[Any]:
    """Diagnose ``other-variant`` for wrong answers that are a classmate's reference (``graded``: grader.batch's
    Graded, each ``.result`` carrying its ``variant``); returns ``graded``, with the results changed in place.

    Each (part, reference digest) is indexed once; a wrong answer's digest is looked up, and classmates whose
    variant is the student's own fingerprint are never a match.

    >>> from grader.batch import Graded
    >>> def one(who, fp, ref, answers):
    ...     part = PartResult("1.1c", 1.0 if answers else 3.0, 3.0, "1.1c: ...")
    ...     return Graded(who, Result(who, [part], variant={"fingerprint": fp, "references": {"1.1c": ref},
    ...                                                      "answers": answers}))
    >>> done = match_classmates([one("ada", "f1", "X", {}), one("zed", "f2", "W", {"1.1c": ["X", True]})], load_spec())
    >>> done[1].result.variant["matches"], done[1].result.parts[0].score
    ({'1.1c': ['ada']}, 0.0)
    """
    index: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for g in graded:
        info = g.result.variant
        for part, ref in info.get("references", {}).items():
            index.setdefault((part, ref), []).append((g.result.student, info.get("fingerprint", "")))
    cost = diagnose.cost(spec, OTHER_VARIANT)
    for g in graded:
        info = g.result.variant
        if not info.get("answers"):
            continue
        own, refs = info.get("fingerprint", ""), info.get("references", {})
        matches: dict[str, list[str]] = {}
        for part, (answer, _) in info["answers"].items():
            whose = sorted({s for s, fp in index.get((part, answer), []) if fp != own and s != g.result.student})
            if whose and refs.get(part) != answer:
                matches[part] = whose
        found = distinctive_matches(matches, {p: d for p, (_, d) in info["answers"].items()})
        if found:
            g.result.parts = [mark(p, cost, "classmate") if p.part in found else p for p in g.result.parts]
            info["matches"] = {**info.get("matches", {}), **found}
    return list(graded)


def matches_section(graded: Sequence[Any]) -> list[str]:
    """summary.md's "Answers matching another variant": student, part, and whose variant the answer is right for
    (the default problem, or up to NAMED classmates)."""
    from grader.outputs import _md

    rows = []
    for g in sorted(graded, key=lambda g: safe_id(g.result.student)):
        for part, whose in sorted(g.result.variant.get("matches", {}).items()):
            names = ["the default problem" if w == DEFAULT else safe_id(w) for w in whose]
            shown = ", ".join(names[:NAMED]) + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")
            rows.append(f"| {safe_id(g.result.student)} | {_md(part)} | {_md(shown)} |")
    if not rows:
        return []
    return ["", "## Answers matching another variant", "",
            "These answers are wrong for the student's own variant but right for another one (diagnosed "
            "`other-variant`): a student who answered the default problem, or a classmate's.", "",
            "| Student | Part | Right for the variant of |", "|---|---|---|", *rows]


def check_secret(source: str | Path | dict | None, secret: str | Path | None) -> str | None:
    """The course secret to grade ``source`` with: read from ``secret`` when the spec has variants; None when it
    has none. A spec with variants and no secret is a VariantError (grading everyone against the default problem
    would be silently wrong), and so is a secret for a spec without variants (a sign of the wrong spec).

    >>> check_secret({"name": "hw"}, None) is None
    True
    >>> check_secret({"name": "hw", "variants": {}}, None)
    Traceback (most recent call last):
    grader.variants.VariantError: this spec has variants: grading needs the course secret (--secret FILE)
    """
    from symconv.variants import has_variants, load_secret

    varies = source is not None and has_variants(source)
    if varies and secret is None:
        raise VariantError("this spec has variants: grading needs the course secret (--secret FILE)")
    if not varies and secret is not None:
        raise VariantError("--secret was given but the spec has no variants section")
    return load_secret(secret) if varies and secret is not None else None
