"""One test per diagnosis code: the mistaken answer is built from the engine (or torch) under the mistaken
assumption, graded, and must be diagnosed by its code."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
import yaml

from grader.diagnose import CODES, cost
from grader.grading import grader_for
from symconv import conv2d, lp_pool2d, max_pool2d, output_size, output_size_expr, sym_matrix
from symconv.chain import partial
from symconv.latex import latex
from symconv.spec import DEFAULT_SPEC, load_spec
from symconv.tasks.convolution import alternatives as conv_alternatives


def rows(m) -> list[list]:
    return [[int(x) if x.is_Integer else str(x) for x in r] for r in m.tolist()]


@pytest.fixture(scope="module")
def homework():
    return grader_for(None)


@pytest.fixture(scope="module")
def strided():
    """A 6x6 input, 3x3 kernel, stride 2, padding 1; pooling 2x2 with stride 2 (so ceil mode differs)."""
    data = yaml.safe_load(Path(DEFAULT_SPEC).read_text())
    data["matrices"]["A"] = [[(3 * i + 5 * j) % 7 - 2 for j in range(6)] for i in range(6)]
    data["convolution"].update(stride=2, padding=1)
    data["pooling"].update(stride=2)
    return grader_for(load_spec(data))


def part(grader, submission_answers: dict, part_id: str):
    result = grader.grade({"student": "t", "answers": submission_answers})
    return next(p for p in result.parts if p.part == part_id)


def test_flipped_kernel(homework):
    sol = homework.reference.solution
    got = part(homework, {"1.1c": rows(conv2d(sol.input, sol.kernel, flip=True))}, "1.1c")
    assert "flipped-kernel" in got.diagnoses
    cost = load_spec().rubric["flipped-kernel"]  # the homework keeps half the points for a consistent flip
    assert cost < 1 and got.score == pytest.approx((1 - cost) * got.max_score)


def test_flipped_kernel_agrees_with_torch_true_convolution(homework):
    sol = homework.reference.solution
    x, w = (torch.tensor(np.array(m.tolist(), dtype=float))[None, None] for m in (sol.input, sol.kernel))
    true_conv = F.conv2d(x, torch.flip(w, (2, 3)))[0, 0].round().int().tolist()
    assert next(a for a in conv_alternatives(sol) if a.code == "flipped-kernel").value.tolist() == true_conv


def test_transposed(homework):
    sol = homework.reference.solution
    got = part(homework, {"1.1d-matrix": rows(sol.grad_input.T)}, "1.1d-matrix")
    assert "transposed" in got.diagnoses


def test_output_size_off_by_one(homework):
    spec = homework.spec
    a, b = spec.matrices["A"], spec.matrices["B"]
    size = (output_size(a.rows, b.rows) + 1, output_size(a.cols, b.cols) + 1)
    got = part(homework, {"1.1a": f"{size[0]} x {size[1]}"}, "1.1a")
    assert got.diagnoses == ["output-size-off-by-one"] and got.score == 0.0
    c = sympy.ones(size[0], size[1])
    assert "output-size-off-by-one" in part(homework, {"1.1c": rows(c)}, "1.1c").diagnoses
    formula = latex(output_size_expr() + 1)
    assert part(homework, {"1.1b": formula}, "1.1b").diagnoses == ["output-size-off-by-one"]


def test_ceil_instead_of_floor(strided):
    spec = strided.spec
    a, b, c = spec.matrices["A"], spec.matrices["B"], spec.conv
    ceil = [math.ceil((a.shape[k] + 2 * c.padding[k] - b.shape[k]) / c.stride[k]) + 1 for k in (0, 1)]
    got = part(strided, {"1.1a": f"{ceil[0]} \\times {ceil[1]}"}, "1.1a")
    assert "ceil-instead-of-floor" in got.diagnoses
    assert got.score == pytest.approx(1 - cost(spec, "ceil-instead-of-floor"))
    formula = latex(output_size_expr().replace(sympy.floor, sympy.ceiling))
    got = part(strided, {"1.1b": formula}, "1.1b")
    assert got.diagnoses == ["ceil-instead-of-floor"] and got.score == pytest.approx(2 * 0.5)
    sol = strided.reference.solution
    pooled = max_pool2d(sol.pool_input, 2, stride=2, ceil_mode=True)
    assert "ceil-instead-of-floor" in part(strided, {"1.2c": rows(pooled)}, "1.2c").diagnoses


def test_padding_forgotten(strided):
    sol = strided.reference.solution
    x = torch.tensor(np.array(sol.input.tolist(), dtype=float))[None, None]
    w = torch.tensor(np.array(sol.kernel.tolist(), dtype=float))[None, None]
    unpadded = F.conv2d(x, w, stride=2, padding=0)[0, 0].round().int().tolist()
    got = part(strided, {"1.1c": unpadded}, "1.1c")
    assert "padding-forgotten" in got.diagnoses


def test_unflipped_kernel_in_gradient(homework):
    """Literally: correlate the upstream, padded by K-1, with the kernel as given (not rotated)."""
    sol = homework.reference.solution
    k = sol.kernel.rows - 1
    g = np.pad(np.array(sol.upstream.tolist(), dtype=float), k)
    mistaken = F.conv2d(torch.tensor(g)[None, None],
                        torch.tensor(np.array(sol.kernel.tolist(), dtype=float))[None, None])[0, 0]
    got = part(homework, {"1.1d-matrix": mistaken.round().int().tolist()}, "1.1d-matrix")
    assert "unflipped-kernel-in-gradient" in got.diagnoses


def test_entry_slip(homework):
    sol = homework.reference.solution
    answer = rows(sol.output)
    answer[2][0] += 3
    got = part(homework, {"1.1c": answer}, "1.1c")
    assert got.diagnoses == ["entry-slip"]
    assert got.score == pytest.approx(3 * 8 / 9)
    assert "expected 110, got 113" in got.feedback


def test_pool_wrong_stride(homework):
    sol = homework.reference.solution
    x = torch.tensor(np.array(sol.pool_input.tolist(), dtype=float))[None, None]
    wrong = F.max_pool2d(x, 2, stride=2)[0, 0].int().tolist()
    got = part(homework, {"1.2c": wrong}, "1.2c")
    assert "pool-wrong-stride" in got.diagnoses and "stride 2" in got.feedback


def test_lp_normalisation(homework):
    answers = {"max": r"\max_{x \in S} x", "avg": "sum(S)/N",
               "lp": r"\left(\frac{1}{N} \sum_{x \in S} x^p\right)^{1/p}"}
    got = part(homework, {"1.2b": answers}, "1.2b")
    assert got.diagnoses == ["lp-normalisation"]
    assert got.score == pytest.approx(3 * (1 - cost(homework.spec, "lp-normalisation")))
    assert "Note:" in got.feedback and "- lp-normalisation" not in got.feedback   # free: a note, not a mistake
    answers["lp"] = r"\left(\sum_{x \in S} x^p\right)^{1/p}"
    assert part(homework, {"1.2b": answers}, "1.2b").diagnoses == []


def test_hard_coded_window_size(homework):
    """The engine's formulas on this 2x2 window are right here, but the question asks for any window."""
    p = sympy.Symbol("p", positive=True)
    window = sym_matrix("X", 2, 2)
    answers = {"max": "max(S)", "avg": "sum(S)/N", "lp": latex(lp_pool2d(window, p, 2, norm="torch")[0, 0])}
    got = part(homework, {"1.2b": answers}, "1.2b")
    assert got.diagnoses == ["hard-coded-window-size"]
    assert got.score == pytest.approx(3 - 1 * cost(homework.spec, "hard-coded-window-size"))
    answers["max"] = latex(max_pool2d(window, 2)[0, 0])
    assert part(homework, {"1.2b": answers}, "1.2b").score == pytest.approx(3 - 2 * 0.5)


