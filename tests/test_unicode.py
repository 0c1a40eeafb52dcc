"""symconv.unicode: readable Unicode maths from SymPy values (UnicodePrinter) and from the project's LaTeX
(from_latex); the two agree on everything the engine produces."""

from __future__ import annotations

import pytest
import sympy

from symconv import derive_solution, entry_symbol, output_size_expr, sym_matrix
from symconv.latex import latex
from symconv.unicode import from_latex, matrix_rows, script, unicode

x, y, p, I, K, S, N = sympy.symbols("x y p I K S N")
E = sympy.Symbol("E")
B = sym_matrix("B", 3, 3)
C12, A24 = entry_symbol("C", 1, 2), entry_symbol("A", 2, 4)
SOL = derive_solution()


@pytest.mark.parametrize("expr, text", [
    (output_size_expr(), "⌊(I + 2P − D(K − 1) − 1)/S⌋ + 1"),
    (B[0, 1] + B[0, 0] + B[1, 0], "B₁₁ + B₁₂ + B₂₁"),  # the documents' order, not SymPy's
    (sympy.Derivative(E, A24, evaluate=False), "∂E/∂A₂₄"),
    (sympy.Matrix([[109, 92], [8, 85]]), "[109  92]\n[  8  85]"),
    (sympy.Matrix([[1, -2], [30, 4]]), "[ 1  −2]\n[30   4]"),
    (x ** 2, "x²"), (x ** p, "xᵖ"), ((x + 1) ** 2, "(x + 1)²"), (sympy.sqrt(x + 1), "√(x + 1)"),
    (1 / x, "1/x"), (2 * x / 3, "2x/3"), (-x, "−x"), (x - 1, "x − 1"), (-3 * x + 2, "−3x + 2"),
    (sympy.Abs(x) ** p, "|x|ᵖ"), ((x ** p) ** (1 / p), "(xᵖ)^(1/p)"), (sympy.Max(x, 2), "max(x, 2)"),
    (sympy.Eq(x, 2), "x = 2"), (sympy.Le(x, 2), "x ≤ 2"), (sympy.Rational(-1, 2), "−1/2"), (sympy.Float(2.5), "2.5"),
    (sympy.ceiling(I / S), "⌈I/S⌉"), (sympy.Limit(x ** p, p, sympy.oo), "lim_(p → ∞) xᵖ"), (2 * I * K, "2IK"),
    (x * y, "xy"), (B[0, 0] * B[1, 1], "B₁₁B₂₂"), (sympy.pi, "π"), (-sympy.oo, "−∞"),
    (entry_symbol("A", 10, 1), "A₁₀,₁"), (sympy.Symbol("H_in"), "H_in"),
])
def test_unicode(expr, text):
    assert unicode(expr) == text


@pytest.mark.parametrize("tex, text", [
    (r"\frac{\partial E}{\partial A_{24}} = B_{11} + B_{12}", "∂E/∂A₂₄ = B₁₁ + B₁₂"),
    (r"3 \times 4", "3 × 4"),
    (r"\texttt{nn.MaxPool2d}", "nn.MaxPool2d"),
    (r"\text{avg: } p = 1,\quad \text{max: } p \to \infty", "avg: p = 1,  max: p → ∞"),
    (r"\max_{(i, j) \in S} x_{ij}", "max_((i, j) ∈ S) xᵢⱼ"),
    (r"x_{pq}", "x_(pq)"),  # no subscript q in Unicode: marked, not dropped
    (r"a = -3", "a = −3"),
    (r"\unknowncommand{x}", r"\unknowncommand{x}"),  # not ours: shown as written
    (r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}", "[1  2]\n[3  4]"),
])
def test_from_latex(tex, text):
    assert from_latex(tex) == text


@pytest.mark.parametrize("prose, text", [
    (r"A_{12}: \frac{\partial C_{11}}{\partial A_{21}} should be with respect to A_{12}", "A₁₂: ∂C₁₁/∂A₂₁ should be "
                                                                                        "with respect to A₁₂"),
    ("C_12: expected 92, got 91", "C₁₂: expected 92, got 91"),  # the grader's own labels
    ("use F.max_pool2d   here", "use F.max_pool2d   here"),  # spaces and words are kept
])
def test_from_latex_prose_keeps_words_and_spaces(prose, text):
    assert from_latex(prose, math=False) == text


def _engine_values() -> list:
    values = [output_size_expr(), SOL.output, SOL.grad_input, SOL.grad_kernel, SOL.pooled_max, SOL.pooled_avg,
              sympy.Derivative(E, C12, evaluate=False) * sympy.Derivative(C12, A24, evaluate=False)]
    values += [rule.total for rule in SOL.chain.values()]
    values += [x ** 2, x ** (1 / p), sympy.Limit(x ** p, p, sympy.oo), x / N, 2 * I * K,
               sympy.floor((I - K) / S)]
    return [v for v in values if v is not None]


@pytest.mark.parametrize("value", _engine_values(), ids=lambda v: str(v)[:40])
def test_the_two_renderers_agree(value):
    assert unicode(value) == from_latex(latex(value))


def test_script_marks_what_unicode_cannot_write():
    assert (script("24", {"2": "₂", "4": "₄"}, "_"), script("q", {}, "_"), script("pq", {}, "^")) == \
        ("₂₄", "_q", "^(pq)")


def test_matrix_rows_align_columns():
    assert matrix_rows([["1", "20"], ["300", "4"]]) == "[  1  20]\n[300   4]"
    assert matrix_rows([]) == "[]"
