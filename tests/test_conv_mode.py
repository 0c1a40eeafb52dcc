"""``convolution.mode``: cross-correlation (PyTorch's, the default) or true convolution (the kernel rotated by 180
degrees). Every reference follows the mode and matches torch (F.conv2d, with the kernel flipped for a true
convolution); the diagnosed alternatives turn around; a misspelt mode is a one-line error with a suggestion; the
default mode is today's behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
import yaml

from grader import grade
from grader.diagnose import CODES
from grader.result import NEEDS_REVIEW
from symconv import derive_solution
from symconv.document import build_document
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.spec import DEFAULT_SPEC, TEMPLATES, load_spec
from symconv.tasks import TASKS, kernel_gradient

MODES = ("cross-correlation", "convolution")
X5 = [[1, 0, 2, 3, 1], [2, 1, 0, 1, 3], [0, 3, 1, 2, 0], [1, 2, 2, 0, 1], [3, 0, 1, 1, 2]]
X46 = [[2, 0, 1, 4, 1, 3], [1, 3, 0, 2, 2, 1], [0, 2, 4, 1, 3, 0], [3, 1, 2, 0, 1, 2]]
CASES = {   # input, kernel, convolution settings (the upstream is a given matrix of numbers: every entry differs)
    "2x2-kernel": (X5, [[1, 2], [0, -1]], {}),
    "3x3-stride-2-padding-1": (X5, [[1, 2, 0], [-1, 3, 1], [2, 0, 1]], {"stride": 2, "padding": 1}),
    "dilation-2": (X5, [[1, 2], [3, 4]], {"dilation": 2}),
    "non-square": (X46, [[1, -2, 3], [0, 1, 1]], {"stride": [1, 2], "padding": [1, 0]}),
}


def conv_spec(x, w, mode: str | None = None, task: str = "convolution", upstream: bool = True, **cfg) -> dict:
    """A one-part spec; the upstream is a matrix G of distinct numbers when ``upstream``."""
    setup = {"input": "A", "kernel": "B", **cfg, **({"mode": mode} if mode else {})}
    matrices = {"A": x, "B": w}
    if upstream:
        oh, ow = torch_forward(x, w, mode or "cross-correlation", cfg).shape
        matrices["G"] = [[(3 * u + 5 * v) % 7 - 3 for v in range(ow)] for u in range(oh)]
        setup["upstream"] = "G"
    return {"name": "mode", "matrices": matrices, "convolution": setup,
            "problems": [{"id": "1", "parts": [{"id": "a", "task": task, "points": 4}]}]}


def torch_forward(x, w, mode: str, cfg: dict, grad: bool = False):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=grad)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=grad)
    used = torch.flip(wt, dims=(-2, -1)) if mode == "convolution" else wt
    out = F.conv2d(xt[None, None], used[None, None], stride=cfg.get("stride", 1), padding=cfg.get("padding", 0),
                   dilation=cfg.get("dilation", 1))[0, 0]
    return (out, xt, wt) if grad else out


def as_tensor(m: sympy.Matrix) -> torch.Tensor:
    return torch.tensor([[float(e) for e in row] for row in m.tolist()], dtype=torch.float64)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES)
def test_every_reference_is_torchs(case, mode):
    """Output, both gradients, and every chain-rule expansion (input and kernel entries) against torch."""
    x, w, cfg = CASES[case]
    sol = derive_solution(load_spec(conv_spec(x, w, mode, **cfg)))
    out, xt, wt = torch_forward(x, w, mode, cfg, grad=True)
    out.backward(as_tensor(sol.upstream))
    assert torch.equal(as_tensor(sol.output), out.detach())
    assert torch.equal(as_tensor(sol.grad_input), xt.grad) and torch.equal(as_tensor(sol.grad_kernel), wt.grad)
    numbers = {**dict(zip(sol.symbols["A"], sol.input)), **dict(zip(sol.symbols["B"], sol.kernel))}
    chain = sympy.Matrix(len(x), len(x[0]), lambda i, j: sol.chain[(i + 1, j + 1)].total.xreplace(numbers))
    assert torch.equal(as_tensor(chain), xt.grad)
    rules = kernel_gradient.kernel_chain(sol)
    kernel = sympy.Matrix(len(w), len(w[0]), lambda m, n: rules[(m + 1, n + 1)].total.xreplace(numbers))
    assert torch.equal(as_tensor(kernel), wt.grad)


@pytest.mark.parametrize("mode", MODES)
def test_the_pooling_pools_the_modes_output(mode):
    data = conv_spec(X46, [[1, 2], [0, -1]], mode, upstream=False)
    data["pooling"] = {"kernel_size": 2, "stride": 1}
    sol = derive_solution(load_spec(data))
    out = torch_forward(X46, [[1, 2], [0, -1]], mode, {})
    assert torch.equal(as_tensor(sol.pooled_max), F.max_pool2d(out[None], 2, stride=1)[0])
    assert torch.equal(as_tensor(sol.pooled_avg), F.avg_pool2d(out[None], 2, stride=1)[0])


def test_the_modes_differ():
    """The test cases can tell the modes apart (a symmetric kernel could not)."""
    x, w, cfg = CASES["2x2-kernel"]
    sols = [derive_solution(load_spec(conv_spec(x, w, mode, **cfg))) for mode in MODES]
    assert sols[0].output != sols[1].output and sols[0].grad_input != sols[1].grad_input
    assert sols[1].grad_kernel == sols[0].grad_kernel[::-1, ::-1]


@pytest.mark.parametrize(("mode", "expected"), [(None, "cross-correlation"), ("cross-correlation", "cross-correlation"),
                                                ("convolution", "convolution")])
def test_the_operation_placeholder(mode, expected):
    spec = load_spec(conv_spec(X5, [[1, 2], [0, -1]], mode))
    assert spec.fill("the [[operation]] of A and B") == f"the {expected} of A and B"
    assert spec.conv.flip is (expected == "convolution")


@pytest.mark.parametrize(("value", "hint"), [("convolutoin", "did you mean `convolution`?"),
                                             ("Convolution", "did you mean `convolution`?"),
                                             ("cross_correlation", "did you mean `cross-correlation`?"),
                                             ("true", "known: convolution, cross-correlation")])
def test_a_misspelt_mode_is_a_one_line_error(tmp_path, value, hint):
    data = conv_spec(X5, [[1, 2], [0, -1]], value)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    line = next(k for k, text in enumerate(path.read_text().splitlines(), 1) if text.strip().startswith("mode:"))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert "\n" not in message and f"line {line}: convolution.mode: unknown mode" in message and hint in message


# Grading: the right answer, the other operation's answer, an unreadable answer.

def part_result(spec: dict, answer):
    result = grade(spec, {"student": "s", "answers": {"a": answer}})
    return next(p for p in result.parts if p.part == "a")


MATRIX_TASKS = {   # task -> the reference's attribute
    "convolution": "output", "input-gradient-matrix": "grad_input", "kernel-gradient-matrix": "grad_kernel"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("task", [*MATRIX_TASKS, "kernel-gradient"])
def test_grading_follows_the_mode(task, mode):
    """The right answer gets full marks; the other operation's answer (computed by torch, not by the engine) is
    ``unflipped-kernel`` for a true convolution and the usual code for a cross-correlation; an unreadable answer
    goes to a person."""
    x, w, cfg = CASES["3x3-stride-2-padding-1"]
    spec = conv_spec(x, w, mode, task=task, **cfg)
    other_mode = MODES[1 - MODES.index(mode)]
    out, xt, wt = torch_forward(x, w, other_mode, cfg, grad=True)
    sol = derive_solution(load_spec(spec))
    out.backward(as_tensor(sol.upstream))
    if task in MATRIX_TASKS:
        right = latex(getattr(sol, MATRIX_TASKS[task]))
        other = {"convolution": out.detach(), "input-gradient-matrix": xt.grad,
                 "kernel-gradient-matrix": wt.grad}[task]
        wrong = latex(sympy.Matrix(other.to(torch.int64).tolist()))
        unreadable = r"\begin{bmatrix} 1 & +* \end{bmatrix}"
    else:
        rules = kernel_gradient.kernel_chain(sol)
        right = {f"B_{{{m}{n}}}": latex(rule.total) for (m, n), rule in rules.items()}
        numbers = dict(zip(sol.symbols["A"], sol.input))
        wrong = {f"B_{{{m}{n}}}": latex(rules[(4 - m, 4 - n)].total) for (m, n) in rules}   # rotated sums
        assert all(float(rules[(4 - m, 4 - n)].total.xreplace(numbers)) == float(wt.grad[m - 1, n - 1])
                   for (m, n) in rules)   # the other operation's kernel gradient, as torch computes it
        unreadable = {**right, "B_{12}": r"A_{21} +* A_{23}"}
    got = part_result(spec, right)
    assert got.score == 4 and got.status != NEEDS_REVIEW and not set(got.diagnoses) - {"chain-rule-not-shown"}
    expected = ("unflipped-kernel" if mode == "convolution" else
                "unflipped-kernel-in-gradient" if task == "input-gradient-matrix" else "flipped-kernel")
    got = part_result(spec, wrong)
    assert expected in got.diagnoses and got.score < 4
    assert part_result(spec, unreadable).status == NEEDS_REVIEW


def test_the_new_code_has_its_sentence():
    assert CODES["unflipped-kernel"] == ("you did not rotate the kernel; this problem defines convolution as true "
                                         "convolution (kernel rotated by 180 degrees)")


@pytest.mark.parametrize("task", ["convolution", "input-gradient-matrix", "kernel-gradient-matrix",
                                  "kernel-gradient"])
def test_the_alternatives_turn_around(task):
    """In convolution mode no alternative is called flipped-kernel, and the other operation's is unflipped-kernel."""
    x, w, cfg = CASES["3x3-stride-2-padding-1"]
    codes = {mode: [a.code for a in TASKS[task].alternatives(derive_solution(load_spec(conv_spec(x, w, mode, **cfg))))]
             for mode in MODES}
    assert "unflipped-kernel" in codes["convolution"] and "unflipped-kernel" not in codes["cross-correlation"]
    assert not {"flipped-kernel", "unflipped-kernel-in-gradient"} & set(codes["convolution"])


