"""Reading one student's submission file: ``load_submission(path) -> Submission(student, answers, source)``.

A submission is ``{"student": <id>, "answers": {<part>: <value>}}`` in YAML, JSON or TOML, or a LaTeX answer sheet
(``symconv answer-sheet`` generates it from the spec) whose ``\\answer{<part>}{...}`` macros are extracted by a
brace-matching scanner.
``\\answer{1.2a/max}{...}`` fills one key of a part whose answer is a mapping (``{"max": ...}``).

Files are hostile. Before anything is parsed the loader refuses, with a one-line ``SubmissionError`` naming the file:
files over ``MAX_FILE_BYTES`` (checked with stat, before reading), non-regular files, empty files, binary files (NUL
bytes), invalid UTF-8. While parsing it refuses YAML aliases (no "billion laughs"), more than ``MAX_NODES`` values,
nesting deeper than ``MAX_DEPTH``, non-string keys, a wrong top-level type, values other than strings, numbers,
lists and mappings, and a part whose text totals more than ``MAX_ANSWER_CHARS``. Expression-level caps (length of
one answer, nesting, exponents, matrix size) are the parser's (grader.parse), applied per part by the grader.

The student id is the file's ``student`` or else the file stem, made safe as a file name (``safe_id``).

>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "ada.yaml").write_text('answers:\\n  "1.1a": 3 x 3\\n')
>>> load_submission(d / "ada.yaml")
Submission(student='ada', answers={'1.1a': '3 x 3'}, source='ada.yaml')
>>> _ = (d / "bob.json").write_text('[1, 2]')
>>> load_submission(d / "bob.json")
Traceback (most recent call last):
grader.submission.SubmissionError: bob.json: the top level must be a mapping with 'answers', got a list
"""

from __future__ import annotations

import difflib
import json
import re
import stat
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError

MAX_FILE_BYTES = 1_000_000     # a whole homework is a few kilobytes
MAX_NODES = 20_000             # values in the file (a 50x50 matrix as nested lists is 2,551)
MAX_DEPTH = 12                 # nesting of lists/mappings (answers -> part -> matrix rows -> entries is 4)
MAX_ANSWER_CHARS = 100_000     # characters in one part's strings; the parser caps one expression much lower
MAX_ID_CHARS = 64              # characters in a student id
SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".tex", ".md", ".markdown", ".txt", ".ipynb")
WRITEUP_SUFFIXES = (".md", ".markdown", ".txt", ".ipynb")   # students' own write-ups (grader.writeup)
TOP_KEYS = ("student", "answers")


class SubmissionError(GraderError):
    """A submission file that cannot be read: one line naming the file and the problem."""

    def __init__(self, source: str, problem: str):
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}")


@dataclass
class Submission:
    """One student's answers as read from a file: the student id, the answers by part id as written, the
    file they came from, and, for a write-up, where each answer was found."""
    student: str
    answers: dict[str, Any]
    source: str
    #: a write-up's answers: where each part was read (grader.writeup.Found by part id)
    found: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def safe_id(text: str) -> str:
    """A student id usable as a file name on any system: letters, digits and ``@._+-`` only, no leading dot or
    dash, at most MAX_ID_CHARS characters; ``"student"`` when nothing is left.

    >>> safe_id("ada.lovelace@uni.edu"), safe_id(r"\\input{/etc/passwd}"), safe_id("../.."), safe_id("")
    ('ada.lovelace@uni.edu', '_input__etc_passwd_', 'student', 'student')
    """
    cleaned = re.sub(r"[^A-Za-z0-9@._+-]", "_", text)[:MAX_ID_CHARS].lstrip(".-")
    return cleaned if cleaned.strip("_.") else "student"


def student_id(path: str | Path) -> str:
    """The id a file gets when it does not name its student: its stem, made safe.

    >>> student_id("subs/Ada Lovelace.yaml")
    'Ada_Lovelace'
    """
    return safe_id(Path(path).stem)


