"""Finding submission files: ``discover(inputs) -> Discovery(files, skipped)``, for ``symconv grade`` and Gradescope.

Folders are searched recursively, in name order. A file is a submission when its suffix is one of
grader.submission.SUFFIXES; every other entry is skipped with its reason (hidden, unsupported type, not a regular
file, a link to a folder, nested too deeply, an export's own metadata), so nothing disappears without a word.
Files with a submission suffix are never skipped here: a too-large or unreadable one is graded as an error, with
its reason, like any bad input.

The student id, for a file that names none itself (no ``student`` field), comes from the export's naming:

- Gradescope "Export Submissions": a folder ``submission_<id>/`` per submission, and ``submission_metadata.yml``
  beside them mapping ``submission_<id>`` to its ``:submitters:`` (``:sid:``, ``:email:``, ``:name:``); the id is
  the submitters' sid (else email, else name), joined by ``+`` for a group;
- Moodle "Download all submissions": a folder per student, ``<Full Name>_<participant id>_assignsubmission_file_``;
  the id is ``<Full_Name>_<participant id>``;
- Canvas "Download Submissions": flat files ``<lastfirst>_[late_]<user id>_<submission id>_<original name>``; the id
  is ``<lastfirst>_<user id>``;
- any other folder per student: a sub-folder of the input holding exactly one submission file gives its name;
- otherwise the file's stem (grader.submission.student_id).

>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("lovelaceada_late_123_456_answers.yaml", "Bob Byte_77_assignsubmission_file_/hw.json",
...              "cy/answers.tex", "notes.pdf", ".DS_Store"):
...     (d / name).parent.mkdir(parents=True, exist_ok=True)
...     _ = (d / name).write_text("answers: {}")
>>> found = discover([d])
>>> [(f.path.relative_to(d).as_posix(), f.student) for f in found.files]
[('Bob Byte_77_assignsubmission_file_/hw.json', 'Bob_Byte_77'), ('cy/answers.tex', 'cy'), \
('lovelaceada_late_123_456_answers.yaml', 'lovelaceada_123')]
>>> found.skipped_line()
'skipped 2 files: .DS_Store (hidden), notes.pdf (unsupported type .pdf)'
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError
from grader.submission import MAX_FILE_BYTES, SUFFIXES, safe_id

MAX_DEPTH = 12                  # folders below an input (an export is two or three deep)
GRADESCOPE_METADATA = "submission_metadata.yml"
SKIP_FOLDERS = {"__MACOSX": "macOS archive metadata"}
_GRADESCOPE_FOLDER = re.compile(r"submission_\d+")
_MOODLE_FOLDER = re.compile(r"(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_?")
_CANVAS_FILE = re.compile(r"(?P<name>[^_]+)_(?:late_)?(?P<id>\d+)_\d+_.+", re.IGNORECASE)
SHOWN = 5                       # skipped files named in the one-line report


class DiscoveryError(GraderError):
    """An input that is missing, or a folder without a submission file (one line)."""


@dataclass(frozen=True)
class Found:
    """A submission file and the student id its export's naming gives ('' when it gives none)."""

    path: Path
    student: str = ""


@dataclass(frozen=True)
class Skipped:
    """An entry of the input that is not graded, as reported: its path, the path as shown, and why."""
    path: Path
    shown: str       # the path as reported (relative to its input folder)
    reason: str


@dataclass
class Discovery:
    """What ``discover`` found: the submission files in order, and the entries it skipped with their reasons."""
    files: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_line(self) -> str:
        """``skipped N files: a (why), b (why), ...``; "" when nothing was skipped."""
        if not self.skipped:
            return ""
        n = len(self.skipped)
        shown = ", ".join(f"{s.shown} ({s.reason})" for s in self.skipped[:SHOWN])
        more = f", and {n - SHOWN} more" if n > SHOWN else ""
        return f"skipped {n} file{'s' if n != 1 else ''}: {shown}{more}"


def discover(inputs: Sequence[str | Path]) -> Discovery:
    """The submission files among ``inputs`` (files as given, folders searched), each once, and what was skipped."""
    found = Discovery()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            before = len(found.files)
            _walk(path, path, 0, {}, found)
            _name_by_folder(found.files, before, None, path.resolve(), {})  # the input may itself be one student's
            if len(found.files) == before:
                extra = f"; {found.skipped_line()}" if found.skipped else ""
                raise DiscoveryError(f"no submission files ({', '.join(SUFFIXES)}) in {item}{extra}")
        elif path.exists() or path.is_symlink():
            found.files.append(Found(path, _id_from_names(path.parent.name, path.name)))
        else:
            raise DiscoveryError(f"no such file or directory: {item}")
    seen: set[Path] = set()
    unique = []
    for f in found.files:
        key = f.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    found.files = unique
    return found


