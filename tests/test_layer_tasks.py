"""Tasks layer-forward and layer-gradient (symconv.tasks) graded by grader.checkers.channels: a right answer gets
full marks in two notations, each diagnosed mistake is named by its code, an unreadable matrix goes to a person,
bad part keys are spec errors, and the documents render."""

from __future__ import annotations

import pytest
import sympy

from grader import grade
from grader.checkers.channels import key
from symconv import derive_solution
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.spec import TEMPLATES, load_spec
from symconv.tasks import task

SMALL = {"name": "small", "matrices": {"X": [[-1, -2, 3, 3], [-3, -1, 3, 0], [2, 2, -1, 1], [2, 1, 0, -4]],
                                       "K": [[2]], "c": [-1]},
         "layers": {"input": "X", "steps": [{"type": "conv2d", "weight": "K", "bias": "c", "output": "Z"},
                                            {"type": "relu", "output": "R"},
                                            {"type": "maxpool2d", "kernel_size": 2, "stride": 1, "output": "Y"}]},
         "problems": [{"id": "1", "parts": [
             {"id": "a", "task": "layer-forward", "output": "Z", "points": 2},
             {"id": "b", "task": "layer-forward", "points": 2},
             {"id": "c", "task": "layer-gradient", "points": 2},
             {"id": "d", "task": "layer-gradient", "wrt": "K", "points": 2},
             {"id": "e", "task": "layer-gradient", "wrt": "c", "points": 1}]}]}
MULTI = str(TEMPLATES / "multichannel-relu-pool.yaml")
TRANSPOSED = str(TEMPLATES / "transposed-conv.yaml")

# (spec, part) -> the diagnosed mistakes the engine recomputes for it: each must be there and be named when given
CODES = {
    ("small", "a"): ["bias-forgotten", "transposed"],
    ("small", "b"): ["bias-forgotten", "relu-forgotten", "transposed"],
    ("small", "c"): ["relu-gate-forgotten", "pool-tie-split", "transposed"],
    ("small", "d"): ["relu-gate-forgotten"],
    ("small", "e"): ["relu-gate-forgotten", "bias-gradient-not-summed"],
    ("multi", "1a"): ["flipped-kernel", "bias-forgotten", "transposed"],
    ("multi", "1b"): ["flipped-kernel", "bias-forgotten", "relu-forgotten", "transposed"],
    ("multi", "1c"): ["flipped-kernel", "bias-forgotten", "relu-forgotten", "transposed"],
    ("multi", "2a"): ["relu-gate-forgotten", "bias-gradient-not-summed"],   # a bias has no orientation
    ("multi", "2b"): ["relu-gate-forgotten", "pool-tie-split", "transposed"],
    ("transposed", "1b"): ["transposed"],
    ("transposed-grad", "k"): ["transposed"],
    ("symbolic", "a"): ["relu-gate-forgotten", "transposed"],   # answers in the upstream's symbols G_uv
    ("symbolic", "b"): ["relu-gate-forgotten", "transposed"],
}
ALONE = {**SMALL, "problems": [{"id": "1", "parts": [SMALL["problems"][0]["parts"][2]]}]}   # no forward part
TRANSPOSED_GRAD = {"name": "tg", "matrices": {"X": [[1, 2], [3, 4]], "K": [[1, 0, 2], [0, 1, 0], [1, 0, 1]],
                                              "G": [[1, 0, 2, 0, 3], [0, 1, 0, 1, 0], [2, 0, 1, 0, 0],
                                                    [0, 1, 0, 3, 0], [1, 0, 0, 0, 1]]},
                   "layers": {"input": "X", "upstream": "G", "steps": [
                       {"type": "conv_transpose2d", "weight": "K", "stride": 2, "output": "T"}]},
                   "problems": [{"id": "1", "parts": [{"id": "k", "task": "layer-gradient", "wrt": "K", "points": 1}]}]}
SYMBOLIC = {"name": "sy", "matrices": {"X": [[1, -2, 3], [0, 1, 2], [2, -1, 0]], "K": [[1, 2], [0, -1]]},
            "layers": {"input": "X", "upstream": "symbolic", "steps": [
                {"type": "conv2d", "weight": "K", "output": "Z"}, {"type": "relu", "output": "R"}]},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "layer-gradient", "wrt": "K", "points": 1},
                                               {"id": "b", "task": "layer-gradient", "points": 1}]}]}
