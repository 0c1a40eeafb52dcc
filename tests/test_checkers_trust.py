"""Issue 9, the checkers' share: no false credit, no silent misread, the chain rule as people write it, a person for
what cannot be read. Each case has its right and its wrong variants side by side, so loosening a check fails here."""

from __future__ import annotations

import copy

import pytest
import sympy
import yaml

from grader import Grader
from grader.checkers import values
from grader.compare import polynomial_identity, same_value, seeded_points
from grader.diagnose import DEFAULT_COST, cost
from grader.grading import grader_for
from grader.parse import Reading
from grader.result import GRADED, NEEDS_REVIEW
from symconv.latex import latex
from symconv.spec import DEFAULT_SPEC, load_spec

B11, B12 = sympy.symbols("B_11 B_12", real=True)
GOOD_FORMULAS = {"max": r"\max_{(p,q) \in S} x_{pq}", "avg": r"\frac{1}{N} \sum_{x \in S} x",
                 "lp": r"\left(\sum_{x \in S} x^p\right)^{1/p}"}
GOOD_LIMITS = {"avg": "p = 1", "max": r"p \to \infty"}


@pytest.fixture(scope="module")
def homework() -> Grader:
    return grader_for(None)


def part(grader: Grader, part_id: str, answer):
    result = grader.grade({"answers": {part_id: answer}})
    return next(p for p in result.parts if p.part == part_id)


def chain_answers(grader: Grader, **replace: str) -> dict:
    """Every entry answered with the engine's own sum, some replaced (keys like A24)."""
    sol = grader.reference.solution
    answers = {f"A_{{{i}{j}}}": latex(rule.total) for (i, j), rule in sol.chain.items()}
    for key, text in replace.items():
        answers[f"A_{{{key[1:]}}}"] = text
    return answers


# ---- equivalence: canonical form, then course-seeded signed points --------------------------------------------
@pytest.mark.parametrize("given, same", [
    (sympy.Abs(B12), False), (sympy.Max(B12, 0), False), (sympy.sqrt(B12 ** 2), False),
    (B12 ** 2 / B12, True), (B12 + 0 * B11, True), (B12 * (1 + B11) - B11 * B12, True), (B12 ** 3, False),
])
def test_tricks_that_agree_on_positive_points_fail(given, same):
    assert same_value(given, B12, seed="course:1.1d") is same


def test_points_are_signed_with_zeros_and_follow_the_seed():
    pts = seeded_points(["x", "y"], seed="s")
    xs = [pt["x"] for pt in pts]
    assert any(v < 0 for v in xs) and any(v > 0 for v in xs)
    assert any(pt[n] == 0 for pt in seeded_points([f"v{k}" for k in range(8)], seed="s") for n in pt)
    assert pts == seeded_points(["y", "x"], seed="s") and pts != seeded_points(["x", "y"], seed="t")


@pytest.mark.parametrize("a, b, verdict", [
    (2 * (B11 + B12), 2 * B11 + 2 * B12, True),
    (B11 + B12, B11 + B12 + sympy.Rational(1, 10**12), False),   # exact: no tolerance hides a term
    (B11 ** 2, B11, False),
    (sympy.Abs(B11), B11, None),                                # not a polynomial: evaluation decides
])
def test_polynomial_identity_is_exact(a, b, verdict):
    assert polynomial_identity(a, b) is verdict


def test_course_seed_from_the_spec_or_its_content(tmp_path):
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    plain = Grader(copy.deepcopy(data)).reference
    assert plain.seed == Grader(copy.deepcopy(data)).reference.seed   # the same spec, the same points
    data["grading"]["seed"] = "secret-42"
    assert Grader(copy.deepcopy(data)).reference.seed == "secret-42"
    (tmp_path / "seed.txt").write_text("from-a-file\n")
    del data["grading"]["seed"]
    data["grading"]["seed_file"] = "seed.txt"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_spec(path).seed == "from-a-file"
    assert plain.seed_for("1.1d") != plain.seed_for("1.2b")


