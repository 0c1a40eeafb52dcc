"""A class roster from the CSV an LMS exports: each student's id, name and email (``read_roster``).

The column names are those of the exports themselves (matched ignoring case, spaces and underscores):

- Canvas gradebook export: ``Student`` (the name, "Last, First"), ``ID`` (Canvas's own user id), ``SIS User ID``
  (the institution's student id), ``SIS Login ID``, ``Section``, then one column per assignment; a second row
  ``Points Possible`` (skipped, as is Canvas's "Test Student"). Sources: nemogb's "Detailed Canvas Export Info"
  (https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html) and Canvas's gradebook export
  guides (e.g. https://ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/gradebook-action-menu-faculty/).
- Gradescope roster and grade exports: ``First Name``, ``Last Name`` (or one ``Name`` column), ``SID``, ``Email``,
  ``Sections``. Sources: Gradescope's "Adding Students and Staff" (full name or first and last name columns,
  https://help.gradescope.com/article/w59nl02vyt-instructor-course-add-members) and the Gradescope grade report's
  ``SID`` column as cs161-staff/grades-py's README reads it.
- Moodle grade export (CSV): ``First name``, ``Last name``, ``ID number``, ``Institution``, ``Department``,
  ``Email address``, then the grade items. Source: Moodle's own test data, grade/import/csv/tests/load_data_test.php,
  and MoodleDocs "Grade import" (https://docs.moodle.org/311/en/Grade_import), whose "ID number" is optional.
- Any CSV with an ``id`` (or ``student_id``, ``gradebook_id``) column, and ``name``/``email`` if it has them.

The id is the first column present of :data:`ID_COLUMNS` (the institution's id before an LMS's internal one:
Canvas's ``SIS User ID`` before its ``ID``), unless the caller names one. A row without an id, or an id given
twice, is a one-line RosterError naming the rows. The reader is tolerant of presentation: a UTF-8 byte-order mark
(Excel, Moodle), Windows-1252, semicolons or tabs instead of commas, blank lines, padded cells.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "grades.csv"
>>> _ = path.write_text('"First Name","Last Name","SID","Email"\\nAda,Lovelace,s001,ada@uni.edu\\n')
>>> read_roster(path)
[RosterEntry(id='s001', name='Ada Lovelace', email='ada@uni.edu')]
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from symconv.errors import SymconvError

MAX_ROSTER_BYTES = 5_000_000
MAX_ROWS = 100_000
#: The id columns in order of preference (normalised: lower case, no spaces or underscores).
ID_COLUMNS = ("gradebookid", "gradebook", "sisuserid", "sisid", "sid", "idnumber", "studentid", "studentnumber",
              "id")
NAME_COLUMNS = ("student", "name", "names", "fullname", "studentname")
FIRST, LAST = ("firstname", "givenname"), ("lastname", "surname", "familyname")
EMAIL_COLUMNS = ("email", "emailaddress", "e-mail", "mail")
#: Rows an export adds that are not students: Canvas's points row and its test student.
NOT_STUDENTS = ("pointspossible", "mutedassignments", "student,test", "teststudent")


class RosterError(SymconvError):
    """A roster that cannot be used: unreadable, no id column, a row without an id, an id given twice."""


@dataclass(frozen=True)
class RosterEntry:
    """One student: the id the variants and the gradebook use, the name and the email (may be empty)."""

    id: str
    name: str
    email: str


def column_key(name: str) -> str:
    """A header as the reader matches it: lower case, without spaces, underscores and a BOM.

    >>> column_key(" SIS User ID"), column_key("Email_Address")
    ('sisuserid', 'emailaddress')
    """
    return re.sub(r"[\s_\ufeff]+", "", name).casefold()


def read_table(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a CSV (BOM, Windows-1252, ``;`` or tab separators and blank lines
    tolerated; cells stripped); a RosterError for a missing, huge, empty or headerless file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError(f"{path}: roster too large (limit {MAX_ROSTER_BYTES:,} bytes)")
        raw = path.read_bytes()
    except OSError as err:
        raise RosterError(f"{path}: cannot read the roster: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count) if first else ","
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)   # strict: an unclosed quote
        rows = [[cell.strip() for cell in row] for row in reader]                  # is an error, not the rest
    except csv.Error as err:
        raise RosterError(f"{path}: not a CSV file: {err}") from None
    rows = [row for row in rows if any(row)]
    if not rows:
        raise RosterError(f"{path}: the roster is empty")
    if len(rows) > MAX_ROWS:
        raise RosterError(f"{path}: too many rows (limit {MAX_ROWS:,})")
    return rows[0], rows[1:]


def id_column(header: list[str], wanted: str | None = None) -> int | None:
    """The index of the id column: ``wanted`` when given (matched as headers are), else the first of
    :data:`ID_COLUMNS` present; None when there is none.

    >>> id_column(["Student", "ID", "SIS User ID", "Section"]), id_column(["name", "Email"])
    (2, None)
    """
    keys = [column_key(h) for h in header]
    for key in ([column_key(wanted)] if wanted else ID_COLUMNS):
        if key in keys:
            return keys.index(key)
    return None


def _first(keys: list[str], names: tuple[str, ...]) -> int | None:
    return next((keys.index(n) for n in names if n in keys), None)


def read_roster(path: str | Path, id_column_name: str | None = None) -> list[RosterEntry]:
    """The students of a roster CSV (Canvas, Gradescope, Moodle or a plain ``id,name,email``), in file order.

    ``id_column_name`` chooses the id column (e.g. Canvas's ``"ID"`` instead of ``"SIS User ID"``)."""
    path = Path(path)
    header, rows = read_table(path)
    column = id_column(header, id_column_name)
    if column is None:
        wanted = f"no column {id_column_name!r}" if id_column_name else "no id column (looked for SIS User ID, " \
            "SID, ID number, Student ID, ID)"
        raise RosterError(f"{path}: {wanted}; the header is: {', '.join(header)[:200]}")
    keys = [column_key(h) for h in header]
    name, first, last, email = (_first(keys, NAME_COLUMNS), _first(keys, FIRST), _first(keys, LAST),
                                _first(keys, EMAIL_COLUMNS))

    def cell(row: list[str], k: int | None) -> str:
        return row[k] if k is not None and k < len(row) else ""

    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        full = cell(row, name) or " ".join(p for p in (cell(row, first), cell(row, last)) if p)
        if column_key(full) in NOT_STUDENTS or column_key(row[0]) in NOT_STUDENTS:
            continue
        student = cell(row, column)
        who = f" ({full})" if full else ""
        if not student:
            raise RosterError(f"{path}: row {line}{who} has no {header[column]}; fill it in or choose another "
                              "id column")
        if student in seen:
            raise RosterError(f"{path}: row {line}{who}: {header[column]} {student!r} is already on row "
                              f"{seen[student]}")
        seen[student] = line
        entries.append(RosterEntry(student, full, cell(row, email)))
    if not entries:
        raise RosterError(f"{path}: the roster lists no students")
    return entries


__all__ = ["ID_COLUMNS", "RosterEntry", "RosterError", "column_key", "id_column", "read_roster", "read_table"]