def load_submission(path: str | Path, default_id: str | None = None, spec: Any = None) -> Submission:
    """Read, check and return one submission; raises SubmissionError (one line) for anything unusable.

    ``default_id`` is the student id when the file names none (else the file's stem). A student's own write-up
    (.md, .txt, .ipynb, or a .tex with no ``\\answer`` macros) is read by grader.writeup for ``spec`` (None: the
    built-in homework), and its Submission says where each answer was found (``found``)."""
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SubmissionError(name, f"unsupported file type {suffix or '(none)'!r}; expected one of "
                                    + ", ".join(SUFFIXES))
    text = _read_text(path, name)
    if suffix in WRITEUP_SUFFIXES or suffix == ".tex" and not _SHEET_MACRO.search(
            _DEFINITION.sub(" ", _strip_comments(text))):
        from grader.writeup import load_writeup

        return load_writeup(path, spec, text=text, default_id=safe_id(default_id) if default_id else "")
    if suffix == ".tex":
        student, answers = read_answer_sheet(text, name)
        data: Any = {"answers": answers, **({"student": student} if student else {})}
    else:
        data = _parse_data(text, suffix, name)
    return _check(data, name, default_id=safe_id(default_id) if default_id else student_id(path))


def _read_text(path: Path, name: str) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(name, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise SubmissionError(name, f"file too large ({info.st_size:,} bytes; limit {MAX_FILE_BYTES:,})")
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except OSError as err:
        raise SubmissionError(name, f"cannot read the file ({err.strerror or err})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SubmissionError(name, f"file too large (over {MAX_FILE_BYTES:,} bytes)")
    nul = raw.find(b"\0")
    if nul >= 0:
        raise SubmissionError(name, f"binary file (NUL byte at offset {nul}); expected text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SubmissionError(name, f"not valid UTF-8 (byte {err.start}); save the file as UTF-8") from None
    if not text.strip():
        raise SubmissionError(name, "empty file")
    return text


def _parse_data(text: str, suffix: str, name: str) -> Any:
    try:
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return tomllib.loads(text)
        return _load_yaml(text)
    except SubmissionError as err:
        raise SubmissionError(name, err.problem) from None
    except RecursionError:
        raise SubmissionError(name, f"nested too deeply (limit {MAX_DEPTH})") from None
    except (ValueError, yaml.YAMLError) as err:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise SubmissionError(name, f"not valid {suffix[1:].upper()}: {_one_line(err)}") from None


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())[:200]


_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _load_yaml(text: str) -> Any:
    """YAML as data, refusing aliases and bounding values and depth before anything is built: with libyaml, its
    events are checked first (fast, and an alias is never expanded), then the same text is loaded safely; without
    it, by the guarded pure-Python loader.

    >>> _load_yaml("a: [1, 2]")
    {'a': [1, 2]}
    >>> _load_yaml("a: &x [1]\\nb: *x")
    Traceback (most recent call last):
    grader.submission.SubmissionError: : YAML aliases (*name) are not allowed in a submission
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return yaml.load(text, Loader=_GuardedLoader)  # noqa: S506 (a SafeLoader subclass, see below)
    try:
        _check_events(yaml.parse(text, Loader=fast))
    except yaml.YAMLError as err:
        if "nesting depth" in str(err):  # libyaml's own cap (about 1,000 levels) can come first: same refusal
            raise SubmissionError("", f"nested too deeply (limit {MAX_DEPTH})") from None
        raise
    return yaml.load(text, Loader=fast)  # noqa: S506 (libyaml's SafeLoader; aliases were refused above)


def _check_events(events: Any) -> None:
    nodes = depth = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise SubmissionError("", "YAML aliases (*name) are not allowed in a submission")
        if isinstance(event, _COLLECTION_END):
            depth -= 1
            continue
        if not isinstance(event, (yaml.ScalarEvent, *_COLLECTION_START)):
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise SubmissionError("", f"too many values (limit {MAX_NODES:,})")
        if depth + 1 > MAX_DEPTH + 1:
            raise SubmissionError("", f"nested too deeply (limit {MAX_DEPTH})")
        depth += isinstance(event, _COLLECTION_START)


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (the "billion laughs" bomb expands them) and bounds nodes and depth."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise SubmissionError("", "YAML aliases (*name) are not allowed in a submission")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise SubmissionError("", f"too many values (limit {MAX_NODES:,})")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                raise SubmissionError("", f"nested too deeply (limit {MAX_DEPTH})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check(data: Any, name: str, default_id: str) -> Submission:
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        got = _type_name(data) if not isinstance(data, dict) else "a mapping without an 'answers' mapping"
        raise SubmissionError(name, f"the top level must be a mapping with 'answers', got {got}")
    extra = sorted(str(k) for k in data if k not in TOP_KEYS)
    if extra:
        raise SubmissionError(name, f"unknown top-level key {extra[0]!r} (expected: student, answers)")
    student = data.get("student", "")
    if isinstance(student, bool) or not isinstance(student, str | int):
        raise SubmissionError(name, f"'student' must be a string, got {_type_name(student)}")
    counter = [0]
    answers = {}
    for part, value in data["answers"].items():
        if not isinstance(part, str):
            raise SubmissionError(name, f"part id {part!r} is {_type_name(part)}; quote it: \"{part}\"")
        chars = _check_value(value, f"answer to {part}", name, depth=1, counter=counter)
        if chars > MAX_ANSWER_CHARS:
            raise SubmissionError(name, f"answer to {part} is too long ({chars:,} characters; "
                                        f"limit {MAX_ANSWER_CHARS:,})")
        answers[part] = value
    return Submission(safe_id(str(student).strip()) if str(student).strip() else default_id, answers, name)


def _check_value(value: Any, where: str, name: str, depth: int, counter: list[int]) -> int:
    """Check one answer value; returns the characters in its strings."""
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise SubmissionError(name, f"too many values (limit {MAX_NODES:,})")
    if depth > MAX_DEPTH:
        raise SubmissionError(name, f"{where}: nested too deeply (limit {MAX_DEPTH})")
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_check_value(v, where, name, depth + 1, counter) for v in value)
    if isinstance(value, dict):
        total = 0
        for key, v in value.items():
            if not isinstance(key, str):
                raise SubmissionError(name, f"{where}: key {key!r} is {_type_name(key)}; quote it: \"{key}\"")
            total += len(key) + _check_value(v, where, name, depth + 1, counter)
        return total
    raise SubmissionError(name, f"{where}: {_type_name(value)} is not an answer; write it as a string")


def _type_name(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number",
             bool: "true/false", type(None): "nothing"}
    return names.get(type(value), f"a {type(value).__name__}")


# --- part ids as people type them ---------------------------------------------------------------------------------

_PREFIX = re.compile(r"^(?:problem|prob|question|exercise|ex|part|task|q)\s*[.:#]?\s*(?=\d)")
_DROP = re.compile(r"[\s()\[\]{}'\"`_\-:]+")


def part_key(text: str) -> str:
    """The form of a part id that ignores how it was typed: case, spaces, brackets, quotes, a ``Q``/``Problem``
    prefix, a dot or dash before the letter, trailing punctuation.

    >>> [part_key(t) for t in ("1.1c", "1.1A", '"1.1 c"', "1.1(c)", "Q1.1c", "1.1.c", "Problem 1.1 (c)", "1.1c)")]
    ['1.1c', '1.1a', '1.1c', '1.1c', '1.1c', '1.1c', '1.1c', '1.1c']
    >>> part_key("1.1d-matrix") == part_key("1.1d matrix") == part_key("1.1D_Matrix")
    True
    """
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = _PREFIX.sub("", key)
    key = _DROP.sub("", key)
    key = re.sub(r"(?<=\d)\.(?=[a-z])", "", key)  # 1.1.c -> 1.1c
    return key.rstrip(".,;")


@dataclass
class PartMatch:
    """Answers keyed by the spec's part ids, the keys that match no part, and notes (two answers for one part)."""

    answers: dict[str, Any]
    unknown: list[str]
    notes: list[str]


def match_parts(answers: dict[str, Any], part_ids: list[str]) -> PartMatch:
    """Key each answer by the spec part it is for (``part_key``); an exact id wins over a loose match, and of two
    loose matches the first one written is kept (with a note).

    >>> m = match_parts({"Q1.1A": "3x3", "1.3": "?", "1.1 (b)": "x"}, ["1.1a", "1.1b", "1.2a"])
    >>> m.answers, m.unknown
    ({'1.1a': '3x3', '1.1b': 'x'}, ['1.3'])
    """
    keys: dict[str, str] = {}
    for part_id in part_ids:
        keys.setdefault(part_key(part_id), part_id)
    matched: dict[str, Any] = {}
    written: dict[str, str] = {}
    unknown: list[str] = []
    notes: list[str] = []
    for key, value in answers.items():
        pid = key if key in part_ids else keys.get(part_key(key))
        if pid is None:
            unknown.append(key)
            continue
        if pid in matched:
            exact_now, exact_before = key == pid, written[pid] == pid
            kept = key if exact_now and not exact_before else written[pid]
            notes.append(f"two answers for {pid} ({written[pid]!r} and {key!r}); the one written {kept!r} was graded")
            if kept != key:
                continue
        matched[pid], written[pid] = value, key
    return PartMatch(matched, unknown, notes)


def unknown_parts_note(unknown: list[str], part_ids: list[str]) -> str:
    """``answers for unknown parts: 1.3a; did you mean 1.2a?`` (the closest spec ids, by ``difflib``).

    >>> unknown_parts_note(["1.3a", "bonus"], ["1.1a", "1.2a"])
    "answers for unknown parts: '1.3a', 'bonus'; did you mean 1.2a?"
    """
    keys = {part_key(p): p for p in part_ids}
    guesses = []
    for key in unknown:
        close = difflib.get_close_matches(part_key(key), list(keys), n=1, cutoff=0.6)
        if close and keys[close[0]] not in guesses:
            guesses.append(keys[close[0]])
    text = "answers for unknown parts: " + ", ".join(repr(k[:40]) for k in unknown[:10])
    text += f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else ""
    return text + (f"; did you mean {', '.join(guesses[:3])}?" if guesses else f"; the parts are {', '.join(part_ids)}")


# --- LaTeX answer sheets -------------------------------------------------------------------------------------------

_MACRO = re.compile(r"\\(answer|student)(?![A-Za-z@])")
# a .tex file using these macros is an answer sheet; any other .tex is a student's own write-up (grader.writeup)
_SHEET_MACRO = re.compile(r"\\(?:answer|student)(?![A-Za-z@])\s*\{")
_DEFINITION = re.compile(r"\\(?:(?:re|provide)?newcommand\*?|def)\s*\{?\s*\\(?:answer|student)(?![A-Za-z@])")


def read_answer_sheet(text: str, name: str = "answer sheet") -> tuple[str, dict[str, Any]]:
    r"""The student id and the answers of a LaTeX answer sheet: ``\student{id}`` and every ``\answer{part}{text}``.

    Comments (unescaped ``%`` to the end of the line) are dropped; braces are matched, so answers may contain
    ``\frac{a}{b}``, ``\{ \}`` and environments. Empty answers are left out (an unanswered part is missing, not
    wrong). ``\answer{1.2a/max}{...}`` gives ``answers["1.2a"]["max"]``.

    >>> read_answer_sheet(r"\student{ada} \answer{1.1a}{3 \times 3} % 4x4?" "\n" r"\answer{1.2a/max}{nn.MaxPool2d}")
    ('ada', {'1.1a': '3 \\times 3', '1.2a': {'max': 'nn.MaxPool2d'}})
    """
    text = _strip_comments(text)
    student = ""
    answers: dict[str, Any] = {}
    for m in _MACRO.finditer(text):
        if _escaped(text, m.start()):
            continue
        pos = _skip_space(text, m.end())
        if pos >= len(text) or text[pos] != "{":
            continue  # \newcommand{\answer}[2]{...} and other mentions of the macro itself
        first, pos = _group(text, pos, name, m.group(0))
        if m.group(1) == "student":
            student = student or first.strip()
            continue
        pos = _skip_space(text, pos)
        if pos >= len(text) or text[pos] != "{":
            raise SubmissionError(name, f"\\answer{{{first}}} at line {_line(text, m.start())} has no second "
                                        "{...} argument")
        body, _ = _group(text, pos, name, f"\\answer{{{first}}}")
        _put(answers, first.strip(), body.strip(), name)
    return student, answers


def _put(answers: dict[str, Any], label: str, body: str, name: str) -> None:
    part, _, key = label.partition("/")
    part, key = part.strip(), key.strip()
    if not part:
        raise SubmissionError(name, "\\answer{} without a part id")
    slot = answers.setdefault(part, {}) if key else answers
    if not isinstance(slot, dict) or (key or part) in slot:
        raise SubmissionError(name, f"the answer to {label} is given twice")
    if body:
        slot[key or part] = body
    elif key and not slot:
        del answers[part]


def _group(text: str, start: int, name: str, what: str) -> tuple[str, int]:
    """The text inside the brace group opening at ``start`` and the index after its closing brace."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2  # \{ \} \\ and any command: the next character is never a group delimiter
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
        i += 1
    raise SubmissionError(name, f"unbalanced braces in {what} at line {_line(text, start)}")


def _strip_comments(text: str) -> str:
    return "\n".join(_strip_comment(line) for line in text.split("\n"))


def _strip_comment(line: str) -> str:
    i = line.find("%")
    while i >= 0:
        if not _escaped(line, i):
            return line[:i]
        i = line.find("%", i + 1)
    return line


def _escaped(text: str, i: int) -> bool:
    """True when text[i] is preceded by an odd number of backslashes."""
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _line(text: str, i: int) -> int:
    return text.count("\n", 0, i) + 1