# ---- 1.2d: limits check the variable and the direction --------------------------------------------------------
@pytest.mark.parametrize("max_answer, score, status", [
    (r"p \to \infty", 2.0, GRADED),
    (r"\lim_{p \to \infty} \left( \sum_{(u,v) \in S} x_{uv}^p \right)^{1/p} = \max_{(u,v) \in S} x_{uv}", 2.0,
     GRADED),
    (r"N \to \infty", 1.0, GRADED),
    (r"k \to \infty", 1.0, GRADED),
    (r"\lim_{N \to \infty} \left( \sum_{(u,v) \in S} x_{uv}^p \right)^{1/p} = \max_{(u,v) \in S} x_{uv}", 1.0,
     GRADED),
    (r"p \to -\infty", 1.0, GRADED),
    ("p = 50", 1.0, GRADED),
    (r"p \geq 1", 1.0, GRADED),
    (r"p \geq \infty", 1.0, NEEDS_REVIEW),
])
def test_limits(homework, max_answer, score, status):
    got = part(homework, "1.2d", {**GOOD_LIMITS, "max": max_answer})
    assert (got.score, got.status) == (score, status), got.feedback


# ---- 1.2b: bounds are instantiated, the window size is not hard-coded, p = 50 is not max -----------------------
@pytest.mark.parametrize("kind, formula, lost, codes", [
    ("avg", r"\frac{1}{K^2} \sum_{p=1}^{K} \sum_{q=1}^{K} x_{pq}", 0, []),
    ("avg", r"\frac{1}{K^2} \sum_{i=1}^{K} x_i", 1, []),                    # K terms, not one per cell
    ("avg", r"\frac{1}{K} \sum_{i=1}^{K} x_i", 1, []),
    ("avg", r"\frac{1}{4} \sum_{x \in S} x", 0.5, ["hard-coded-window-size"]),
    ("avg", r"\frac{1}{|S|} \sum_{x \in S} x", 0, []),
    ("avg", r"\frac{1}{K + K} \sum_{p=1}^{K} \sum_{q=1}^{K} x_{pq}", 1, []),  # right here by coincidence only
    ("max", r"\max_{(p,q) \in S} x_{pq}", 0, []),
    ("max", r"\left(\sum_{x \in S} x^{50}\right)^{1/50}", 1, []),          # LP at p = 50 is not max pooling
    ("max", r"\left(\sum_{x \in S} x^{51}\right)^{1/51}", 1, []),
    ("max", r"\lim_{p \to \infty} \left(\sum_{x \in S} x^p\right)^{1/p}", 0, []),
    ("lp", "(x11^p + x12^p + x21^p + x22^p)^(1/p)", 0.5, ["hard-coded-window-size"]),
])
def test_pooling_formulas(homework, kind, formula, lost, codes):
    got = part(homework, "1.2b", {**GOOD_FORMULAS, kind: formula})
    assert got.score == pytest.approx(3 - lost), got.feedback
    assert got.diagnoses == codes


# ---- 1.1d: the chain rule as people write it ------------------------------------------------------------------
@pytest.mark.parametrize("key, text, lost, codes", [
    # bounded sums over kernel entries are written out, never an entry-slip
    ("A33", r"\sum_{m=1}^{3}\sum_{n=1}^{3} B_{mn}", 0, []),
    ("A11", r"\sum_{m=1}^{3}\sum_{n=1}^{3} B_{mn}", 1, ["entry-slip"]),
    # factors in either order, the local derivative given as its value
    ("A12", r"\frac{\partial E}{\partial A_{12}} = \frac{\partial E}{\partial C_{11}} B_{12} + B_{11} "
            r"\frac{\partial E}{\partial C_{12}} = B_{11} + B_{12}", 0, []),
    ("A12", r"\frac{\partial E}{\partial A_{12}} = \frac{\partial C_{11}}{\partial A_{12}} "
            r"\frac{\partial E}{\partial C_{11}} + \frac{\partial C_{12}}{\partial A_{12}} "
            r"\frac{\partial E}{\partial C_{12}} = B_{11} + B_{12}", 0, []),
    ("A12", r"\frac{\partial E}{\partial A_{12}} = \frac{\partial E}{\partial C_{11}} "
            r"\frac{\partial C_{11}}{\partial A_{21}} + \frac{\partial E}{\partial C_{12}} "
            r"\frac{\partial C_{12}}{\partial A_{12}} = B_{11} + B_{12}", 0.25, ["chain-rule-wrong-variable"]),
    # the loss by any name, the upstream written as a derivative
    ("A12", r"\frac{\partial L}{\partial C_{11}} B_{12} + \frac{\partial L}{\partial C_{12}} B_{11}", 0, []),
    ("A12", r"\frac{\partial \mathcal{L}}{\partial C_{11}} B_{12} + \frac{\partial \mathcal{L}}{\partial C_{12}} "
            r"B_{11}", 0, []),
    ("A12", r"\frac{\partial J}{\partial C_{11}} B_{12} + \frac{\partial J}{\partial C_{12}} B_{12}", 1,
     ["entry-slip"]),
    # lower-case kernel names (nothing is called b); an unknown name goes to a person
    ("A12", "b_{11} + b_{12}", 0, []),
    ("A12", "b_{11} + b_{21}", 1, ["entry-slip"]),
])
def test_chain_notations(homework, key, text, lost, codes):
    got = part(homework, "1.1d", chain_answers(homework, **{key: text}))
    assert got.score == pytest.approx(5 - 0.2 * lost), got.feedback
    assert [c for c in got.diagnoses if cost(homework.spec, c) > 0] == codes


