"""needs-review end to end: a part the grader cannot read gets no verdict, the submission says so, grades.csv and
summary.md list it for a person (the raw answer escaped), results.json shows it; exit codes 0 / 1 / 3; and a spec
with ``grading.feedback.reveal: false`` lets no expected answer reach any output."""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from grader.batch import Graded
from grader.feedback_pdf import feedback_tex
from grader.grading import grade
from grader.outputs import feedback_md, grades_csv, results_json, summary_md
from grader.result import ERROR, GRADED, NEEDS_REVIEW, OK, REVIEW, PartResult, Result, exit_code, settle
from symconv import load_spec
from symconv.cli import main
from symconv.spec import DEFAULT_SPEC
from symconv.unicode import from_latex

SPEC = load_spec(None)

HOSTILE = {
    "html": "<script>alert(1)</script>",
    "link": "[click me](javascript:alert(1))",
    "table": "a | b | c",
    "code": "`x` ``` y",
    "latex": r"\input{/etc/passwd}",
    "newline": "line one\n# heading\n- item",
}


def answers_of(kind: str) -> dict:
    return {"1.1a": "3x3", "1.1b": HOSTILE[kind] + r" \undefinedcommand"}


def test_a_result_round_trips_with_its_review_fields():
    r = Result("ada", [PartResult("1.1b", 0, 2, "f", status=NEEDS_REVIEW, raw="x^", read_as="x", notes=["n"],
                                  by_hand=True, comment="c", auto_score=0.0)], status=REVIEW, notes=["u"])
    assert Result.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    assert r.to_dict() == dataclasses.asdict(r)  # the fast copy is the whole of it
    d = r.to_dict()
    d["parts"][0]["notes"].append("changed")
    assert r.parts[0].notes == ["n"]  # and a copy


@pytest.mark.parametrize("statuses, expected", [
    ([GRADED, GRADED], OK), ([GRADED, NEEDS_REVIEW], REVIEW), ([NEEDS_REVIEW], REVIEW), ([], OK),
])
def test_a_submission_needs_review_when_any_part_does(statuses, expected):
    r = Result("a", [PartResult(f"p{k}", 0, 1, "", status=s) for k, s in enumerate(statuses)])
    assert settle(r).status == expected
    assert settle(Result("a", r.parts, status=ERROR)).status == ERROR  # an unreadable file stays an error


@pytest.mark.parametrize("statuses, code", [
    ([OK, OK], 0), ([OK, REVIEW], 3), ([REVIEW, ERROR], 1), ([ERROR], 1), ([], 0),
])
def test_exit_codes(statuses, code):
    assert exit_code([Result("s", [], status=s) for s in statuses]) == code


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_summary_lists_each_answer_to_review_with_the_raw_text_inert(kind):
    result = grade(None, {"student": "eve", "answers": answers_of(kind)})
    b = next(p for p in result.parts if p.part == "1.1b")
    assert (result.status, b.status, b.score) == (REVIEW, NEEDS_REVIEW, 0)
    assert b.raw == answers_of(kind)["1.1b"]
    summary = summary_md([Graded("eve.json", result)], SPEC)
    section = summary.split("## Answers needing review")[1].split("\n## ")[0]
    [row] = [line for line in section.split("\n") if line.startswith("| eve |")]
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 4 and cells[1].strip() == "1.1b"  # the student's pipes did not add a column
    raw = cells[2].strip()
    assert "\n" not in raw and not re.search(r"(?<!\\)[<>`\[\]]", raw)  # no tag, code span or link can form
    assert raw.replace("\\", "").startswith(" ".join(HOSTILE[kind].replace("\\", "").split())[:20])
    assert cells[3].strip().startswith("could not read your answer to 1.1b")  # the notes: why, in one line


def test_grades_csv_says_needs_review_and_which_parts():
    ok = grade(None, {"student": "ada", "answers": {"1.1a": "3x3"}})
    eve = grade(None, {"student": "eve", "answers": answers_of("latex")})
    rows = list(csv.DictReader(grades_csv([Graded("a", ok), Graded("e", eve)], SPEC).splitlines()))
    assert [(r["student"], r["status"], r["reason"]) for r in rows] == [("ada", "ok", ""),
                                                                      ("eve", "needs-review", "needs review: 1.1b")]


def test_results_json_shows_a_part_waiting_for_a_person():
    data = json.loads(results_json(grade(None, {"student": "eve", "answers": answers_of("html")})))
    b = next(t for t in data["tests"] if t["name"] == "1.1b")
    assert b["visibility"] == "visible" and "needs-review" in b["tags"] and b["output_format"] == "md"
    assert "- a person will read this answer and grade it by hand; this is not a verdict on your maths" in b["output"]
    outside_fences = re.sub(r"(?s)```text\n.*?\n```", "", b["output"])
    assert "```text\n  <script>alert(1)</script>" in b["output"]  # the student's text: only inside a fence
    assert "incorrect" not in outside_fences and "<script>" not in outside_fences
    assert "A person will read your answers to 1.1b" in data["output"]


def test_feedback_md_says_a_person_will_read_it():
    md = feedback_md(grade(None, {"student": "eve", "answers": answers_of("latex")}))
    assert "A person will read your answers to 1.1b and grade them by hand" in md
    assert "| 1.1b | 0 | 2 | needs review |" in md


def _write(folder: Path, name: str, answers: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"answers": answers}))
    return folder / name