# The documents say which operation it is, and which kernel entry meets which input entry.

def test_the_document_says_true_convolution():
    sol = derive_solution(TEMPLATES / "true-convolution.yaml")
    text = build_document(sol).dumps()
    assert "true convolution" in text and "the kernel is not flipped" not in text
    kh, kw = sol.kernel.shape
    # the first window's top-left cell meets the kernel's bottom-right entry, in the figure and in the sum
    assert rf"{{$\times {{{latex(sol.kernel[kh - 1, kw - 1])}}}$}}" in text.split(r"\node at (0.36,-0.4)")[1][:400]
    assert r"Y_{11} &= X_{11} K_{22} + X_{12} K_{21} + X_{21} K_{12} + X_{22} K_{11}" in text


def test_the_default_document_says_cross_correlation():
    text = build_document(derive_solution()).dumps()
    assert "cross-correlation: the kernel is not flipped" in text and "true convolution:" not in text


def test_the_summary_index_rule_rotates_the_kernel():
    """In a summary, C_uv = sum A_{S(u-1)+D(K-m)+1-P, ...} B_mn (here S 2, D 1, K 3, P 1): the kernel index runs
    backwards."""
    x, w, cfg = CASES["3x3-stride-2-padding-1"]
    data = {**conv_spec(x, w, "convolution", **cfg), "document": {"detail": "summary"}}
    text = build_document(derive_solution(load_spec(data))).dumps()
    assert r"C_{uv} = \sum_{m,n} A_{2 u - m + 1,\,2 v - n + 1}\, B_{mn}" in text