SPECS = {"symbolic": SYMBOLIC, "transposed-grad": TRANSPOSED_GRAD, "small": SMALL, "multi": MULTI,
         "transposed": TRANSPOSED, "alone": ALONE}


def rows(m: sympy.Matrix) -> list[list[str]]:
    return [[str(e) for e in row] for row in m.tolist()]


def answer(value: dict[str, sympy.Matrix], notation: str) -> object:
    """Labelled matrices as a student writes them: nested lists or LaTeX bmatrix, one per channel (a mapping)."""
    shown = {label: rows(m) if notation == "lists" else latex(m) for label, m in value.items()}
    return next(iter(shown.values())) if len(shown) == 1 else shown


def reference(spec_name: str, part_id: str):
    spec = load_spec(SPECS[spec_name])
    sol = derive_solution(spec)
    part = spec.part(part_id)
    t = task(part.task)
    return sol, part, t


def result(spec_name: str, part_id: str, given: object):
    graded = grade(SPECS[spec_name], {"student": "s", "answers": {part_id: given}})
    return next(p for p in graded.parts if p.part == part_id)


@pytest.mark.parametrize("notation", ["lists", "latex"])
@pytest.mark.parametrize(("spec_name", "part_id"), list(CODES))
def test_the_right_answer_gets_full_marks(spec_name, part_id, notation):
    sol, part, t = reference(spec_name, part_id)
    r = result(spec_name, part_id, answer(t.value(sol, part), notation))
    assert (r.score, r.status, r.diagnoses) == (part.points, "graded", [])


@pytest.mark.parametrize(("spec_name", "part_id"), list(CODES))
def test_each_diagnosed_mistake_is_named(spec_name, part_id):
    sol, part, t = reference(spec_name, part_id)
    alternatives = t.part_alternatives(sol, part)
    assert [a.code for a in alternatives] == CODES[spec_name, part_id]
    for alt in alternatives:
        r = result(spec_name, part_id, answer(alt.value, "latex"))
        if alt.code == "transposed" and part.options.get("wrt") == "b":   # a bias is a vector: its column is the
            assert r.score == part.points, r.feedback                    # same answer (test_review_new_tasks)
            continue
        assert alt.code in r.diagnoses and r.score < part.points, alt.code


def test_channels_are_graded_each_on_its_share():
    sol, part, t = reference("multi", "1c")
    value = t.value(sol, part)
    wrong = dict(value)
    wrong["Y[2]"] = value["Y[2]"] + sympy.ones(2, 2) * 100
    r = result("multi", "1c", answer(wrong, "lists"))
    assert r.score == pytest.approx(part.points / 2) and "Y[2]" in r.feedback


@pytest.mark.parametrize("keys", [["Z[1]", "Z[2]"], ["z1", "Z^{(2)}"], ["1", "2"]])
def test_channel_labels_are_read_tolerantly(keys):
    sol, part, t = reference("multi", "1a")
    value = list(t.value(sol, part).values())
    r = result("multi", "1a", {k: rows(m) for k, m in zip(keys, value)})
    assert r.score == part.points


def test_an_unreadable_channel_goes_to_a_person_and_the_others_are_graded():
    sol, part, t = reference("multi", "1a")
    value = t.value(sol, part)
    r = result("multi", "1a", {"Z[1]": rows(value["Z[1]"]), "Z[2]": "\\begin{bmatrix} 1 & & \\frac{ \\end{bmatrix}"})
    assert r.status == "needs-review" and r.score == part.points / 2


def test_an_unreadable_single_matrix_goes_to_a_person():
    r = result("small", "a", "\\frac{\\frac{")
    assert r.status == "needs-review" and r.score == 0


def test_several_channels_need_a_mapping():
    r = result("multi", "1a", [[1, 2], [3, 4]])
    assert r.status == "needs-review" and r.score == 0


def test_a_missing_channel_costs_its_share():
    sol, part, t = reference("multi", "2b")
    value = t.value(sol, part)
    r = result("multi", "2b", {label: rows(m) for label, m in list(value.items())[:3]})
    assert r.score == pytest.approx(part.points * 3 / 4) and "W[2,2]: no answer" in r.feedback


