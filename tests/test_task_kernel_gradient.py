"""Task kernel-gradient: the per-entry chain rules for the kernel (symconv.chain.kernel_chain_rule) against torch
autograd's weight gradient (stride, padding, dilation, a given upstream, a true convolution), a wrong expansion
caught, the checker on right answers in two notations, each diagnosed mistake by its code, an unreadable answer
left to a person, and the document's equations."""

from __future__ import annotations

import dataclasses

import pytest
import sympy
import torch
import torch.nn.functional as F

from grader import grade
from grader.diagnose import CODES
from grader.result import NEEDS_REVIEW
from symconv import derive_solution, sym_matrix
from symconv.chain import ChainRule, kernel_chain_rule
from symconv.document import build_document
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.spec import TEMPLATES, load_spec
from symconv.tasks import kernel_gradient, task

STRIDED = TEMPLATES / "stride2-padding1.yaml"


def conv_spec(x, w, upstream=None, part_text="Derive each gradient by the chain rule.", **cfg) -> dict:
    matrices = {"A": x, "B": w}
    if upstream is not None:
        matrices["G"] = upstream
    return {"name": "k", "matrices": matrices,
            "convolution": {"input": "A", "kernel": "B", **cfg, "upstream": "G" if upstream is not None else "ones"},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "kernel-gradient", "points": 3,
                                                "text": part_text}]}]}


X5 = [[1, 0, 2, 3, 1], [2, 1, 0, 1, 3], [0, 3, 1, 2, 0], [1, 2, 2, 0, 1], [3, 0, 1, 1, 2]]
W3 = [[1, 2, 0], [-1, 3, 1], [2, 0, 1]]
CASES = {   # x, w, upstream (None: ones), convolution settings
    "plain": (X5, W3, None, {}),
    "stride-2-padding-1": (X5, W3, None, {"stride": 2, "padding": 1}),
    "dilation-2": (X5, [[1, 2], [3, 4]], None, {"dilation": 2}),
    "non-square-kernel": (X5, [[1, -2, 3], [0, 1, 1]], None, {"stride": [1, 2]}),
    "given-upstream": (X5, [[1, 2], [0, -1]], [[1, -2, 0, 3], [2, 1, -1, 0], [0, 0, 4, 1], [-3, 2, 1, 1]], {}),
}


def torch_weight_grad(x, w, upstream, cfg) -> torch.Tensor:
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    out = F.conv2d(xt, wt[None, None], stride=cfg.get("stride", 1), padding=cfg.get("padding", 0),
                   dilation=cfg.get("dilation", 1))[0, 0]
    out.backward(torch.ones_like(out) if upstream is None else torch.tensor(upstream, dtype=torch.float64))
    assert wt.grad is not None
    return wt.grad


def numbers(sol, rules: dict) -> torch.Tensor:
    values = dict(zip(sol.symbols["A"], sol.input))
    rows, cols = sol.kernel.shape
    return torch.tensor([[float(rules[(m, n)].total.xreplace(values)) for n in range(1, cols + 1)]
                         for m in range(1, rows + 1)], dtype=torch.float64)


@pytest.mark.parametrize("case", CASES)
def test_each_sum_is_torchs_weight_gradient(case):
    x, w, g, cfg = CASES[case]
    sol = derive_solution(load_spec(conv_spec(x, w, g, **cfg)))
    rules = kernel_gradient.kernel_chain(sol)
    assert sorted(rules) == [(m, n) for m in range(1, len(w) + 1) for n in range(1, len(w[0]) + 1)]
    assert torch.equal(numbers(sol, rules), torch_weight_grad(x, w, g, cfg))


def test_a_true_convolution_names_the_kernel_as_given():
    """With flip the kernel meets the input rotated: B_11 takes the terms of the used kernel's last entry."""
    A, B = sym_matrix("A", 4, 4), sym_matrix("B", 2, 2)
    values = dict(zip(A, range(1, 17)))
    xt = torch.arange(1, 17, dtype=torch.float64).reshape(1, 1, 4, 4)
    wt = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    F.conv2d(xt, wt.flip(0, 1)[None, None], stride=2).sum().backward()
    assert wt.grad is not None
    got = [[float(kernel_chain_rule(A, B, m, n, stride=2, flip=True).total.xreplace(values)) for n in (1, 2)]
           for m in (1, 2)]
    assert got == wt.grad.tolist()
    assert kernel_chain_rule(A, B, 1, 1, flip=True).entry == B[0, 0]


@pytest.mark.parametrize(("m", "n"), [(0, 1), (3, 1), (1, True)])
def test_an_entry_outside_the_kernel_is_an_error(m, n):
    from symconv.errors import ConfigError

    with pytest.raises(ConfigError):
        kernel_chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), m, n)


