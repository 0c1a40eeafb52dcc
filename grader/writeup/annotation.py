"""A write-up as a Submission, and its graded Result with where each answer was read.

``load_writeup`` returns the same ``Submission(student, answers, source)`` an answer file gives, with a ``found``
attribute (part -> ``Found``). ``annotate(result, found)`` adds to each part's feedback where its answer was read
(and the notes of the reading), and turns a part that was not found into ``needs-review`` (score 0 until a person
reads it) with the nearest candidate text: the grader gives no verdict on an answer it could not find.

>>> import grader
>>> sub = load_writeup("examples/writeups/ada-lovelace.md")
>>> r = annotate(grader.grade(None, sub), sub.found)
>>> r.parts[0].feedback.splitlines()[-1]
'- read from line 9 of ada-lovelace.md'
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from grader.result import MISSING, NEEDS_REVIEW, PartResult, Result, settle
from grader.submission import Submission, safe_id
from grader.writeup.extraction import MAX_SHOWN, Found, extract


def load_writeup(path: str | Path, spec: Any = None, *, text: str | None = None, default_id: str = "") -> Submission:
    """The Submission of a write-up (``found``: where each part's answer was read)."""
    x = extract(path, spec, text=text, default_id=default_id)
    sub = Submission(safe_id(x.student), x.answers, x.source)
    sub.found = x.found   # type: ignore[attr-defined]
    return sub


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _shown(key: str) -> str:
    """An entry key as the feedback prints it: ``A_{12}`` -> ``A₁₂``."""
    m = re.fullmatch(r"([A-Za-z]+)_\{(\d+)\}", key)
    return m.group(1) + m.group(2).translate(_SUBSCRIPT) if m else key


def _where_line(f: Found, source: str, feedback: str = "") -> str:
    """``read from lines 4-9 of hw.md``, with where each piece was read: every piece of a small mapping (the three
    poolings), and of a large one (25 entries) those the feedback names."""
    if len(f.each) <= 6:
        pieces = [f"{k}: {w}" for k, w in f.each.items()] if len(f.each) > 1 else []
    else:
        pieces = [f"{_shown(k)}: {w}" for k, w in f.each.items() if _shown(k) in feedback]
    text = f"read from {f.where} of {source}" + (f" ({'; '.join(pieces)})" if pieces else "")
    return text + (f", found {f.how}" if f.how.startswith("by") else "")


def annotate_part(p: PartResult, f: Found, source: str) -> PartResult:
    """One part's result with where its answer was read (or, not found, a part for a person to read)."""
    if f.answer is None:
        if p.status != MISSING:
            return p
        candidate = f.candidate[:MAX_SHOWN]
        lines = [f"{p.part}: needs review (0/{p.max_score:g} so far).",
                 f"- could not find your answer to {p.part} in {source}; a person will look for it and grade it by "
                 "hand; this is not a verdict on your maths"]
        if candidate:
            lines.append(f"- nearest text: {candidate}")
        note = f"not found in {source}" + (f"; nearest text: {candidate}" if candidate else "")
        return _with(p, feedback="\n".join(lines), status=NEEDS_REVIEW, raw=candidate, notes=[*p.notes, note],
                     where="not found")
    line = _where_line(f, source, p.feedback)
    extra = [f"- {n}" for n in f.notes]
    from grader.grading import raw_text

    return _with(p, feedback="\n".join([p.feedback.rstrip(), *extra, f"- {line}"]), notes=[*p.notes, *f.notes, line],
                 where=f.where, raw=p.raw or raw_text(f.answer))   # what was read, for the TA


def _with(p: PartResult, **changes: Any) -> PartResult:
    fields = {f.name for f in dataclasses.fields(PartResult)}
    return dataclasses.replace(p, **{k: v for k, v in changes.items() if k in fields})


def annotate(result: Result, found: dict[str, Found] | None) -> Result:
    """The result with each part's location; parts not found become needs-review (status settled)."""
    if not found:
        return result
    source = result.source or next((f.source for f in found.values() if f.source), "") or "the write-up"
    result.parts = [annotate_part(p, found[p.part], source) if p.part in found else p for p in result.parts]
    return settle(result)
