r"""A LaTeX answer sheet generated from a spec: ``answer_sheet(spec) -> str`` (pure; the CLI writes it).

``\student{}``, then under each problem's title one ``\answer{<part>}{}`` per part, or one
``\answer{<part>/<field>}{}`` per field when the part's task has fields (``Task.answer_fields``: ``A_{11}``… for
the chain rule, ``max``/``avg``/``lp`` for the poolings, ``Z[1]``… for one matrix per channel). The sheet
compiles with pdflatex as it is, and the grader reads it back (``\answer`` lines only:
``grader.submission.read_answer_sheet``). The instructions and each part's question are comments; every spec string
that reaches the typeset text is escaped, and every one in a comment is kept to its lines (a newline would end the
comment). Part ids and fields label the lines as they are
(``\detokenize``), so one the reader could not read back (``%``, ``\``, ``#``, ``/`` in a part id, unbalanced
braces, not printable ASCII) is a SpecError.

>>> from symconv.spec import load_spec
>>> sheet = answer_sheet(load_spec())
>>> "\\student{}" in sheet, sheet.count("\\answer{1.1d/A_{"), "\\answer{1.2a/lp}{}" in sheet
(True, 25, True)
>>> print(sheet[sheet.index("\\section*{Problem 1.2"):].splitlines()[0])
\section*{Problem 1.2: Pooling}
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from pylatex.utils import escape_latex

from symconv.errors import SpecError
from symconv.spec import Part, Spec

WIDTH = 118   # characters of a comment line (the project's line length, less the "% ")

INSTRUCTIONS = r"""Write your id in \student{...} and each answer in the SECOND pair of braces of its \answer line,
in LaTeX math: a size as 3 \times 3, a matrix as \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}, a formula as
\frac{...}{...}. Module names are plain text (e.g. nn.SomePool2d). Leave an answer empty to skip it; do not
change the labels (the first braces). The sheet compiles with pdflatex, and the grader reads it directly:
    symconv grade sheet.tex --spec SPEC
It reads only \student{...} and the \answer{part}{...} lines; comments and everything else are ignored."""

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\setlength{\parindent}{0pt}
\raggedright   % a long word in a title wraps instead of running into the margin

% \student{id} prints the id; \answer{label}{answer} prints the label and the answer as display math
% (an empty answer prints a line to write on).
\newcommand{\student}[1]{\textbf{Student:} \texttt{\detokenize{#1}}\par\bigskip}
\newcommand{\answer}[2]{\par\makebox[8em][l]{\texttt{\detokenize{#1}}}%
  \if\relax\detokenize{#2}\relax\hrulefill\else$\displaystyle #2$\fi\par\medskip}
"""

_UNREADABLE = re.compile(r"[^\x20-\x7e]|[%\\#]")


def comment(text: str) -> list[str]:
    """``text`` as comment lines: its whitespace (newlines included) made single spaces, wrapped.

    >>> comment("a\\nb   c"), comment("")
    (['% a b c'], [])
    """
    flat = " ".join(text.split())
    return ["% " + line for line in textwrap.wrap(flat, WIDTH, break_long_words=False, break_on_hyphens=False)]


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def label(spec: Spec, part: Part, field: str | None = None) -> str:
    r"""The label of an answer line, ``1.1d/A_{11}``; a SpecError when the grader could not read it back.

    >>> from symconv.spec import load_spec
    >>> spec = load_spec()
    >>> label(spec, spec.part("1.1d"), "A_{11}")
    '1.1d/A_{11}'
    >>> label(spec, Part("1%a", "convolution", 1.0))
    Traceback (most recent call last):
    symconv.errors.SpecError: ...: part id '1%a' cannot label an answer-sheet line (...)
    """
    for what, text in (("part id", part.id), (f"part {part.id}: field", field)):
        if text is None:
            continue
        if (not text.strip() or _UNREADABLE.search(text) or not _balanced(text)
                or (what == "part id" and "/" in text)):
            raise SpecError(spec.source, f"{what} {text!r} cannot label an answer-sheet line (printable ASCII "
                                         "without %, \\, # or unbalanced braces; no / in a part id)")
    return part.id if field is None else f"{part.id}/{field}"


def answer_sheet(spec: Spec) -> str:
    r"""The answer sheet of ``spec``: LaTeX that compiles as it is, one ``\answer`` line per part or field.

    >>> from symconv.spec import TEMPLATES, load_spec
    >>> [line for line in answer_sheet(load_spec(TEMPLATES / "stride2-padding1.yaml")).splitlines()
    ...  if line.startswith(r"\answer{1d/")][:2]
    ['\\answer{1d/A_{11}}{}', '\\answer{1d/A_{12}}{}']
    """
    from symconv.tasks import task  # the task modules import the document blocks

    title = spec.assignment or spec.name
    lines = [*comment(f"symconv answer sheet for {spec.name} ({Path(spec.source).name}): {title}"), "%",
             *("% " + line if line else "%" for line in INSTRUCTIONS.splitlines()), PREAMBLE,
             r"\begin{document}",
             rf"\section*{{{escape_latex(title)} --- answer sheet}}"]
    if spec.course:
        lines.append(rf"{{\large {escape_latex(spec.course)}}}\par\bigskip")
    lines += ["", r"\student{}"]
    for problem in spec.problems:
        heading = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        lines += ["", rf"\section*{{{escape_latex(heading)}}}"]
        for part in problem.parts:
            points = f"{part.points:g} point" + ("" if part.points == 1 else "s")
            lines += comment(f"{part.id} ({points}): {spec.fill(part.text)}")
            fields = task(part.task).answer_fields(spec, part)
            if fields:
                lines += comment(f"{len(fields)} answers, one per line: the label after the slash says which")
                lines += [rf"\answer{{{label(spec, part, field)}}}{{}}" for field in fields]
            else:
                lines.append(rf"\answer{{{label(spec, part)}}}{{}}")
    lines += ["", r"\end{document}", ""]
    return "\n".join(lines)


__all__ = ["answer_sheet", "comment", "label"]