def test_padding_drops_the_terms_that_meet_a_zero():
    rule = kernel_chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 3, 3), 1, 1, padding=1)
    assert [(t.u, t.v) for t in rule.terms] == [(2, 2), (2, 3), (3, 2), (3, 3)]


def test_a_wrong_expansion_is_caught(monkeypatch):
    """The check against conv2d_grad's kernel gradient is what catches a term left out."""
    def short(*args, **kwargs) -> ChainRule:
        rule = kernel_chain_rule(*args, **kwargs)
        return dataclasses.replace(rule, terms=rule.terms[1:])
    monkeypatch.setattr(kernel_gradient, "kernel_chain_rule", short)
    with pytest.raises(SpecError, match="disagrees with the kernel gradient"):
        kernel_gradient.kernel_chain(derive_solution(STRIDED))


def part_result(spec, answer, part_id: str = "1g"):
    result = grade(spec, {"student": "s", "answers": {part_id: answer}})
    return next(p for p in result.parts if p.part == part_id)


def by_field(sol, values: dict, key_format: str = "K_{{{}{}}}") -> dict[str, str]:
    return {key_format.format(m, n): v if isinstance(v, str) else latex(v) for (m, n), v in values.items()}


@pytest.mark.parametrize("notation", ["sums", "chain-rule-equations"])
def test_right_answers_get_full_marks(notation):
    sol = derive_solution(STRIDED)
    rules = kernel_gradient.kernel_chain(sol)
    if notation == "sums":
        answer = by_field(sol, {key: rule.total for key, rule in rules.items()})
    else:
        answer = by_field(sol, {key: rule.to_latex() for key, rule in rules.items()}, "K{}{}")
    got = part_result(str(STRIDED), answer)
    assert got.score == 3 and got.status != NEEDS_REVIEW
    assert set(got.diagnoses) <= {"chain-rule-not-shown"}   # free unless the rubric says otherwise


def test_given_upstream_terms_are_graded():
    x, w, g, cfg = CASES["given-upstream"]
    spec = conv_spec(x, w, g, **cfg)
    sol = derive_solution(load_spec(spec))
    rules = kernel_gradient.kernel_chain(sol)
    assert rules[(1, 1)].total.coeff(sol.symbols["A"][0, 1]) == -2   # A_12 times the upstream's G_12
    answer = by_field(sol, {key: r.total for key, r in rules.items()}, "B_{{{}{}}}")
    assert part_result(spec, answer, "a").score == 3
    answer["B_{11}"] = latex(rules[(1, 1)].total + sympy.Symbol("A_55"))
    assert part_result(spec, answer, "a").score == pytest.approx(3 * 3 / 4)


@pytest.mark.parametrize("code", ["flipped-kernel", "transposed"])
def test_a_recomputed_mistake_is_diagnosed(code):
    sol = derive_solution(STRIDED)
    alternative = next(a for a in kernel_gradient.alternatives(sol) if a.code == code)
    assert code in CODES
    got = part_result(str(STRIDED), by_field(sol, alternative.value))
    assert code in got.diagnoses and "entry-slip" not in got.diagnoses and got.score < 3


def test_the_diagnosis_needs_every_wrong_entry_to_match():
    sol = derive_solution(STRIDED)
    flipped = dict(next(a for a in kernel_gradient.alternatives(sol) if a.code == "flipped-kernel").value)
    flipped[(1, 1)] = flipped[(1, 1)] + sympy.Symbol("A_66")
    assert "flipped-kernel" not in part_result(str(STRIDED), by_field(sol, flipped)).diagnoses


@pytest.mark.parametrize(("outputs", "code"), [(["C_{22}"], "chain-rule-missing-term"),
                                               (["C_{22}", "C_{23}", "C_{32}", "C_{33}", "C_{11}"],
                                                "chain-rule-extra-term")])
def test_a_missing_or_extra_chain_term_is_found(outputs, code):
    sol = derive_solution(STRIDED)
    rules = kernel_gradient.kernel_chain(sol)
    answer = by_field(sol, {key: rule.to_latex() for key, rule in rules.items()})
    chain = " + ".join(rf"\frac{{\partial E}}{{\partial {c}}} \frac{{\partial {c}}}{{\partial K_{{11}}}}"
                       for c in outputs)
    answer["K_{11}"] = rf"\frac{{\partial E}}{{\partial K_{{11}}}} = {chain} = {latex(rules[(1, 1)].total)}"
    got = part_result(str(STRIDED), answer)
    assert got.diagnoses == [code] and 3 - 3 / 9 <= got.score < 3   # the rubric's 0.25 of one entry


