"""A class roster: the gradebook id of each student, found by any name the student goes by.

A write-up names its student as they wrote it (a name on a header line, a student number in ``\\author{}``), or
the file name does; a roster CSV maps any of these to the id the gradebook uses. The CSV has a header; the
gradebook id is the column symconv.roster.id_column chooses (``gradebook_id``, Canvas's ``SIS User ID``, ``SID``,
Moodle's ``ID number``, ``student_id``, ``id``..., else the first column; the engine reads the CSV)
and every other cell of the row (names, emails, student numbers, file names) is another name for that student.
Names are matched ignoring case, spaces, underscores and punctuation.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "roster.csv"
>>> _ = path.write_text("gradebook_id,name,number\\ng-001,Ada Lovelace,s1234567\\ng-002,Grace Hopper,20261234\\n")
>>> roster = load_roster(path)
>>> roster.lookup("Ada_Lovelace"), roster.lookup("20261234"), roster.lookup("nobody")
('g-001', 'g-002', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from symconv.roster import RosterError as TableError
from symconv.roster import id_column, read_table


class RosterError(GraderError):
    """A roster file that cannot be used (one line)."""


def _key(name: str) -> str:
    return re.sub(r"[\W_]+", "", str(name)).casefold()


@dataclass
class Roster:
    """The gradebook id of each name a student goes by (names normalised by ``_key``); names two students
    share are kept apart in ``ambiguous`` and never mapped."""
    ids: dict[str, str] = field(default_factory=dict)        # any name's key -> gradebook id
    ambiguous: set[str] = field(default_factory=set)         # names two students share: never mapped

    def lookup(self, *names: str) -> str | None:
        """The gradebook id of the first of ``names`` the roster knows (unambiguously), else None."""
        for name in names:
            key = _key(name)
            if key and key not in self.ambiguous and key in self.ids:
                return self.ids[key]
        return None


def load_roster(path: str | Path, id_column_name: str | None = None) -> Roster:
    """Read a roster CSV; RosterError for a missing, huge, headerless or id-less file. ``id_column_name`` chooses
    the id column as ``symconv handouts --id-column`` does (a name the header lacks is a RosterError)."""
    path = Path(path)   # one CSV reader and one id column rule, the engine's, so handouts and grading agree
    try:
        header, rows = read_table(path)
    except TableError as err:
        raise RosterError(str(err)) from None
    if not rows:
        raise RosterError(f"{path.name}: a roster needs a header row and a row per student")
    found = id_column(header, id_column_name)
    if found is None and id_column_name:
        raise RosterError(f"{path.name}: no column {id_column_name!r} in the roster's header")
    column = found if found is not None else 0
    roster = Roster()
    for row in rows:
        if len(row) <= column or not row[column].strip():
            continue
        gradebook = row[column].strip()
        for cell in row:
            key = _key(cell)
            if not key:
                continue
            if key in roster.ids and roster.ids[key] != gradebook:
                roster.ambiguous.add(key)
            roster.ids.setdefault(key, gradebook)
    return roster


def apply_roster(roster: Roster | str | Path | None, graded: list[Any]) -> list[Any]:
    """Give each graded submission (``.result.student``, ``.source``) its gradebook id from the roster (a Roster or
    the path of its CSV; None: unchanged). A student the roster does not know keeps the id the document or file
    gave."""
    if roster is None:
        return graded
    from grader.submission import safe_id

    roster = roster if isinstance(roster, Roster) else load_roster(roster)
    for g in graded:
        found = roster.lookup(g.result.student, Path(g.source).stem)
        if found:
            g.result.student = safe_id(found)
    return graded
