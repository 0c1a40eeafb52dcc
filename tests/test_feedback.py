"""grader.feedback and the feedback a graded part carries: verdict, points, expected LaTeX from the engine,
diagnoses in words, unreadable answers with a caret; the student's raw text never reaches a LaTeX field."""

from __future__ import annotations

import pytest

from grader import ParseError, parse
from grader.diagnose import Finding
from grader.feedback import compose, describe, missing, unreadable, verdict
from grader.grade import grader_for
from symconv import latex


@pytest.fixture(scope="module")
def homework():
    return grader_for(None)


def graded_part(grader, part_id, answer):
    result = grader.grade({"student": "t", "answers": {part_id: answer}})
    return next(p for p in result.parts if p.part == part_id)


@pytest.mark.parametrize("score, verdict_word", [(3, "correct"), (1.5, "partly correct"), (0, "incorrect")])
def test_verdict(score, verdict_word):
    assert verdict(score, 3) == verdict_word
    assert compose("1.1c", score, 3).startswith(f"1.1c: {verdict_word} (")


def test_compose_lists_lines_diagnoses_and_expected():
    text = compose("1.1c", 2, 3, lines=["C_12: expected 92, got 91"], findings=[Finding("entry-slip", "C_12")],
                   expected_latex="E")
    assert text.splitlines() == ["1.1c: partly correct (2/3).", "- C_12: expected 92, got 91",
                                 "- " + describe(Finding("entry-slip", "C_12")), "Expected: E"]
    assert "Expected" not in compose("1.1c", 3, 3, expected_latex="E")


def test_unreadable_names_the_part_and_points_at_the_character():
    with pytest.raises(ParseError) as info:
        parse("(B11 + B12}")
    text = unreadable("1.1c", info.value)
    first, line, caret = text.splitlines()
    assert first.startswith("could not read your answer to 1.1c: unexpected '}' at column 11")
    assert caret.index("^") == line.index("}")


def test_unreadable_part_scores_zero_and_grading_goes_on(homework):
    result = homework.grade({"student": "t", "answers": {"1.1a": "3x3", "1.1c": "[[1, 2], [3, 4}"}})
    parts = {p.part: p for p in result.parts}
    assert parts["1.1c"].status == "unreadable" and parts["1.1c"].score == 0
    assert parts["1.1c"].feedback.startswith("could not read your answer to 1.1c:")
    assert parts["1.1a"].score == 1.0
    assert parts["1.1b"].feedback == missing("1.1b")


def test_expected_is_the_engines_latex(homework):
    sol = homework.reference.solution
    got = graded_part(homework, "1.1c", [[0, 0, 0]] * 3)
    assert got.expected_latex == latex(sol.output)
    assert f"Expected: {latex(sol.output)}" in got.feedback


@pytest.mark.parametrize("hostile", [
    r"\input{/etc/passwd}",
    r"\write18{rm -rf /}",
    "__import__('os').system('true')",
    r"B_{11} } \end{document}",
])
def test_hostile_text_is_refused_and_never_reaches_latex(homework, hostile):
    got = graded_part(homework, "1.1b", hostile)
    assert got.status == "unreadable" and got.score == 0
    assert got.given_latex == "" and got.expected_latex == ""


def test_given_latex_is_reprinted_from_the_parsed_tree(homework):
    text = "floor((I + 2P - D(K-1) - 1)/S)+1"
    got = graded_part(homework, "1.1b", text)
    assert got.score == 2.0
    assert got.given_latex == latex(parse(text, "expr")) and got.given_latex != text
