"""Write-ups through ``symconv grade``: beside answer files in one batch, with the same outputs; ids from the
documents (or a roster); feedback that says where each answer was found; exactly one result per file."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

import grader
from grader.submission import SUFFIXES, load_submission
from symconv.cli import main

DATA = Path(__file__).parent / "data" / "writeups"
EXAMPLES = Path(__file__).parent.parent / "examples"
WRITEUPS = sorted(p for p in DATA.iterdir() if p.is_file())


@pytest.fixture
def batch(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in WRITEUPS:
        shutil.copy(path, folder / path.name)
    shutil.copy(EXAMPLES / "submissions" / "one-slip.toml", folder)
    shutil.copy(EXAMPLES / "submissions" / "answer-sheet.tex", folder)
    return folder


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_writeups_and_answer_files_in_one_batch(batch, tmp_path):
    out = tmp_path / "out"
    assert main(["grade", str(batch), "--out", str(out), "--jobs", "1"]) == 3   # one part waits for a person
    rows = _rows(out)
    assert len(rows) == len(WRITEUPS) + 2                                          # exactly one result per file
    assert rows["20261234"]["total"] == "21.07" and rows["20261234"]["status"] == "ok"
    assert rows["20263141"]["status"] == "needs-review" and rows["20263141"]["1.2c"] == "0"
    assert rows["turing-4242"]["total"] == "21.5" and rows["one-slip"]["1.1c"] == "2.6667"
    feedback = (out / "feedback" / "20269999.md").read_text(encoding="utf-8")
    assert "read from lines 23-72 of curie-mistyped.md" in feedback
    results = json.loads((out / "results" / "turing-4242.json").read_text(encoding="utf-8"))
    assert "read from cell 3, line 3 of turing-notebook.ipynb" in results["tests"][0]["output"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "20263141" in summary and "1.2c" in summary


def test_the_write_up_suffixes_are_discovered():
    assert {".md", ".txt", ".ipynb", ".tex"} <= set(SUFFIXES)


def test_a_tex_answer_sheet_is_still_an_answer_sheet_and_other_tex_a_write_up():
    sheet = load_submission(EXAMPLES / "submissions" / "answer-sheet.tex")
    assert not sheet.found and sheet.answers
    writeup = load_submission(DATA / "euler-flipped.tex")     # defines \answer in its preamble, uses none
    assert writeup.found and writeup.student == "20261707"


def test_grade_a_write_up_by_its_path():
    result = grader.grade(None, DATA / "curie-mistyped.md")
    assert result.student == "20269999" and result.score == pytest.approx(21.45)
    assert result.parts[0].where == "line 5"


def test_an_unreadable_write_up_is_an_error_row_and_the_batch_goes_on(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.ipynb").write_text("{not a notebook", encoding="utf-8")
    shutil.copy(DATA / "noether-terse.txt", folder)
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out), "--jobs", "1"]) == 1
    rows = _rows(out)
    assert rows["broken"]["status"] == "error" and "not a readable notebook" in rows["broken"]["reason"]
    assert rows["20265555"]["total"] == "21.5"


def test_a_roster_maps_document_ids_to_gradebook_ids(batch, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("gradebook_id,name,number\nhopper,Grace Hopper,20261234\nturing,Alan Turing,turing-4242\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    main(["grade", str(batch), "--out", str(out), "--jobs", "1", "--roster", str(roster)])
    rows = _rows(out)
    assert {"hopper", "turing", "20263141"} <= set(rows) and "20261234" not in rows


def test_a_bad_roster_fails_before_grading(batch, tmp_path, capsys):
    (tmp_path / "roster.csv").write_text("id\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(batch), "--out", str(out), "--roster", str(tmp_path / "roster.csv")]) == 1
    assert "a header row and a row per student" in capsys.readouterr().err and not (out / "grades.csv").exists()


def test_the_readme_example(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["grade", str(EXAMPLES / "writeups"), "--out", str(out), "--jobs", "1"]) == 0
    rows = _rows(out)
    assert {s: rows[s]["total"] for s in rows} == {"20261234": "21.07", "s1234567": "21.5"}
    feedback = (out / "feedback" / "20261234.md").read_text(encoding="utf-8")
    assert "- read from line 53 of hopper-mistakes.tex (max: line 53; avg: line 53; lp: line 53)" in feedback