def _chain(rule, outputs, wrt=None) -> str:
    E, wrt = rule.loss, wrt or rule.entry
    terms = " + ".join(f"{latex(partial(E, c))} {latex(partial(c, wrt))}" for c in outputs)
    return f"{latex(partial(E, rule.entry))} = {terms} = {latex(rule.total)}"


def chain_part(grader, key, text):
    sol = grader.reference.solution
    answers = {f"A_{{{i}{j}}}": latex(rule.total) for (i, j), rule in sol.chain.items()}
    answers[f"A_{{{key[0]}{key[1]}}}"] = text
    return part(grader, {"1.1d": answers}, "1.1d")


def test_chain_rule_extra_term(homework):
    rule = homework.reference.solution.chain[(2, 4)]
    listed = [t.output for t in rule.terms]
    rows_, cols_ = homework.reference.solution.output_shape
    outputs = [sympy.Symbol(f"C_{u}{v}", real=True) for u in range(1, rows_ + 1) for v in range(1, cols_ + 1)]
    others = [s for s in outputs if s not in listed]
    got = chain_part(homework, (2, 4), _chain(rule, listed + others[:1]))
    assert got.diagnoses == ["chain-rule-extra-term"]
    assert "does not depend on" in got.feedback
    assert got.score == pytest.approx(5 - 5 / 25 * cost(homework.spec, "chain-rule-extra-term"))


