"""grader.variants: a class graded against each student's own variant (issue 13), ``other-variant`` for answers
right for a classmate's variant or the default problem, submissions without a known student to a person, and the
Gradescope runner grading per student."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from test_answer_sheet import fill, reference_answers

from grader.batch import Graded
from grader.errors import GraderError
from grader.gradescope import ROOT_ENV, SECRET_NAME, build_bundle, run_autograder
from grader.result import NEEDS_REVIEW, PartResult, Result
from grader.variants import DEFAULT, OTHER_VARIANT, VariantGrader, distinctive_matches, mark, match_classmates
from symconv import derive_solution, load_spec
from symconv.cli import main
from symconv.document.answer_sheet import answer_sheet
from symconv.spec import DEFAULT_SPEC, Spec
from symconv.tasks import task
from symconv.variants import fingerprint, variant_spec

SECRET = "a course secret for the tests"
VARIANTS = {"matrices": {"A": {"entries": [0, 5]}, "B": {"entries": [-2, 3], "nonzero": True}}}
CLASS = [f"s{n:02d}" for n in range(1, 13)]
COPIER, COPIED, DEFAULTER = "s13", "s03", "s14"     # s13 hands in s03's answers; s14 solved the default problem
MATRIX_PARTS = ["1.1c", "1.1d-matrix", "1.2c"]        # the parts whose reference the drawn A and B change


def answers_for(spec: Spec, notation: str = "latex") -> dict:
    """The engine's answers to ``spec`` as a student writes them: LaTeX (the project printer), or matrices as lists
    of integers; a part with fields as a mapping."""
    sol = derive_solution(spec)
    out: dict = {}
    for label, value in reference_answers(sol).items():
        part, _, field = label.partition("/")
        if field:
            out.setdefault(part, {})[field] = value
        else:
            out[part] = value
    if notation == "lists":
        for part in spec.parts:
            reference = task(part.task).reference
            if reference is not None:
                out[part.id] = [[int(x) for x in row] for row in reference(sol).tolist()]
    return out


def write_submission(folder: Path, student: str, spec: Spec, kind: str) -> None:
    """One student's file in one of the ways students hand in: JSON naming the student, YAML named after the student
    (no student key), or the generated LaTeX answer sheet with ``\\student{}``."""
    if kind == "json":
        (folder / f"{student}-hw.json").write_text(json.dumps({"student": student, "answers": answers_for(spec)}))
    elif kind == "yaml":
        (folder / f"{student}.yaml").write_text(yaml.safe_dump({"answers": answers_for(spec, "lists")}))
    else:
        sheet = fill(answer_sheet(spec), reference_answers(derive_solution(spec)), student=student)
        (folder / f"sheet-{student[1:]}.tex").write_text(sheet)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A spec with variants, its secret (0600), a roster, and a folder of submissions."""
    d = tmp_path_factory.mktemp("course")
    data = {**yaml.safe_load(DEFAULT_SPEC.read_text()), "variants": VARIANTS}
    spec = d / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    secret = d / "secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    roster = d / "roster.csv"
    roster.write_text("First Name,Last Name,SID,Email\n"   # Gradescope's roster export, as the handouts read it
                      + "".join(f"Student,{s.upper()},{s},{s}@uni.edu\n" for s in [*CLASS, COPIER, DEFAULTER]))
    subs = d / "subs"
    subs.mkdir()
    for n, student in enumerate(CLASS):
        write_submission(subs, student, variant_spec(spec, student, SECRET), ("json", "yaml", "sheet")[n % 3])
    copied = answers_for(variant_spec(spec, COPIED, SECRET))
    (subs / f"{COPIER}.json").write_text(json.dumps({"student": COPIER, "answers": copied}))
    (subs / f"{DEFAULTER}.json").write_text(json.dumps({"student": DEFAULTER, "answers": answers_for(load_spec(spec))}))
    (subs / "anonymous.json").write_text(json.dumps({"answers": answers_for(variant_spec(spec, "s01", SECRET))}))
    return SimpleNamespace(dir=d, spec=spec, secret=secret, roster=roster, subs=subs, data=data)


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """The class graded once by ``symconv grade ... --secret`` (in-process): OUT and its grades.csv by student."""
    out = tmp_path_factory.mktemp("out") / "graded"
    code = main(["grade", str(course.subs), "--spec", str(course.spec), "--secret", str(course.secret),
                 "--roster", str(course.roster), "--out", str(out), "--jobs", "2"])
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    return SimpleNamespace(code=code, out=out, rows=rows, summary=(out / "summary.md").read_text())


