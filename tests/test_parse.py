"""grader.parse: every accepted notation, against SymPy objects built by hand, and readable errors."""

from __future__ import annotations

import re

import pytest
import sympy
from sympy import Derivative, Indexed, IndexedBase, Integer, Matrix, Max, Min, Rational, Tuple, ceiling, floor, oo

import grader.parse as gp
from grader.parse import ELLIPSIS, Approach, Equation, ParseError, WindowReduce, chain_terms, parse
from symconv import entry_symbol


def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


I, K, P, S, O, N, E, a, b, c, d, p, q, x, i, j, n = map(sym, "IKPSONEabcdpqxijn")
A24, A12_3, B11, B12, B21, B22, C12, C13 = (entry_symbol(*e) for e in [
    ("A", 2, 4), ("A", 12, 3), ("B", 1, 1), ("B", 1, 2), ("B", 2, 1), ("B", 2, 2), ("C", 1, 2), ("C", 1, 3)])
OUT = (I - K + 2 * P) / S + 1


def D(f, v):
    return Derivative(f, v, evaluate=False)


EXPRESSIONS = [
    # plain text
    ("B11 + B12", B11 + B12),
    ("(I-K+2P)/S+1", OUT),
    ("floor((I-K+2P)/S)+1", floor((I - K + 2 * P) / S) + 1),
    ("ceil((I-K)/S)", ceiling((I - K) / S)),
    ("max(a, b)", Max(a, b)),
    ("min(a, b, c)", Min(a, b, c)),
    ("x**2 + x^3", x**2 + x**3),
    ("2P", 2 * P),
    ("2 P S", 2 * P * S),
    ("a*-b", -a * b),
    ("-a^2", -(a**2)),
    ("2^-1", Rational(1, 2)),
    ("a/b c", a * c / b),
    ("1/2P", P / 2),
    ("sqrt(4) + log(x) + exp(x) + abs(x)", 2 + sympy.log(x) + sympy.exp(x) + sympy.Abs(x)),
    ("S(x+1)", S * (x + 1)),
    ("oo", oo),
    # LaTeX
    (r"\frac{I-K+2P}{S} + 1", OUT),
    (r"\dfrac{a}{b} + \tfrac{c}{d}", a / b + c / d),
    (r"\frac12 + \frac{a}b", Rational(1, 2) + a / b),
    (r"\frac{a}{b}\frac{c}{d}", a * c / (b * d)),
    (r"a \cdot b \times c", a * b * c),
    (r"x^{10}", x**10),
    (r"\left( a + b \right)^2", (a + b) ** 2),
    (r"\left[ a + b \right] c", (a + b) * c),
    (r"\left\{ a \right\}", a),
    (r"\left. a \right.", a),
    (r"\left\lfloor \frac{I-K+2P}{S} \right\rfloor + 1", floor((I - K + 2 * P) / S) + 1),
    (r"\lceil a/b \rceil", ceiling(a / b)),
    (r"\max(a, b) + \min\{a, b\}", Max(a, b) + Min(a, b)),
    (r"\sqrt{x} + \sqrt[3]{8}", sympy.sqrt(x) + 2),
    (r"\log x + \exp(x) + \ln 2", sympy.log(x) + sympy.exp(x) + sympy.log(2)),
    (r"\infty", oo),
    (r"\mathbf{A}_{24} + \mathrm{x}", A24 + x),
    (r"\operatorname{floor}(a)", floor(a)),
    (r"a\,b\;c\!d\quad e", a * b * c * d * sym("e")),
    (r"\alpha + \Delta_{1}", sym("alpha") + sym("Delta_1")),
    (r"$a + b$", a + b),
    (r"\displaystyle \frac{a}{b} \tag{7}", a / b),
    (r"a + b \quad (7)", a + b),
    # unicode
    ("a × b · c ⋅ d − e", a * b * c * d - sym("e")),
    ("∞", oo),
    # entries: every spelling of entry (2,4) of A
    *[(form, A24) for form in ["A_{24}", "A_{2,4}", "A_{2 4}", "A24", "A_24", "A[2,4]", "A[2, 4]"]],
    ("A_{12,3}", A12_3),
    ("A_{12 3}", A12_3),
    ("B_{11}B_{12}", B11 * B12),
    ("x_1", sym("x_1")),
    # letter subscripts: Indexed (substitutable), or named words
    ("x_i", Indexed(IndexedBase(x), i)),
    ("S_{ij}", Indexed(IndexedBase(S), i, j)),
    ("x_{pq} + x_{p,q}", 2 * Indexed(IndexedBase(x), p, q)),
    ("x_{i+p, j+q-1}", Indexed(IndexedBase(x), i + p, j + sym("q") - 1)),
    ("x_{in} + x_{\\text{out}}", sym("x_in") + sym("x_out")),
    # numbers
    ("42", Integer(42)),
    ("2.5", Rational(5, 2)),
    (".125", Rational(1, 8)),
    ("0.1 + 0.2", Rational(3, 10)),
    ("1/0", sympy.zoo),
    # ellipsis
    (r"B_{11} + \dots + B_{22}", B11 + ELLIPSIS + B22),
    ("B11 + … + B22", B11 + ELLIPSIS + B22),
    ("B11 + ... + B22", B11 + ELLIPSIS + B22),
    (r"B_{11} + \cdots + \ldots", B11 + 2 * ELLIPSIS),
    # derivatives
    (r"\frac{\partial E}{\partial A_{24}}", D(E, A24)),
    ("∂E/∂A24", D(E, A24)),
    (r"\partial E / \partial A_{24}", D(E, A24)),
    (r"\frac{\partial E}{\partial C_{12}}\frac{\partial C_{12}}{\partial A_{24}}", D(E, C12) * D(C12, A24)),
]


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_expressions(text, expected):
    assert parse(text, expect="expr") == expected


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS[:20])
def test_auto_reads_expressions_the_same(text, expected):
    assert parse(text) == expected


