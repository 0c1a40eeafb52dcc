"""Students' own write-ups (tests/data/writeups), graded as a TA would grade them, with where each answer was read.

Each write-up is in another author's style (a PDF-to-Markdown export with page headers, tab-separated tables and
numbered equations; a .tex with sections, enumerate and align; a notebook; terse bare answers; parts in another
order; a part missing; ...). The table says what a TA gives: the total, the diagnoses per part, the parts a person
must read. Write-ups with mistakes have a twin answer file (tests/data/writeups/twins) holding the same answers as
a TA would type them: both must get the same scores and diagnoses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import grader
from grader.result import GRADED, NEEDS_REVIEW
from grader.writeup import annotate, extract, load_writeup

DATA = Path(__file__).parent / "data" / "writeups"
FULL = 21.5

# file: (student id found in the document, total, {part: diagnoses} for parts with any, parts needing review)
WRITEUPS = {
    "pascal-export.md": ("20261623", FULL, {}, []),
    "hopper-mistakes.tex": ("20261234", 21.07, {"1.1d": ["chain-rule-wrong-variable", "chain-rule-extra-term"],
                                                "1.1d-matrix": ["entry-slip"], "1.2a": ["module-path"]}, []),
    "turing-notebook.ipynb": ("turing-4242", FULL, {}, []),
    "noether-terse.txt": ("20265555", FULL, {"1.1d": ["chain-rule-not-shown"]}, []),
    "goedel-reordered.md": ("KG-77821", FULL, {}, []),
    "ramanujan-missing.md": ("20263141", FULL - 2, {}, ["1.2c"]),
    "curie-mistyped.md": ("20269999", 21.45, {"1.1d": ["chain-rule-wrong-variable"]}, []),
    "kovalevskaya-bullets.md": ("20260042", FULL, {}, []),
    "gauss-plain.txt": ("20261777", FULL, {}, []),
    "euler-flipped.tex": ("20261707", 18.79, {"1.1c": ["flipped-kernel"], "1.1d": ["chain-rule-not-shown"],
                                              "1.1d-matrix": ["unflipped-kernel-in-gradient"],
                                              "1.2a": ["functional-form"]}, []),
}
TWINS = ["hopper-mistakes.tex", "curie-mistyped.md", "euler-flipped.tex"]


def _grade(name: str):
    sub = load_writeup(DATA / name)
    return sub, annotate(grader.grade(None, sub), sub.found)


def test_at_least_ten_writeups_in_four_formats():
    files = sorted(p.name for p in DATA.iterdir() if p.is_file())
    assert set(WRITEUPS) == set(files) and len(files) >= 10
    assert {Path(f).suffix for f in files} == {".md", ".tex", ".txt", ".ipynb"}


@pytest.mark.parametrize("name", sorted(WRITEUPS))
def test_graded_as_a_ta_would(name):
    student, total, diagnoses, review = WRITEUPS[name]
    sub, result = _grade(name)
    assert sub.student == student
    assert result.score == pytest.approx(total, abs=0.01)
    assert {p.part: p.diagnoses for p in result.parts if p.diagnoses} == diagnoses
    assert [p.part for p in result.parts if p.status == NEEDS_REVIEW] == review
    assert result.status == ("needs-review" if review else "ok")


@pytest.mark.parametrize("name", sorted(WRITEUPS))
def test_every_part_says_where_it_was_read(name):
    _, result = _grade(name)
    for p in result.parts:
        if p.status == GRADED:
            assert "- read from line" in p.feedback or "- read from cell" in p.feedback, p.feedback
            assert getattr(p, "where", "x") != "" and p.raw   # where, and what was read
        else:
            assert "could not find your answer" in p.feedback and "nearest text" in p.feedback


@pytest.mark.parametrize("name", TWINS)
def test_same_diagnoses_as_the_same_answers_in_an_answer_file(name):
    _, result = _grade(name)
    twin = grader.grade(None, DATA / "twins" / f"{Path(name).stem}.yaml")
    assert [(p.part, p.score, p.diagnoses, p.status) for p in result.parts] == \
        [(p.part, p.score, p.diagnoses, p.status) for p in twin.parts]


def test_the_four_mistakes_each_diagnosed_and_everything_else_full_marks():
    _, result = _grade("hopper-mistakes.tex")
    by_part = {p.part: p for p in result.parts}
    d = by_part["1.1d"].feedback
    assert "A₂₄: C₂₁ does not depend on A₂₄" in d                      # an output that does not depend on it
    assert "A₁₂: ∂C₁₁/∂A₂₁ should be with respect to A₁₂" in d         # partials w.r.t. the wrong entry
    assert "read from lines 19-43 of hopper-mistakes.tex (A₁₂: line 20;" in d and "A₂₄: line 27" in d
    assert "(∂E/∂A)₄₃: expected 24, got 25" in by_part["1.1d-matrix"].feedback   # one wrong gradient entry
    assert "torch.MaxPool2d should be torch.nn.MaxPool2d" in by_part["1.2a"].feedback   # a wrong module path
    others = [p for p in result.parts if p.part not in ("1.1d", "1.1d-matrix", "1.2a")]
    assert all(p.score == p.max_score for p in others)
    assert by_part["1.1d"].score == pytest.approx(5 - 2 * 0.2 * 0.25)   # two entries, each loses a quarter


def test_a_mistyped_left_side_is_kept_and_diagnosed_not_lost():
    x = extract(DATA / "curie-mistyped.md")
    assert len(x.found["1.1d"].answer) == 25
    assert r"\partial A_{42}} =" in x.found["1.1d"].answer["A_{43}"]
    assert "line 57" in x.found["1.1d"].notes[0] and "A_{43}" in x.found["1.1d"].notes[0]
    _, result = _grade("curie-mistyped.md")
    assert "A₄₃: the left side is ∂E/∂A₄₂" in result.parts[3].feedback


def test_a_missing_part_goes_to_a_person_with_the_nearest_text():
    _, result = _grade("ramanujan-missing.md")
    part = next(p for p in result.parts if p.part == "1.2c")
    assert part.status == NEEDS_REVIEW and part.score == 0
    assert "could not find your answer to 1.2c in ramanujan-missing.md" in part.feedback
    assert part.raw   # the nearest candidate text, for the reviewer


def test_page_headers_are_dropped_and_give_the_student():
    x = extract(DATA / "pascal-export.md")
    assert x.student == "20261623"
    assert any("Blaise Pascal" in f for f in x.furniture) and "— 2 —" in x.furniture
    # the chain-rule lines on both sides of a page break are all read
    assert len(x.found["1.1d"].answer) == 25


def test_the_file_name_is_the_id_when_the_document_names_none(tmp_path):
    text = (DATA / "noether-terse.txt").read_text(encoding="utf-8").split("\n", 1)[1]
    path = tmp_path / "emmy.txt"
    path.write_text(text, encoding="utf-8")
    assert load_writeup(path).student == "emmy"
