"""Tasks max-pool-gradient and avg-pool-gradient: the references against torch autograd (ties, overlapping windows,
padding, non-square windows, a symbolic upstream checked coefficient by coefficient against torch's Jacobian), every
diagnosed alternative recomputed and named by grader.grade, a right answer full marks, an unreadable answer left to
a person, and the document's tie and overlap sentences only where they apply."""

from __future__ import annotations

import dataclasses
import types

import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from grader import grade
from grader.diagnose import CODES, cost
from grader.result import NEEDS_REVIEW
from symconv import derive_solution
from symconv.document import build_document
from symconv.errors import VerificationError
from symconv.latex import latex
from symconv.spec import TEMPLATES, load_spec
from symconv.tasks import max_pool_gradient, task

TIES = TEMPLATES / "maxpool-backprop-ties.yaml"
OVERLAP = TEMPLATES / "pool-gradients-overlap.yaml"


def pool_spec(x, kernel_size, stride, padding=0, upstream="ones") -> dict:
    """A spec pooling matrix X (the convolution is the identity, which no part asks about)."""
    return {"name": "pool", "matrices": {"X": x, "K": [[1]]},
            "convolution": {"input": "X", "kernel": "K", "upstream": upstream},
            "pooling": {"input": "X", "kernel_size": kernel_size, "stride": stride, "padding": padding},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "max-pool-gradient", "points": 2},
                                               {"id": "b", "task": "avg-pool-gradient", "points": 2}]}]}


CASES = {   # x, kernel_size, stride, padding
    "ties-stride-2": ([[1, 3, 2, 2], [3, 0, 1, 0], [4, 2, 5, 1], [0, 1, 5, 3]], 2, 2, 0),
    "all-equal-overlapping": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 2, 1, 0),
    "shared-winner-stride-1": ([[0, 1, 0, 2], [1, 9, 1, 0], [0, 1, 0, 2], [3, 3, 3, 3]], 2, 1, 0),
    "padding-3x3-stride-2": ([[2, 7, 1, 8, 2, 8], [8, 1, 8, 2, 8, 1], [4, 5, 9, 0, 4, 5], [5, 2, 3, 5, 3, 6],
                              [6, 0, 2, 8, 7, 4], [1, 9, 3, 9, 5, 2]], 3, 2, 1),
    "negative-ties-non-square": ([[-1, -1, -2], [-3, -1, -1], [-2, -2, -5]], [2, 1], [1, 1], 0),
    "floor-drops-a-row": ([[5, 5, 1], [5, 5, 1], [7, 7, 7]], 2, 2, 0),
}


def torch_grad(kind: str, x, kernel_size, stride, padding, g: torch.Tensor | None = None) -> torch.Tensor:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = pool(xt[None, None], kernel_size, stride, padding)[0, 0]
    y.backward(torch.ones_like(y) if g is None else g)
    assert xt.grad is not None
    return xt.grad


def as_tensor(m: sympy.Matrix) -> torch.Tensor:
    return torch.tensor([[float(e) for e in row] for row in m.tolist()], dtype=torch.float64)


