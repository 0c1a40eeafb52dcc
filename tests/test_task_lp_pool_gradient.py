"""Task lp-pool-gradient: the reference against torch autograd through F.lp_pool2d (several p, overlapping
windows, a window of zeros, a symbolic upstream checked against torch's Jacobian), norm_type read from the part,
every diagnosed alternative recomputed and named by grader.grade, right answers exact and in decimals full marks
(and where the template's tolerance stops), an unreadable answer left to a person, and the document."""

from __future__ import annotations

import pytest
import sympy
import torch
import torch.nn.functional as F

from grader import grade
from grader.diagnose import CODES, cost
from grader.result import NEEDS_REVIEW
from symconv import derive_solution
from symconv.document import build_document
from symconv.errors import SpecError, VerificationError
from symconv.latex import latex
from symconv.spec import TEMPLATES, load_spec
from symconv.tasks import lp_pool_gradient, task

TEMPLATE = TEMPLATES / "lp-pool-gradient.yaml"


def lp_spec(x, kernel_size, stride, norm_type=None, upstream="ones", padding=0) -> dict:
    """A spec LP-pooling matrix X (the 1x1 identity convolution only carries the upstream's convention)."""
    part = {"id": "a", "task": "lp-pool-gradient", "points": 4}
    if norm_type is not None:
        part["norm_type"] = norm_type
    return {"name": "lp", "matrices": {"X": x, "K": [[1]]},
            "convolution": {"input": "X", "kernel": "K", "upstream": upstream},
            "pooling": {"input": "X", "kernel_size": kernel_size, "stride": stride, "padding": padding},
            "problems": [{"id": "1", "parts": [part]}]}


X4 = [[1, 2, 2, 4], [0, 0, 1, 2], [2, 3, 1, 1], [6, 0, 1, 1]]
CASES = {   # x, kernel_size, stride, norm_type (None: the default 2)
    "default-p": (X4, 2, 2, None),
    "p-3-overlapping": (X4, 2, 1, 3),
    "p-1": (X4, 2, 2, 1),
    "p-1.5-non-square": (X4, [2, 3], [1, 1], 1.5),
    "window-of-zeros": ([[0, 0, 1], [0, 0, 2], [3, 1, 1]], 2, 1, 2),
    "p-inf-is-max": (X4, 2, 2, float("inf")),
}


def torch_grad(x, kernel_size, stride, p, g: torch.Tensor | None = None) -> torch.Tensor:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = F.lp_pool2d(xt[None, None], 2 if p is None else p, kernel_size, stride)[0, 0]
    y.backward(torch.ones_like(y) if g is None else g)
    assert xt.grad is not None
    return xt.grad


def as_tensor(m: sympy.Matrix) -> torch.Tensor:
    return torch.tensor([[float(e) for e in row] for row in m.tolist()], dtype=torch.float64)


@pytest.mark.parametrize("case", CASES)
def test_the_reference_is_torchs_gradient(case):
    x, k, s, p = CASES[case]
    ref = task("lp-pool-gradient").reference(derive_solution(load_spec(lp_spec(x, k, s, p))))
    assert torch.allclose(as_tensor(ref), torch_grad(x, k, s, p), rtol=1e-12, atol=1e-12)


def test_p_2_gives_exact_radicals():
    ref = task("lp-pool-gradient").reference(derive_solution(TEMPLATE))
    assert ref[0, 0] == 1 / sympy.sqrt(5) and ref[0, 2] == sympy.Rational(2, 5)


@pytest.mark.parametrize("case", ["default-p", "p-3-overlapping"])
def test_a_symbolic_upstream_is_torchs_jacobian(case):
    x, k, s, p = CASES[case]
    sol = derive_solution(load_spec(lp_spec(x, k, s, p, upstream="symbolic")))
    ref = task("lp-pool-gradient").reference(sol)
    g = lp_pool_gradient.pool_upstream(sol.spec)
    for index, symbol in enumerate(g):
        one_hot = torch.zeros(g.shape, dtype=torch.float64)
        one_hot[divmod(index, g.cols)] = 1
        assert torch.allclose(as_tensor(ref.diff(symbol)), torch_grad(x, k, s, p, one_hot), atol=1e-12), symbol


@pytest.mark.parametrize(("value", "message"), [("two", "must be a number"), (0, "nonzero"),
                                                (float("nan"), "nonzero")])
def test_a_bad_norm_type_names_the_part(value, message):
    with pytest.raises(SpecError, match=f"part a: norm_type .*{message}"):
        lp_pool_gradient.norm_type(load_spec(lp_spec(X4, 2, 2, value)))


def test_parts_must_agree_on_p():
    data = lp_spec(X4, 2, 2, 2)
    data["problems"][0]["parts"].append({"id": "b", "task": "lp-pool-gradient", "points": 1, "norm_type": 3})
    with pytest.raises(SpecError, match="parts a, b ask for different norm_type values"):
        lp_pool_gradient.norm_type(load_spec(data))


def test_a_padded_pooling_section_is_refused():
    with pytest.raises(SpecError, match="LPPool2d has no padding"):
        task("lp-pool-gradient").reference(derive_solution(load_spec(lp_spec(X4, 3, 1, 2, padding=1))))


def test_a_wrong_engine_gradient_is_caught_by_the_verification(monkeypatch):
    engine = lp_pool_gradient.lp_pool2d_grad
    monkeypatch.setattr(lp_pool_gradient, "lp_pool2d_grad", lambda *a, **kw: engine(*a, **kw) * 2)
    with pytest.raises(VerificationError):
        lp_pool_gradient.reference(derive_solution(TEMPLATE))


