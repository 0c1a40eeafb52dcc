"""Reading a write-up's lines: page furniture, LaTeX comments and preamble, maths spans and tags, notebooks read
with nbformat and never executed, .tex never compiled, caps on files, lines and cells."""

from __future__ import annotations

import json

import pytest

from grader.writeup import WriteupError, extract, load_writeup
from grader.writeup import notebook as nbmod
from grader.writeup import text as textmod
from grader.writeup.maths import clean, spans
from grader.writeup.text import Line, lines_of, where

HEADER = "Intro to DL | HW 1 | Ada Lovelace | s1234567"


def _page(body_lines: list[str], header: str = HEADER, every: int = 5) -> str:
    out = []
    for n, line in enumerate(body_lines):
        if n % every == 0:
            out += [header, f"Page {n // every + 1} of 9"]
        out.append(line)
    return "\n".join(out)


BODY = [f"(x{n}) answer {n} = {n}" for n in range(15)]


@pytest.mark.parametrize("text, kept, dropped", [
    (_page(BODY), 15, [HEADER, "Page 1 of 9"]),               # a header and a page number at every page break
    (_page(BODY, header="— page header —"), 15, ["— page header —"]),
    ("\n".join(f"Intro to DL — HW 1 — Ada Lovelace — {n}\n" + "\n".join(BODY[5 * n:5 * n + 5]) for n in range(3)),
     15, ["Intro to DL — HW 1 — Ada Lovelace — 0", "Intro to DL — HW 1 — Ada Lovelace — 2"]),   # the page number in it
    ("\n".join([HEADER, *BODY[:10], HEADER]), 12, []),        # only twice: kept (a title and a sign-off)
    ("\n".join(["$$ = 1 $$", *BODY[:6]] * 3), 21, []),        # repeated maths is an answer, not a header
    ("{0}------------\n(a) 3x3\n{1}------------\n\f\n- 2 -\n", 1, ["{0}------------", "{1}------------", "- 2 -"]),
])
def test_page_furniture(text, kept, dropped):
    page = lines_of(text, "md")
    assert len(page.lines) == kept
    assert all(d in page.furniture for d in dropped)
    assert not any(line.text.strip() in dropped for line in page.lines)


def test_tex_comments_and_preamble_keep_line_numbers():
    page = lines_of("\\documentclass{article}\n\\author{Ada}\n\\begin{document}\n% (a) 4x4\n"
                    "(a) $3 \\times 3$ % or 4x4?\n\\end{document}\nafter", "tex")
    assert [(line.no, line.text.strip()) for line in page.lines] == [(5, "(a) $3 \\times 3$")]
    assert "\\author{Ada}" in page.preamble


@pytest.mark.parametrize("lines, expected", [
    ([Line(3, "a")], "line 3"), ([Line(3, "a"), Line(7, "b")], "lines 3-7"),
    ([Line(2, "a", 4), Line(5, "b", 4)], "cell 4, lines 2-5"), ([Line(1, "a", 2), Line(1, "b", 6)], "cells 2-6"),
])
def test_where(lines, expected):
    assert where(lines) == expected


@pytest.mark.parametrize("text, inside", [
    (r"so $C$ is $3 \times 3$.", ["C", r"3 \times 3"]),
    (r"$$a = b$$ and \[c\] and \(d\)", ["a = b", "c", "d"]),
    ("\\begin{align*}x &= 1\\end{align*}", ["\\begin{align*}x &= 1\\end{align*}"]),
    (r"costs \$5 and \$6", []),
])
def test_maths_spans(text, inside):
    assert [s.text for s in spans(text)] == inside


@pytest.mark.parametrize("maths, cleaned", [
    (r"O = 3 \tag{7}", "O = 3"), (r"O = 3 \quad (9)", "O = 3"), (r"O = 3 \qquad (12)", "O = 3"),
    (r"O = 3 \label{eq:o} \nonumber", "O = 3"), (r"B_{11} + B_{12} (3)", "B_{11} + B_{12}"),
    (r"O = 3.", "O = 3"), (r"\begin{equation} O = 3 \end{equation}", "O = 3"),
])
def test_equation_tags_are_layout(maths, cleaned):
    assert clean(maths) == cleaned