def test_entries_are_the_engines_symbols():
    assert parse("A24", expect="expr") is entry_symbol("A", 2, 4)


def test_derivatives_stay_unevaluated():
    value = parse(r"\frac{\partial E}{\partial A_{24}}", expect="expr")
    assert isinstance(value, Derivative) and value.expr == E and value.variables == (A24,)


@pytest.mark.parametrize(("text", "expected"), [
    ("3 \\times 3", (3, 3)), ("3x3", (3, 3)), ("3 x 3", (3, 3)), ("3×3", (3, 3)), ("(3, 3)", (3, 3)),
    ("[3, 3]", (3, 3)), ("5 X 4", (5, 4)), ("$2 \\times 7$", (2, 7)), ("3*3", (3, 3)),
])
def test_sizes(text, expected):
    assert parse(text, expect="size") == expected


M12 = Matrix([[1, 2], [3, 4]])


@pytest.mark.parametrize(("text", "expected"), [
    ("[[1,2],[3,4]]", M12),
    ("[[1, 2], [3, 4],]", M12),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", M12),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \\ \end{pmatrix}", M12),
    (r"\begin{vmatrix} 1 & 2 \\ 3 & 4 \end{vmatrix}", M12),
    (r"\begin{Bmatrix} 1 & 2 \\ 3 & 4 \end{Bmatrix}", M12),
    (r"\begin{matrix} 1 & 2 \\[2pt] 3 & 4 \end{matrix}", M12),
    (r"\left[\begin{array}{cc} 1 & 2 \\ 3 & 4 \end{array}\right]", M12),
    (r"\begin{array}{|c|c|} \hline 1 & 2 \\ \hline 3 & 4 \\ \hline \end{array}", M12),
    (r"\begin{tabular}{|c|c|} \hline 1 & 2 \\ 3 & 4 \\ \hline \end{tabular}", M12),
    ("1 2; 3 4", M12),
    ("1 2\n3 4\n", M12),
    ("1, 2\n3, 4", M12),
    ("1 & 2 \n 3 & 4", M12),
    (r"$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$", M12),
    (r"\begin{bmatrix} B_{11}+B_{12} & 0.5 \end{bmatrix}", Matrix([[B11 + B12, Rational(1, 2)]])),
    ("[[B11 + B12, -1]]", Matrix([[B11 + B12, -1]])),
])
def test_matrices(text, expected):
    assert parse(text, expect="matrix") == expected


