"""grade(spec, submission): every accepted notation scores full marks, one slip loses exactly its entry, the
example submissions grade as described, and the reference is derived once per spec."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import sympy
import yaml

from grader import Grader, GraderError, Result, grade
from grader.diagnose import cost
from grader.grading import grader_for
from grader.result import NEEDS_REVIEW
from symconv.latex import latex
from symconv.spec import DEFAULT_SPEC

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "submissions"


def load(path: Path) -> dict:
    text = path.read_text()
    return {".yaml": yaml.safe_load, ".json": json.loads, ".toml": tomllib.loads}[path.suffix](text)


@pytest.fixture(scope="module")
def homework() -> Grader:
    return grader_for(None)


@pytest.fixture(scope="module")
def sol(homework):
    return homework.reference.solution


def score(grader, part_id, answer) -> float:
    result = grader.grade({"answers": {part_id: answer}})
    return next(p.score for p in result.parts if p.part == part_id)


@pytest.mark.parametrize("answer", ["3 \\times 3", "3x3", "3 x 3", "[3, 3]", "(3, 3)", [3, 3], "$3 \\times 3$"])
def test_size_notations(homework, answer):
    assert score(homework, "1.1a", answer) == 1.0


@pytest.fixture(scope="module")
def with_dilation() -> Grader:
    """The homework with its formula question asking about dilation too (``dilation: true`` on 1.1b)."""
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data["problems"][0]["parts"][1]["dilation"] = True
    return grader_for(data)


@pytest.mark.parametrize("answer", [
    r"O = \frac{I-K+2P}{S} + 1",                      # no dilation, no floor: diagnosed, not accepted
    "floor((I-K+2P)/S)+1",                            # no dilation: diagnosed
])
def test_formula_variants_are_diagnosed(with_dilation, answer):
    result = with_dilation.grade({"answers": {"1.1b": answer}}).parts[1]
    assert "dilation-missing" in result.diagnoses and result.score < 2


@pytest.mark.parametrize("answer", [
    r"\left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 1",
    r"O = \lfloor \frac{I + 2P - D \cdot (K - 1) - 1}{S} \rfloor + 1",
    "floor((I + 2*P - D*(K-1) - 1)/S) + 1",
    "floor((i + 2p - d(k-1) - 1)/s) + 1",
    r"\left\lfloor \frac{I_{in} + 2P - D(K-1) - 1}{S} \right\rfloor + 1",
])
def test_formula_notations(homework, answer):
    assert score(homework, "1.1b", answer) == 2.0


def _env(m, env: str) -> str:
    body = r" \\ ".join(" & ".join(str(x) for x in r) for r in m.tolist())
    head = {"array": r"\begin{array}{ccc}", "tabular": r"\begin{tabular}{|c|c|c|} \hline"}.get(env, rf"\begin{{{env}}}")
    return f"{head} {body} \\end{{{env}}}"


@pytest.mark.parametrize("notation", ["lists", "list-text", "bmatrix", "pmatrix", "vmatrix", "array", "tabular",
                                      "plain-rows", "plain-lines", "strings"])
def test_matrix_notations(homework, sol, notation):
    m = sol.output
    answer = {
        "lists": [[int(x) for x in r] for r in m.tolist()],
        "list-text": str([[int(x) for x in r] for r in m.tolist()]),
        "bmatrix": _env(m, "bmatrix"), "pmatrix": _env(m, "pmatrix"), "vmatrix": _env(m, "vmatrix"),
        "array": _env(m, "array"), "tabular": _env(m, "tabular"),
        "plain-rows": "; ".join(" ".join(str(x) for x in r) for r in m.tolist()),
        "plain-lines": "\n".join(", ".join(str(x) for x in r) for r in m.tolist()),
        "strings": [[str(x) for x in r] for r in m.tolist()],
    }[notation]
    assert score(homework, "1.1c", answer) == 3.0


def test_fractions_and_decimals_within_tolerance(homework, sol):
    exact = [[str(x) for x in r] for r in sol.pooled_avg.tolist()]
    decimals = [[float(x) for x in r] for r in sol.pooled_avg.tolist()]
    spec = yaml.safe_load(DEFAULT_SPEC.read_text())
    spec["problems"][1]["parts"].append({"id": "1.2e", "task": "avg-pool", "points": 1})
    g = Grader(spec)
    assert score(g, "1.2e", exact) == 1.0 and score(g, "1.2e", decimals) == 1.0
    assert score(g, "1.2e", [[round(x, 1) for x in r] for r in decimals]) < 1.0


@pytest.mark.parametrize("style", ["sum", "latex-sum", "chain", "aligned", "tagged", "list"])
def test_chain_rule_notations(homework, sol, style):
    def text(rule):
        chain = rule.to_latex()
        return {"sum": " + ".join(str(t).replace("_", "") for t in sympy.Add.make_args(rule.total)),
                "latex-sum": latex(rule.total), "chain": chain,
                "aligned": r"\begin{aligned} " + chain.replace(" = ", r" &= ", 1).replace(" = ", r" \\ &= ")
                           + r" \end{aligned}",
                "tagged": chain + r" \quad (7)", "list": chain}[style]
    if style == "list":
        answer = [text(rule) for rule in sol.chain.values()]
    else:
        answer = {f"A_{{{i}{j}}}" if (i + j) % 2 else f"A{i}{j}": text(rule) for (i, j), rule in sol.chain.items()}
    result = homework.grade({"answers": {"1.1d": answer}}).parts[3]
    assert result.score == 5.0, result.feedback


@pytest.mark.parametrize("name", ["perfect-plain.yaml", "perfect-latex.json"])
def test_perfect_examples_score_full_marks(name):
    result = grade(None, load(EXAMPLES / name))
    assert isinstance(result, Result)
    assert result.score == result.max_score == 21.5, [p.feedback for p in result.parts if p.score < p.max_score]
    assert [c for c in result.diagnoses if cost(grader_for(None).spec, c) > 0] == []   # teaching notes only


def test_one_slip_loses_exactly_that_entry():
    sub = load(EXAMPLES / "one-slip.toml")
    result = grade(None, sub)
    c = next(p for p in result.parts if p.part == "1.1c")
    assert c.score == pytest.approx(3 - 3 / 9) and c.diagnoses == ["entry-slip"]
    assert result.score == pytest.approx(21.5 - 3 / 9, abs=1e-6)


@pytest.mark.parametrize("name, codes", [
    ("flipped-kernel.yaml", {"flipped-kernel", "unflipped-kernel-in-gradient"}),
    ("chain-mistakes.json", {"chain-rule-extra-term", "chain-rule-missing-term", "chain-rule-wrong-variable"}),
    ("unreadable.toml", set()),
])
def test_example_mistakes_are_diagnosed(name, codes):
    result = grade(None, load(EXAMPLES / name))
    assert {c for c in result.diagnoses if cost(grader_for(None).spec, c) > 0} == codes
    assert result.score < result.max_score


def test_unreadable_example_keeps_grading():
    result = grade(None, load(EXAMPLES / "unreadable.toml"))
    parts = {p.part: p for p in result.parts}
    assert parts["1.1b"].status == NEEDS_REVIEW and parts["1.1b"].score == 0
    assert parts["1.1a"].score == 1.0 and parts["1.2c"].score == 2.0
    # one unreadable entry goes to a person and costs that entry only; the part waits for review
    assert "could not read your answer to 1.1d (A" in parts["1.1d"].feedback and "B13 + * B12" in parts["1.1d"].feedback
    assert parts["1.1d"].score == pytest.approx(5 - 5 / 25) and parts["1.1d"].status == NEEDS_REVIEW
    assert parts["1.2b"].status == NEEDS_REVIEW and parts["1.2b"].score == 2.0   # lp unreadable, max and avg right
    assert result.status == NEEDS_REVIEW


def test_spec_as_path_object_or_none_share_one_reference(homework):
    assert grader_for(None) is homework
    assert grader_for(DEFAULT_SPEC) is grader_for(str(DEFAULT_SPEC))
    assert grader_for(homework.spec) is grader_for(homework.spec)


def test_grading_is_deterministic(homework):
    sub = load(EXAMPLES / "chain-mistakes.json")
    a, b = Grader(None).grade(sub), homework.grade(sub)
    assert [(p.score, p.feedback, p.diagnoses) for p in a.parts] == [(p.score, p.feedback, p.diagnoses)
                                                                      for p in b.parts]


def test_every_spec_part_is_listed_and_student_defaults(homework):
    result = homework.grade({"answers": {}})
    assert [p.part for p in result.parts] == [p.id for p in homework.spec.parts]
    assert result.score == 0 and result.max_score == homework.spec.max_score
    assert result.student == "student"


def test_bad_submissions_are_typed_errors(homework):
    with pytest.raises(GraderError):
        homework.grade({"student": "x"})
    with pytest.raises(GraderError):
        homework.grade({"answers": ["not", "a", "mapping"]})


def test_submission_paths_go_through_the_loader():
    result = grade(None, EXAMPLES / "perfect-plain.yaml")
    assert result.student == "perfect-plain" and result.score == 21.5


def test_sympy_values_from_the_python_api_are_graded_like_numbers():
    """A notebook grades the engine's own objects: a SymPy Matrix, or lists of SymPy Integers."""
    from symconv import derive_solution

    sol = derive_solution()
    result = grade(None, {"student": "nb", "answers": {"1.1c": sol.output, "1.1d-matrix": sol.grad_input.tolist()}})
    assert [(p.score, p.status) for p in result.parts if p.part in ("1.1c", "1.1d-matrix")] == \
        [(3.0, "graded"), (2.0, "graded")]
    wrong = grade(None, {"student": "nb", "answers": {"1.1c": sol.output.T}}).parts[2]
    assert wrong.diagnoses == ["transposed"] and wrong.score < 3
