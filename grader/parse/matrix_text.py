r"""Matrices written as text rather than LaTeX: NumPy/PyTorch printouts, Markdown pipe tables, plain rows.

- ``[[109  92  72]\n [108  85  74]]``, ``array([[1., 2.], [3., 4.]], dtype=float32)``, ``tensor([[1, 2]])``:
  rows are the innermost brackets; cells split on commas when a row has them, on spaces otherwise.
- ``| 1 | 2 |`` tables: a ``|---|`` separator row is dropped, and so is the header above it unless every cell
  of the header is a number (then it is the first row, with a note).
- Plain rows: one per line, or separated by ``;`` or ``\\``; cells split on ``&``, ``,``, tabs or spaces.

Every cell is read by the caller's ``cell`` function (the expression grammar), with its offset in the text.
A space-separated cell such as ``000`` could be a thousands group (``1 000``): that is refused, never read as 0.

>>> import sympy
>>> cell = lambda text, offset: sympy.Integer(text.strip().rstrip("."))
>>> rows = nested_rows("array([[1., 2.],\n       [3., 4.]], dtype=float32)", cell)
>>> [[int(x) for x in r] for r, _ in rows]
[[1, 2], [3, 4]]
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy

from grader.parse.build import MAX_MATRIX
from grader.parse.context import note
from grader.parse.names import Fail

Cell = Callable[[str, int], sympy.Expr]
Rows = list[tuple[list[sympy.Expr], int]]

WRAPPER = re.compile(r"\s*(?:(?:torch|np|numpy)\s*\.\s*)?(?:tensor|array|Tensor|FloatTensor|matrix)\s*\(\s*(?=\[)")
_WRAPPER_TAIL = re.compile(r"\]\s*(?:,\s*(?:dtype|device|requires_grad|grad_fn)\s*=[^\]]*)?\)\s*\Z")
_OUTER = re.compile(r"\s*\[(.*)\]\s*", re.S)
_INNER_ROW = re.compile(r"\[([^\[\]]*)\]")
_NUMPY_FLOAT = re.compile(r"(?<=[0-9])\.(?![0-9])")  # NumPy prints 109. for 109.0
_PIPE_SEPARATOR = re.compile(r"\s*+(?:\|\s*+)?:?-+:?\s*+(?:\|\s*+:?-+:?\s*+)*(?:\|\s*+)?\Z")
_ROW_BREAK = re.compile(r"\\\\(?:\s*\[[^\]\n]*\])?|;|\n")
_HLINE = re.compile(r"\\hline(?![A-Za-z])")
_SPACES = re.compile(r"\S+")
_NUMBER = re.compile(r"\s*[+\-−]?[0-9]+(?:\.[0-9]*)?\s*\Z")
_AMBIGUOUS_GROUP = re.compile(r"0[0-9]+\Z")


def is_nested(text: str) -> bool:
    """A NumPy/PyTorch printout or a bracketed list of rows."""
    return bool(WRAPPER.match(text)) or text.lstrip().startswith("[[")


def nested_rows(text: str, cell: Cell) -> Rows:
    """Rows of ``[[...] [...]]``, with or without ``array(``/``tensor(`` around and ``dtype=`` after."""
    if m := WRAPPER.match(text):
        tail = _WRAPPER_TAIL.search(text)
        if tail is None:
            raise Fail(len(text.rstrip()), "unexpected end of the printed array", ("')'",))
        text = " " * m.end() + text[m.end():tail.start() + 1] + " " * (len(text) - tail.start() - 1)
    rows: Rows = []
    outer = _OUTER.fullmatch(text)
    if outer is None:
        raise Fail(len(text) - len(text.lstrip()), "a printed matrix is [[...], [...]]", ("'['",))
    last = outer.start(1)
    for m in _INNER_ROW.finditer(text, outer.start(1), outer.end(1)):
        if text[last:m.start()].strip(" \n\r,"):
            raise Fail(last + len(text[last:m.start()]) - len(text[last:m.start()].lstrip(" \n\r,")),
                       "unexpected text between the rows", ("'['",))
        last = m.end()
        body, start = _NUMPY_FLOAT.sub(" ", m.group(1)), m.start(1)
        if "," in body:
            pieces = [(p.group(), start + p.start()) for p in re.finditer(r"[^,]+", body)]
            pieces = [(p, o) for p, o in pieces if p.strip()]
        else:
            pieces = _spaced(body, start)
        rows.append(_row(pieces, m.start(), len(rows), cell))
    if text[last:outer.end(1)].strip(" \n\r,"):
        raise Fail(last + len(text[last:]) - len(text[last:].lstrip(" \n\r,")), "unexpected text after the rows",
                   ("']'",))
    if not rows:
        raise Fail(0, "empty matrix", ("a number",))
    return rows


def pipe_rows(text: str, cell: Cell) -> Rows:
    """A Markdown table; the ``|---|`` line and a header of words go."""
    lines = [(m.group(), m.start()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    if any(_PIPE_SEPARATOR.match(line) for line, _ in lines):
        at = next(k for k, (line, _) in enumerate(lines) if _PIPE_SEPARATOR.match(line))
        header = lines[at - 1] if at > 0 else None
        lines = [item for k, item in enumerate(lines) if k != at]
        if header is not None:
            cells = _pipe_cells(*header)
            if cells and all(_NUMBER.match(c) for c, _ in cells):
                note("read the table's header row as the first row of the matrix")
            else:
                lines.remove(header)
    if not lines:
        raise Fail(0, "empty matrix", ("a number",))
    return [_row(_pipe_cells(line, offset), offset, k, cell) for k, (line, offset) in enumerate(lines)]


def _pipe_cells(line: str, offset: int) -> list[tuple[str, int]]:
    cells = [(m.group(), offset + m.start()) for m in re.finditer(r"[^|]+", line)]
    return [(c, o) for c, o in cells if c.strip()]


def plain_rows(text: str, cell: Cell) -> Rows:
    """Rows separated by newlines, ``;`` or ``\\\\``; cells by ``&``, ``,``, tabs or spaces."""
    text = _HLINE.sub(lambda m: " " * len(m.group()), text)
    rows: Rows = []
    last = 0
    for m in [*_ROW_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        line, start = text[last:end], last
        last = m.end() if m else len(text)
        if not line.strip():
            continue
        separator = "&" if "&" in line else "," if "," in line else None
        if separator:
            pieces, at = [], start
            for piece in line.split(separator):  # empty cells kept: the cell reader refuses them
                pieces.append((piece, at))
                at += len(piece) + 1
        else:
            pieces = _spaced(line, start)
        rows.append(_row(pieces, start, len(rows), cell))
    if not rows:
        raise Fail(0, "empty matrix", ("a number",))
    return rows


def _row(pieces: list[tuple[str, int]], offset: int, before: int, cell: Cell) -> tuple[list[sympy.Expr], int]:
    """One row's cells, read only while the matrix stays within MAX_MATRIX rows and columns."""
    if not pieces:
        raise Fail(offset, "empty row", ("a number",))
    if before >= MAX_MATRIX:
        raise Fail(offset, f"matrix too large (more than {MAX_MATRIX} rows)")
    if len(pieces) > MAX_MATRIX:
        raise Fail(offset, f"matrix too large (more than {MAX_MATRIX} columns)")
    return [cell(p, o) for p, o in pieces], offset


def _spaced(line: str, start: int) -> list[tuple[str, int]]:
    pieces = [(p.group(), start + p.start()) for p in _SPACES.finditer(line)]
    for piece, offset in pieces[1:]:
        if _AMBIGUOUS_GROUP.match(piece):
            raise Fail(offset, f"'{piece}' after a space could be a thousands group or its own entry; "
                       "separate the entries with commas or &")
    return pieces
