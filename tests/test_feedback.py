"""grader.feedback and the feedback a graded part carries: verdict, points, the expected answer as readable Unicode
maths, diagnoses in words (each said once), unreadable answers with a caret and no verdict (a person reads them),
withheld expected answers, Markdown for Gradescope; no internal name reaches a student."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy

from grader import ParseError
from grader.diagnose import Finding
from grader.feedback import (
    REVIEW_LINE,
    compose,
    describe,
    describe_all,
    markdown,
    missing,
    readable,
    review,
    unreadable,
    verdict,
    withhold,
)
from grader.grading import Grader, grader_for
from grader.parse import parse
from grader.result import NEEDS_REVIEW, PartResult
from grader.submission import load_submission
from symconv.latex import latex
from symconv.unicode import unicode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "submissions").iterdir())


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


def test_compose_lists_lines_diagnoses_and_expected_as_unicode():
    text = compose("1.1c", 2, 3, lines=["C_12: expected 92, got 91"], findings=[Finding("entry-slip", "C_12")],
                   expected_latex=r"\frac{\partial E}{\partial A_{24}}")
    assert text.splitlines() == ["1.1c: partly correct (2/3).", "- C₁₂: expected 92, got 91",
                                 "- " + describe(Finding("entry-slip", "C_12")), "Expected: ∂E/∂A₂₄"]
    assert describe(Finding("entry-slip", "C_12")).endswith("(C₁₂).")
    assert "Expected" not in compose("1.1c", 3, 3, expected_latex="E")


def test_an_expected_matrix_is_aligned_rows_below_the_label():
    text = compose("1.1c", 0, 3, expected_latex=latex(sympy.Matrix([[109, 92], [8, 85]])))
    assert text.splitlines()[1:] == ["Expected:", "  [109  92]", "  [  8  85]"]


@pytest.mark.parametrize("findings, lines", [
    # the same mistake at two places: one sentence, both places
    ([Finding("entry-slip", "C_12"), Finding("entry-slip", "C_21")], ["entry-slip: exactly one entry is wrong: a slip "
                                                                      "(C₁₂; C₂₁)."]),
    # the very same finding twice: said once
    ([Finding("transposed"), Finding("transposed")], ["transposed: your answer is the transpose of the expected one."]),
    ([Finding("transposed"), Finding("entry-slip", "C_12")], ["transposed: your answer is the transpose of the "
                                                              "expected one.", "entry-slip: exactly one entry is "
                                                                               "wrong: a slip (C₁₂)."]),
])
def test_diagnoses_are_said_once_each(findings, lines):
    assert describe_all(findings) == lines
    text = compose("1.1c", 1, 3, findings=findings, lines=["x", "x"], notes=["n", "n"])
    assert text.count("- x") == 1 and text.count("Note: n") == 1


def test_unreadable_names_the_part_and_points_at_the_character():
    with pytest.raises(ParseError) as info:
        parse("(B11 + B12}")
    text = unreadable("1.1c", info.value)
    first, line, caret = text.splitlines()
    assert first.startswith("could not read your answer to 1.1c: unexpected '}' at column 11")
    assert caret.index("^") == line.index("}")


@pytest.mark.parametrize("text", [
    "could not read (A_{13}): unexpected '*'\n  B_{13} + * B_12\n            ^",
    "got \\frac{1}{2}\n  x_{1} \\frac\n  ^",
])
def test_readable_never_touches_the_lines_under_the_first(text):
    first, *rest = readable(text).split("\n")
    assert rest == text.split("\n")[1:] and "_{" not in first and "\\frac" not in first


def test_an_unreadable_part_needs_review_and_is_never_called_wrong(homework):
    result = homework.grade({"student": "t", "answers": {"1.1a": "3x3", "1.1b": r"\input{/etc/passwd}"}})
    parts = {p.part: p for p in result.parts}
    b = parts["1.1b"]
    assert (b.status, b.score, result.status) == (NEEDS_REVIEW, 0, "needs-review")
    assert b.feedback.startswith("1.1b: needs review (0/2 so far).\n- could not read your answer to 1.1b:")
    assert b.feedback.endswith(REVIEW_LINE)
    assert "incorrect" not in b.feedback and "wrong" not in b.feedback
    assert b.raw == r"\input{/etc/passwd}" and b.notes and b.notes[0].startswith("could not read")
    assert parts["1.1a"].score == 1.0 and parts["1.1c"].feedback == missing("1.1c")


def test_a_checker_fault_needs_review_and_costs_only_its_part(monkeypatch):
    grader = Grader(None)

    def broken(ref, part, answer):
        raise ZeroDivisionError

    monkeypatch.setitem(__import__("grader.checkers", fromlist=["CHECKERS"]).CHECKERS, "output-size-formula", broken)
    result = grader.grade({"student": "t", "answers": {"1.1a": "3x3", "1.1b": "I + 1"}})
    b = result.parts[1]
    assert b.status == NEEDS_REVIEW and "internal error: ZeroDivisionError" in b.feedback and REVIEW_LINE in b.feedback
    assert result.parts[0].score == 1.0


def test_review_text():
    assert review("1.1c", 3, "could not read it") == f"1.1c: needs review (0/3 so far).\n- could not read it\n- " \
                                                     f"{REVIEW_LINE}"


def test_expected_is_the_engines_latex_and_the_text_shows_it_as_unicode(homework):
    sol = homework.reference.solution
    got = graded_part(homework, "1.1c", [[0, 0, 0]] * 3)
    assert got.expected_latex == latex(sol.output)
    assert "Expected:\n" + "\n".join("  " + row for row in unicode(sol.output).split("\n")) in got.feedback
    assert "bmatrix" not in got.feedback


@pytest.mark.parametrize("hostile", [
    r"\input{/etc/passwd}",
    r"\write18{rm -rf /}",
    "__import__('os').system('true')",
    r"B_{11} } \end{document}",
])
def test_hostile_text_is_refused_and_never_reaches_latex(homework, hostile):
    got = graded_part(homework, "1.1b", hostile)
    assert got.status == NEEDS_REVIEW and got.score == 0
    assert got.given_latex == "" and got.expected_latex == ""
    assert got.raw == hostile  # kept for the person who reads it, and only shown escaped (see test_result_review)


def test_given_latex_is_reprinted_from_the_parsed_tree(homework):
    text = "floor((I + 2P - D(K-1) - 1)/S)+1"
    got = graded_part(homework, "1.1b", text)
    assert got.score == 2.0
    assert got.given_latex == latex(parse(text, "expr")) and got.given_latex != text


# --- withheld expected answers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, shown", [
    ("- C₁₂: expected 92, got 91", "- C₁₂: got 91, which is not right"),
    ("- A₁₃: expected B₁₁ + B₁₂, got B₁₁", "- A₁₃: got B₁₁, which is not right"),
    ("- flipped-kernel: you rotated the kernel", "- flipped-kernel: you rotated the kernel"),
    ("- max: nn.Foo is not the module for max pooling; expected nn.MaxPool2d",
     "- max: nn.Foo is not the module for max pooling"),
    ("- C₁₂ is wrong (expected 92)", "- C₁₂ is wrong"),
])
def test_withhold_keeps_what_was_given_and_drops_what_was_expected(line, shown):
    p = PartResult("1.1c", 1, 3, f"1.1c: partly correct (1/3).\n{line}\nExpected:\n  [1  2]\n  [3  4]\nNote: n",
                   expected_latex="X")
    out = withhold(p)
    assert out.feedback.split("\n") == ["1.1c: partly correct (1/3).", shown, "Note: n"]
    assert out.expected_latex == "" and p.expected_latex == "X"  # a copy


# --- Markdown for Gradescope ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, inert", [
    ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
    ("[click](javascript:alert(1))", r"\[click\](javascript:alert(1))"),
    ("**bold** _it_ `code`", r"\*\*bold\*\* \_it\_ \`code\`"),
    ("# heading", r"\# heading"),
])
def test_markdown_keeps_student_text_inert(text, inert):
    assert markdown(f"1.1b: x\n- {text}") == f"1.1b: x\n- {inert}"


def test_markdown_puts_carets_and_matrices_in_fences_a_backtick_cannot_close():
    text = "could not read it\n  ```B_{11}\n  ^\nExpected:\n  [1  2]"
    out = markdown(text)
    assert out.split("\n") == ["could not read it", "````text", "  ```B_{11}", "  ^", "````", "Expected:",
                               "```text", "  [1  2]", "```"]


# --- no internal names in anything a student reads --------------------------------------------------------------------

INTERNAL = ("WindowReduce", "Approach", "Derivative(", "Matrix([", "Symbol(", "Integer(", "Equation(", "Indexed",
            "\\operatorname", "Str(", "Tuple(", "Ellipsis_", "Partial(")
ODD = {
    "1.1a": ["3 \\times 4", "(3, 3)", "a 3x3 matrix", "4x4", "three by three", "3"],
    "1.1b": ["\\lfloor (I + 2P - K)/S \\rfloor + 1", "(I + 2P - K)/S + 1", "\\max(I, K)", "x^p_i", "1e-3",
             "I + 2P - D(K-1)", "\\frac{\\partial E}{\\partial A_{24}}", "\\lim_{p \\to \\infty} p"],
    "1.1c": [[[113, 87, 76], [101, 88, 70], [100, 76, 87]], "[[1, 2], [3, 4]]", [[109, 92], [108, 85]],
             "\\begin{bmatrix} B_{11} & 2 \\\\ 3 & 4 \\end{bmatrix}", "\\frac{\\partial E}{\\partial A_{24}}"],
    "1.1d": [{"A11": "B12", "A12": "\\frac{\\partial E}{\\partial C_{11}} \\frac{\\partial C_{11}}{\\partial A_{21}}",
              "A13": "\\max(B_{11}, 0)", "A14": "|B_{12}|", "A15": "[[1, 2]]"}, "B11"],
    "1.1d-matrix": [[[1, 2], [3, 4]], "\\max_{(i,j) \\in S} x_{ij}"],
    "1.2a": [{"max": "nn.MaxPool2D", "avg": "F.avg_pool2d", "lp": "nn.Foo"}, "MaxPool2d"],
    "1.2b": [{"max": "\\max_{(i', j') \\in S} x_{i'j'}", "avg": "\\frac{1}{4}\\sum x", "lp": "\\sum_{i=1}^{K} x_i"},
             {"max": "max(S)", "avg": "mean(S)", "lp": "(x11^p + x12^p)^(1/p)"}, "p"],
    "1.2c": ["1 2; 3 4", [[109, 92], [110, 85]], "\\begin{bmatrix}1\\end{bmatrix}"],
    "1.2d": [{"avg": "p = 2", "max": "N \\to \\infty"}, {"avg": "p \\to 1", "max": "k \\to \\infty"}, "p"],
}


def _student_texts(result) -> list[str]:
    from grader.feedback_pdf import feedback_tex
    from grader.outputs import feedback_md, results_json

    return [feedback_md(result), results_json(result), feedback_tex(result), *(p.feedback for p in result.parts)]


def test_no_internal_names_in_student_facing_text(homework):
    results = [homework.grade(load_submission(path)) for path in EXAMPLES]
    results += [homework.grade({"student": f"odd-{part}-{k}", "answers": {part: answer}})
                for part, answers in ODD.items() for k, answer in enumerate(answers)]
    leaks = [(r.student, name, text[max(0, text.find(name) - 60):text.find(name) + 40])
             for r in results for text in _student_texts(r) for name in INTERNAL if name in text]
    assert not leaks, leaks[:5]


def test_no_phrase_is_repeated_within_a_part(homework):
    results = [homework.grade(load_submission(path)) for path in EXAMPLES]
    results += [homework.grade({"student": "odd", "answers": {part: answers[0]}}) for part, answers in ODD.items()]
    for r in results:
        for p in r.parts:
            lines = [line for line in p.feedback.split("\n") if not line.startswith("  ")]
            assert len(lines) == len(set(lines)), (r.student, p.part, p.feedback)


def test_results_json_uses_markdown_and_keeps_the_maths_readable(homework):
    from grader.outputs import results_json

    data = json.loads(results_json(homework.grade({"student": "t", "answers": {"1.1b": "I + 1"}})))
    assert data["output_format"] == "md" and {t["output_format"] for t in data["tests"]} == {"md"}
    b = next(t for t in data["tests"] if t["name"] == "1.1b")
    assert "⌊(I + 2P − K)/S⌋ + 1" in b["output"] and "\\lfloor" not in b["output"]   # 1.1b: no dilation


@pytest.mark.parametrize("finding, text", [
    (Finding("dilation-missing", "D = 1"),
     "dilation-missing: your formula has no dilation D; it only holds for D = 1."),
    (Finding("entry-slip", "C_{12}"), "entry-slip: exactly one entry is wrong: a slip (C₁₂)."),
])
def test_a_detail_the_meaning_already_says_is_not_repeated(finding, text):
    assert describe(finding) == text


@pytest.mark.parametrize("part, answer, read_as", [
    ("1.1b", "(I+2P-K)/S+1", "(I + 2P − K)/S + 1"),
    ("1.1c", [[1, 2], [3, 4]], "[1  2]\n[3  4]"),
])
def test_what_the_grader_read_is_plain_unicode_text(homework, part, answer, read_as):
    assert graded_part(homework, part, answer).read_as == read_as
