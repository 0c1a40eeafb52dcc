"""A write-up as numbered lines: ``lines_of(text, kind) -> Page(lines, furniture)``.

A .tex file is read as text (never compiled): comments are dropped and only the body between
``\\begin{document}`` and ``\\end{document}`` is kept, with the file's line numbers. Markdown and plain text are
kept as they are, except page furniture: a PDF-to-Markdown export repeats the page header (course, assignment,
student name and id) and a page number at every page break, in the middle of the answers. A line that comes back
at least ``HEADER_REPEATS`` times, spread over the document, and does not look like maths, is furniture; so are page
numbers (``Page 2 of 5``, ``- 3 -``) and exporters' page separators. Furniture is dropped from the lines and kept
apart (the student's id is often only there).

>>> page = lines_of("CS 4xx HW1 Ada (s123)\\n(a) $3 \\\\times 3$\\nCS 4xx HW1 Ada (s123)\\nPage 2 of 3\\n(b) x\\n"
...                 "\\n\\n\\n\\n\\n\\n\\n\\nCS 4xx HW1 Ada (s123)", "md")
>>> [(line.no, line.text) for line in page.lines]
[(2, '(a) $3 \\\\times 3$'), (5, '(b) x')]
>>> page.furniture[:2]
['CS 4xx HW1 Ada (s123)', 'Page 2 of 3']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from grader.submission import SubmissionError

MAX_LINES = 20_000          # lines in a write-up (a whole homework is a few hundred)
MAX_LINE_CHARS = 20_000     # characters in one line (the parser caps one answer at this length too)
HEADER_REPEATS = 3          # a line seen this often, spread over the document, is a page header or footer
HEADER_SPREAD = 8           # ... when its first and last occurrences are at least this many lines apart
MAX_HEADER_CHARS = 200

_PAGE_NUMBER = re.compile(r"(?i)^\s*(?:[-–—]\s*)?(?:page|p\.|seite|pg\.?)?\s*\d{1,4}\s*(?:(?:/|of|von)\s*\d{1,4})?"
                          r"\s*(?:[-–—])?\s*$")
_PAGE_MARK = re.compile(r"(?i)^\s*(?:\{\d+\}-{3,}|<!--\s*page.*-->|\\(?:newpage|clearpage|pagebreak)\b.*|\f+)\s*$")
_MATHS = re.compile(r"[=&^$]|\\[a-zA-Z]")
_DIGITS = re.compile(r"\d+")


class WriteupError(SubmissionError):
    """A write-up that cannot be read (one line naming the file and the problem); a SubmissionError, so a batch
    grades it as an error with its reason, like any unreadable file."""


@dataclass(frozen=True)
class Line:
    """One line of a write-up: its 1-based number in the file (in its cell, for a notebook) and its text."""

    no: int
    text: str
    cell: int = 0       # the 1-based notebook cell, 0 in a text file


@dataclass
class Page:
    """A write-up as lines, with the page furniture (headers, footers) that was dropped and, for a .tex file, its
    preamble."""
    lines: list[Line]
    furniture: list[str] = field(default_factory=list)   # page headers and footers dropped, first seen first
    preamble: str = ""                                    # a .tex file's text before \begin{document}


def where(lines: list[Line]) -> str:
    """Where some lines are, for the feedback: ``line 4``, ``lines 4-9``, ``cell 3, lines 2-5``.

    >>> where([Line(4, "a"), Line(9, "b")]), where([Line(2, "a", cell=3)]), where([])
    ('lines 4-9', 'cell 3, line 2', '')
    """
    if not lines:
        return ""
    cells = sorted({line.cell for line in lines})
    if cells != [0] and len(cells) > 1:
        return f"cells {cells[0]}-{cells[-1]}"
    lo, hi = min(line.no for line in lines), max(line.no for line in lines)
    span = f"line {lo}" if lo == hi else f"lines {lo}-{hi}"
    return f"cell {cells[0]}, {span}" if cells != [0] else span


def strip_comment(line: str) -> str:
    r"""A LaTeX line without its comment (an unescaped ``%`` to the end of the line).

    >>> strip_comment(r"50\% done % a note")
    '50\\% done '
    """
    i = line.find("%")
    while i >= 0:
        slashes = len(line[:i]) - len(line[:i].rstrip("\\"))
        if slashes % 2 == 0:
            return line[:i]
        i = line.find("%", i + 1)
    return line


def lines_of(text: str, kind: str, source: str = "write-up", cell: int = 0) -> Page:
    """The numbered lines of a write-up (``kind``: "tex", "md" or "txt"), page furniture dropped."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(raw) > MAX_LINES:
        raise WriteupError(source, f"too many lines ({len(raw):,}; limit {MAX_LINES:,})")
    long = next((n for n, line in enumerate(raw, 1) if len(line) > MAX_LINE_CHARS), None)
    if long is not None:
        raise WriteupError(source, f"line {long} is too long (limit {MAX_LINE_CHARS:,} characters)")
    numbered = [Line(n, line, cell) for n, line in enumerate(raw, 1)]
    preamble = ""
    if kind == "tex":
        numbered = [Line(line.no, strip_comment(line.text), cell) for line in numbered]
        begin = next((i for i, line in enumerate(numbered) if "\\begin{document}" in line.text), None)
        if begin is not None:
            preamble = "\n".join(line.text for line in numbered[:begin])
            end = next((i for i, line in enumerate(numbered) if "\\end{document}" in line.text), len(numbered))
            first = numbered[begin].text.split("\\begin{document}", 1)[1]
            numbered = [Line(numbered[begin].no, first, cell), *numbered[begin + 1:end]]
    lines, furniture = drop_furniture(numbered)
    return Page([line for line in lines if line.text.strip()], furniture, preamble)


_EDGE_NUMBER = re.compile(r"^\d{1,3}\s*[-–—|·:]?\s+|\s+[-–—|·:]?\s*\d{1,3}$")


def _header_key(text: str) -> str:
    """What stays the same in a page header from page to page: its text without the page number."""
    text = " ".join(text.split())
    if re.search(r"(?i)page|seite", text):
        return _DIGITS.sub("#", text.lower())
    return _EDGE_NUMBER.sub("", text) or text


def drop_furniture(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """The lines without page headers, footers and page numbers; and the furniture dropped (each once)."""
    positions: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        text = line.text.strip()
        if text and len(text) <= MAX_HEADER_CHARS and not _MATHS.search(text):
            positions.setdefault(_header_key(text), []).append(i)
    repeated = {key for key, at in positions.items()
                if len(at) >= HEADER_REPEATS and at[-1] - at[0] >= HEADER_SPREAD}
    kept, furniture = [], Counter[str]()
    for line in lines:
        text = line.text.strip()
        if text and (_header_key(text) in repeated or _PAGE_NUMBER.match(text) or _PAGE_MARK.match(text)):
            furniture[text] += 1
            continue
        kept.append(line)
    return kept, list(furniture)