def test_chain_rule_missing_term(homework):
    rule = homework.reference.solution.chain[(3, 3)]
    got = chain_part(homework, (3, 3), _chain(rule, [t.output for t in rule.terms][1:]))
    assert got.diagnoses == ["chain-rule-missing-term"]
    assert got.score == pytest.approx(5 - 5 / 25 * 0.25)


def test_chain_rule_wrong_variable(homework):
    rule = homework.reference.solution.chain[(1, 2)]
    other = sympy.Symbol("A_21", real=True)
    got = chain_part(homework, (1, 2), _chain(rule, [t.output for t in rule.terms], wrt=other))
    assert got.diagnoses == ["chain-rule-wrong-variable"]


@pytest.mark.parametrize("path, code, right", [
    ("torch.nn.MaxPool2d", None, True),
    ("nn.MaxPool2d", None, True),
    ("torch.nn.modules.pooling.MaxPool2d", None, True),
    ("MaxPool2d", None, True),                          # the question names torch.nn
    (r"\text{nn.MaxPool2d}", None, True),
    (r"$\texttt{torch.nn.MaxPool2d}$", None, True),
    ("`nn.MaxPool2d`", None, True),
    ("nn.MaxPool2d(kernel_size=2, stride=1)", None, True),
    (r"\texttt{nn.MaxPool2d(kernel\_size=(2, 2))}.", None, True),
    ("torch.MaxPool2d", "module-path", False),
    ("torch.nn.functional.max_pool2d", "functional-form", False),
    ("F.max_pool2d", "functional-form", False),
    ("nn.MaxPool2D", "module-capitalisation", False),
    ("torch.nn.maxpool2d", "module-capitalisation", False),
    ("torch.nn.AvgPool2d", None, False),
    ("F.avg_pool2d", None, False),
    ("os.system", None, False),
    ("nn.MaxPool2d.__init__.__globals__", None, False),
])
def test_module_path(homework, path, code, right):
    answers = {"max": path, "avg": "torch.nn.AvgPool2d", "lp": "torch.nn.LPPool2d"}
    got = part(homework, {"1.2a": answers}, "1.2a")
    assert got.diagnoses == ([code] if code else [])
    share = 0.5 * (1.0 if right else (1 - cost(homework.spec, code)) if code else 0.0)
    assert got.score == pytest.approx(1.0 + share)
    if code:
        assert "should be torch.nn.MaxPool2d" in got.feedback and 0 < cost(homework.spec, code) < 1
    assert torch.nn.MaxPool2d.__name__ == "MaxPool2d"


def test_every_code_is_described():
    for code in ("flipped-kernel", "transposed", "output-size-off-by-one", "ceil-instead-of-floor",
                 "padding-forgotten", "unflipped-kernel-in-gradient", "entry-slip", "pool-wrong-stride",
                 "lp-normalisation", "chain-rule-extra-term", "chain-rule-missing-term",
                 "chain-rule-wrong-variable", "module-path", "functional-form", "module-capitalisation",
                 "hard-coded-window-size", "chain-rule-not-shown"):
        assert CODES[code]
