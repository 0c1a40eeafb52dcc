"""The convolution's inputs and upstream (issue 12): symbolic matrices (``symbolic RxC``, or entries that are
numbers or names), an upstream of ones, a given matrix or symbolic with its own name, the loss's name, flat entry
numbering (x_1 ... x_9) in the documents, the answer sheet and the grader, and the output-size formula with or
without dilation. Numeric derivations are checked against torch, symbolic ones at random points."""

from __future__ import annotations

import copy
import random
import re

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
import yaml

from grader.checkers.values import read
from grader.grading import grader_for
from grader.parse.context import DEFAULT, Context
from symconv import derive_solution, entry_symbol, load_spec
from symconv.document import build_document
from symconv.errors import SpecError
from symconv.matrices import entry_from_text, spec_matrix
from symconv.spec import DEFAULT_SPEC, TEMPLATES, Part
from symconv.tasks.output_size_formula import asks_dilation

SYMBOLIC = TEMPLATES / "symbolic-3x3.yaml"
GIVEN = TEMPLATES / "stride2-dLdX.yaml"


def small(**conv) -> dict:
    """A 3x3 input A, a 2x2 kernel B and a 2x2 matrix G; ``conv`` changes the convolution section."""
    return {"name": "small", "problems": [{"id": 1, "parts": [{"id": "a", "task": "convolution", "points": 1}]}],
            "matrices": {"A": [[1, "a", 3], ["w_{11}", "x_3", 0], [1, 2, "1/2"]], "B": [[1, 2], [0, -1]],
                         "G": [[1, -2], [3, 0]]},
            "convolution": {"input": "A", "kernel": "B", **conv}}