def test_the_default_mode_keeps_the_homeworks_evaluation_points():
    """ConvSetup's repr seeds the grader's points: the new field stays out of it."""
    spec = load_spec(DEFAULT_SPEC)
    assert "mode" not in repr(spec.conv) and spec.conv.mode == "cross-correlation"


def test_the_solutions_pictures_follow_the_mode():
    """plot_gradient shows the true convolution's input gradient; plot_window's output is its output."""
    sol = derive_solution(TEMPLATES / "true-convolution.yaml")
    fig = sol.plot_gradient("gradient")
    assert np.asarray(fig.axes[0].images[0].get_array()).tolist() == as_tensor(sol.grad_input).tolist()
    out_texts = sorted(t.get_text() for t in sol.plot_window().axes[2].texts)
    assert out_texts == sorted(str(v) for v in sol.output)


@pytest.mark.parametrize("mode", MODES)
def test_the_input_chain_rule_is_graded_in_the_mode(mode):
    """Per entry: the mode's sums get full marks, the other operation's sums lose the entries that differ."""
    x, w, cfg = CASES["2x2-kernel"]
    spec = conv_spec(x, w, mode, task="input-gradient", **cfg)
    sols = {m: derive_solution(load_spec(conv_spec(x, w, m, task="input-gradient", **cfg))) for m in MODES}

    def answer(sol) -> dict[str, str]:
        return {f"A_{{{i}{j}}}": latex(rule.total) for (i, j), rule in sol.chain.items()}
    assert part_result(spec, answer(sols[mode])).score == 4
    other = sols[MODES[1 - MODES.index(mode)]]
    wrong = sum(sols[mode].chain[key].total != other.chain[key].total for key in other.chain)
    assert 0 < wrong < len(other.chain)
    assert part_result(spec, answer(other)).score == pytest.approx(4 * (1 - wrong / len(other.chain)))
