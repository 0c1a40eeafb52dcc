"""``symconv extract``: every part of each test write-up with where it was read, and answer files a TA can grade."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import grader
from symconv.cli import main
from symconv.spec import load_spec

DATA = Path(__file__).parent / "data" / "writeups"
WRITEUPS = sorted(p.name for p in DATA.iterdir() if p.is_file())
PARTS = [p.id for p in load_spec().parts]


@pytest.mark.parametrize("name", WRITEUPS)
def test_extract_shows_every_part_with_its_lines(name, capsys):
    assert main(["extract", str(DATA / name)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{name}: student ")
    rows = {line.split()[0]: line for line in out[1:] if line.startswith("  ") and line.split()[0] in PARTS}
    assert list(rows) == PARTS
    for part, line in rows.items():
        missing = name == "ramanujan-missing.md" and part == "1.2c"
        pattern = r"not found +nearest text: \S" if missing else r"(?:cell \d+, )?lines? \d+(?:-\d+)?"
        assert re.search(pattern, line), line


def test_extract_writes_an_answer_file_that_grades_the_same(tmp_path, capsys):
    assert main(["extract", str(DATA / "hopper-mistakes.tex"), "--out", str(tmp_path)]) == 0
    written = tmp_path / "hopper-mistakes.yaml"
    assert f"wrote {written}" in capsys.readouterr().out
    text = written.read_text(encoding="utf-8")
    assert "# 1.1d: lines 19-43" in text and "student: '20261234'" in text
    twin = grader.grade(None, DATA / "twins" / "hopper-mistakes.yaml")
    extracted = grader.grade(None, written)
    assert [(p.score, p.diagnoses) for p in extracted.parts] == [(p.score, p.diagnoses) for p in twin.parts]


def test_extract_reports_unreadable_files_and_goes_on(tmp_path, capsys):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["extract", str(bad), str(tmp_path / "none.md"), str(DATA / "noether-terse.txt")]) == 1
    captured = capsys.readouterr()
    assert "error: bad.ipynb: not a readable notebook" in captured.err
    assert "error: no such file" in captured.err
    assert "noether-terse.txt: student 20265555" in captured.out


def test_extract_prints_no_control_characters(tmp_path, capsys):
    path = tmp_path / "x.md"
    path.write_text("## 1.1\n(a) \x1b[31m 3x3\n(b) \x1b]0;owned\x07 $O = (I - K)/S + 1$\n", encoding="utf-8")
    assert main(["extract", str(path)]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_roster_maps_document_ids_names_and_file_names(tmp_path):
    from types import SimpleNamespace

    from grader.result import Result
    from grader.writeup.roster import RosterError, apply_roster, load_roster

    roster = tmp_path / "roster.csv"
    roster.write_text("Name,SIS_ID,Number,File\nAda Lovelace,g-001,s1234567,\nGrace Hopper,g-002,20261234,\n"
                      "Alan Turing,g-003,,turing-hw1\nTwin One,g-004,same,\nTwin Two,g-005,same,\n", encoding="utf-8")
    graded = [SimpleNamespace(source=source, result=Result(student, [])) for student, source in [
        ("s1234567", "ada.md"), ("Grace_Hopper", "x.tex"), ("nobody", "turing-hw1.ipynb"), ("same", "t.md"),
        ("stranger", "s.md")]]
    assert [g.result.student for g in apply_roster(roster, graded)] == ["g-001", "g-002", "g-003", "same", "stranger"]
    assert load_roster(roster).lookup("twin one") == "g-004"
    (tmp_path / "empty.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(RosterError, match="a header row and a row per student"):
        load_roster(tmp_path / "empty.csv")
