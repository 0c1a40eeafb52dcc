"""Grading a student's own write-up (LaTeX, Markdown, plain text or a Jupyter notebook) with no answer template.

``extract(path, spec)`` finds each part's answer and where it was read; ``load_writeup(path, spec)`` gives the
``Submission`` the grader grades, carrying those locations; ``annotate(result, found)`` puts them in the feedback
(and turns a part that was not found into ``needs-review`` with the nearest candidate text).
"""

from __future__ import annotations

from grader.writeup.annotation import annotate, load_writeup
from grader.writeup.extraction import SUFFIXES, Extraction, Found, extract
from grader.writeup.text import WriteupError

__all__ = ["SUFFIXES", "Extraction", "Found", "WriteupError", "annotate", "extract", "load_writeup"]