def test_a_sum_and_its_value_are_both_checked(homework):
    b = homework.spec.matrices["B"]
    total = b[0, 0] + b[0, 1]
    right = rf"\frac{{\partial E}}{{\partial A_{{12}}}} = B_{{11}} + B_{{12}} = {b[0, 0]} + {b[0, 1]} = {total}"
    got = part(homework, "1.1d", chain_answers(homework, A12=right))
    assert got.score == 5 and "not" not in got.feedback
    slipped = part(homework, "1.1d", chain_answers(homework, A12=right.rsplit("=", 1)[0] + f"= {total + 1}"))
    assert slipped.score == 5 and f"not {total + 1}" in slipped.feedback   # a wrong value: a note, not a zero


def test_a_full_sum_over_every_output_is_no_extra_term(homework):
    rows, cols = homework.reference.solution.output_shape
    terms = [rf"\frac{{\partial E}}{{\partial C_{{{u}{v}}}}} \frac{{\partial C_{{{u}{v}}}}}{{\partial A_{{11}}}}"
             for u in range(1, rows + 1) for v in range(1, cols + 1)]
    full = rf"\frac{{\partial E}}{{\partial A_{{11}}}} = {' + '.join(terms)} = B_{{11}}"
    assert part(homework, "1.1d", chain_answers(homework, A11=full)).diagnoses == []
    some = rf"\frac{{\partial E}}{{\partial A_{{11}}}} = {' + '.join(terms[:2])} = B_{{11}}"
    assert "chain-rule-extra-term" in part(homework, "1.1d", chain_answers(homework, A11=some)).diagnoses


def test_an_elided_chain_is_checked_for_the_terms_it_shows(homework):
    shown = (r"\frac{\partial E}{\partial A_{24}} = \frac{\partial E}{\partial C_{12}} "
             r"\frac{\partial C_{12}}{\partial A_{42}} + \dots = B_{12} + B_{13} + B_{22} + B_{23}")
    got = part(homework, "1.1d", chain_answers(homework, A24=shown))
    assert got.diagnoses == ["chain-rule-wrong-variable"]   # the shown term is wrong; nothing called missing
    fine = shown.replace("A_{42}", "A_{24}")
    assert part(homework, "1.1d", chain_answers(homework, A24=fine)).diagnoses == []


@pytest.mark.parametrize("text, status, score", [
    ("w_{11} + w_{12}", NEEDS_REVIEW, 4.8),              # names no matrix of the problem: a person decides
    ("B_{11} + * B_{12}", NEEDS_REVIEW, 4.8),            # unreadable: costs that entry only, pending review
    (r"B_{11} + \dots + B_{12}", NEEDS_REVIEW, 4.8),     # which entries the dots cover is for a person
    ("B_{11} + B_{12}", GRADED, 5.0),
])
def test_entries_a_person_must_read(homework, text, status, score):
    got = part(homework, "1.1d", chain_answers(homework, A12=text))
    assert (got.status, got.score) == (status, score), got.feedback
    if status == NEEDS_REVIEW:
        assert "incorrect" not in got.feedback and "a person will read" in got.feedback