def test_the_variants_differ_from_each_other_and_from_the_default(course):
    prints = {fingerprint(variant_spec(course.spec, s, SECRET)) for s in CLASS}
    assert len(prints) == len(CLASS) and fingerprint(load_spec(course.spec)) not in prints


def test_each_student_answering_their_own_variant_gets_full_marks(graded):
    assert graded.code == 3   # graded; the anonymous file waits for a person
    for student in CLASS:
        row = graded.rows[student]
        assert (row["total"], row["status"], row["reason"]) == (row["max"], "ok", ""), student


def test_the_class_answers_are_wrong_for_the_default_problem(course):
    """So the full marks above come from grading each student against their own variant."""
    answers = answers_for(variant_spec(course.spec, "s01", SECRET))
    from grader import grade

    result = grade(load_spec(course.spec), {"student": "s01", "answers": answers})
    assert [p.part for p in result.parts if p.score < p.max_score] == MATRIX_PARTS


def test_copied_answers_are_other_variant_naming_the_classmate(graded):
    row = graded.rows[COPIER]
    assert [row[p] for p in MATRIX_PARTS] == ["0", "0", "0"]
    tests = {t["name"]: t for t in json.loads((graded.out / "results" / f"{COPIER}.json").read_text())["tests"]}
    assert [name for name, t in tests.items() if OTHER_VARIANT in t["tags"]] == MATRIX_PARTS
    assert "another student's variant" in tests["1.1c"]["output"]
    assert "## Answers matching another variant" in graded.summary
    assert [f"| {COPIER} | {p} | {COPIED} |" in graded.summary for p in MATRIX_PARTS] == [True] * 3
    # the copied-from student keeps full marks, and the student's own feedback never names whose answers they are
    assert graded.rows[COPIED]["total"] == graded.rows[COPIED]["max"]
    assert COPIED not in (graded.out / "feedback" / f"{COPIER}.md").read_text()


def test_answers_to_the_default_problem_are_other_variant(graded):
    row = graded.rows[DEFAULTER]
    assert [row[p] for p in MATRIX_PARTS] == ["0", "0", "0"]
    assert [f"| {DEFAULTER} | {p} | the default problem |" in graded.summary for p in MATRIX_PARTS] == [True] * 3
    assert "the default problem" in (graded.out / "feedback" / f"{DEFAULTER}.md").read_text()


def test_a_submission_without_a_known_id_goes_to_a_person(graded):
    row = graded.rows["anonymous"]
    assert (row["total"], row["status"]) == ("0", "needs-review")
    result = json.loads((graded.out / "results" / "anonymous.json").read_text())
    assert all("needs-review" in t["tags"] and t["score"] == 0 for t in result["tests"])
    assert "not on the roster" in (graded.out / "feedback" / "anonymous.md").read_text()