@pytest.mark.parametrize("files, code", [
    ({"ada.json": {"1.1a": "3x3"}}, 0),
    ({"ada.json": {"1.1a": "3x3"}, "eve.json": answers_of("latex")}, 3),
    ({"ada.json": {"1.1a": "3x3"}, "eve.json": answers_of("latex"), "bad.json": "not a mapping"}, 1),
    ({"zed.json": {"9.9z": "3x3"}}, 1),  # no answer for any part: an error, not a zero
])
def test_cli_exit_codes(tmp_path, files, code):
    for name, answers in files.items():
        if isinstance(answers, str):
            (tmp_path / "subs").mkdir(exist_ok=True)
            (tmp_path / "subs" / name).write_text(json.dumps(answers))
        else:
            _write(tmp_path / "subs", name, answers)
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == code


# --- grading.feedback.reveal: false -------------------------------------------------------------------------------

WRONG = {
    "1.1a": "7 x 2",
    "1.1b": "I + K",
    "1.1c": [[1, 2, 3], [4, 5, 6], [7, 8, 0]],
    "1.1d": {"A11": "B_{12}", "A12": "B_{21} + B_{22}", "A33": "B_{11}"},
    "1.1d-matrix": [[0] * 5] * 5,
    "1.2a": {"max": "torch.nn.AvgPool2d", "avg": "torch.nn.MaxPool2d", "lp": "torch.nn.Conv2d"},
    "1.2b": {"max": "\\min(S)", "avg": "\\sum_{x \\in S} x", "lp": "\\sum_{x \\in S} x^p"},
    "1.2c": [[1, 2], [3, 4]],
    "1.2d": {"avg": "p = 2", "max": "p \\to 0"},
}


def _outputs(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*"))
            if p.is_file() and p.suffix in (".json", ".md", ".csv")}


def _expected_forms(spec_path: Path | None) -> set[str]:
    """Every way an expected answer is shown when the spec reveals them: the printer's LaTeX and its Unicode."""
    forms = set()
    result = grade(spec_path, {"student": "x", "answers": WRONG})
    for p in result.parts:
        if p.expected_latex:
            forms.add(p.expected_latex)
            forms.update(line.strip() for line in from_latex(p.expected_latex).split("\n") if line.strip())
        forms.update(m.group(1) for m in re.finditer(r"expected (.+?), got", p.feedback))
    given = {m.group(1) for p in result.parts for m in re.finditer(r"got (.+?)$", p.feedback, re.M)}
    return forms - given  # an entry the student wrote elsewhere (A₃₃: got B₁₁) is theirs to see


def test_reveal_false_keeps_every_expected_answer_out_of_every_output(tmp_path):
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    hidden = copy.deepcopy(data)
    hidden["grading"]["feedback"] = {"reveal": False}
    spec_path = tmp_path / "hidden.yaml"
    spec_path.write_text(yaml.safe_dump(hidden))
    forms = _expected_forms(None)
    assert len(forms) > 20 and "Expected" in "".join(
        p.feedback for p in grade(None, {"student": "x", "answers": WRONG}).parts)  # the check can fail
    _write(tmp_path / "subs", "ada.json", WRONG)
    assert main(["grade", str(tmp_path / "subs"), "--spec", str(spec_path), "--out", str(tmp_path / "out"),
                 "--jobs", "1"]) == 0
    texts = _outputs(tmp_path / "out")
    result = grade(spec_path, {"student": "ada", "answers": WRONG})
    texts["feedback.tex"] = feedback_tex(result)
    assert {"results/ada.json", "feedback/ada.md", "grades.csv", "summary.md"} <= set(texts)
    for name, text in texts.items():
        student_facing = name != "summary.md"  # the TA's summary may name what each diagnosis means
        if student_facing:
            assert "Expected" not in text and not re.search(r"\bexpected\b", text), (name, text[:2000])
        leaks = sorted(f for f in forms if len(f) > 2 and f in text and (student_facing or "\\" in f))
        assert not leaks, (name, leaks[:5])
    assert all(not p.expected_latex for p in result.parts)


def test_cli_tells_the_ta_which_file_lists_the_answers_to_review(tmp_path, capsys):
    _write(tmp_path / "subs", "eve.json", answers_of("latex"))
    _write(tmp_path / "subs", "ada.json", {"1.1a": "3x3"})
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 3
    assert f"note: 1 submission has answers a person must read ({tmp_path / 'out'}/summary.md lists them)" in \
        capsys.readouterr().err
    assert main(["grade", str(tmp_path / "subs" / "ada.json")]) == 0
    assert "person must read" not in capsys.readouterr().err


def test_a_diagnosis_never_spells_out_the_withheld_formula(tmp_path):
    """An off-by-one size under reveal: false: the diagnosis names the mistake without giving 1.1b's answer."""
    hidden = yaml.safe_load(DEFAULT_SPEC.read_text())
    hidden["grading"]["feedback"] = {"reveal": False}
    spec_path = tmp_path / "hidden.yaml"
    spec_path.write_text(yaml.safe_dump(hidden))
    part = grade(spec_path, {"student": "x", "answers": {"1.1a": "4 x 4"}}).parts[0]
    assert part.diagnoses == ["output-size-off-by-one"]
    assert not re.search(r"floor|⌊|2P|2\*P|K ?- ?1", part.feedback), part.feedback