@pytest.mark.parametrize("text", ["[[1,2],[3,4]]", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", "1 2; 3 4"])
def test_auto_finds_matrices(text):
    assert parse(text) == M12


CHAIN = (r"\frac{\partial E}{\partial A_{24}} = \frac{\partial E}{\partial C_{12}}\frac{\partial C_{12}}"
         r"{\partial A_{24}} + \frac{\partial E}{\partial C_{13}}\frac{\partial C_{13}}{\partial A_{24}}"
         r" = B_{12} + B_{11}")
CHAIN_SIDES = (D(E, A24), D(E, C12) * D(C12, A24) + D(E, C13) * D(C13, A24), B12 + B11)


@pytest.mark.parametrize(("text", "expected"), [
    ("a = b = c", (a, b, c)),
    ("O = (I-K+2P)/S + 1", (O, OUT)),
    (CHAIN, CHAIN_SIDES),
    (CHAIN.replace(" = ", " &= ").replace("= B", r"\\ &= B"), CHAIN_SIDES),
    (r"\begin{aligned}" + CHAIN.replace(" = ", r" &= ").replace("= B", r"\quad (1) \\ &= B")
     + r"\quad (2) \end{aligned}", CHAIN_SIDES),
    (r"\begin{align*} a &= b \\ &\quad + c \\ &= d \tag{3} \end{align*}", (a, b + c, d)),
    (r"\begin{split} a &= b \end{split}", (a, b)),
    ("a = b\n  = c", (a, b, c)),
    (r"\frac{\partial E}{\partial A_{24}} = \frac{\partial E}{\partial C_{12}}\frac{\partial C_{12}}{\partial A_{24}}"
     r" + … = B_{12} + …", (D(E, A24), D(E, C12) * D(C12, A24) + ELLIPSIS, B12 + ELLIPSIS)),
])
def test_equations(text, expected):
    result = parse(text, expect="equation")
    assert isinstance(result, Equation) and result.sides == expected
    assert parse(text) == result


def test_equation_mode_always_gives_an_equation():
    assert parse("B11 + B12", expect="equation") == Equation((B11 + B12,))


def test_chain_terms_are_ordered_chains():
    side = parse(CHAIN, expect="equation").sides[1]
    assert sorted(chain_terms(side), key=str) == [(D(E, C12), D(C12, A24)), (D(E, C13), D(C13, A24))]
    assert chain_terms(parse(r"2 \frac{\partial E}{\partial C_{12}} \frac{\partial C_{12}}{\partial A_{24}} + B_{12}",
                             expect="expr")) == [(D(E, C12), D(C12, A24))] * 2
    assert chain_terms(B11 + B12) == []


def test_has_ellipsis():
    assert gp.has_ellipsis(parse("a = b + …")) and not gp.has_ellipsis(parse("a = b"))


@pytest.mark.parametrize(("text", "expected"), [
    ("p = 1", Equation((p, Integer(1)))),
    (r"p \to \infty", Approach(p, oo)),
    (r"p \rightarrow \infty", Approach(p, oo)),
    ("p -> oo", Approach(p, oo)),
    ("p → ∞", Approach(p, oo)),
    (r"$p \to 1$", Approach(p, Integer(1))),
])
def test_limits(text, expected):
    assert parse(text, expect="limit") == expected
    assert parse(text) == expected


PQ = Tuple(p, q)
XPQ, SIJ = Indexed(IndexedBase(x), p, q), Indexed(IndexedBase(S), i, j)


@pytest.mark.parametrize(("text", "expected"), [
    (r"\max_{(p,q) \in S_{ij}} x_{pq}", WindowReduce("max", XPQ, PQ, SIJ)),
    (r"\sum_{x \in S^k_{ij}} x^p", WindowReduce("sum", x**p, x, Indexed(IndexedBase(sym("S^k")), i, j))),
    (r"\frac{1}{N}\sum_{x \in S} x^p", WindowReduce("sum", x**p, x, S) / N),
    (r"\left(\sum_{x\in S} x^p\right)^{1/p}", WindowReduce("sum", x**p, x, S) ** (1 / p)),
    (r"\min_{x ∈ S} x + 1", WindowReduce("min", x, x, S) + 1),
    (r"\sum_{i=1}^{n} x_i", WindowReduce("sum", Indexed(IndexedBase(x), i), i, Tuple(1, n))),
    ("max(S)", WindowReduce("max", x, x, S)),
    (r"\max(S_{ij})", WindowReduce("max", x, x, SIJ)),
])
def test_window_reductions(text, expected):
    assert parse(text, expect="expr") == expected


def test_window_reduce_instantiates_over_a_window():
    w = parse(r"\max_{(p,q) \in S_{ij}} x_{pq}", expect="expr")
    assert gp.entries_from_indexed(w.expand([(1, 1), (1, 2), (2, 1)])) == Max(*(entry_symbol("x", *e) for e in
                                                                             [(1, 1), (1, 2), (2, 1)]))
    mean = parse(r"\frac{1}{N}\sum_{x \in S} x^2", expect="expr")
    reduce = next(iter(mean.atoms(WindowReduce)))
    assert mean.xreplace({reduce: reduce.expand([1, 2, 3]), N: 3}) == Rational(14, 3)
    assert {i, j} <= w.free_symbols and not {p, q} & w.free_symbols


# ---- errors: where, what, and the caret --------------------------------------------------------------
@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("(a + b}", 7, "unexpected '}'"),
    ("a + * b", 5, "expected a number, a name or '('"),
    ("(a + b", 7, "end of answer"),
    (r"\frac{a}{b} + \frac{c}{d}}", 26, "unexpected '}'"),
    ("a + b!", 6, "unexpected '!'"),
    ("2 + os", 5, "unknown name 'os'"),
    ("x + system(1)", 5, "unknown function 'system'"),
    ("A123", 1, "ambiguous indices"),
    (r"a + \foo", 5, "unknown command '\\foo'"),
    ("∂E + 1", 1, "\\partial belongs in a fraction"),
    ("floor + 1", 1, "'floor' needs its argument in parentheses"),
])
def test_error_position(text, column, fragment):
    with pytest.raises(ParseError) as info:
        parse(text, expect="expr")
    assert info.value.column == column
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_error_message_format():
    with pytest.raises(ParseError) as info:
        parse(r"\frac{a+b}{c} + }", expect="expr")
    assert str(info.value) == ("could not read your answer: unexpected '}' at column 17; "
                               "expected a number, a name or '('")