def test_grading_is_deterministic(course, graded, tmp_path):
    again = tmp_path / "again"
    assert main(["grade", str(course.subs), "--spec", str(course.spec), "--secret", str(course.secret),
                 "--roster", str(course.roster), "--out", str(again), "--jobs", "1"]) == graded.code
    names = sorted(p.relative_to(graded.out).as_posix() for p in graded.out.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    assert [n for n in names if (graded.out / n).read_bytes() != (again / n).read_bytes()] == []


@pytest.mark.parametrize("spec, secret, message", [
    ("variants", None, "this spec has variants: grading needs the course secret (--secret FILE)"),
    ("homework", "secret", "--secret was given but the spec has no variants section"),
])
def test_the_secret_goes_with_a_spec_with_variants_only(course, capsys, spec, secret, message):
    path = course.spec if spec == "variants" else DEFAULT_SPEC
    args = ["grade", str(course.subs / "s13.json"), "--spec", str(path)]
    assert main(args + (["--secret", str(course.secret)] if secret else [])) == 1
    assert capsys.readouterr().err.strip() == f"error: {message}"


# --- the parts, one at a time ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("student, why", [
    ("", "the submission names no student, so its variant is unknown"),
    ("s99", "student id 's99' is not on the roster, so its variant is unknown"),
])
def test_no_variant_is_guessed_for_an_unknown_student(course, student, why):
    from grader.writeup.roster import load_roster

    roster = load_roster(course.roster) if student else None
    grader = VariantGrader(course.spec, SECRET, roster=roster)
    result = grader(None, {"student": student, "answers": answers_for(variant_spec(course.spec, "s01", SECRET))})
    assert result.notes == [why] and result.status == NEEDS_REVIEW and result.score == 0
    assert {p.status for p in result.parts} == {NEEDS_REVIEW} and all(p.raw for p in result.parts)


def test_a_variant_that_cannot_be_drawn_is_that_files_error():
    draws = {"shapes": {"A": [[2, 2]]}, "matrices": {"A": {"entries": [0, 5]}}, "attempts": 2}
    grader = VariantGrader({**yaml.safe_load(DEFAULT_SPEC.read_text()), "variants": draws}, SECRET)
    grader.warm()   # the section itself is valid: only the draws fail (a 3 x 3 kernel on a 2 x 2 input)
    result = grader(None, {"student": "s01", "answers": {"1.1a": "1 x 1"}})
    assert (result.status, result.score) == ("error", 0)
    assert result.error.startswith("no variant could be drawn for s01: ") and "never held in 2 draws" in result.error


def test_a_bad_variants_section_fails_the_run_once(course, tmp_path, capsys):
    data = {**course.data, "variants": {"matrices": {"A": {"entries": [0, 5], "nonzeor": True}}}}
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    args = ["grade", str(course.subs), "--spec", str(spec), "--secret", str(course.secret), "--jobs", "1"]
    assert main(args) == 1
    err = capsys.readouterr().err   # one error for the run, not one per student
    assert err.count("nonzeor") == 1 and err.splitlines()[-1].startswith("error: ")
    assert "unknown key `nonzeor`; did you mean `nonzero`?" in err


def test_only_wrong_parts_are_compared(course):
    grader = VariantGrader(course.spec, SECRET)
    own = answers_for(variant_spec(course.spec, "s02", SECRET))
    result = grader(None, {"student": "s02", "answers": {**own, "1.1c": [[1, 2], [3, 4]]}})
    assert list(result.variant["answers"]) == ["1.1c"] and result.variant["matches"] == {}
    assert set(result.variant["references"]) >= set(MATRIX_PARTS)


@pytest.mark.parametrize("matches, distinct, claimed", [
    ({"1.1c": ["ada"]}, {"1.1c": True}, {"1.1c": ["ada"]}),                    # a matrix: distinctive
    ({"1.1a": ["ada"]}, {"1.1a": False}, {}),                                  # one size: chance
    ({"1.1a": ["ada"], "1.2a": ["ada"]}, {"1.1a": False, "1.2a": False},       # two parts, the same variant
     {"1.1a": ["ada"], "1.2a": ["ada"]}),
    ({"1.1a": ["ada", "bo"], "1.2a": ["bo"]}, {}, {"1.1a": ["bo"], "1.2a": ["bo"]}),
])
def test_only_distinctive_matches_are_claimed(matches, distinct, claimed):
    assert distinctive_matches(matches, distinct) == claimed


