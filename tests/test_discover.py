"""grader.discover: recursive discovery, the LMS export layouts (Canvas, Gradescope, Moodle), skipped files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from grader.discover import MAX_DEPTH, DiscoveryError, discover
from grader.submission import SUFFIXES

# Gradescope's "Export Submissions": submission_metadata.yml (Ruby-style symbol keys) beside submission_<id>/
GRADESCOPE_METADATA = """\
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '2024001'
    :email: ada@uni.edu
  :created_at: 2024-03-01 10:00:00 -0800
  :score: 0.0
submission_1002:
  :submitters:
  - :name: Bob Byte
    :sid: ''
    :email: bob@uni.edu
  - :name: Cy Cle
    :sid: '2024003'
    :email: cy@uni.edu
"""


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def found(root: Path) -> list[tuple[str, str]]:
    return [(f.path.relative_to(root).as_posix(), f.student) for f in discover([root]).files]


@pytest.mark.parametrize("layout, files, expected", [
    ("canvas", {"lovelaceada_12345_67890_answers.yaml": "", "bytebob_late_222_333_hw-1.json": "",
                "cycle_444_555_notes.pdf": ""},
     [("bytebob_late_222_333_hw-1.json", "bytebob_222"),
      ("lovelaceada_12345_67890_answers.yaml", "lovelaceada_12345")]),
    ("gradescope", {"submission_metadata.yml": GRADESCOPE_METADATA, "submission_1001/answers.yaml": "",
                    "submission_1002/work/answers.tex": "", "submission_1003/answers.json": ""},
     [("submission_1001/answers.yaml", "2024001"), ("submission_1002/work/answers.tex", "bob@uni.edu+2024003"),
      ("submission_1003/answers.json", "submission_1003")]),
    ("moodle", {"Ada Lovelace_101_assignsubmission_file_/answers.yaml": "",
                "Ada Lovelace_101_assignsubmission_file_/extra/more.json": "",
                "Bob Byte_102_assignsubmission_file_/hw.tex": "",
                "Cy Cle_103_assignsubmission_onlinetext_/onlinetext.html": ""},
     [("Ada Lovelace_101_assignsubmission_file_/answers.yaml", "Ada_Lovelace_101"),
      ("Ada Lovelace_101_assignsubmission_file_/extra/more.json", "Ada_Lovelace_101"),
      ("Bob Byte_102_assignsubmission_file_/hw.tex", "Bob_Byte_102")]),
    ("folder per student", {"ada/answers.yaml": "", "bob/hw/answers.json": "", "two/a.yaml": "", "two/b.yaml": "",
                            "flat.toml": ""},
     [("ada/answers.yaml", "ada"), ("bob/hw/answers.json", "bob"), ("flat.toml", ""), ("two/a.yaml", ""),
      ("two/b.yaml", "")]),
])
def test_export_layouts_give_student_ids(tmp_path, layout, files, expected):
    assert found(make(tmp_path, files)) == expected


@pytest.mark.parametrize("folder, student", [("Ada Lovelace_101_assignsubmission_file_", "Ada_Lovelace_101"),
                                             ("submission_1001", "submission_1001"), ("ada", "")])
def test_an_input_folder_that_is_one_students_export_folder(tmp_path, folder, student):
    make(tmp_path / folder, {"answers.yaml": ""})
    assert [f.student for f in discover([tmp_path / folder]).files] == [student]


def test_gradescope_metadata_is_reported_as_skipped_not_graded(tmp_path):
    make(tmp_path, {"submission_metadata.yml": GRADESCOPE_METADATA, "submission_1001/a.yaml": ""})
    skipped = discover([tmp_path]).skipped
    assert [(s.shown, s.reason) for s in skipped] == [("submission_metadata.yml", "the Gradescope export's metadata")]


@pytest.mark.parametrize("metadata", ["[unclosed", "- a list\n", "submission_1001: {':submitters': 3}\n",
                                      "\xff binary"])
def test_a_broken_gradescope_metadata_falls_back_to_folder_names(tmp_path, metadata):
    make(tmp_path, {"submission_1001/a.yaml": ""})
    (tmp_path / "submission_metadata.yml").write_bytes(metadata.encode("latin-1"))
    assert found(tmp_path) == [("submission_1001/a.yaml", "submission_1001")]


def test_skipped_files_have_reasons(tmp_path):
    make(tmp_path, {"ada.yaml": "", ".hidden.yaml": "", "notes.txt.bak": "", "README": "", "scan.PDF": "",
                    ".git/config.yaml": "", "__MACOSX/._ada.yaml": "", "sub/bob.JSON": ""})
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "broken.yaml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    result = discover([tmp_path])
    assert [f.path.relative_to(tmp_path).as_posix() for f in result.files] == ["ada.yaml", "sub/bob.JSON"]
    assert sorted((s.shown, s.reason) for s in result.skipped) == [
        (".git", "hidden"), (".hidden.yaml", "hidden"), ("README", "unsupported type (none)"),
        ("__MACOSX/", "macOS archive metadata"), ("broken.yaml", "not a regular file"),
        ("loop", "a link to a folder (not followed)"), ("notes.txt.bak", "unsupported type .bak"),
        ("pipe.yaml", "not a regular file"), ("scan.PDF", "unsupported type .pdf")]
    line = result.skipped_line()
    assert line.startswith("skipped 9 files: .git (hidden), ") and line.endswith(", and 4 more")


def test_too_deep_is_skipped(tmp_path):
    deep = tmp_path.joinpath(*[f"d{k}" for k in range(MAX_DEPTH + 1)])
    make(deep, {"a.yaml": ""})
    make(tmp_path, {"b.yaml": ""})
    result = discover([tmp_path])
    assert [f.path.name for f in result.files] == ["b.yaml"]
    assert [s.reason for s in result.skipped] == [f"nested more than {MAX_DEPTH} folders deep"]


def test_a_large_submission_is_not_skipped_here(tmp_path):
    """Too large is the loader's to report, as that student's error result: skipping it would drop a student."""
    (tmp_path / "big.yaml").write_bytes(b"x" * 2_000_000)
    assert found(tmp_path) == [("big.yaml", "")]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_supported_suffix_is_found(tmp_path, suffix):
    (tmp_path / f"a{suffix}").write_text("")
    (tmp_path / f"b{suffix.upper()}").write_text("")
    assert [f.path.name for f in discover([tmp_path]).files] == [f"a{suffix}", f"b{suffix.upper()}"]


def test_files_as_given_each_once_with_ids_from_their_naming(tmp_path):
    make(tmp_path, {"x/lovelaceada_1_2_a.yaml": "", "Bob_7_assignsubmission_file_/b.tex": "", "c.txt": ""})
    canvas, moodle, other = (tmp_path / "x/lovelaceada_1_2_a.yaml", tmp_path / "Bob_7_assignsubmission_file_/b.tex",
                             tmp_path / "c.txt")
    result = discover([canvas, moodle, other, canvas, tmp_path / "x"])
    assert [(f.path.name, f.student) for f in result.files] == [("lovelaceada_1_2_a.yaml", "lovelaceada_1"),
                                                                ("b.tex", "Bob_7"), ("c.txt", "")]


@pytest.mark.parametrize("inputs, message", [
    (["missing"], "no such file or directory: missing"),
    (["empty"], "no submission files"),
    (["pdfs"], "skipped 1 file: a.pdf (unsupported type .pdf)"),
])
def test_nothing_to_grade_is_one_line(tmp_path, monkeypatch, inputs, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    make(tmp_path, {"pdfs/a.pdf": ""})
    with pytest.raises(DiscoveryError, match=re.escape(message)) as err:
        discover(inputs)
    assert "\n" not in str(err.value)
