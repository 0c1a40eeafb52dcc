"""``extract(path_or_text, spec) -> Extraction``: each spec part's answer in a student's own write-up, and where.

A write-up is a .tex (read as text, never compiled), .md, .txt or .ipynb (read with nbformat, never executed) file
with no answer template. Each part is looked for under its label first (``grader.writeup.structure``), then, if
not there, in the text under no label, by what its task expects (``grader.writeup.locate``). Every answer found
says where it was read (line numbers, or cell numbers in a notebook); a part not found keeps the nearest
candidate text, for a person to read. The student's id comes from the document (an ``ID:`` or ``Student:`` line,
``\\author{}``, a page header, the notebook's metadata) or else the file name.

>>> x = extract("examples/writeups/ada-lovelace.md")
>>> x.student, x.found["1.1a"].answer, x.found["1.1a"].where
('s1234567', '3 \\\\times 3', 'line 9')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.tasks import locator
from grader.writeup.locate import Piece, find_matrix
from grader.writeup.notebook import meta_student, notebook_lines
from grader.writeup.structure import Unit, split_units
from grader.writeup.text import Page, WriteupError, lines_of, where
from symconv.spec import Part, Spec, load_spec
from symconv.tasks import TASKS
from symconv.tasks import task as registry_task

SUFFIXES = (".md", ".markdown", ".txt", ".ipynb", ".tex")
MAX_SHOWN = 160       # characters of a candidate or an answer shown in a note
MAX_COMPARED = 500    # units compared with a part's text when looking for the nearest text to a missing answer


@dataclass
class Found:
    """One part in a write-up: the answer read (None when not found), where, how it was found, and notes.

    ``candidate`` is the nearest text when the answer was not found (for a person to read)."""

    part: str
    answer: Any = None
    where: str = ""
    how: str = ""
    notes: list[str] = field(default_factory=list)
    candidate: str = ""
    each: dict[str, str] = field(default_factory=dict)   # where each piece of a mapping answer was read
    source: str = ""                                     # the file's name


@dataclass
class Extraction:
    """A write-up as read: the student, each part's answer and where it was found, and what could not be found."""
    student: str
    source: str
    found: dict[str, Found]
    furniture: list[str] = field(default_factory=list)

    @property
    def answers(self) -> dict[str, Any]:
        """Each found part's answer by part id, as an answer file would give it."""
        return {p: f.answer for p, f in self.found.items() if f.answer is not None}


# --- the student ---------------------------------------------------------------------------------------------------

_ID_LINE = re.compile(r"(?i)(?:student\s*(?:id|number|no\.?|#)|matriculation(?:\s*number)?|matr\.?\s*nr\.?|sid|id)"
                      r"\s*[:=#]?\s*(?P<id>[A-Za-z]{0,3}[-_]?\d[\w.-]{2,30})")