def _walk(root: Path, folder: Path, depth: int, ids: dict[str, str], found: Discovery) -> None:
    """Add the submissions under ``folder`` (``ids``: Gradescope's submission folder -> student, when known)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as err:
        found.skipped.append(Skipped(folder, _shown(root, folder), f"cannot list ({err.strerror or err})"))
        return
    metadata = folder / GRADESCOPE_METADATA
    if any(e.name == GRADESCOPE_METADATA for e in entries):
        ids = {**ids, **_gradescope_ids(metadata)}
    for e in entries:
        path = Path(e.path)
        shown = _shown(root, path)
        if e.name.startswith("."):
            found.skipped.append(Skipped(path, shown, "hidden"))
        elif e.is_dir(follow_symlinks=False):
            if e.name in SKIP_FOLDERS:
                found.skipped.append(Skipped(path, shown + "/", SKIP_FOLDERS[e.name]))
            elif depth >= MAX_DEPTH:
                found.skipped.append(Skipped(path, shown + "/", f"nested more than {MAX_DEPTH} folders deep"))
            else:
                before = len(found.files)
                _walk(root, path, depth + 1, ids, found)
                _name_by_folder(found.files, before, root, path, ids)
        elif e.is_symlink() and path.is_dir():
            found.skipped.append(Skipped(path, shown, "a link to a folder (not followed)"))
        elif e.name == GRADESCOPE_METADATA:
            found.skipped.append(Skipped(path, shown, "the Gradescope export's metadata"))
        elif path.suffix.lower() not in SUFFIXES:
            found.skipped.append(Skipped(path, shown, f"unsupported type {path.suffix.lower() or '(none)'}"))
        elif not _regular(path):
            found.skipped.append(Skipped(path, shown, "not a regular file"))
        else:
            found.files.append(Found(path, _id_from_names("", e.name)))


def _name_by_folder(files: list[Found], start: int, root: Path | None, folder: Path, ids: dict[str, str]) -> None:
    """Give the files found under ``folder`` (files[start:]) the id its name carries, where they have none; a
    plain name counts only for a folder directly under ``root`` holding one submission (None: never)."""
    name = folder.name
    if name in ids or _GRADESCOPE_FOLDER.fullmatch(name):
        student = ids.get(name, name)
    elif m := _MOODLE_FOLDER.fullmatch(name):
        student = safe_id(f"{m['name']}_{m['id']}")
    elif root is not None and folder.parent == root and len(files) - start == 1:
        student = safe_id(name)  # a folder per student, named after them
    else:
        return
    files[start:] = [f if f.student else Found(f.path, student) for f in files[start:]]


def _id_from_names(folder: str, name: str) -> str:
    """The id in a single file's own naming: a Moodle folder around it, or a Canvas file name."""
    if m := _MOODLE_FOLDER.fullmatch(folder):
        return safe_id(f"{m['name']}_{m['id']}")
    if m := _CANVAS_FILE.fullmatch(name):
        return safe_id(f"{m['name']}_{m['id']}")
    return ""


def _gradescope_ids(metadata: Path) -> dict[str, str]:
    """``submission_<id>`` -> the submitters' ids, from a Gradescope export's submission_metadata.yml (Ruby-style
    keys, ``:submitters:``); an unreadable file gives nothing (the folder names are used instead)."""
    try:
        if metadata.stat().st_size > MAX_FILE_BYTES * 10:
            return {}
        data = yaml.safe_load(metadata.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    ids = {}
    for key, entry in (data.items() if isinstance(data, dict) else []):
        people = _get(entry, "submitters")
        who = [_person(p) for p in people] if isinstance(people, list) else []
        who = [w for w in who if w]
        if isinstance(key, str) and who:
            ids[key] = safe_id("+".join(who))
    return ids


def _get(entry: Any, key: str) -> Any:
    if not isinstance(entry, dict):
        return None
    return entry.get(f":{key}", entry.get(key))


def _person(entry: Any) -> str:
    for key in ("sid", "email", "name"):
        value = _get(entry, key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return ""


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:  # a broken link
        return False


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
