"""A TA's scores and comments, applied after grading: ``symconv grade ... --overrides overrides.yaml``.

The file maps student ids to parts (typed any way ``grader.submission.part_key`` accepts) to a score and/or a
comment::

    ada:
      "1.1c": {score: 3, comment: "read your matrix from the figure"}
      1.2b: {comment: "nice derivation"}

Applying it is a pure function of the results and the file (``apply_overrides``), so a rerun with the same
submissions and the same file gives the same outputs. A score set by hand replaces the grader's (kept as
``auto_score``), marks the part ``by_hand`` and settles a part that needed review; a comment alone leaves the
score as it is. Every output says which scores were set by hand.

The file is validated before anything is written: an unknown student or part (with the closest match as a
suggestion), a score outside [0, points], an unknown key, are one-line ``OverrideError``s.

>>> from grader.result import PartResult, Result
>>> r = Result("ada", [PartResult("1.1c", 0.0, 3.0, "1.1c: needs review.", status="needs-review")],
...            status="needs-review")
>>> [done] = apply_overrides([r], {"ada": {"1.1 (c)": {"score": 3, "comment": "fine"}}})
>>> done.status, done.parts[0].score, done.parts[0].by_hand, done.parts[0].feedback.splitlines()[0]
('ok', 3.0, True, 'Set by hand by the course staff: 3/3. Comment: fine')
>>> apply_overrides([r], {"adda": {"1.1c": {"score": 3}}})
Traceback (most recent call last):
grader.overrides.OverrideError: overrides: no student 'adda' among the graded submissions; did you mean 'ada'?
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from grader import feedback
from grader.errors import GraderError
from grader.result import GRADED, NEEDS_REVIEW, Result, settle
from grader.submission import MAX_FILE_BYTES, part_key

KEYS = ("score", "comment")
MAX_COMMENT = 2000


class OverrideError(GraderError):
    """An overrides file that cannot be applied (one line, naming the entry)."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")


def load_overrides(path: str | Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Read and check the shape of an overrides file (YAML or JSON); students and parts are checked when applied.

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "o.yaml"
    >>> _ = f.write_text('ada: {"1.1c": {score: 2.5}}')
    >>> load_overrides(f)
    {'ada': {'1.1c': {'score': 2.5}}}
    """
    path = Path(path)
    where = path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise OverrideError(where, f"file too large (limit {MAX_FILE_BYTES:,} bytes)")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise OverrideError(where, f"cannot read the file ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise OverrideError(where, "not valid UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise OverrideError(where, f"not valid YAML: {' '.join(str(err).split())[:200]}") from None
    return check(data if data is not None else {}, where)


def check(data: Any, where: str = "overrides") -> dict[str, dict[str, dict[str, Any]]]:
    """The overrides as ``{student: {part: {"score"?: float, "comment"?: str}}}``, or an OverrideError."""
    if not isinstance(data, dict):
        raise OverrideError(where, "the top level must map student ids to parts")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for student, parts in data.items():
        if not isinstance(parts, dict):
            raise OverrideError(where, f"{student}: must map part ids to {{score: ..., comment: ...}}")
        out[str(student)] = {}
        for part, entry in parts.items():
            at = f"{student}, part {part}"
            if isinstance(entry, int | float) and not isinstance(entry, bool):
                entry = {"score": entry}  # ada: {1.1c: 3} is a score
            if not isinstance(entry, dict) or not entry:
                raise OverrideError(where, f"{at}: expected {{score: ..., comment: ...}}")
            unknown = sorted(str(k) for k in entry if k not in KEYS)
            if unknown:
                raise OverrideError(where, f"{at}: unknown key {unknown[0]!r} (known: score, comment)")
            clean: dict[str, Any] = {}
            if "score" in entry:
                score = entry["score"]
                if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
                    raise OverrideError(where, f"{at}: score must be a number, got {score!r}")
                clean["score"] = float(score)
            if "comment" in entry:
                if not isinstance(entry["comment"], str):
                    raise OverrideError(where, f"{at}: comment must be text")
                clean["comment"] = " ".join(entry["comment"].split())[:MAX_COMMENT]
            out[str(student)][str(part)] = clean
    return out


def apply_overrides(results: Sequence[Result], overrides: dict[str, Any], where: str = "overrides") -> list[Result]:
    """New Results with the TA's scores and comments applied (the inputs are not changed); raises OverrideError
    for an unknown student or part, or a score outside [0, points]."""
    overrides = check(overrides, where)
    by_student = {r.student: r for r in results}
    for student in overrides:
        if student not in by_student:
            raise OverrideError(where, f"no student {student!r} among the graded submissions"
                                       + _suggest(student, list(by_student)))
    out = []
    for result in results:
        entries = overrides.get(result.student)
        out.append(_apply(result, entries, where) if entries else result)
    return out


def _apply(result: Result, entries: dict[str, dict[str, Any]], where: str) -> Result:
    ids = [p.part for p in result.parts]
    keys = {part_key(pid): pid for pid in ids}
    chosen: dict[str, dict[str, Any]] = {}
    for typed, given in entries.items():
        pid = typed if typed in ids else keys.get(part_key(typed))
        if pid is None:
            raise OverrideError(where, f"{result.student}: no part {typed!r}" + _suggest(typed, ids))
        if pid in chosen:
            raise OverrideError(where, f"{result.student}: part {pid} is given twice")
        chosen[pid] = given
    parts = []
    for p in result.parts:
        entry = chosen.get(p.part)
        if entry is None:
            parts.append(p)
            continue
        score, comment = entry.get("score"), entry.get("comment", "")
        if score is not None and not 0 <= score <= p.max_score:
            raise OverrideError(where, f"{result.student}, part {p.part}: score {score:g} is outside "
                                       f"[0, {p.max_score:g}]")
        if score is None:
            parts.append(dataclasses.replace(p, comment=comment, feedback=f"{p.feedback}\nComment from the course "
                                                                           f"staff: {comment}"))
            continue
        status = GRADED if p.status == NEEDS_REVIEW else p.status
        parts.append(dataclasses.replace(
            p, score=round(score, 6), by_hand=True, comment=comment, auto_score=p.score, status=status,
            # the TA's verdict first: the grader's own words below it must not read as the last word
            feedback=f"{feedback.by_hand(score, p.max_score, comment)}\nWhat the grader said before:\n{p.feedback}"))
    return settle(dataclasses.replace(result, parts=parts, notes=list(result.notes)))


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def apply_overrides_file(path: str | Path | None, graded: Sequence[Any]) -> list[Any]:
    """``grader.batch.Graded`` items with the overrides of the file at ``path`` applied (unchanged when None)."""
    if path is None:
        return list(graded)
    done = apply_overrides([g.result for g in graded], load_overrides(path), Path(path).name)
    return [dataclasses.replace(g, result=r) for g, r in zip(graded, done)]