_NAME_LINE = re.compile(r"(?i)^\W*(?:name|student|author|by)\s*[:=]\s*(?P<name>[^|,;()\n]{2,60})")
_AUTHOR = re.compile(r"\\author\s*\{(?P<author>[^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_NUMBER_ID = re.compile(r"(?<![\w.])(?P<id>[A-Za-z]{0,2}\d{5,12})(?![\w.])")


def find_student(page: Page, metadata: dict[str, Any] | None = None) -> str:
    """The student's id or name as the document gives it ("" when it gives none).

    >>> from grader.writeup.text import Line
    >>> find_student(Page([Line(1, "Name: Ada Lovelace, Student ID: s1234567")]))
    's1234567'
    >>> find_student(Page([], preamble=r"\\author{Grace Hopper \\\\ 20261234}"))
    '20261234'
    """
    if metadata and (who := meta_student(metadata)):
        return who
    texts = []
    if m := _AUTHOR.search(page.preamble):
        texts.append(re.sub(r"\\\\|\\and|\\thanks\{[^}]*\}|[{}]", " ", m.group("author")))
    for line in page.lines[:60]:
        if m := _AUTHOR.search(line.text):
            texts.append(re.sub(r"\\\\|\\and|\\thanks\{[^}]*\}|[{}]", " ", m.group("author")))
    head = texts + page.furniture + [line.text for line in page.lines[:25]]
    for text in head:
        if m := _ID_LINE.search(text):
            return m.group("id")
    for text in texts + page.furniture:
        if m := _NUMBER_ID.search(text):
            return m.group("id")
    for line in page.lines[:3]:   # "Emmy Noether 20265555 -- HW1" on the first line
        if m := _NUMBER_ID.search(line.text):
            return m.group("id")
    for text in texts:
        if text.strip():
            return " ".join(text.split())
    for text in page.furniture + [line.text for line in page.lines[:25]]:
        if m := _NAME_LINE.search(text):
            return m.group("name").strip(" *_\"'")
    return ""


# --- finding each part's answer by what its task expects -------------------------------------------------------

def expected_shapes(spec: Spec) -> dict[str, tuple[int, int]]:
    """The shape of each matrix task's answer, from the spec's sizes alone (each task's ``shape``)."""
    return {name: t.shape(spec) for name, t in TASKS.items()
            if t.shape is not None and all(getattr(spec, need, None) is not None for need in t.needs)}


def _find(part: Part, units: list[Unit], spec: Spec, strict: bool = False) -> Piece | None:
    find = locator(part.task)
    if find is not None:
        return find(units, spec)  # type: ignore[no-any-return]
    t = registry_task(part.task)
    if t.shape is None or t.written_as is None:
        return None
    return find_matrix(units, spec, t.shape(spec), t.written_as(spec), strict)


def _base(part: Part, spec: Spec) -> str | None:
    """The part a sub-part with no label of its own sits under (1.1d for 1.1d-matrix)."""
    ids = [p.id for p in spec.parts if p.id != part.id and part.id.startswith(p.id)]
    return max(ids, key=len) if ids else None


def _regions(units: list[Unit], spec: Spec) -> dict[str, list[Unit]]:
    regions: dict[str, list[Unit]] = {}
    for u in units:
        regions.setdefault(u.part or "", []).append(u)
    return regions


def _candidate(part: Part, units: list[Unit], region: list[Unit], spec: Spec) -> str:
    """The text nearest to where the answer should be: the part's own region, else the most similar line."""
    text = " ".join(" ".join(u.text.split()) for u in region if u.text.strip())
    if text:
        return text[:MAX_SHOWN]
    best, score = "", 0.3
    try:
        wanted = spec.fill(part.text).lower()[:200]
    except Exception:  # noqa: BLE001 (a placeholder the spec cannot fill: compare the raw text)
        wanted = part.text.lower()[:200]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)   # the part's text is indexed once; each unit is compared with it
    seen: set[str] = set()
    for u in units[:MAX_COMPARED]:
        text = u.text.lower()[:200]
        if text in seen:
            continue
        seen.add(text)
        matcher.set_seq1(text)
        if matcher.real_quick_ratio() > score and matcher.quick_ratio() > score and matcher.ratio() > score:
            best, score = " ".join(u.text.split()), matcher.ratio()
    return best[:MAX_SHOWN]


def locate(units: list[Unit], spec: Spec) -> dict[str, Found]:
    """Each spec part's answer in the units: under its label, else in text under no label of the spec."""
    regions = _regions(units, spec)
    known = {p.id for p in spec.parts}
    free = [u for u in units if not u.part or u.part not in known]
    found: dict[str, Found] = {}
    for part in spec.parts:
        region = list(regions.get(part.id, []))
        base = _base(part, spec)
        if base is not None:
            problem = next((u.problem for u in regions.get(base, []) if u.problem), None)
            region = regions.get(base, []) + region + [u for u in units if u.part and u.part.startswith("?")
                                                       and u.problem == problem]
        piece = _find(part, region, spec) if region else None
        how = f"under the label at {where(region[0].lines[:1])}" if piece and region and region[0].label else \
            "under its label" if piece else ""
        if piece is None and free:
            piece = _find(part, free, spec, strict=True)
            how = "by its content (no label for this part)" if piece else ""
        if piece is None:
            found[part.id] = Found(part.id, candidate=_candidate(part, units, regions.get(part.id, []), spec))
            continue
        each = {k: where(v) for k, v in piece.where_each.items()}
        found[part.id] = Found(part.id, piece.answer, where(piece.lines), how, list(piece.notes), each=each)
    return found


# --- the entry points ------------------------------------------------------------------------------------------------

def read_page(text: str, suffix: str, source: str) -> tuple[Page, dict[str, Any]]:
    """A write-up's lines (and a notebook's metadata) by its suffix."""
    if suffix == ".ipynb":
        return notebook_lines(text, source)
    return lines_of(text, "tex" if suffix == ".tex" else "md", source), {}


def extract(source: str | Path, spec: Spec | str | Path | None = None, *, text: str | None = None,
            default_id: str = "") -> Extraction:
    """The answers of one write-up (a path, or ``text`` with ``source`` naming it) for ``spec`` (None: built-in)."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    path = Path(source)
    name = path.name
    if text is None:
        from grader.submission import _read_text

        text = _read_text(path, name)
    page, metadata = read_page(text, path.suffix.lower(), name)
    units = split_units(page.lines, spec)
    found = locate(units, spec)
    if not any(f.answer is not None for f in found.values()):
        raise WriteupError(name, "no answer to any part of the spec was found in this write-up")
    for f in found.values():
        f.source = name
    student = find_student(page, metadata) or default_id or path.stem
    return Extraction(student, name, found, page.furniture)
