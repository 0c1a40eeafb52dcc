"""A number in front of a matrix (``\\frac{1}{9}\\begin{bmatrix}...``), as the solution documents write a matrix of
fractions: read as the product, graded like the matrix written out; anything else in front is not read this way."""

from __future__ import annotations

import pytest

from grader import grade
from symconv import derive_solution
from symconv.spec import TEMPLATES

SPEC = TEMPLATES / "pool-gradients-overlap.yaml"
NINTHS = derive_solution(SPEC).spec.part("1b")


def _ints(factor: int) -> list[list[int]]:
    from symconv.tasks import task

    sol = derive_solution(SPEC)
    return [[int(x * factor) for x in row] for row in task("avg-pool-gradient").reference(sol).tolist()]


def _bmatrix(rows: list[list[int]]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(map(str, r)) for r in rows) + r"\end{bmatrix}"


def _graded(answer: str):
    return next(p for p in grade(SPEC, {"student": "s", "answers": {"1b": answer}}).parts if p.part == "1b")


@pytest.mark.parametrize("template", [
    r"\frac{1}{9}{m}", r"\frac19 {m}", r"\tfrac{1}{9} \cdot {m}", r"$\dfrac{1}{9}{m}$",
    r"\frac{\partial E}{\partial X} = \frac{1}{9}{m}", "1/9 * {m}",
])
def test_a_factored_right_answer_gets_full_marks(template):
    result = _graded(template.replace("{m}", _bmatrix(_ints(9))))
    assert result.score == result.max_score, result.feedback


@pytest.mark.parametrize(("template", "verdict"), [
    (r"\frac{1}{8}{m}", "wrong"),              # the wrong factor: every entry is off
    (r"\frac{1}{9}{m}", "wrong-entries"),      # 1/9 of 9x the answer: the gradient not divided, diagnosed
    (r"N^{-1}{m}", "review"),                  # a symbol in front is not read as a factor
])
def test_a_wrong_factor_or_matrix_gets_no_credit(template, verdict):
    rows = _ints(9) if verdict != "wrong-entries" else [[x * 9 for x in r] for r in _ints(9)]
    result = _graded(template.replace("{m}", _bmatrix(rows)))
    if verdict == "review":
        assert result.status == "needs-review" and result.score == 0
    elif verdict == "wrong-entries":
        assert "pool-avg-not-divided" in result.diagnoses and result.score < result.max_score
    else:
        assert result.score < result.max_score / 2