@pytest.mark.parametrize(("change", "needle"), [
    ({"output": "Q"}, "part a: output must be one of the steps' outputs (Z, R, Y), not 'Q'"),
    ({"task": "layer-gradient", "wrt": "Q"}, "part a: wrt must be the input, a weight, a bias or a step's output"),
    ({"outptu": "Z"}, "did you mean `output`?"),
])
def test_bad_part_keys_are_spec_errors(change, needle):
    data = {**SMALL, "problems": [{"id": "1", "parts": [{"id": "a", "task": "layer-forward", "points": 1,
                                                          **change}]}]}
    with pytest.raises(SpecError) as err:
        grade(data, {"student": "s", "answers": {}})
    assert needle in str(err.value)


@pytest.mark.parametrize(("spec_name", "part_id", "fields"), [
    ("multi", "1a", ["Z[1]", "Z[2]"]), ("multi", "2a", []), ("multi", "2b", ["W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]"]),
    ("small", "c", []), ("transposed", "1b", []),
])
def test_answer_sheet_fields_follow_the_part(spec_name, part_id, fields):
    spec = load_spec(SPECS[spec_name])
    assert task(spec.part(part_id).task).answer_fields(spec, spec.part(part_id)) == fields


def test_the_transposed_output_is_five_by_five():
    sol, part, t = reference("transposed", "1b")
    assert t.value(sol, part)["T"].shape == (5, 5)


@pytest.mark.parametrize("label", ["Z[1]", "W[1, 2]", "Z^{(1)}"])
def test_keys_ignore_notation(label):
    assert key(label) in ("z1", "w12")


@pytest.mark.parametrize(("spec_name", "part_id"), list(CODES))
def test_the_document_renders_each_part(spec_name, part_id):
    from pylatex import Document

    from symconv.document.options import DocumentOptions

    sol, part, t = reference(spec_name, part_id)
    doc = Document()
    t.render(doc, sol, part, DocumentOptions())
    text = doc.dumps()
    assert "\\begin{" in text and ("partial" in text) == (part.task == "layer-gradient")


def test_a_wrong_entry_is_named_by_its_matrix():
    sol, part, t = reference("multi", "2b")
    value = t.value(sol, part)
    wrong = {label: rows(m) for label, m in value.items()}
    wrong["W[2,1]"][2][0] = "100"
    r = result("multi", "2b", wrong)
    assert "W[2,1]₃₁: expected 1, got 100" in r.feedback and "entry-slip" in r.diagnoses


def _document(spec_name: str, part_id: str) -> str:
    from pylatex import Document

    from symconv.document.options import DocumentOptions

    sol, part, t = reference(spec_name, part_id)
    doc = Document()
    t.render(doc, sol, part, DocumentOptions())
    return doc.dumps()


@pytest.mark.parametrize(("spec_name", "part_id", "present", "absent"), [
    ("multi", "1a", ["each output channel", "Z^{(1)}"], ["worked out in part"]),
    ("multi", "1c", ["$R$ is worked out in part 1b", "max pooling of $R$"], ["each output channel"]),
    ("multi", "2a", ["forward pass is worked out in part 1c", "Back through the ReLU", r"\sum_{u,v}"], []),
    ("multi", "2b", ["are worked out in part 2a", "Back through the convolution to its kernels"],
     ["Back through the ReLU", "forward pass", "the bias"]),
    ("multi", "2a", [r"is added at every position"], ["Back through the convolution"]),
    ("small", "c", ["forward pass is worked out in part b", "Back through the max pooling", "first maximum"],
     ["The forward pass:"]),
    ("alone", "c", ["The forward pass:", "Back through the max pooling", "R = "], ["worked out in part"]),
    ("transposed-grad", "k", ["Back through the transposed convolution", "the matrix $G$"], []),
    ("transposed", "1a", ["1 \\cdot (3 - 1) + 2 \\cdot (2 - 1) + 0 - 2 \\cdot 0 + 1 = 5"], []),
    ("transposed", "1b", ["transposed convolution of $X$ with $K$", "X_{ab}"], ["Along each axis", "^{(c)}"]),
])
def test_the_document_refers_to_earlier_parts_instead_of_repeating_them(spec_name, part_id, present, absent):
    text = _document(spec_name, part_id)
    assert all(p in text for p in present) and not any(a in text for a in absent)


def test_a_label_the_part_does_not_have_is_said():
    sol, part, t = reference("multi", "1c")
    value = t.value(sol, part)
    r = result("multi", "1c", {"Y[1]": rows(value["Y[1]"]), "Y[3]": rows(value["Y[2]"])})
    assert r.score == part.points / 2 and "labels this part does not have: Y[3]" in r.feedback