def test_the_local_rule_is_checked(monkeypatch):
    assert lp_pool_gradient.local_rule(sympy.Integer(3)) == sympy.Symbol("x_i", positive=True) ** 2 / \
        sympy.Symbol("L_p", positive=True) ** 2
    monkeypatch.setattr(lp_pool_gradient.sympy, "diff", lambda expr, var: expr)   # a wrong derivative
    with pytest.raises(VerificationError):
        lp_pool_gradient.local_rule(sympy.Integer(2))


def bmatrix(m: sympy.Matrix) -> str:
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(latex(e) for e in row) for row in m.tolist()) + \
        r" \end{bmatrix}"


def graded(spec, part_id: str, answer):
    result = grade(spec, {"student": "s", "answers": {part_id: answer}})
    return next(p for p in result.parts if p.part == part_id)


OVERLAPPING = lp_spec(X4, 2, 1, 3)
DIAGNOSED = [   # spec, part, the codes its alternatives must be
    (str(TEMPLATE), "1b", {"lp-normalisation", "lp-as-max", "pool-forward-result", "transposed"}),
    (OVERLAPPING, "a", {"lp-normalisation", "pool-overlap-not-summed", "lp-as-max", "pool-forward-result",
                        "transposed"}),
]


@pytest.mark.parametrize(("spec", "part_id", "codes"), DIAGNOSED)
def test_every_alternative_is_recomputed_and_diagnosed(spec, part_id, codes):
    sol = derive_solution(load_spec(spec))
    alternatives = lp_pool_gradient.alternatives(sol)
    assert {a.code for a in alternatives} == codes
    right = lp_pool_gradient.reference(sol)
    points = load_spec(spec).part(part_id).points
    for alt in alternatives:
        assert alt.value != right and alt.code in CODES
        got = graded(spec, part_id, bmatrix(alt.value))
        assert alt.code in got.diagnoses, alt
        credit = points * (1 - cost(load_spec(spec), alt.code))
        assert credit <= got.score and (got.score < points or credit == points), alt


def test_the_power_means_gradient_is_half_of_pytorchs_for_2x2_windows():
    """lp-normalisation is recomputed, not guessed: ((1/N) S)^(1/p) scales the gradient by N^(-1/p)."""
    sol = derive_solution(TEMPLATE)
    mean = next(a.value for a in lp_pool_gradient.alternatives(sol) if a.code == "lp-normalisation")
    assert mean == lp_pool_gradient.reference(sol) / 2


def rounded(m: sympy.Matrix, places: int) -> str:
    return str([[round(float(e), places) for e in row] for row in m.tolist()])


@pytest.mark.parametrize("notation", ["exact-latex", "frac-sqrt", "three-decimals", "lists-exact"])
def test_a_right_answer_gets_full_marks(notation):
    ref = lp_pool_gradient.reference(derive_solution(TEMPLATE))
    answer = {"exact-latex": bmatrix(ref), "three-decimals": rounded(ref, 3),
              "frac-sqrt": bmatrix(ref).replace(latex(ref[0, 0]), r"\frac{1}{\sqrt{5}}", 1),
              "lists-exact": str(ref.tolist())}[notation]
    if notation == "frac-sqrt":
        assert r"\frac{1}{\sqrt{5}}" in answer
    got = graded(str(TEMPLATE), "1b", answer)
    assert got.score == 4 and got.diagnoses == []


def test_two_decimals_are_outside_the_templates_tolerance():
    """The tolerance takes three places (0.447 for 1/sqrt(5)), not two (0.45): those entries lose their share."""
    ref = lp_pool_gradient.reference(derive_solution(TEMPLATE))
    got = graded(str(TEMPLATE), "1b", rounded(ref, 2))
    assert 0 < got.score < 4 and "expected" in got.feedback


@pytest.mark.parametrize("answer", ["[[0.447, 0.894], [0", r"\begin{bmatrix} 1 & ?? \end{bmatrix}"])
def test_an_unreadable_answer_goes_to_a_person(answer):
    got = graded(str(TEMPLATE), "1b", answer)
    assert got.status == NEEDS_REVIEW and got.score == 0


def document(spec) -> str:
    return build_document(derive_solution(load_spec(spec))).dumps()


def test_the_document_shows_the_rule_once_and_the_matrix():
    text = document(TEMPLATE)
    assert text.count(r"\partial L_p/\partial x_i = \frac{x_i^{p-1}}{L_p^{p-1}}") == 1
    assert r"$Y_{11} = \left(1^{2} + 2^{2} + 0^{2} + 0^{2}\right)^{1/2} = \sqrt{5}$" in text
    assert r"\frac{\partial E}{\partial X} = \begin{bmatrix}" in text
    assert "overlap" not in text and "is 0 in window" not in text


def test_the_document_names_zero_windows_and_overlaps():
    x, k, s, p = CASES["window-of-zeros"]
    text = document(lp_spec(x, k, s, p))
    assert r"The sum $\sum_i x_i^p$ is 0 in window $Y_{11}$: PyTorch passes no gradient" in text
    assert r"The windows overlap: $X_{22}$ lies in 4 of them" in text


def test_p_infinity_is_explained_as_max_pooling():
    text = document(lp_spec(X4, 2, 2, float("inf")))
    assert r"With $p = \infty$ LP pooling is max pooling" in text and "x_i^{p-1}" not in text
