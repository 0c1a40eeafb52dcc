"""symconv.latex: the project's LaTeX printer (ordering of sums, bmatrix, partials, max)."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from pylatex import Command, NoEscape

from symconv import chain_rule, conv2d_grad, entry_symbol, sym_matrix
from symconv.chain import partial
from symconv.latex import Fragment, SymconvLatexPrinter, TabularLines, latex
from symconv.limits import prove_p1, window_limits

A, B, G = sym_matrix("A", 12, 12), sym_matrix("B", 3, 3), sym_matrix("G", 3, 3)
x, E = sympy.Symbol("x"), sympy.Symbol("E")


@pytest.mark.parametrize(("expr", "text"), [
    (B[1, 0] + B[0, 1] + B[0, 0], "B_{11} + B_{12} + B_{21}"),
    (B[2, 2] + B[0, 0], "B_{11} + B_{33}"),
    (A[9, 0] + A[8, 8], "A_{99} + A_{10,1}"),                 # numerically, not as text ("10" < "99")
    (A[11, 2] + A[1, 11], "A_{2,12} + A_{12,3}"),
    (A[0, 9] + A[0, 1], "A_{12} + A_{1,10}"),
    (B[0, 0] - B[0, 1], "B_{11} - B_{12}"),
    (B[0, 1] + 1, "B_{12} + 1"),                              # constants last
    (B[0, 1] * G[1, 1] + B[0, 0] * G[1, 2], "B_{11} G_{23} + B_{12} G_{22}"),
    (2 * B[1, 1] + B[0, 2], "B_{13} + 2 B_{22}"),
    (x + B[0, 0], "B_{11} + x"),
])
def test_sums_in_index_order(expr, text):
    assert latex(expr) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=10, unique=True))
def test_sum_of_entries_is_listed_by_row_then_column(indices):
    expr = sympy.Add(*(entry_symbol("A", i, j) for i, j in indices))
    expected = " + ".join(sympy.latex(entry_symbol("A", i, j)) for i, j in sorted(indices))
    assert latex(expr) == expected


def test_bmatrix():
    assert latex(sympy.Matrix([[1, 2], [3, 4]])) == r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}"
    assert latex(sym_matrix("B", 1, 2)) == r"\begin{bmatrix}B_{11} & B_{12}\end{bmatrix}"


def test_matrix_entries_keep_the_ordering():
    dA, _ = conv2d_grad(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2))
    assert "B_{11} + B_{12} + B_{21} + B_{22}" in latex(dA)


def test_partial_derivative():
    assert latex(partial(E, A[1, 3])) == r"\frac{\partial E}{\partial A_{24}}"
    assert latex(partial(entry_symbol("C", 1, 1), A[0, 0])) == r"\frac{\partial C_{11}}{\partial A_{11}}"
    assert latex(sympy.Derivative(E, A[11, 2], evaluate=False)) == r"\frac{\partial E}{\partial A_{12,3}}"


def test_other_derivatives_fall_back_to_sympy():
    f = sympy.Function("f")(x)
    assert latex(sympy.Derivative(f, x, evaluate=False)) == sympy.latex(sympy.Derivative(f, x, evaluate=False))


def test_max_and_min():
    X = sym_matrix("X", 2, 2)
    assert latex(sympy.Max(X[1, 0], X[0, 0], X[0, 1])) == r"\max\left(X_{11}, X_{12}, X_{21}\right)"
    assert latex(sympy.Min(X[1, 1], X[0, 0])) == r"\min\left(X_{11}, X_{22}\right)"
    assert latex(sympy.Max(X[0, 0], X[0, 1]) ** 2) == r"\max\left(X_{11}, X_{12}\right)^{2}"


def test_sympy_atoms_keep_their_latex():
    assert latex(sympy.oo) == r"\infty"
    assert latex(sympy.pi) == r"\pi"
    assert latex(sympy.Rational(1, 4)) == r"\frac{1}{4}"


def test_floor_formula():
    assert latex(sympy.floor(x / 2) + 1) == r"\left\lfloor{\frac{x}{2}}\right\rfloor + 1"


def test_objects_with_to_latex():
    rule = chain_rule(sym_matrix("A", 5, 5), B, 1, 1)
    assert latex(rule) == rule.to_latex()


@pytest.mark.parametrize("build, settings, shown", [
    (lambda: chain_rule(sym_matrix("A", 5, 5), B, 1, 1, upstream=2 * sympy.ones(3, 3)), {"mul_symbol": "dot"},
     r"2 \cdot B_{11}"),
    (lambda: prove_p1(2), {"fold_short_frac": True}, "x_{1} / 2"),
    (lambda: window_limits([3, 2], powers=(1, 2)), {"decimals": 1}, "$2.5$"),
], ids=["ChainRule", "Proof", "WindowLimits"])
def test_results_print_through_the_printer(build, settings, shown):
    """A symconv result with ``_latex`` prints by the printer it is given: ``latex(obj, **settings)`` and
    ``obj.to_latex(**settings)`` are one text, and the setting shows in it."""
    obj = build()
    assert latex(obj, **settings) == obj.to_latex(**settings)
    assert shown in latex(obj, **settings) and shown not in latex(obj)


def test_fragment_and_tabular_lines():
    """PyLaTeX pieces for printer output: text escaped unless NoEscape, each row and rule of a table one line."""
    table = TabularLines("ll")
    table.add_row(["50%", NoEscape("$x_1$")])
    table.append(Command("midrule"))
    fragment = Fragment([Command("paragraph", "A & B"), NoEscape("$a_b$"), table], separator=" ", end_paragraph=True)
    assert fragment.dumps() == "\n".join([r"\paragraph{A \& B} $a_b$ \begin{tabular}{ll}", r"50\%&$x_1$\\",
                                          r"\midrule", r"\end{tabular}"])
    assert fragment.dumps_as_content().endswith("\\end{tabular}\n\n")


def test_settings_pass_through():
    assert latex(sympy.Matrix([[1]]), mat_str="pmatrix") == r"\begin{pmatrix}1\end{pmatrix}"
    assert SymconvLatexPrinter().doprint(B[0, 1] + B[0, 0]) == "B_{11} + B_{12}"


I_, K_, P_, S_, D_ = sympy.symbols("I K P S D")


@pytest.mark.parametrize(("expr", "text"), [
    (-D_ * (K_ - 1) + I_ + 2 * P_ - 1, r"I + 2 P - D \left(K - 1\right) - 1"),   # positive terms first
    (-K_ + I_ + 2 * P_, "I + 2 P - K"),
    (B[0, 0] - B[0, 1], "B_{11} - B_{12}"),                                        # entries: index order
    (-B[0, 0] + B[0, 1], "- B_{11} + B_{12}"),
])
def test_formulas_put_positive_terms_first_and_entries_keep_index_order(expr, text):
    assert latex(expr) == text


@pytest.mark.parametrize(("value", "settings", "text"), [
    (sympy.Rational(1, 2), {}, r"\frac{1}{2}"),
    (sympy.Rational(1, 3), {"decimals": 3}, "0.333"),
    (sympy.Rational(-5, 2), {"decimals": 2}, "-2.5"),
    (sympy.Rational(1, 1000), {"decimals": 2}, "0"),
    (sympy.Integer(7), {"decimals": 2}, "7"),
    (sympy.Matrix([[sympy.Rational(85, 2), 57], [53, 1]]), {},
     r"\begin{bmatrix}\dfrac{85}{2} & 57\\[1.2ex]53 & 1\end{bmatrix}"),
    (sympy.Matrix([[sympy.Rational(85, 2), 57]]), {"decimals": 1}, r"\begin{bmatrix}42.5 & 57\end{bmatrix}"),
    (sympy.Matrix([[1, 2], [3, 4]]), {}, r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}"),
])
def test_fractions_full_size_in_matrices_or_decimals(value, settings, text):
    assert latex(value, **settings) == text