def test_chain_rule_not_shown_costs_what_the_rubric_says():
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    sums = chain_answers(grader_for(None))
    free = part(Grader(copy.deepcopy(data)), "1.1d", sums)
    assert free.score == 5 and free.diagnoses == ["chain-rule-not-shown"]
    assert "Note: you gave the final sums" in free.feedback and "- chain-rule-not-shown" not in free.feedback
    data["grading"]["rubric"]["chain-rule-not-shown"] = 0.4
    strict = Grader(copy.deepcopy(data))
    assert part(strict, "1.1d", sums).score == pytest.approx(3.0)
    shown = {k: rule.to_latex() for k, rule in zip(sums, strict.reference.solution.chain.values())}
    assert part(strict, "1.1d", shown).score == 5 and part(strict, "1.1d", shown).diagnoses == []


def test_default_costs_are_explicit():
    spec = load_spec(None)
    assert cost(spec, "a-code-no-rubric-lists") == DEFAULT_COST == 1.0
    assert cost(spec, "chain-rule-not-shown") == 0.0 and cost(spec, "hard-coded-window-size") == 0.5


# ---- 1.1a: a size named for another matrix ---------------------------------------------------------------------
@pytest.mark.parametrize("answer, score, noted", [
    (r"C \in \mathbb{R}^{3 \times 3}", 1.0, False),
    (r"B \in \mathbb{R}^{3 \times 3}", 1.0, True),    # right numbers, the kernel's name: a note
    (r"C \in \mathbb{R}^{4 \times 4}", 0.0, False),
])
def test_size_for_another_matrix_is_a_note(homework, answer, score, noted):
    got = part(homework, "1.1a", answer)
    assert got.score == score and ("size of B" in got.feedback) is noted


# ---- 1.1b: equations compared as relations ---------------------------------------------------------------------
@pytest.mark.parametrize("answer, score, status", [
    (r"O = \left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 1", 2.0, GRADED),
    (r"\left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 1 = 3", 2.0, GRADED),
    (r"\left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 2 = \left\lfloor \frac{I + 2P - D(K-1) - 1}{S} "
     r"\right\rfloor + 1", 0.0, NEEDS_REVIEW),
    (r"\left\lfloor \frac{5 + 0 - 2 - 1}{1} \right\rfloor + 1 = 3", 0.0, GRADED),
])
def test_formula_equations(homework, answer, score, status):
    got = part(homework, "1.1b", answer)
    assert (got.score, got.status) == (score, status), got.feedback


def test_a_wrong_value_after_the_formula_is_noted(homework):
    got = part(homework, "1.1b", r"\left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 1 = 4")
    assert got.score == 2 and "not 4" in got.feedback


# ---- a reading that is a guess goes to a person ------------------------------------------------------------------
def test_a_guessed_reading_is_never_graded(homework, monkeypatch):
    real = values.parse_reading

    def guessing(text, expect="auto", context=None):
        reading = real(text, expect, context)
        return Reading(reading.value, (*reading.notes, "read [..] as a floor"), guessed=True)

    values._read_cached.cache_clear()
    monkeypatch.setattr(values, "parse_reading", guessing)
    try:
        for part_id, answer in [("1.1b", "floor((I + 2P - D(K-1) - 1)/S) + 1"), ("1.1a", "3x3"),
                                ("1.2b", GOOD_FORMULAS), ("1.2d", GOOD_LIMITS), ("1.1c", "1 2 3; 4 5 6; 7 8 9")]:
            got = Grader(None).grade({"answers": {part_id: answer}}).parts
            got = next(p for p in got if p.part == part_id)
            assert got.status == NEEDS_REVIEW and got.score == 0, (part_id, got.feedback)
            assert "incorrect" not in got.feedback
    finally:
        values._read_cached.cache_clear()