def _graded(student: str, fp: str, refs: dict, answers: dict | None = None) -> Graded:
    parts = [PartResult(p, 1.0 if p in (answers or {}) else 3.0, 3.0, f"{p}: ...") for p in ("1.1c", "1.2c")]
    return Graded(f"{student}.json", Result(student, parts, variant={
        "fingerprint": fp, "references": refs, "answers": answers or {}, "matches": {}}))


@pytest.mark.parametrize("own, classmates, expected", [
    ("W", [_graded("ada", "f1", {"1.1c": "X", "1.2c": "Y"})], {"1.1c": ["ada"]}),
    ("W", [_graded("ada", "f0", {"1.1c": "X", "1.2c": "Y"})], {}),                # the same variant as the student
    ("W", [_graded("ada", "f1", {"1.1c": "Z", "1.2c": "Y"})], {}),                # a different reference
    ("X", [_graded("ada", "f1", {"1.1c": "X", "1.2c": "Y"})], {}),                # the student's own reference too
    ("W", [_graded("cy", "f2", {"1.1c": "X"}), _graded("ada", "f1", {"1.1c": "X"})], {"1.1c": ["ada", "cy"]}),
])
def test_classmates_are_matched_by_their_references(own, classmates, expected):
    student = _graded("zed", "f0", {"1.1c": own, "1.2c": "Y"}, answers={"1.1c": ["X", True]})
    match_classmates([student, *classmates], load_spec(None))
    assert student.result.variant["matches"] == expected
    assert (student.result.parts[0].score == 0.0) == bool(expected)
    assert (OTHER_VARIANT in student.result.parts[0].diagnoses) == bool(expected)


@pytest.mark.parametrize("score, cost, expected", [(2.0, 1.0, 0.0), (2.0, 0.5, 1.5), (1.0, 0.5, 1.0), (2.0, 0.0, 2.0)])
def test_other_variant_costs_what_the_rubric_says(score, cost, expected):
    part = mark(PartResult("1.1c", score, 3.0, "1.1c: partly correct.\n- C12: expected 1, got 2"), cost, DEFAULT)
    assert part.score == expected and part.diagnoses == [OTHER_VARIANT]
    assert part.feedback.split("\n")[2] == "- C12: expected 1, got 2"


# --- Gradescope -------------------------------------------------------------------------------------------------------

def _autograder(tmp_path: Path, course, sid: str | None, answers: dict, claimed: str = "s05",
                roster: Path | None = None, id_column: str | None = None) -> dict:
    """Build the bundle with the secret and the roster, unpack it as Gradescope does, run run_autograder."""
    root = tmp_path / "autograder"
    zipped = build_bundle(course.spec, tmp_path / "autograder.zip", secret=course.secret,
                          roster=roster or course.roster, id_column=id_column)
    with zipfile.ZipFile(zipped) as z:
        z.extractall(root / "source")   # as unzip may: the secret's mode is not kept
    (root / "source" / SECRET_NAME).chmod(0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "submission" / "answers.json").write_text(json.dumps({"student": claimed, "answers": answers}))
    if sid is not None:
        (root / "submission_metadata.json").write_text(json.dumps(
            {"id": 1, "users": [{"email": f"{sid}@uni.edu", "id": 7, "name": "Someone", "sid": sid}]}))
    env = {**os.environ, ROOT_ENV: str(root), "SYMCONV_PYTHON": sys.executable}
    run = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_an_unusable_bundled_secret_is_the_submissions_error_result(course, tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build_bundle(course.spec, tmp_path / "a.zip", secret=course.secret)) as z:
        z.extractall(root / "source")
    (root / "source" / SECRET_NAME).write_text("\n")
    (root / "source" / SECRET_NAME).chmod(0o600)
    (root / "submission").mkdir()
    (root / "submission" / "a.json").write_text(json.dumps({"student": "s01", "answers": {"1.1a": "3 x 3"}}))
    data = run_autograder(root, root / "source" / "spec.yaml", secret=root / "source" / SECRET_NAME)
    assert data["score"] == 0 and data["output"].endswith("the course secret file is empty")


