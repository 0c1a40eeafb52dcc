"""A Jupyter notebook as numbered lines: read with nbformat, never executed.

The answers are in Markdown cells (and raw cells); code cells are not read (their source is code, not an answer,
and their outputs are whatever ran last). Each line keeps its cell's number and its line number in the cell, so
the feedback can say ``cell 4, line 2``. The student's id may be in the notebook's metadata (``student``,
``student_id``, ``authors``).

>>> import json
>>> nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"student_id": "s123"}, "cells": [
...     {"cell_type": "code", "metadata": {}, "source": "import os", "outputs": [], "execution_count": None, "id": "a"},
...     {"cell_type": "markdown", "metadata": {}, "source": "## 1.1\\n(a) $3 \\\\times 3$", "id": "b"}]}
>>> page, meta = notebook_lines(json.dumps(nb))
>>> [(line.cell, line.no, line.text) for line in page.lines], meta_student(meta)
([(2, 1, '## 1.1'), (2, 2, '(a) $3 \\\\times 3$')], 's123')
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from grader.writeup.text import MAX_LINES, Line, Page, WriteupError, drop_furniture, lines_of

MAX_CELLS = 2_000           # cells in a notebook
MAX_CELL_CHARS = 200_000    # characters in one cell's source
READ_CELLS = ("markdown", "raw")


def notebook_lines(text: str, source: str = "notebook") -> tuple[Page, dict[str, Any]]:
    """The lines of a notebook's Markdown and raw cells, and its metadata; WriteupError when it is no notebook."""
    try:
        import nbformat
    except ImportError:  # pragma: no cover (a dependency; kept as a one-line error if an install lacks it)
        raise WriteupError(source, "reading notebooks needs nbformat (pip install nbformat)") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)   # JSON and the notebook schema; nothing is executed
    except RecursionError:
        raise WriteupError(source, "not a notebook: nested too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError, nbformat.ValidationError) as err:
        raise WriteupError(source, f"not a readable notebook ({' '.join(str(err).split())[:120]})") from None
    cells = nb.get("cells", [])
    if not isinstance(cells, list):
        raise WriteupError(source, "not a notebook: 'cells' is not a list")
    if len(cells) > MAX_CELLS:
        raise WriteupError(source, f"too many cells ({len(cells):,}; limit {MAX_CELLS:,})")
    lines: list[Line] = []
    for n, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in READ_CELLS:
            continue
        body = cell.get("source", "")
        body = "".join(body) if isinstance(body, list) else str(body)
        if len(body) > MAX_CELL_CHARS:
            raise WriteupError(source, f"cell {n} is too long (limit {MAX_CELL_CHARS:,} characters)")
        lines += lines_of(body, "md", f"{source}, cell {n}", cell=n).lines
        if len(lines) > MAX_LINES:
            raise WriteupError(source, f"too many lines (limit {MAX_LINES:,})")
    kept, furniture = drop_furniture(lines)
    metadata = nb.get("metadata", {})
    return Page(kept, furniture), dict(metadata) if isinstance(metadata, dict) else {}


def meta_student(metadata: dict[str, Any]) -> str:
    """The student named in a notebook's metadata: ``student_id``, ``student``, ``sid``, else the first author's
    ``id`` or ``name``; "" when none.

    >>> meta_student({"authors": [{"name": "Ada Lovelace"}]}), meta_student({})
    ('Ada Lovelace', '')
    """
    for key in ("student_id", "sid", "student"):
        value = metadata.get(key)
        if isinstance(value, dict):
            value = value.get("id") or value.get("name")
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    authors = metadata.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        for key in ("id", "name"):
            value = authors[0].get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""