def test_an_unreadable_answer_goes_to_a_person():
    sol = derive_solution(STRIDED)
    answer = by_field(sol, {key: r.total for key, r in kernel_gradient.kernel_chain(sol).items()})
    answer["K_{12}"] = r"A_{21} +* A_{23}"
    got = part_result(str(STRIDED), answer)
    assert got.status == NEEDS_REVIEW and got.score == pytest.approx(3 * 8 / 9)


def test_fields_follow_the_kernels_numbering():
    spec = load_spec(STRIDED)
    assert task("kernel-gradient").answer_fields(spec, spec.part("1g"))[:4] == ["K_{11}", "K_{12}", "K_{13}",
                                                                               "K_{21}"]
    flat = load_spec({**conv_spec(X5, W3), "convolution": {"input": "A", "kernel": "B", "index": "flat"}})
    assert kernel_gradient.fields(flat)[:2] == ["B_{1}", "B_{2}"]


@pytest.mark.parametrize(("detail", "equations"), [("full", 9), ("summary", 3)])
def test_the_document_gives_the_equations(detail, equations):
    data = load_spec(STRIDED)
    spec = dataclasses.replace(data, document={**data.document, "detail": detail})
    text = build_document(derive_solution(spec)).dumps()
    start = r"For each entry of $K$" if detail == "full" else r"where $K_{mn}$ meets a real entry of $A$"
    section = text[text.index(start):]
    section = section[:section.index(r"\end{align")]
    assert section.count(r"\frac{\partial E}{\partial K_{") == equations
    assert r"\frac{\partial E}{\partial K_{11}}" in section


def test_a_write_up_is_read_and_graded(tmp_path):
    """The kernel's chain-rule lines are found in a write-up by their left sides, and not taken for the input's."""
    sol = derive_solution(STRIDED)
    rules = kernel_gradient.kernel_chain(sol)
    write_up = tmp_path / "ada.md"
    write_up.write_text("# Homework, ada\n\n## 1\n(g)\n\n" + "\n\n".join(f"$${rules[key].to_latex()}$$"
                                                                         for key in sorted(rules)), encoding="utf-8")
    parts = {p.part: p for p in grade(str(STRIDED), write_up).parts}
    assert parts["1g"].score == 3 and parts["1d"].score == 0 and parts["1d"].status == NEEDS_REVIEW


def test_the_sums_are_checked_against_torchs_algorithm(monkeypatch):
    """The second route: a kernel gradient from the numeric side that disagrees is a VerificationError."""
    import types

    from symconv import numeric
    from symconv.errors import VerificationError

    def doubled(*args, **kwargs):
        grad_x, grad_w, grad_bias = numeric.conv2d_backward(*args, **kwargs)
        return grad_x, 2 * grad_w, grad_bias
    monkeypatch.setattr(kernel_gradient, "numeric", types.SimpleNamespace(conv2d_backward=doubled))
    with pytest.raises(VerificationError):
        kernel_gradient.kernel_chain(derive_solution(STRIDED))


@pytest.mark.parametrize(("template", "rule", "padding"), [
    ("true-convolution.yaml", r"i = u - m + 2,\quad j = v - n + 2", False),   # the kernel rotated
    ("stride2-padding1.yaml", r"i = m + 2 u - 3,\quad j = n + 2 v - 3", True),
])
def test_the_kernel_gradient_matrix_states_its_index_rule(template, rule, padding):
    text = build_document(derive_solution(TEMPLATES / template)).dumps()
    assert rule in text and ("a padding cell counts 0" in text) == padding


@pytest.mark.parametrize(("template", "lead"), [
    ("stride2-dLdX.yaml", "The values of the equations of part 1b:"),   # after the input-gradient part
    ("homework.yaml", "The values of the equations of part 1.1d:"),
])
def test_the_input_gradient_matrix_says_where_its_entries_come_from(template, lead):
    text = build_document(derive_solution(TEMPLATES / template)).dumps()
    after = text[text.index(lead):]
    assert r"\frac{\partial " in after[:200] and r"\begin{bmatrix}" in after[:400]


def test_an_input_gradient_matrix_alone_states_its_rule():
    spec = load_spec({"name": "m", "matrices": {"A": X5, "B": W3}, "convolution": {"input": "A", "kernel": "B"},
                      "problems": [{"id": "1", "parts": [{"id": "a", "task": "input-gradient-matrix", "points": 1}]}]})
    text = build_document(derive_solution(spec)).dumps()
    assert "times the kernel entry of $B$ that meets $A_{ij}$ over the outputs" in text