def test_the_bundle_carries_the_secret_as_a_private_file_not_in_the_spec(course, tmp_path):
    with zipfile.ZipFile(build_bundle(course.spec, tmp_path / "a.zip", secret=course.secret)) as z:
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        assert z.read(SECRET_NAME).decode().strip() == SECRET
        assert SECRET not in z.read("spec.yaml").decode()
    assert modes[SECRET_NAME] & 0o777 == 0o600
    with pytest.raises(GraderError, match="needs the course secret"):
        build_bundle(course.spec, tmp_path / "b.zip")


@pytest.mark.parametrize("sid, whose, full, tag", [
    ("s02", "s02", True, None),               # Gradescope's submitter, not the file's claim (s05), picks the variant
    ("s02", "default", False, OTHER_VARIANT),
    ("s99", "s02", False, "needs-review"),    # not on the bundled roster
])
def test_the_gradescope_runner_grades_per_student(course, tmp_path, sid, whose, full, tag):
    spec = load_spec(course.spec) if whose == "default" else variant_spec(course.spec, whose, SECRET)
    data = _autograder(tmp_path, course, sid, answers_for(spec))
    assert (data["score"] == data["max_score"]) == full
    if tag:
        assert any(tag in t["tags"] for t in data["tests"])


@pytest.mark.parametrize("column, code, student, full", [
    ("ID", 0, "1001", True),
    (None, 0, "s01", False),      # the default column is SIS User ID: s01's variant, not the one 1001's answers are for
    ("Login", 1, None, None),     # a column the roster does not have
])
def test_the_roster_id_column_is_chosen_as_for_the_handouts(course, tmp_path, column, code, student, full):
    """Canvas lists two ids; handouts made with ``--id-column ID`` drew each variant for the ID column."""
    roster = tmp_path / "canvas.csv"
    roster.write_text("Student,ID,SIS User ID\nStudent One,1001,s01\n")
    (tmp_path / "subs").mkdir()
    answers = answers_for(variant_spec(course.spec, "1001", SECRET))
    (tmp_path / "subs" / "one.json").write_text(json.dumps({"student": "1001", "answers": answers}))
    out = tmp_path / "out"
    args = ["grade", str(tmp_path / "subs"), "--spec", str(course.spec), "--secret", str(course.secret), "--roster",
            str(roster), "--out", str(out), "--jobs", "1", *(["--id-column", column] if column else [])]
    assert main(args) == code
    if student is not None:
        row = next(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
        assert (row["student"], row["total"] == row["max"]) == (student, full)


def test_a_variant_derived_in_the_worker_is_under_the_submissions_budget(course, monkeypatch):
    """References are derived lazily in the workers: a derivation that never ends costs its file, by the kill."""
    import time

    from grader.batch import grade_batch

    def never_done(self, student):
        time.sleep(120)

    monkeypatch.setattr(VariantGrader, "grader_for", never_done)   # the forked worker inherits it
    grader = VariantGrader(course.spec, SECRET)
    [done] = grade_batch([course.subs / f"{COPIER}.json"], load_spec(course.spec), budget=1.0, grade_fn=grader)
    assert (done.result.status, done.result.error) == ("error", f"{COPIER}.json: timed out after 1s")


def test_the_gradescope_runner_uses_the_roster_id_column_of_the_handouts(course, tmp_path):
    roster = tmp_path / "canvas.csv"
    roster.write_text("Student,ID,SIS User ID\nStudent One,1001,s01\n")
    answers = answers_for(variant_spec(course.spec, "1001", SECRET))
    data = _autograder(tmp_path, course, "1001", answers, roster=roster, id_column="ID")
    assert data["score"] == data["max_score"]
