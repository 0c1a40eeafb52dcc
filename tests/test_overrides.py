"""grader.overrides: a TA's scores and comments, validated, applied as a pure function, and shown as set by hand in
every output; ``symconv grade --overrides`` end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.batch import Graded
from grader.grading import grade
from grader.outputs import feedback_md, grades_csv, results_json, summary_md
from grader.overrides import OverrideError, apply_overrides, check, load_overrides
from grader.result import NEEDS_REVIEW, OK, REVIEW
from symconv import load_spec
from symconv.cli import main

SPEC = load_spec(None)


@pytest.fixture(scope="module")
def results():
    ada = grade(None, {"student": "ada", "answers": {"1.1a": "3x3", "1.1b": r"\input{x}", "1.1c": [[1, 2], [3, 4]]}})
    bob = grade(None, {"student": "bob", "answers": {"1.1a": "4x4"}})
    assert ada.status == REVIEW and bob.status == OK
    return [ada, bob]


def part(result, pid):
    return next(p for p in result.parts if p.part == pid)


def test_a_score_by_hand_settles_a_part_that_needed_review(results):
    ada, bob = apply_overrides(results, {"ada": {"1.1B": {"score": 1.5, "comment": "right on paper"}}})
    b = part(ada, "1.1b")
    assert (b.score, b.by_hand, b.auto_score, b.comment, b.status) == (1.5, True, 0.0, "right on paper", "graded")
    assert ada.status == OK and ada.score == part(results[0], "1.1a").score + 1.5
    assert b.feedback.startswith("Set by hand by the course staff: 1.5/2. Comment: right on paper\n")
    assert "What the grader said before:" in b.feedback  # the TA's verdict comes first, the grader's words after
    assert bob is results[1]  # untouched results are passed through


def test_applying_is_pure_and_reproducible(results):
    before = [r.to_dict() for r in results]
    overrides = {"bob": {"1.1a": {"score": 1}}, "ada": {"Q1.1c": {"score": 2, "comment": "x"}}}
    once = [r.to_dict() for r in apply_overrides(results, overrides)]
    assert [r.to_dict() for r in results] == before
    assert [r.to_dict() for r in apply_overrides(results, overrides)] == once


def test_a_comment_alone_keeps_the_score_and_the_review(results):
    [ada, _] = apply_overrides(results, {"ada": {"1.1b": {"comment": "will look on Monday"}}})
    b = part(ada, "1.1b")
    assert (b.score, b.by_hand, b.status, ada.status) == (0.0, False, NEEDS_REVIEW, REVIEW)
    assert b.feedback.endswith("Comment from the course staff: will look on Monday")


@pytest.mark.parametrize("overrides, message", [
    ({"adda": {"1.1a": {"score": 1}}}, "no student 'adda' among the graded submissions; did you mean 'ada'?"),
    ({"zed": {"1.1a": {"score": 1}}}, "no student 'zed' among the graded submissions"),
    ({"ada": {"1.1cc": {"score": 1}}}, "ada: no part '1.1cc'; did you mean '1.1c'?"),
    ({"ada": {"1.1c": {"score": 3.5}}}, "ada, part 1.1c: score 3.5 is outside [0, 3]"),
    ({"ada": {"1.1c": {"score": -1}}}, "ada, part 1.1c: score -1 is outside [0, 3]"),
    ({"ada": {"1.1c": {"score": "full"}}}, "ada, part 1.1c: score must be a number, got 'full'"),
    ({"ada": {"1.1c": {"score": float("nan")}}}, "ada, part 1.1c: score must be a number, got nan"),
    ({"ada": {"1.1c": {"score": True}}}, "ada, part 1.1c: score must be a number, got True"),
    ({"ada": {"1.1c": {"points": 3}}}, "ada, part 1.1c: unknown key 'points' (known: score, comment)"),
    ({"ada": {"1.1c": {"comment": 3}}}, "ada, part 1.1c: comment must be text"),
    ({"ada": {"1.1c": {}}}, "ada, part 1.1c: expected {score: ..., comment: ...}"),
    ({"ada": ["1.1c"]}, "ada: must map part ids to {score: ..., comment: ...}"),
    ({"ada": {"1.1c": {"score": 1}, "1.1 (C)": {"score": 2}}}, "ada: part 1.1c is given twice"),
    ([1, 2], "the top level must map student ids to parts"),
])
def test_invalid_overrides_are_one_line_errors(results, overrides, message):
    with pytest.raises(OverrideError) as info:
        apply_overrides(results, overrides)
    assert str(info.value) == f"overrides: {message}" and "\n" not in str(info.value)


@pytest.mark.parametrize("score", [0, 3, 2.5])
def test_scores_within_the_range_are_accepted(results, score):
    [ada, _] = apply_overrides(results, {"ada": {"1.1c": {"score": score}}})
    assert part(ada, "1.1c").score == score


def test_a_bare_number_is_a_score():
    assert check({"ada": {"1.1c": 2}}) == {"ada": {"1.1c": {"score": 2.0}}}


@pytest.mark.parametrize("text, message", [
    ("ada: [", "o.yaml: not valid YAML"),
    ("ada: {1.1c: {score: 9}}\n", None),
    ("- 1\n", "o.yaml: the top level must map student ids to parts"),
])
def test_load_overrides(tmp_path, text, message):
    path = tmp_path / "o.yaml"
    path.write_text(text)
    if message is None:
        assert load_overrides(path) == {"ada": {"1.1c": {"score": 9.0}}}  # the range is checked when applied
        return
    with pytest.raises(OverrideError, match=message.replace(".", r"\.")):
        load_overrides(path)


def test_every_output_says_which_scores_were_set_by_hand(results):
    done = apply_overrides(results, {"ada": {"1.1b": {"score": 2, "comment": "ok <b>*"}}})
    graded = [Graded(r.student, r) for r in done]
    row = next(csv.DictReader(grades_csv(graded, SPEC).splitlines()))
    assert row["student"] == "ada" and row["status"] == "ok" and row["reason"] == "set by hand: 1.1b"
    md = feedback_md(done[0])
    assert "| 1.1b | 2 (by hand) | 2 |" in md and "Set by hand by the course staff: 2/2. Comment: ok <b>*" in md
    data = json.loads(results_json(done[0]))
    b = next(t for t in data["tests"] if t["name"] == "1.1b")
    assert "set-by-hand" in b["tags"] and "Set by hand by the course staff: 2/2. Comment: ok \\<b\\>\\*" in b["output"]
    summary = summary_md(graded, SPEC)
    assert "## Scores set by hand" in summary and "| ada | 1.1b | 2 | 0 | ok \\<b\\>\\* |" in summary


def test_cli_overrides_end_to_end(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ada.json").write_text(json.dumps({"answers": {"1.1a": "3x3", "1.1b": r"\input{x}"}}))
    overrides = tmp_path / "o.yaml"
    out = tmp_path / "out"
    assert main(["grade", str(subs), "--out", str(out), "--jobs", "1"]) == 3  # 1.1b waits for a person
    overrides.write_text('ada: {"1.1 b": {score: 2, comment: "fine"}}\n')
    assert main(["grade", str(subs), "--out", str(out), "--jobs", "1", "--overrides", str(overrides)]) == 0
    first = (out / "grades.csv").read_text()
    row = next(csv.DictReader(first.splitlines()))
    assert (row["1.1b"], row["status"], row["reason"]) == ("2", "ok", "set by hand: 1.1b")
    assert main(["grade", str(subs), "--out", str(out), "--jobs", "1", "--overrides", str(overrides)]) == 0
    assert (out / "grades.csv").read_text() == first  # reproducible
    overrides.write_text('ada: {"1.1b": {score: 5}}\n')
    capsys.readouterr()
    assert main(["grade", str(subs), "--out", str(tmp_path / "o2"), "--jobs", "1", "--overrides",
                 str(overrides)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: o.yaml: ada, part 1.1b: score 5 is outside [0, 2]"
    assert not (tmp_path / "o2" / "grades.csv").exists()  # nothing written with a bad overrides file


def test_cli_without_overrides_is_unchanged(tmp_path):
    path = Path(tmp_path / "ada.json")
    path.write_text(json.dumps({"answers": {"1.1a": "3x3"}}))
    assert main(["grade", str(path), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