# ---- feedback wording --------------------------------------------------------------------------------------------
def test_feedback_names_no_internals_and_says_nothing_on_right_answers(homework):
    internal = ("WindowReduce", "Approach", "Equation(", "Indexed", "Str(")
    answers = {"1.2b": {**GOOD_FORMULAS, "avg": r"\frac{1}{4} \sum_{x \in S} x"},
               "1.2d": {**GOOD_LIMITS, "max": r"N \to \infty"},
               "1.1d": chain_answers(homework, A12="b_{11} + b_{21}")}
    result = homework.grade({"answers": answers})
    for p in result.parts:
        assert not any(name in p.feedback for name in internal), p.feedback
    right = part(homework, "1.2b", {**GOOD_FORMULAS, "max": r"Y^k_{ij} = \max_{(p,q) \in S^k_{ij}} X^k_{pq}"})
    assert right.feedback.splitlines() == ["1.2b: correct (3/3)."]



# ---- one reason per mistake ---------------------------------------------------------------------------------------
def test_a_rounded_up_size_is_not_also_off_by_one():
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data["matrices"]["A"] = [[(3 * i + 5 * j) % 7 - 2 for j in range(6)] for i in range(6)]
    data["convolution"].update(stride=2, padding=1)
    strided = Grader(data)
    a, b, c = strided.spec.matrices["A"], strided.spec.matrices["B"], strided.spec.conv
    ceil = [-(-(a.shape[k] + 2 * c.padding[k] - b.shape[k]) // c.stride[k]) + 1 for k in (0, 1)]
    assert part(strided, "1.1a", f"{ceil[0]} x {ceil[1]}").diagnoses == ["ceil-instead-of-floor"]
    right = strided.reference.solution.output_shape
    assert part(strided, "1.1a", f"{right[0] + 1} x {right[1]}").diagnoses == ["output-size-off-by-one"]


# ---- one text for every entry --------------------------------------------------------------------------------------
@pytest.mark.parametrize("join, slip, score", [
    (r" \\ ", False, 5.0), ("\n", False, 5.0), (r" \\ ", True, 4.8),
])
def test_one_text_holding_every_entry(homework, join, slip, score):
    rules = list(homework.reference.solution.chain.values())
    lines = [rule.to_latex().replace(" = ", " &= ", 1) for rule in rules]
    if slip:
        lines[0] = lines[0].rsplit("=", 1)[0] + "= B_{12}"
    text = r"\begin{aligned} " + join.join(lines) + r" \end{aligned}"
    got = part(homework, "1.1d", text)
    assert got.score == pytest.approx(score) and got.status == GRADED, got.feedback


@pytest.mark.parametrize("formula, score, status", [
    (r"Y = \frac{1}{N} \sum_{x \in S} x = \frac{1}{4} (x_{11} + x_{12} + x_{21} + x_{22})", 3.0, GRADED),
    (r"Y = \frac{1}{N} \sum_{x \in S} x = \max_{x \in S} x", 2.0, NEEDS_REVIEW),   # which side is the answer?
    (r"Y = \max_{x \in S} x", 2.0, GRADED),
])
def test_pooling_formula_equations_are_relations(homework, formula, score, status):
    got = part(homework, "1.2b", {**GOOD_FORMULAS, "avg": formula})
    assert (got.score, got.status) == (score, status), got.feedback


def test_simplify_gives_the_same_verdict_in_any_thread():
    import threading

    from grader.compare import simplifies_to_zero

    x = sympy.Symbol("x", real=True)
    cases = [sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1, sympy.sin(x) - sympy.cos(x),
             sum(sympy.sin(x + k) ** 2 + sympy.cos(x + k) ** 2 for k in range(12)) - 12]   # true, but too large:
    # not simplified in any thread (simplify's time would decide otherwise)
    here = [simplifies_to_zero(c, budget=10) for c in cases]
    there: list[bool] = []
    thread = threading.Thread(target=lambda: there.extend(simplifies_to_zero(c, budget=10) for c in cases))
    thread.start()
    thread.join(timeout=60)
    assert here == there == [True, False, False]


# ---- more notations a checker reads ----------------------------------------------------------------------------
@pytest.mark.parametrize("part_id, answer, score, status", [
    ("1.1a", "9", 0.0, GRADED),                                            # a count, not a size: wrong, readable
    ("1.1a", "3 x 3", 1.0, GRADED),
    ("1.1b", r"\left\lfloor \frac{I - D(K-1) - 1}{S} \right\rfloor + 1", 1.0, GRADED),   # padding-forgotten
    ("1.1c", "109 92 72 108 85 74 110 74 79", 0.0, NEEDS_REVIEW),         # which shape? a guess
    ("1.1c", "109 92 72; 108 85 74; 110 74 79", 3.0, GRADED),
    ("1.1c", [[109, 92, 72, 108, 85, 74, 110, 74, 79]], 0.0, GRADED),    # explicitly one row: wrong shape
])
def test_readable_or_for_a_person(homework, part_id, answer, score, status):
    got = part(homework, part_id, answer)
    assert (got.score, got.status) == (score, status), got.feedback


@pytest.mark.parametrize("path, share, status", [
    ("nn.MaxPool2d.", 0.5, GRADED), ("nn.", 0.0, NEEDS_REVIEW), ("torch.nn", 0.0, NEEDS_REVIEW),
    ("tf.keras.layers.MaxPool2D", 0.0, GRADED), ("**nn.MaxPool2d**", 0.5, GRADED),
    ("[nn.MaxPool2d](https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html)", 0.5, GRADED),
])
def test_module_paths_cut_short_or_dressed(homework, path, share, status):
    got = part(homework, "1.2a", {"max": path, "avg": "nn.AvgPool2d", "lp": "nn.LPPool2d"})
    assert (got.score, got.status) == (1.0 + share, status), got.feedback


@pytest.mark.parametrize("text, score", [
    (r"\delta_{11} B_{12} + \delta_{12} B_{11}", 5.0), (r"\delta_{11} B_{11} + \delta_{12} B_{13}", 4.8),
    ("G_{11} B_{12} + G_{12} B_{11}", 5.0),
])
def test_upstream_named_as_people_do(homework, text, score):
    got = part(homework, "1.1d", chain_answers(homework, A12=text))
    assert (got.score, got.status) == (score, GRADED), got.feedback


@pytest.mark.parametrize("lp, score", [(r"f(X) = \sqrt[p]{\sum_{x \in X} x^{p}}", 3.0),
                                       (r"f(X) = \sqrt[2]{\sum_{x \in X} x^{2}}", 2.0)])
def test_a_function_name_on_the_left_is_a_name(homework, lp, score):
    assert part(homework, "1.2b", {**GOOD_FORMULAS, "lp": lp}).score == score


@pytest.mark.parametrize("answer, status", [
    ("9", GRADED), ("$9$.", GRADED), (r"3 \times 3 \text{ (after pooling: } 2 \times 2)", NEEDS_REVIEW),
])
def test_one_number_is_read_only_when_it_is_all_there_is(homework, answer, status):
    assert part(homework, "1.1a", answer).status == status


def test_a_renamed_matrix_is_said_once(homework):
    got = part(homework, "1.1d", chain_answers(homework, A13="b_{11} + b_{12} + b_{13}", A14="b_{12} + b_{13}"))
    assert got.score == 5 and got.feedback.count("the entries of B") == 1, got.feedback


# ---- failure paths (issue 11): each case fails when its safeguard is weakened -------------------------------------
@pytest.mark.parametrize("kind, formula", [
    ("max", r"\max_{x \in S} |x|"), ("avg", r"\frac{1}{N} \sum_{x \in S} |x|"),
    ("max", r"\max_{x \in S} \max(x, 0)"), ("avg", r"\frac{1}{N} \sum_{x \in S} \max(x, 0)"),
    ("max", r"-\min_{x \in S} |x|"), ("avg", r"-\frac{1}{N} \sum_{x \in S} |x|"),   # right on negatives only
    ("max", r"\max(\max_{x \in S} x, 0)"),   # right wherever an entry is >= 0: only the all-negative sample tells
])
def test_pooling_formulas_right_on_one_sign_only_are_wrong(homework, kind, formula):
    # right on windows of one sign only: caught only while the formulas are compared on several sample windows
    assert part(homework, "1.2b", {**GOOD_FORMULAS, kind: formula}).score == 2.0


@pytest.mark.parametrize("kind, entries, verdict", [
    ("max", ["x_11"], None), ("avg", ["x_11"], None), ("max", ["x_11", "x_12", "x_21"], None),
    ("max", ["x_11", "x_12", "x_21", "x_22"], "max"),
])
def test_a_formula_over_another_number_of_entries_is_not_pooling(kind, entries, verdict):
    from grader.checkers.pooling import Window, _judge

    # a window whose entries are all equal: any max or average of some of them agrees in value, so only the
    # count of entries tells that x_11 alone is not the pooling of a 2x2 window
    window = Window((2, 2), "entry-count")
    window.samples = {"plain": [[sympy.Integer(v)] * 4 for v in (3, -2, 0)],
                      "lp": [[sympy.Integer(v)] * 4 for v in (3, 5)]}
    symbols = [sympy.Symbol(name, real=True) for name in entries]
    expr = sympy.Max(*symbols) if kind == "max" else sympy.Add(*symbols) / len(symbols)
    assert _judge(expr, kind, window, (1e-6, 1e-9)) == verdict


A24_SHOWN = (r"\frac{\partial E}{\partial A_{24}} = \frac{\partial E}{\partial C_{12}} "
             r"\frac{\partial C_{12}}{\partial A_{24}}{dots} = B_{12} + B_{13} + B_{22} + B_{23}")


@pytest.mark.parametrize("dots, codes", [
    ("", ["chain-rule-missing-term"]),      # one output of four listed, nothing elided: the others are missing
    (r" + \dots", []),                      # the rest elided: nothing is called missing
    (r" + \cdots", []),
])
def test_missing_terms_are_judged_only_when_nothing_is_elided(homework, dots, codes):
    got = part(homework, "1.1d", chain_answers(homework, A24=A24_SHOWN.replace("{dots}", dots)))
    assert got.diagnoses == codes, got.feedback


def _chain_with(homework, key: tuple[int, int], local: dict[int, str]) -> str:
    """The engine's chain for entry ``key`` written out, the output in the local derivative of term k replaced by
    local[k]."""
    rule = homework.reference.solution.chain[key]
    terms = []
    for k, term in enumerate(rule.terms):
        out = latex(term.output)
        terms.append(rf"\frac{{\partial E}}{{\partial {out}}} "
                     rf"\frac{{\partial {local.get(k, out)}}}{{\partial {latex(rule.entry)}}}")
    return rf"\frac{{\partial E}}{{\partial {latex(rule.entry)}}} = {' + '.join(terms)} = {latex(rule.total)}"


@pytest.mark.parametrize("mixed, codes", [(False, []), (True, ["chain-rule-wrong-variable"])])
def test_a_chain_term_that_mixes_two_outputs_is_wrong(homework, mixed, codes):
    rows, cols = homework.reference.solution.output_shape
    rule = homework.reference.solution.chain[(2, 4)]
    fed = {latex(t.output) for t in rule.terms}
    other = next(f"C_{{{u}{v}}}" for u in range(rows, 0, -1) for v in range(cols, 0, -1)
                 if f"C_{{{u}{v}}}" not in fed)   # an output A_24 does not feed
    text = _chain_with(homework, (2, 4), {0: other} if mixed else {})
    # every output A_24 feeds is listed as the last factor, so only the mixed-output check sees ∂E/∂C_uv · ∂C_u'v'/∂A
    got = part(homework, "1.1d", chain_answers(homework, A24=text))
    assert got.diagnoses == codes, got.feedback


@pytest.mark.parametrize("slips, reported", [({"A24": "B_{11}"}, "(A₂₄)"), ({"A13": "B_{11}"}, "(A₁₃)"),
                                             ({"A24": "B_{11}", "A13": "B_{11}"}, None)])
def test_one_wrong_entry_is_reported_as_a_slip_on_that_entry(homework, slips, reported):
    got = part(homework, "1.1d", chain_answers(homework, **slips))
    assert ("entry-slip" in got.diagnoses) is (reported is not None), got.feedback
    if reported:
        assert f"a slip {reported}" in got.feedback, got.feedback


@pytest.mark.parametrize("wrong, reported", [([(2, 0)], "(C₃₁)"), ([(0, 1)], "(C₁₂)"), ([(2, 0), (0, 1)], None)])
def test_one_wrong_matrix_entry_is_reported_as_a_slip_on_that_entry(homework, wrong, reported):
    answer = homework.reference.solution.output.tolist()
    for r, c in wrong:
        answer[r][c] += 3
    got = part(homework, "1.1c", answer)
    assert ("entry-slip" in got.diagnoses) is (reported is not None), got.feedback
    if reported:
        assert f"a slip {reported}" in got.feedback, got.feedback