def test_render_puts_the_caret_under_the_character():
    with pytest.raises(ParseError) as info:
        parse("B11 + B12 + )", expect="expr")
    message, line, caret = info.value.render().split("\n")
    assert line.strip() == "B11 + B12 + )"
    assert line[caret.index("^")] == ")"


def test_errors_on_later_lines_name_the_line():
    with pytest.raises(ParseError) as info:
        parse("a = b\n= c + )", expect="equation")
    assert (info.value.line, info.value.column) == (2, 7)
    assert "line 2, column 7" in str(info.value)


@pytest.mark.parametrize(("text", "expect", "fragment"), [
    ("1 2 3; 4 5", "matrix", "row 2 has 2 entries but row 1 has 3"),
    (r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}", "matrix", "row 2 has 1 entries"),
    ("[[1, 2], [3]]", "matrix", "row 2 has 1 entries"),
    (r"\begin{bmatrix} 1 \end{pmatrix}", "matrix", "does not match"),
    ("3.5 x 3", "size", "whole numbers"),
    ("3 + 3", "size", "unexpected '+'"),
    ("a + b", "number", "expected a number"),
    ("a + b -> c", "limit", "single variable"),
])
def test_shape_errors(text, expect, fragment):
    with pytest.raises(ParseError, match=re.escape(fragment)):
        parse(text, expect=expect)


def test_ragged_row_error_points_at_the_row():
    text = "1 2 3; 4 5"
    with pytest.raises(ParseError) as info:
        parse(text, expect="matrix")
    assert text[info.value.offset:].strip() == "4 5"


def test_bad_expect_and_type_are_programming_errors():
    with pytest.raises(ValueError):
        parse("1", expect="vector")
    with pytest.raises(TypeError):
        parse(1)  # type: ignore[arg-type]