def _notebook(cells: list[dict], metadata: dict | None = None) -> str:
    for n, cell in enumerate(cells):
        cell.setdefault("metadata", {})
        cell.setdefault("id", f"c{n}")
        if cell["cell_type"] == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells})


def test_a_notebook_is_read_never_executed(tmp_path):
    marker = tmp_path / "ran"
    nb = _notebook([
        {"cell_type": "code", "source": f"open({str(marker)!r}, 'w').write('x')\n# 1.1a 4x4"},
        {"cell_type": "markdown", "source": "## 1.1\n(a) $3 \\times 3$"},
    ], {"authors": [{"name": "Ada Lovelace"}]})
    path = tmp_path / "hw.ipynb"
    path.write_text(nb, encoding="utf-8")
    sub = load_writeup(path)
    assert not marker.exists()
    assert sub.answers == {"1.1a": "3 \\times 3"}            # the code cell's "4x4" is not read
    assert sub.found["1.1a"].where == "cell 2, line 2" and sub.student == "Ada_Lovelace"


def test_a_tex_file_is_read_never_compiled(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "hw.tex"
    path.write_text("\\immediate\\write18{touch " + str(marker) + "}\n\\input{/etc/passwd}\n"
                    "\\section*{1.1}\n(a) $3 \\times 3$\n", encoding="utf-8")
    sub = load_writeup(path)
    assert not marker.exists() and sub.answers == {"1.1a": "3 \\times 3"}


@pytest.mark.parametrize("name, text, problem", [
    ("nb.ipynb", "{not json", "not a readable notebook"),
    ("nb.ipynb", json.dumps({"cells": "x"}), "not a readable notebook"),
    ("hw.md", "just some words\nand no answers at all", "no answer to any part"),
])
def test_unreadable_writeups_are_one_line_errors(name, text, problem):
    with pytest.raises(WriteupError) as err:
        extract(name, text=text)
    assert problem in str(err.value) and "\n" not in str(err.value) and str(err.value).startswith(name)


def test_caps_on_lines_line_length_cells_and_cell_length(monkeypatch):
    monkeypatch.setattr(textmod, "MAX_LINES", 5)
    with pytest.raises(WriteupError, match="too many lines"):
        lines_of("\n".join(["x"] * 6), "md")
    monkeypatch.setattr(textmod, "MAX_LINE_CHARS", 10)
    with pytest.raises(WriteupError, match="line 2 is too long"):
        lines_of("short\n" + "y" * 11, "md")
    monkeypatch.setattr(nbmod, "MAX_CELLS", 1)
    cells = [{"cell_type": "markdown", "source": "x"}, {"cell_type": "markdown", "source": "y"}]
    with pytest.raises(WriteupError, match="too many cells"):
        nbmod.notebook_lines(_notebook(cells))
    monkeypatch.setattr(nbmod, "MAX_CELLS", 10)
    monkeypatch.setattr(nbmod, "MAX_CELL_CHARS", 3)
    with pytest.raises(WriteupError, match="cell 1 is too long"):
        nbmod.notebook_lines(_notebook([{"cell_type": "markdown", "source": "abcd"}]))


@pytest.mark.parametrize("text, student", [
    ("Name: Ada Lovelace, Student ID: s1234567\n(a) 3x3", "s1234567"),
    ("Name: Ada Lovelace\n(a) 3x3", "Ada Lovelace"),
    ("Ada Lovelace 20261234 -- HW1\n(a) 3x3", "20261234"),
    ("(a) 3x3", "hw"),                                      # the file name
])
def test_student_from_the_document_or_else_the_file_name(text, student):
    assert extract("hw.md", text="## 1.1\n" + text).student == student