# ---- spec text: each form read, each wrong one a one-line error that says where ----------------------------------
def real(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


@pytest.mark.parametrize("text, expected", [
    ("3", sympy.Integer(3)), ("-0.5", sympy.Float(-0.5)), ("1/2", sympy.Rational(1, 2)), ("1e3", sympy.Integer(1000)),
    ("2.0", sympy.Integer(2)), ("-2.5e-1", sympy.Float(-0.25)), ("4/2", sympy.Integer(2)), ("a", real("a")),
    ("x_3", real("x_3")), ("x_{3}", real("x_3")), ("w_{11}", entry_symbol("w", 1, 1)),
    ("w_11", entry_symbol("w", 1, 1)), ("w_{12,3}", entry_symbol("w", 12, 3)), (" alpha ", real("alpha")),
])
def test_entry_text_is_read_by_the_pattern(text, expected):
    assert entry_from_text(text) == expected
    assert all(s.is_real for s in entry_from_text(text).free_symbols)   # the engine's and the parser's symbols


@pytest.mark.parametrize("text", ["a+b", "2a", "-a", "x_{1", "x_{a}", "__import__('os')", "a b", "1/0", "", "x__1",
                                  "w_{1,2,3}", "é", "1e", "0x10", "1_000"])
def test_other_entry_text_is_refused(text):
    assert entry_from_text(text) is None


@pytest.mark.parametrize("value, message", [
    ([[1, "a+b"]], "matrices.A: entry (1, 2) 'a+b' is neither a number nor a name"),
    ([[1, 2], [True, 3]], "matrices.A: entry (2, 1) 'True' is neither"),
    ([[1, None]], "entry (1, 2) 'None'"),
    ([[float("nan"), 1]], "entry (1, 1) 'nan'"),
    ([[1, [2]]], "entry (1, 2) '[2]'"),
    ("symbolic 5by5", "'symbolic RxC'"),
    ("symbolic 0x3", "from 1 to 32 rows and columns"),
    ("symbolic 40x3", "from 1 to 32 rows and columns"),
    ("ones", "'symbolic RxC'"),
])
def test_wrong_matrices_are_one_line_errors_with_the_position(value, message):
    data = small()
    data["matrices"]["A"] = value
    with pytest.raises(SpecError) as err:
        load_spec(data)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_wrong_entry_names_its_line_in_a_yaml_spec(tmp_path):
    text = yaml.safe_dump(small(), sort_keys=False).replace("- w_{11}", "- w_{11}+1")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    line = next(k for k, row in enumerate(text.splitlines(), start=1) if row.strip() == "A:")
    with pytest.raises(SpecError, match=rf"bad.yaml: line {line}: matrices.A: entry \(2, 1\) 'w_\{{11\}}\+1'"):
        load_spec(path)


def test_entries_never_reach_sympys_parser(monkeypatch):
    import sympy.parsing.sympy_parser as parser

    def refuse(*args, **kwargs):
        raise AssertionError("spec text reached SymPy's parser")
    monkeypatch.setattr(parser, "parse_expr", refuse)   # where sympify(str) sends text
    with pytest.raises(AssertionError):
        sympy.sympify("a")   # the trap works
    assert spec_matrix([["a", "w_{11}", "1/2", "-3", "0.5"]], "matrices.A").shape == (1, 5)
    assert load_spec(small()).matrices["A"][1, 1] == sympy.Symbol("x_3", real=True)


@pytest.mark.parametrize("conv, message", [
    ({"upstream": "H"}, "convolution.upstream must be 'ones', 'symbolic' or the name of one of the matrices"),
    ({"upstream": "A"}, "convolution.upstream: A is 3x3 but the upstream gradient has the output's shape, 2x2"),
    ({"upstream": "symbolic", "upstream_name": "G1"}, "convolution.upstream_name: a name must be letters only"),
    ({"upstream": "symbolic", "upstream_name": "B"}, "convolution.upstream_name 'B' is already the name"),
    ({"loss": "A"}, "convolution.loss 'A' is already the name"),
    ({"loss": "L_1"}, "convolution.loss: a name must be letters only"),
    ({"index": "flatt"}, "convolution.index must be 2d or flat, not 'flatt'"),
    ({"upstream_nme": "D"}, "did you mean `upstream_name`?"),
])
def test_wrong_convolution_keys_are_one_line_errors(conv, message):
    with pytest.raises(SpecError) as err:
        load_spec(small(**conv))
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("conv, upstream", [
    ({}, "1"), ({"upstream": "G"}, "G_{uv}"), ({"upstream": "symbolic"}, "G_{uv}"),
    ({"upstream": "symbolic", "upstream_name": "D"}, "D_{uv}"),
])
def test_the_upstream_placeholder_follows_the_spec(conv, upstream):
    spec = load_spec(small(loss="L", **conv))
    filled = spec.fill(r"$\partial [[loss]]/\partial C_{uv} = [[upstream]]$")
    assert filled == rf"$\partial L/\partial C_{{uv}} = {upstream}$"


def test_the_grading_seed_of_a_spec_without_the_new_keys_is_unchanged():
    # the repr seeds the evaluation points; upstream_name, loss and index stay out of it
    assert "loss" not in repr(load_spec(small()).conv) and "index" not in repr(load_spec(small()).conv)


# ---- derivations: numbers against torch, symbols at random points -------------------------------------------------
def _torch_grads(x, w, g, stride, padding):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(xt[None, None], wt[None, None], stride=stride, padding=padding)[0, 0]
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


def _floats(m: sympy.Matrix, values: dict | None = None) -> np.ndarray:
    return np.array(m.xreplace(values or {}).tolist(), dtype=float)


def test_a_given_upstream_matrix_against_torch():
    sol = derive_solution(GIVEN)
    c = sol.spec.conv
    y, gx, gw = _torch_grads(_floats(sol.input), _floats(sol.kernel), _floats(sol.spec.matrices["G"]), c.stride,
                             c.padding)
    assert sol.upstream == sol.spec.matrices["G"]
    np.testing.assert_allclose(_floats(sol.output), y)
    np.testing.assert_allclose(_floats(sol.grad_input), gx)
    np.testing.assert_allclose(_floats(sol.grad_kernel), gw)
    for (i, j), rule in sol.chain.items():   # the chain rule names the loss L and sums G_uv times kernel entries
        assert str(rule.loss) == "L" and rule.total.xreplace(dict(zip(sol.symbols[c.kernel], sol.kernel))) == \
            sol.grad_input[i - 1, j - 1]


@pytest.mark.parametrize("source, upstream", [(SYMBOLIC, None), (small(), None), (small(upstream="G"), "G"),
                                              (small(upstream="symbolic", upstream_name="D"), "D")])
def test_symbolic_inputs_at_random_points_against_torch(source, upstream):
    sol = derive_solution(load_spec(source))
    c = sol.spec.conv
    rng = random.Random(7)
    free = set().union(sol.input.free_symbols, sol.kernel.free_symbols, sol.upstream.free_symbols)
    assert sol.input.free_symbols   # the input is symbolic
    for _ in range(3):
        values = {s: rng.uniform(-2, 2) for s in free}
        g = _floats(sol.upstream, values)
        y, gx, gw = _torch_grads(_floats(sol.input, values), _floats(sol.kernel, values), g, c.stride, c.padding)
        np.testing.assert_allclose(_floats(sol.output, values), y, atol=1e-12)
        np.testing.assert_allclose(_floats(sol.grad_input, values), gx, atol=1e-12)
        np.testing.assert_allclose(_floats(sol.grad_kernel, values), gw, atol=1e-12)
    if upstream == "D":
        assert sol.upstream[0, 0] == entry_symbol("D", 1, 1)


# ---- documents: flat numbering, the loss's name -------------------------------------------------------------------
def test_flat_numbering_in_the_document_and_the_answer_sheet_fields():
    from symconv.document.answer_sheet import answer_sheet

    tex = build_document(derive_solution(SYMBOLIC)).dumps()
    assert "x_{9}" in tex and r"\frac{\partial E}{\partial x_{5}}" in tex and "y_{4} &= x_{5} w_{1}" in tex
    assert "x_{33}" not in tex and "w_{22}" not in tex and "y_{22}" not in tex
    sheet = answer_sheet(load_spec(SYMBOLIC))
    assert r"\answer{1b/x_{9}}{}" in sheet and "x_{33}" not in sheet


def test_the_loss_and_the_given_upstream_in_the_document():
    tex = build_document(derive_solution(GIVEN)).dumps()
    assert r"\frac{\partial L}{\partial X_{12}} &= \frac{\partial L}{\partial Y_{11}}" in tex
    assert r"W_{21} G_{12} + W_{23} G_{11} = 2 \cdot \left(-2\right) + 0 \cdot 1 = -4" in tex
    assert r"\partial E" not in tex


# ---- grading: both numberings right, a wrong entry wrong ----------------------------------------------------------
@pytest.fixture(scope="module")
def symbolic():
    return grader_for(SYMBOLIC)


FLAT_Y = r"\begin{bmatrix} x_1 - x_2 + 2x_4 & x_2 - x_3 + 2 x_5 \\ x_4 - x_5 + 2x_7 & x_5 - x_6 + 2x_8 \end{bmatrix}"
GRID_Y = (r"\begin{bmatrix} x_{11} - x_{12} + 2x_{21} & x_{12} - x_{13} + 2 x_{22} \\ "
          r"x_{21} - x_{22} + 2x_{31} & x_{22} - x_{23} + 2x_{32} \end{bmatrix}")
FLAT_CHAIN = {"x1": "w_1", "x_2": "w_1 + w_2", "x_{3}": "w_2", "x4": "w_1 + w_3", "x5": "w_1+w_2+w_3+w_4",
              "x6": "w_2 + w_4", "x7": "w_3", "x8": "w_3 + w_4", "x9": "w_4"}
GRID_CHAIN = {"x_{11}": "w_{11}", "x_{12}": "w_{11} + w_{12}", "x_{13}": "w_{12}", "x_{21}": "w_{11} + w_{21}",
              "x_{2,2}": "w_{11}+w_{12}+w_{21}+w_{22}", "x_{23}": "w_{12} + w_{22}", "x_{31}": "w_{21}",
              "x_{32}": "w_{21} + w_{22}", "x_{33}": "w_{22}"}


@pytest.mark.parametrize("part, answer", [("1a", FLAT_Y), ("1a", GRID_Y), ("1b", FLAT_CHAIN), ("1b", GRID_CHAIN)])
def test_both_numberings_grade_to_full_marks(symbolic, part, answer):
    result = symbolic.grade({"answers": {part: answer}})
    got = next(p for p in result.parts if p.part == part)
    assert got.score == got.max_score, got.feedback


@pytest.mark.parametrize("part, answer, lost", [
    ("1a", FLAT_Y.replace("x_1 - x_2", "x_1 + x_2"), "y₁: expected x₁ - x₂ + 2 x₄, got x₁ + x₂ + 2 x₄"),
    ("1b", {**FLAT_CHAIN, "x9": "w_3"}, "x₉: expected w₄, got w₃"),          # x_9 is (3, 3): its sum is w_4
    ("1b", {**GRID_CHAIN, "x_{12}": "w_{11}"}, "x₂: expected w₁ + w₂, got w₁"),
])
def test_a_wrong_entry_loses_its_share_named_as_the_spec_numbers_it(symbolic, part, answer, lost):
    got = next(p for p in symbolic.grade({"answers": {part: answer}}).parts if p.part == part)
    assert 0 < got.score < got.max_score and lost in got.feedback
    assert not any(f"{name}{a}{b}" in got.feedback for name in "xwy" for a in "₁₂₃" for b in "₁₂₃")


def test_a_chain_rule_with_the_given_upstream_named_g_is_right():
    grader = grader_for(GIVEN)
    chained = (r"\frac{\partial L}{\partial X_{12}} = \frac{\partial L}{\partial Y_{11}} \frac{\partial Y_{11}}"
               r"{\partial X_{12}} + \frac{\partial L}{\partial Y_{12}} \frac{\partial Y_{12}}{\partial X_{12}} "
               r"= W_{21} G_{12} + W_{23} G_{11}")
    sol = grader.reference.solution
    answers = {f"X_{{{i}{j}}}": str(sympy.latex(rule.total)) for (i, j), rule in sol.chain.items()}
    answers["X_{12}"] = chained
    got = next(p for p in grader.grade({"answers": {"1b": answers}}).parts if p.part == "1b")
    assert got.score == got.max_score, got.feedback


# ---- reading entry numbers -------------------------------------------------------------------------------------------
FLAT5 = DEFAULT.extend(shapes={"x": (5, 5)}, flat="x")
FLAT3 = DEFAULT.extend(shapes={"x": (3, 3)}, flat="x")
GRID3 = DEFAULT.extend(shapes={"A": (3, 3)})


@pytest.mark.parametrize("text, context, entry", [
    ("x5", FLAT3, ("x", 2, 2)), ("x_{9}", FLAT3, ("x", 3, 3)), ("x_{12}", FLAT3, ("x", 1, 2)),   # 12 > 9: (1, 2)
    ("x_{12}", FLAT5, ("x", 3, 2)), ("x12", FLAT5, ("x", 3, 2)), ("x_{25}", FLAT5, ("x", 5, 5)),
    ("x_{1,2}", FLAT5, ("x", 1, 2)), ("x_{2 5}", FLAT5, ("x", 2, 5)),
    ("A_5", GRID3, ("A", 2, 2)), ("A_{12}", GRID3, ("A", 1, 2)), ("A_{1,2}", GRID3, ("A", 1, 2)),
])
def test_entry_numbers_read_in_context(text, context, entry):
    assert read(text, "expr", context) == entry_symbol(*entry)


@pytest.mark.parametrize("text, context, name", [
    ("A_5", DEFAULT, "A_5"),          # no shapes: a plain symbol, as before
    ("x_{26}", FLAT5, "x_26"),        # out of the range of entry numbers: the digits are (i, j) again
    ("B_5", GRID3, "B_5"),            # not a matrix of the spec
])
def test_numbers_that_name_no_flat_entry(text, context, name):
    assert read(text, "expr", context) == sympy.Symbol(name, real=True)


def test_contexts_with_other_shapes_differ():
    assert Context(shapes={"x": (3, 3)}) != Context(shapes={"x": (3, 3)}, flat="x")
    assert hash(Context(shapes={"x": (3, 3)})) == hash(Context(shapes={"x": (3, 3)}))


# ---- the output-size formula, with and without dilation -------------------------------------------------------------
@pytest.fixture(scope="module")
def homework():
    return grader_for(None)


@pytest.fixture(scope="module")
def with_dilation():
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data["problems"][0]["parts"][1]["dilation"] = True
    return grader_for(data)


RIGHT_D1 = r"\left\lfloor \frac{I + 2P - K}{S} \right\rfloor + 1"
RIGHT_D = r"\left\lfloor \frac{I + 2P - D(K-1) - 1}{S} \right\rfloor + 1"
NO_FLOOR = r"\frac{I-K+2P}{S} + 1"


@pytest.mark.parametrize("which, answer, score, codes", [
    ("homework", RIGHT_D1, 2, []),                 # the question asks about I, K, P and S: fully right
    ("homework", RIGHT_D, 2, []),                  # with D: the same formula at D = 1
    ("homework", NO_FLOOR, 1.5, ["floor-missing"]),
    ("homework", r"\lfloor \frac{I-K+2P}{S} \rfloor", 0, ["output-size-off-by-one"]),
    ("with_dilation", RIGHT_D, 2, []),
    ("with_dilation", RIGHT_D1, 1.5, ["dilation-missing"]),
    ("with_dilation", NO_FLOOR, None, ["dilation-missing", "floor-missing"]),
])
def test_the_formula_with_and_without_dilation(request, which, answer, score, codes):
    got = request.getfixturevalue(which).grade({"answers": {"1.1b": answer}}).parts[1]
    assert sorted(got.diagnoses) == sorted(codes)
    if score is not None:
        assert got.score == pytest.approx(score)


def test_the_homeworks_formula_question_and_its_solution():
    spec = load_spec()
    part = spec.part("1.1b")
    assert asks_dilation(part) is False and "dilation" not in part.text
    tex = build_document(derive_solution(spec)).dumps()
    start = tex.index("Part 1.1b")
    section = tex[start:tex.index("Part 1.1c")]
    first = section.index(r"O = \left\lfloor{\frac{I + 2 P - K}{S}}\right\rfloor + 1")
    assert first < section.index("D(K - 1) + 1") and "the formula above at $D = 1$" in section


@pytest.mark.parametrize("value", ["no", 0, None, "false"])
def test_the_dilation_key_is_true_or_false(value):
    with pytest.raises(SpecError, match="part 1: dilation must be true or false"):
        asks_dilation(Part("1", "output-size-formula", 1, options={"dilation": value}))


def test_a_misspelt_dilation_key_is_an_error():
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data = copy.deepcopy(data)
    data["problems"][0]["parts"][1]["dillation"] = False
    with pytest.raises(SpecError, match="did you mean `dilation`"):
        load_spec(data)


def test_the_handout_states_a_symbolic_input_in_the_specs_numbering():
    tex = build_document(derive_solution(SYMBOLIC), handout=True).dumps()
    assert r"x = \begin{bmatrix}x_{1} & x_{2} & x_{3}" in tex and "x_{11}" not in tex


@pytest.mark.parametrize("source", [SYMBOLIC, small(upstream="symbolic")])
def test_a_wrong_symbolic_result_fails_the_numeric_check(source):
    from symconv.document.equations import check_solution
    from symconv.errors import VerificationError

    sol = derive_solution(load_spec(source))
    check_solution(sol)   # the derived results pass at random points
    wrong = sol.conv.output.copy()
    wrong[0, 0] += next(iter(sorted(sol.input.free_symbols, key=str)))   # off by one symbolic term
    sol.conv = type(sol.conv)(**{**vars(sol.conv), "output": wrong})
    with pytest.raises(VerificationError):
        check_solution(sol)


@pytest.mark.parametrize("pooled, message", [("C", "pooling: its input C is symbolic (the convolution"),
                                             ("A", "pooling: its input A is symbolic; pooling needs numbers")])
def test_pooling_symbols_is_refused_when_the_spec_loads(pooled, message):
    data = yaml.safe_load(DEFAULT_SPEC.read_text())   # max pooling of symbols is undecided
    data["matrices"]["A"] = "symbolic 5x5"
    data["pooling"]["input"] = pooled
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(data)


WRITEUP = r"""# Convolution in symbols
Student: 20260001

## 1a
$$y = \begin{bmatrix} x_1 - x_2 + 2x_4 & x_2 - x_3 + 2 x_5 \\ x_4 - x_5 + 2x_7 & x_5 - x_6 + 2x_8 \end{bmatrix}$$

## 1b
- $\frac{\partial E}{\partial x_1} = \frac{\partial E}{\partial y_1}\frac{\partial y_1}{\partial x_1} = w_1$
- $\frac{\partial E}{\partial x_2} = w_1 + w_2$
- $\frac{\partial E}{\partial x_3} = w_2$
- $\frac{\partial E}{\partial x_4} = w_1 + w_3$
- $\frac{\partial E}{\partial x_5} = w_1 + w_2 + w_3 + w_4$
- $\frac{\partial E}{\partial x_6} = w_2 + w_4$
- $\frac{\partial E}{\partial x_7} = w_3$
- $\frac{\partial E}{\partial x_8} = w_3 + w_4$
- $\frac{\partial E}{\partial x_9} = w_4$

## 1c
$$\frac{\partial E}{\partial x} = \begin{bmatrix} 1 & 0 & -1 \\ 3 & 2 & -1 \\ 2 & 2 & 0 \end{bmatrix}$$
"""


def test_a_writeup_in_the_specs_numbering_grades_to_full_marks():
    from grader.writeup import load_writeup

    spec = load_spec(SYMBOLIC)
    sub = load_writeup("flat.md", spec, text=WRITEUP)
    result = grader_for(spec).grade(sub)
    assert [(p.part, p.score) for p in result.parts if p.score != p.max_score] == []
    assert result.score == spec.max_score