def same(exact: sympy.Matrix, autograd: torch.Tensor) -> bool:
    """The exact gradient and torch's float64 one (sums of thirds and ninths round in the last bit)."""
    return torch.allclose(as_tensor(exact), autograd, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", CASES)
def test_the_reference_is_torchs_gradient_with_a_ones_upstream(kind, case):
    x, k, s, p = CASES[case]
    ref = task(f"{kind}-pool-gradient").reference(derive_solution(load_spec(pool_spec(x, k, s, p))))
    assert same(ref, torch_grad(kind, x, k, s, p))


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", CASES)
def test_a_symbolic_upstream_is_torchs_jacobian(kind, case):
    """The coefficient of G_uv in each entry is torch's gradient for the upstream that is 1 at (u, v) only."""
    x, k, s, p = CASES[case]
    sol = derive_solution(load_spec(pool_spec(x, k, s, p, upstream="symbolic")))
    ref = task(f"{kind}-pool-gradient").reference(sol)
    g = max_pool_gradient.pool_upstream(sol.spec)
    assert ref.free_symbols <= set(g)
    for (u, v), symbol in zip(((u, v) for u in range(g.rows) for v in range(g.cols)), g):
        one_hot = torch.zeros(g.shape, dtype=torch.float64)
        one_hot[u, v] = 1
        assert same(ref.diff(symbol), torch_grad(kind, x, k, s, p, one_hot)), (u, v)


@st.composite
def pools(draw) -> tuple[list[list[int]], int, int, int]:
    """Small integer maps (ties are common) and a pooling that fits: stride 1..3, padding at most half the window
    (so no window is padding only)."""
    rows, cols, k = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    x = draw(st.lists(st.lists(st.integers(-2, 2), min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    return x, k, draw(st.integers(1, 3)), p


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=pools(), kind=st.sampled_from(["max", "avg"]))
def test_the_reference_is_torchs_gradient_on_random_maps(case, kind):
    x, k, s, p = case
    assume(k <= min(len(x), len(x[0])) + 2 * p)   # the window fits the padded map (the spec loader refuses it)
    ref = task(f"{kind}-pool-gradient").reference(derive_solution(load_spec(pool_spec(x, k, s, p))))
    assert same(ref, torch_grad(kind, x, k, s, p))


def test_count_include_pad_is_read_from_the_pooling_section():
    """A pooling section that says count_include_pad=False (the spec language cannot say it yet) is followed."""
    x, k, s, p = CASES["padding-3x3-stride-2"]
    spec = load_spec(pool_spec(x, k, s, p))
    pool = spec.pooling
    assert pool is not None
    fields = {f.name: getattr(pool, f.name) for f in dataclasses.fields(pool)}
    spec = dataclasses.replace(spec, pooling=types.SimpleNamespace(**fields, count_include_pad=False))
    ref = task("avg-pool-gradient").reference(derive_solution(spec))
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    F.avg_pool2d(xt[None, None], k, s, p, count_include_pad=False).sum().backward()
    assert xt.grad is not None and same(ref, xt.grad)
    assert "window $Y_{11}$, for one, has 4, so $N = 4$ there" in document(spec)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_a_wrong_engine_gradient_is_caught_by_the_verification(kind, monkeypatch):
    module = __import__(f"symconv.tasks.{kind}_pool_gradient", fromlist=["reference"])
    engine = getattr(module, f"{kind}_pool2d_grad")
    monkeypatch.setattr(module, f"{kind}_pool2d_grad", lambda *a, **kw: engine(*a, **kw) * 2)
    with pytest.raises(VerificationError):
        module.reference(derive_solution(TIES))


def bmatrix(m: sympy.Matrix) -> str:
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(latex(e) for e in row) for row in m.tolist()) + \
        r" \end{bmatrix}"


def graded(spec, part_id: str, answer):
    result = grade(spec, {"answers": {part_id: answer}})
    return next(p for p in result.parts if p.part == part_id)


DIAGNOSED = [   # spec, part, task, the codes its alternatives must include
    (TIES, "1c", "max-pool-gradient", {"pool-tie-split", "pool-tie-all", "pool-tie-last", "pool-forward-result",
                                        "transposed"}),
    (OVERLAP, "1c", "max-pool-gradient", {"pool-tie-split", "pool-tie-all", "pool-tie-last",
                                           "pool-overlap-not-summed", "pool-forward-result", "transposed"}),
    (OVERLAP, "1b", "avg-pool-gradient", {"pool-avg-not-divided", "pool-overlap-not-summed", "pool-divisor-padding",
                                           "pool-forward-result"}),
]


@pytest.mark.parametrize(("spec", "part_id", "name", "codes"), DIAGNOSED)
def test_every_alternative_is_recomputed_and_diagnosed(spec, part_id, name, codes):
    sol = derive_solution(spec)
    alternatives = task(name).alternatives(sol)
    assert {a.code for a in alternatives} == codes
    right = task(name).reference(sol)
    points = load_spec(spec).part(part_id).points
    for alt in alternatives:
        assert alt.value != right and alt.code in CODES
        got = graded(str(spec), part_id, bmatrix(alt.value))
        assert alt.code in got.diagnoses, alt
        assert points * (1 - cost(load_spec(spec), alt.code)) <= got.score < points, alt


def test_overlap_not_summed_keeps_the_first_or_the_last_window():
    """With a symbolic upstream an entry winning two windows gets G of either one: two alternatives, one code."""
    x, k, s, p = CASES["shared-winner-stride-1"]
    sol = derive_solution(load_spec(pool_spec(x, k, s, p, upstream="symbolic")))
    kept = [a.value[1, 1] for a in task("max-pool-gradient").alternatives(sol) if a.code == "pool-overlap-not-summed"]
    G = max_pool_gradient.pool_upstream(sol.spec)
    assert task("max-pool-gradient").reference(sol)[1, 1] == G[0, 0] + G[0, 1] + G[1, 0] + G[1, 1]
    assert kept == [G[0, 0], G[1, 1]]


@pytest.mark.parametrize(("spec", "part_id", "name"), [(TIES, "1c", "max-pool-gradient"),
                                                      (OVERLAP, "1c", "max-pool-gradient"),
                                                      (OVERLAP, "1b", "avg-pool-gradient")])
@pytest.mark.parametrize("notation", ["bmatrix", "lists"])
def test_a_right_answer_gets_full_marks(spec, part_id, name, notation):
    right = task(name).reference(derive_solution(spec))
    answer = bmatrix(right) if notation == "bmatrix" else str(right.tolist())
    got = graded(str(spec), part_id, answer)
    assert got.score == load_spec(spec).part(part_id).points and got.diagnoses == []


@pytest.mark.parametrize("answer", ["[[0, 1], [1", r"\begin{bmatrix} 1 & ?? \end{bmatrix}"])
def test_an_unreadable_answer_goes_to_a_person(answer):
    got = graded(str(TIES), "1c", answer)
    assert got.status == NEEDS_REVIEW and got.score == 0


@pytest.mark.parametrize("spec", [TIES, OVERLAP])
def test_the_answer_sheet_filled_with_the_references_grades_to_full_marks(spec, tmp_path):
    from symconv.document.answer_sheet import answer_sheet
    from symconv.tasks.common import pooled_shape

    loaded, sol = load_spec(spec), derive_solution(spec)
    sheet = answer_sheet(loaded).replace(r"\student{}", r"\student{ada}")
    for part in loaded.parts:
        reference = task(part.task).reference
        rows, cols = pooled_shape(loaded)
        answer = bmatrix(reference(sol)) if reference is not None else f"{rows} \\times {cols}"
        sheet = sheet.replace(f"\\answer{{{part.id}}}{{}}", f"\\answer{{{part.id}}}{{{answer}}}")
    (tmp_path / "ada.tex").write_text(sheet, encoding="utf-8")
    result = grade(str(spec), tmp_path / "ada.tex")
    assert [p.score for p in result.parts] == [p.points for p in loaded.parts] and result.status == "ok"


def test_a_write_up_is_read_and_graded(tmp_path):
    """A plain write-up: the pooled size is found next to Y (not X's, written first), the matrices by their names;
    the spec has no convolution, so the size locator must not need one."""
    sol = derive_solution(TIES)
    write_up = tmp_path / "ada.md"
    write_up.write_text("# Max pooling, ada\n\n1a. X is 4 x 4, so the output Y is 2 x 2.\n\n"
                        f"1b.\n$$Y = {bmatrix(sol.pooled_max)}$$\n\n1c.\n"
                        rf"$$\frac{{\partial E}}{{\partial X}} = "
                        f"{bmatrix(task('max-pool-gradient').reference(sol))}$$\n", encoding="utf-8")
    result = grade(str(TIES), write_up)
    assert [(p.part, p.score) for p in result.parts] == [("1a", 1.0), ("1b", 2.0), ("1c", 4.0)]


def document(spec) -> str:
    return build_document(derive_solution(spec)).dumps()


def test_the_document_states_the_tie_rule_only_where_a_window_ties():
    tied, untied = document(TIES), document(load_spec(pool_spec([[1, 2], [3, 4]], 2, 2)))
    assert "Windows $Y_{11}$, $Y_{12}$ and $Y_{22}$ hold their maximum more than once" in tied
    assert "more than once" not in untied and "overlapping" not in untied.lower()
    assert r"$Y_{12}$ & rows $1$--$2$, columns $3$--$4$ & $2$ & $X_{13}$ & $X_{14}$ \\" in tied


def test_the_document_adds_up_overlapping_windows():
    text = document(OVERLAP)
    assert (r"Overlapping windows add up: $X_{21}$ wins 2 windows, so $\partial E/\partial X_{21} = 1 + 1 = 2$ "
            "(and 2 more entries likewise)") in text
    assert r"The windows overlap: $X_{22}$ lies in 4 of them" in text
    assert "(window $Y_{11}$, for one, has only 4 real entries)" in text
    assert r"\frac{\partial E}{\partial X} = \frac{1}{9} \begin{bmatrix}1 & 2 & 1" in text   # 1/9 taken out


@pytest.mark.parametrize(("kernel_size", "stride", "shown"), [
    (2, 1, r"\frac{1}{4} \begin{bmatrix}1 & 2 & 1\\2 & 4 & 2"),   # 8 of 9 entries fractions: 1/4 taken out
    (1, 1, r"\frac{\partial E}{\partial X} = \begin{bmatrix}1 & 1 & 1"),   # whole numbers: nothing taken out
])
def test_the_average_gradient_takes_out_a_common_denominator(kernel_size, stride, shown):
    text = document(load_spec(pool_spec([[1, 2, 3], [4, 5, 6], [7, 8, 10]], kernel_size, stride)))
    assert shown in text
