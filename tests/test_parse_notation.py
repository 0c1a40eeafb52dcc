"""grader.parse on the notations students write (issue 9): each reading, and its wrong neighbours.

Tables of (text, expected value) for what must be read, and (text, fragment of the ParseError) for what must
not be read silently: a notation the grader cannot read for sure is a ParseError, never a guess.
"""

from __future__ import annotations

import pytest
import sympy
from sympy import Abs, Derivative, Indexed, IndexedBase, Integer, Limit, Matrix, Rational, Tuple, floor, oo

from grader.parse import DEFAULT, SIZE_FORMULA, Equation, ParseError, WindowReduce, parse, read
from grader.parse import normalise as gp_normalise
from symconv import entry_symbol


def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


I, K, P, S, D, O, E, L, a, b, c, p, q, x, i, j, n = map(sym, "IKPSDOELabcpqxijn")
X_ = sym("X")
A11, B11, B12, C11 = (entry_symbol(*e) for e in [("A", 1, 1), ("B", 1, 1), ("B", 1, 2), ("C", 1, 1)])
M12 = Matrix([[1, 2], [3, 4]])
OUT = floor((I - K + 2 * P) / S) + 1


def dd(f, v):
    return Derivative(f, v, evaluate=False)


def window(op, body, var, domain):
    return WindowReduce(op, body, var, domain)


COUNT = window("sum", Integer(1), x, S)
XPQ = Indexed(IndexedBase(x), p, q)

# ---- numbers ----------------------------------------------------------------------------------------
NUMBERS = [
    ("1e-3", Rational(1, 1000)), ("2.5E2", Integer(250)), ("1E3", Integer(1000)), ("3e+2", Integer(300)),
    (r"6.02 \times 10^{23}", Rational(602, 100) * 10**23), ("1 000", Integer(1000)), ("1,000", Integer(1000)),
    (r"1\,000", Integer(1000)), ("1{,}000", Integer(1000)), ("12 345 678", Integer(12345678)),
    ("1,000.5", Rational(2001, 2)), ("2.", Integer(2)),
]
NUMBERS_REFUSED = [
    ("2 3", "side by side"), ("1 00", "side by side"), ("1e99999", "exponent too large"),
    ("1 0000", "side by side"),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_numbers(text, expected):
    assert parse(text, "number") == expected


@pytest.mark.parametrize(("text", "fragment"), NUMBERS_REFUSED)
def test_numbers_refused(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse(text, "expr")


def test_scientific_notation_does_not_eat_names():
    assert parse("2E", "expr") == 2 * E and parse("2e", "expr") == 2 * sym("e")
    assert parse("2E_{11}", "expr") == 2 * sym("E_11")


# ---- matrices ---------------------------------------------------------------------------------------
MATRICES = [
    ("[[1  2]\n [3  4]]", M12),
    ("[[1 2] [3 4]]", M12),
    ("array([[1, 2],\n       [3, 4]])", M12),
    ("array([[1., 2.],\n       [3., 4.]], dtype=float32)", M12),
    ("np.array([[1, 2], [3, 4]])", M12),
    ("tensor([[1, 2],\n        [3, 4]])", M12),
    ("tensor([[1., 2.], [3., 4.]], dtype=torch.float64)", M12),
    ("tensor([[1., 2.], [3., 4.]], grad_fn=<ConvolutionBackward0>)", M12),
    ("| 1 | 2 |\n| 3 | 4 |", M12),
    ("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |", M12),
    ("|   |   |\n|:-:|:-:|\n| 1 | 2 |\n| 3 | 4 |", M12),
    ("| 1 | 2 |\n|---|---|\n| 3 | 4 |", M12),
    ("1\t2\n3\t4", M12),
    (r"1 & 2 \\ 3 & 4", M12),
    (r"\hline 1 & 2 \\ \hline 3 & 4 \\ \hline", M12),
    (r"\begin{array}{|c|c|} \hline 1 & 2 \\ \hline 3 & 4 \end{array}", M12),
    ("[[1e2, 2.5E1]]", Matrix([[100, 25]])),
    (r"\color{red}{\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}}", M12),
]
MATRICES_REFUSED = [
    ("1 000 2\n3 4 5", "thousands group"),
    ("[[1 000] [2 3]]", "thousands group"),
    ("array([[1, 2], [3, 4]]", "end of the printed array"),
    ("[[1 2] [3]]", "row 2 has 1 entries"),
    ("| 1 | 2 |\n| 3 |", "row 2 has 1 entries"),
    ("1 & & 2", "empty entry"),
    ("[[109, 92, 72], [108, 85, 74], [110, 74 79}", "unexpected '}'"),
    ("[[1 2] x [3 4]]", "between the rows"),
    ("[[1 2] [3 4]] 5", "printed matrix"),
    ("[[1 2] [3 4]] 5]", "after the rows"),
    ("|---|", "empty matrix"),
]


@pytest.mark.parametrize(("text", "expected"), MATRICES)
def test_matrices(text, expected):
    assert parse(text, "matrix") == expected


@pytest.mark.parametrize(("text", "fragment"), MATRICES_REFUSED)
def test_matrices_refused(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse(text, "matrix")


@pytest.mark.parametrize(("text", "sides"), [
    (r"C = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", (sym("C"), M12)),
    (r"\mathbf{C} = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", (sym("C"), M12)),
    ("C = [[1, 2], [3, 4]]", (sym("C"), M12)),
    ("C = 1 2; 3 4", (sym("C"), M12)),
    (r"\frac{\partial E}{\partial A} = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", (dd(E, sym("A")), M12)),
    (r"C = A \star B = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", (sym("C"), M12)),
])
def test_named_matrices_are_equations(text, sides):
    assert parse(text, "matrix") == Equation(sides)


def test_an_unreadable_side_is_noted():
    reading = read(r"C = A \star B = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", "matrix")
    assert any("A \\star B" in note for note in reading.notes)


def test_a_named_answer_without_a_matrix_is_refused():
    with pytest.raises(ParseError):
        parse(r"C = A \star B", "matrix")


# ---- sizes ------------------------------------------------------------------------------------------
SIZES = [
    (r"3 \times 3", (3, 3)), ("3x3", (3, 3)), ("3 × 3", (3, 3)), ("(3, 3)", (3, 3)), ("3 by 3", (3, 3)),
    ("a 3x3 matrix", (3, 3)), (r"C \in \mathbb{R}^{3 \times 4}", (3, 4)), (r"\(3\times3\)", (3, 3)),
    (r"The output $C$ is $3 \times 3$.", (3, 3)), ("C is 3 by 3 (3x3)", (3, 3)), ("（3, 3）", (3, 3)),
    (r"3 \text{ by } 3", (3, 3)), ("size = 3x3", (3, 3)), ("3 rows and 3 columns", (3, 3)), ("３×３", (3, 3)),
    (r"\textbf{3}\times\textbf{3}", (3, 3)), (r"{3}\times{3}", (3, 3)), ("3 ✕ 3", (3, 3)), ("[3 x 3]", (3, 3)),
    ("torch.Size([1, 1, 3, 3])", (3, 3)), ("C.shape == (3, 3)", (3, 3)), (r"\dim(C) = 3 \times 3", (3, 3)),
    (r"5 - 3 + 1 = 3, \text{ so } 3 \times 3", (3, 3)), ("3x3x3", (3, 3, 3)), ("(3, 3, 1)", (3, 3, 1)),
    (r"(5-3+1) \times (5-3+1)", (3, 3)), (r"(5 - 3) \times 4", (2, 4)), ("H_{out} = W_{out} = 3", (3, 3)),
    ("H_{out} = 3, W_{out} = 4", (3, 4)), ("height = 3 and width = 3", (3, 3)), ("H' = W' = 3", (3, 3)),
]
SIZES_REFUSED = [
    ("The output is 3x3 from a 5x5 input", "two different sizes"),
    ("3 x 3, stride 1", "has more"), ("3.5 x 3", "whole numbers"), ("0 x 3", "whole numbers"),
    ("three by three", "unexpected"), ("3 \\times", "unexpected"), ("3x3 (5x5 input)", "two different sizes"),
    ("9", "unexpected end"), ("H_{out} = 3", "unexpected"), (r"(5-3)/4 \times 3", "has more"),
    (r"(5-5) \times (5-3)", "whole numbers"), (r"a \times b", "whole numbers"),
]


@pytest.mark.parametrize(("text", "expected"), SIZES)
def test_sizes(text, expected):
    assert parse(text, "size") == expected


@pytest.mark.parametrize(("text", "fragment"), SIZES_REFUSED)
def test_sizes_refused(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse(text, "size")


# ---- formulas ---------------------------------------------------------------------------------------
FORMULAS = [
    ("2PS", 2 * P * S), ("DK - D", D * K - D), (r"\frac{I + 2P - D(K-1) - 1}{S}", (I + 2 * P - D * (K - 1) - 1) / S),
    ("i'", sym("i'")), ("i′ + j'", sym("i'") + sym("j'")),
    ("|S|", COUNT), (r"\lvert S \rvert", COUNT), (r"\left| S \right|", COUNT), (r"\vert S \vert", COUNT),
    ("|S^k_{ij}|", window("sum", Integer(1), x, Indexed(IndexedBase(sym("S^k")), i, j))),
    ("|x|^p", Abs(x) ** p), ("|a| + |b|", Abs(a) + Abs(b)), ("|B_{12}|", Abs(B12)),
    (r"\frac{1}{|S|}\sum_{x \in S} x", window("sum", x, x, S) / COUNT),
    (r"\max_{(i',j') \in S} x_{i'j'}", window("max", Indexed(IndexedBase(x), sym("i'"), sym("j'")),
                                               Tuple(sym("i'"), sym("j'")), S)),
    (r"\max\limits_{(p,q) \in S} x_{pq}", window("max", XPQ, Tuple(p, q), S)),
    (r"\max\{x_{pq} : (p,q) \in S\}", window("max", XPQ, Tuple(p, q), S)),
    (r"\max\lbrace x_{pq} \mid (p,q) \in S \rbrace", window("max", XPQ, Tuple(p, q), S)),
    (r"\sum_{p=1}^{K}\sum_{q=1}^{K} x_{pq}", window("sum", window("sum", XPQ, q, Tuple(1, K)), p, Tuple(1, K))),
    (r"\sum^{n}_{i=1} x_i", window("sum", Indexed(IndexedBase(x), i), i, Tuple(1, n))),
    ("mean(S)", window("sum", x, x, S) / COUNT), ("avg(S)", window("sum", x, x, S) / COUNT),
    (r"\operatorname{mean}(S)", window("sum", x, x, S) / COUNT), ("mean(a, b)", (a + b) / 2),
    (r"\operatorname{avg}_{(p,q) \in S} x_{pq}", window("sum", XPQ, Tuple(p, q), S)
     / window("sum", Integer(1), Tuple(p, q), S)),
    (r"p \le 1", sympy.Le(p, 1)), (r"p \geq 1", sympy.Ge(p, 1)), (r"p \neq 1", sympy.Ne(p, 1)),
    ("p ≤ 1", sympy.Le(p, 1)),
    (r"a \; b \, c \! d \quad a \displaystyle b", a**2 * b**2 * c * sym("d")),
    (r"\mleft( a + b \mright) c", (a + b) * c), (r"\lbrace a \rbrace", a),
    ("a × b · c", a * b * c), ("（a + b）× c", (a + b) * c), ("a − b", a - b),
    (r"\color{red}{a + b}", a + b), (r"\textcolor{blue}{a} + b", a + b), (r"\boxed{a + b}", a + b),
    (r"\bigg\lfloor \frac{a}{b} \bigg\rfloor", floor(a / b)), ("a + b.", a + b), (r"$a + b$,", a + b),
    (r"\text{the answer is } a + b", a + b),
    ("math.floor((I + 2P - K)/S) + 1", OUT), ("(I + 2P - K)//S + 1", OUT),
    (r"\frac{H_{in} + 2 \cdot padding - kernel\_size}{stride} + 1", (I + 2 * P - K) / S + 1),
    (r"\left\lfloor\frac{H_{\text{in}} + 2P[0] - K[0]}{S[0]}\right\rfloor + 1", OUT),
    (r"\left\lfloor\frac{input\_width + 2 \times \text{padding} - HH}{\text{stride}}\right\rfloor + 1", OUT),
]
FORMULAS_REFUSED = [
    ("DQ", "unknown name 'DQ'"), ("x[0]", "'x[0]' is not supported"), (r"a \star b", "'\\star' is not supported"),
    ("|a", "end of answer"), ("a < b < c", "not supported"), ("Px", "unknown name 'Px'"),
]


@pytest.mark.parametrize(("text", "expected"), FORMULAS)
def test_formulas(text, expected):
    assert parse(text, "expr") == expected


@pytest.mark.parametrize(("text", "fragment"), FORMULAS_REFUSED)
def test_formulas_refused(text, fragment):
    with pytest.raises(ParseError, match=__import__("re").escape(fragment)):
        parse(text, "expr")


@pytest.mark.parametrize(("text", "default", "sizes"), [
    ("(n + 2p - f)/s + 1", (n + 2 * p - sym("f")) / sym("s") + 1, (I + 2 * P - K) / S + 1),
    ("(W - F + 2P)/S + 1", (sym("W") - sym("F") + 2 * P) / S + 1, (I - K + 2 * P) / S + 1),
    ("2ps", None, 2 * P * S),
    (r"\sum_{x \in S} x^p", window("sum", x**p, x, S), window("sum", x**P, x, S)),
])
def test_lower_case_size_letters_need_a_size_context(text, default, sizes):
    if default is None:
        with pytest.raises(ParseError):
            parse(text, "expr")
    else:
        assert parse(text, "expr") == default
    assert parse(text, "expr", context=SIZE_FORMULA) == sizes


def test_prose_is_dropped_with_a_note():
    reading = read(r"\text{when } p = 1 \text{ Average Pooling}", "limit")
    assert reading.value == Equation((p, Integer(1)))
    assert any("Average Pooling" in note for note in reading.notes)
    reading = read(r"\max_{(i',j') \in S} x_{i'j'} \text{ where } (i',j') \in S", "expr")
    assert isinstance(reading.value, WindowReduce)
    assert any("after the answer" in note for note in reading.notes)


def test_names_keep_their_text_forms():
    assert parse(r"\text{floor}((I-K)/S)", "expr") == floor((I - K) / S)
    assert parse(r"I_{\text{in}}", "expr", context=DEFAULT.without(aliases=["I_in"])) == sym("I_in")


# ---- limits -----------------------------------------------------------------------------------------
def test_limit_equations():
    value = parse(r"\lim_{p \to \infty} \left(\sum_{x \in S} x^p\right)^{1/p} = \max_{x \in S} x", "limit")
    assert value == Equation((Limit(window("sum", x**p, x, S) ** (1 / p), p, oo), window("max", x, x, S)))
    assert parse("p → ∞", "limit") == parse(r"p \to \infty", "limit")


# ---- derivatives and the chain rule -----------------------------------------------------------------
DERIVATIVES = [
    ("dE/dA_11", dd(E, A11)), ("dE/dA_{11}", dd(E, A11)), (r"\frac{dE}{dA_{11}}", dd(E, A11)),
    (r"\partial{L}/\partial{A_{11}}", dd(L, A11)), (r"\frac{\partial{L}}{\partial{A_{1,1}}}", dd(L, A11)),
    (r"d\mathcal{L}/dy_{11}", dd(L, entry_symbol("y", 1, 1))),
    (r"\partial L/\partial O_{uv}", dd(L, Indexed(IndexedBase(O), sym("u"), sym("v")))),
    ("A_{1,1} + A(1,1)", 2 * A11),
    ("dE/dC_{11} * dC_{11}/dA_{11}", dd(E, C11) * dd(C11, A11)),
    ("dE/dC_{11} dC_{11}/dA_{11} + \\dots", dd(E, C11) * dd(C11, A11) + parse("…", "expr")),
]
DERIVATIVES_REFUSED = [
    ("dE + 1", "belongs in a fraction"), ("dx/dy", "unknown name 'dx'"), ("A(0,1)", "numbered from 1"),
    ("A(1,1,1)", "not a function"),
]


@pytest.mark.parametrize(("text", "expected"), DERIVATIVES)
def test_derivatives(text, expected):
    assert parse(text, "expr") == expected


@pytest.mark.parametrize(("text", "fragment"), DERIVATIVES_REFUSED)
def test_derivatives_refused(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse(text, "expr")


def test_chains_in_d_notation():
    value = parse(r"dE/dA_{11} = dE/dC_{11} * dC_{11}/dA_{11} = B_{11}", "equation")
    assert value == Equation((dd(E, A11), dd(E, C11) * dd(C11, A11), B11))


@pytest.mark.parametrize("expect", ["expr", "number"])
def test_named_expressions_are_equations(expect):
    assert parse(r"O = \lfloor \frac{I-K+2P}{S} \rfloor + 1", "expr") == Equation((O, OUT))
    assert parse("C_{11} = 109", expect) == Equation((C11, Integer(109)))


# ---- the second round: markup and prose around the maths, Python spellings, more ranges ---------------
MORE = [
    ("np.mean(S)", "expr", window("sum", x, x, S) / COUNT),
    ("S.mean()", "expr", window("sum", x, x, S) / COUNT),
    ("(sum(x^p for x in S))^(1/p)", "expr", window("sum", x**p, x, S) ** (1 / p)),
    ("max(x for x in S)", "expr", window("max", x, x, S)),
    (r"\mathbb{E}_{x \in S} [x]", "expr", window("sum", x, x, S) / COUNT),
    (r"\max_{1 \le i \le N} x_i", "expr", window("max", Indexed(IndexedBase(x), i), i, Tuple(1, sym("N")))),
    (r"\max_{0 < i < N} x_i", "expr", window("max", Indexed(IndexedBase(x), i), i, Tuple(1, sym("N") - 1))),
    (r"\sum_{n=1}^{2} B_{1n}", "expr", window("sum", Indexed(IndexedBase(sym("B")), 1, n), n, Tuple(1, 2))),
    ("∂E/∂A₁₁ = B₁₁", "equation", Equation((dd(E, A11), B11))),
    (r"\nabla_A E", "expr", dd(E, sym("A"))),
    ("int((I + 2*P - K)/S) + 1", "expr", OUT),
    (r"\lim_{p \to \infty}", "limit", parse(r"p \to \infty", "limit")),
    (r"\lim\limits_{p \to \infty}", "limit", parse(r"p \to \infty", "limit")),
    (r"p \uparrow \infty", "limit", parse(r"p \to \infty", "limit")),
    (r"p \downarrow 0", "limit", parse(r"p \to 0", "limit")),
    (r"\color{red}{p \to \infty}", "limit", parse(r"p \to \infty", "limit")),
    (r"p = 1 \text{ (normalised by } N)", "limit", Equation((p, Integer(1)))),
    (r"p = 1 \text{ and divide by } N", "limit", Equation((p, Integer(1)))),
    (r"p = 1, \text{ i.e. } \frac{1}{N} \sum_{x \in S} x", "limit", Equation((p, Integer(1)))),
    (r"p \to \infty, \text{ since } \lim_{p \to \infty} \|x\|_p = \max_i |x_i|", "limit", parse("p -> oo", "limit")),
    ("p ≥ 1", "limit", sympy.Ge(p, 1)),
    (r"a + b, \quad p \geq 1", "expr", a + b),
    ("floor((I + 2P - K)/S) + 1, where I is the input size", "expr", OUT),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}（stride 1）", "matrix", M12),
    ("[1 2; 3 4]", "matrix", M12),
    (r"\frac{W_\text{in} - F_\text{w} + 2P}{S_\text{w}}", "expr", (I - sym("F_w") + 2 * P) / sym("S_w")),
    (r"\text{out} = \frac{\text{in} + 2 \cdot \text{pad} - \text{k}}{\text{stride}} + 1", "expr", None),
]


@pytest.mark.parametrize(("text", "expect", "expected"), MORE)
def test_more_notations(text, expect, expected):
    if expected is None:  # size-formula words: only in a size-formula context
        assert parse(text, expect, context=SIZE_FORMULA) == Equation((O, (I + 2 * P - K) / S + 1))
        with pytest.raises(ParseError):
            parse(text, expect)
    else:
        assert parse(text, expect) == expected


@pytest.mark.parametrize(("text", "expect", "fragment"), [
    (r"p = 1 \quad 1/N", "limit", "side by side"),   # not p = 1/N: the remark's number is refused
    ("max(x for x in S", "expr", "end of answer"),
    ("floor(x for x in S)", "expr", "is not supported"),
    (r"\max_{1 \ge i \ge N} x_i", "expr", "a range is written"),
    (r"\sum_{1 \le i \le N}^{N} x_i", "expr", "already has its upper end"),
    (r"\nabla_{AB} E", "expr", "write the gradient"),
    (r"\color{red}{a + b", "expr", "end of answer"),
])
def test_more_notations_refused(text, expect, fragment):
    with pytest.raises(ParseError, match=__import__("re").escape(fragment)):
        parse(text, expect)


@pytest.mark.parametrize(("text", "expect", "fragment"), [
    ("int((I-K)/S)", "expr", "int(...) as the floor"),
    (r"a + b, \quad p \geq 1", "expr", "ignored the condition"),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} (stride 1)", "matrix", "ignored the remark"),
    ("floor((I-K)/S), where I is the input", "expr", "after the answer"),
    ("torch.Size([1, 1, 3, 3])", "size", "batch and channel"),
    ("5 - 3 + 1 = 3, so 3 x 3", "size", "working"),
    (r"\frac{a}{S} + 1 \qquad \text{(for } S = 1\text{)}", "expr", "ignored '(for S = 1)'"),
])
def test_dropped_text_leaves_a_note(text, expect, fragment):
    assert any(fragment in note for note in read(text, expect).notes)


@pytest.mark.parametrize(("text", "expected"), [
    (r"\frac{1}{N} \sum_{x \in S} x \text{ where } N = 2", window("sum", x, x, S) / 2),
    (r"\frac{1}{N} \sum_{x \in S} x, where N = K^2 and K = 2", window("sum", x, x, S) / 4),
    (r"\frac{1}{N} \sum_{x \in S} x \text{ where } N = |S|", window("sum", x, x, S) / COUNT),
    (r"\frac{1}{N} \sum_{x \in S} x \text{ where } x \in S", window("sum", x, x, S) / sym("N")),
])
def test_where_clauses_define_names(text, expected):
    assert parse(text, "expr") == expected


def test_an_unreadable_definition_is_a_guess():
    reading = read(r"\frac{1}{N} x \text{ where } N = 2 +", "expr")
    assert reading.guessed and reading.value == x / sym("N")


MARKUP = [
    ("**floor((I - K)/S) + 1**", "expr", floor((I - K) / S) + 1),
    ("`floor((I - K)/S) + 1`", "expr", floor((I - K) / S) + 1),
    ("x**2 + y**2", "expr", x**2 + sym("y") ** 2),   # Python powers are no bold markers
    ("**x^2**", "expr", x**2),
    ("```\n[[1  2]\n [3  4]]\n```", "matrix", M12),
    ("```python\ntensor([[1., 2.],\n        [3., 4.]])\n```", "matrix", M12),
    (r"\begin{equation*} C = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \end{equation*}", "matrix",
     Equation((sym("C"), M12))),
    (r"C = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \text{ (valid cross-correlation)}", "matrix",
     Equation((sym("C"), M12))),
    ("Answer: p = 1", "limit", Equation((p, Integer(1)))),
    ("p＝1。", "limit", Equation((p, Integer(1)))),
    ("**p → ∞**", "limit", parse("p -> oo", "limit")),
    (r"\boxed{\color{red}{a + b}}", "expr", a + b),
]


@pytest.mark.parametrize(("text", "expect", "expected"), MARKUP)
def test_markup_around_the_maths(text, expect, expected):
    assert parse(text, expect) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("**nn.MaxPool2d**", "nn.MaxPool2d"),
    ("[nn.MaxPool2d](https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html)", "nn.MaxPool2d"),
    ("Answer: `nn.MaxPool2d`。", "nn.MaxPool2d."),
    (r"\textbf{\texttt{nn.MaxPool2d}}", r"\texttt{nn.MaxPool2d}"),
])
def test_strip_markup_for_words(text, expected):
    assert gp_normalise.strip_markup(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("`a + b", "unexpected '`'"), ("**a + b", "unexpected '**'"), ("a + b**", "end of answer"),
])
def test_unpaired_markup_is_refused(text, fragment):
    with pytest.raises(ParseError, match=__import__("re").escape(fragment)):
        parse(text, "expr")


@pytest.mark.parametrize(("text", "expected"), [
    (r"\frac{1}{p} \to 0", (p, oo)), (r"\frac{1}{p} \to 1", (p, Integer(1))), (r"2/p \to 4", (p, Rational(1, 2))),
])
def test_a_reciprocal_tends_to_a_value(text, expected):
    reading = read(text, "limit")
    assert (reading.value.var, reading.value.value) == expected and reading.notes


@pytest.mark.parametrize("text", [r"p^2 \to 0", r"\frac{1}{p + 1} \to 0", r"\frac{q}{p} \to 0"])
def test_other_expressions_do_not_tend(text):
    with pytest.raises(ParseError, match="single variable"):
        parse(text, "limit")


def test_a_second_limit_in_dropped_words_is_a_guess():
    reading = read(r"p \to \infty \text{ for } N \to \infty", "limit")
    assert reading.guessed and reading.value.var == p
    assert not read(r"p \to \infty \text{ for } N = 4", "limit").guessed


PER_AXIS = (r"H' = 1 + \left\lfloor \frac{H + 2P - K}{S} \right\rfloor, \quad "
            r"W' = 1 + \left\lfloor \frac{W + 2P - K}{S} \right\rfloor")


def test_one_formula_per_axis_is_read_once_when_the_axes_agree():
    reading = read(PER_AXIS, "expr", context=SIZE_FORMULA)
    assert reading.value == Equation((O, floor((I + 2 * P - K) / S) + 1)) and reading.notes


@pytest.mark.parametrize(("text", "context"), [
    (PER_AXIS, DEFAULT),                                  # H and W are different names outside a size formula
    (PER_AXIS.replace("W + 2P - K", "W + 2P - K + 1"), SIZE_FORMULA),
    ("a = 1, b = 2", DEFAULT),
])
def test_parts_that_disagree_are_ambiguous(text, context):
    with pytest.raises(ParseError, match="say different things"):
        parse(text, "expr", context=context)


@pytest.mark.parametrize(("text", "expected"), [
    (r"\frac{\partial \ell}{\partial A_{12}}", dd(sym("ell"), entry_symbol("A", 1, 2))),
    (r"f(X) = x", Equation((sympy.Function("f")(X_), x))),
    (r"\max_{m=0, \ldots, kH-1} x_m", window("max", Indexed(IndexedBase(x), sym("m")), sym("m"), Tuple(0, K - 1))),
    (r"S(x + 1)", S * (x + 1)),                            # a capital letter before a bracket is still a product
])
def test_names_from_write_ups(text, expected):
    assert parse(text, "expr") == expected


def test_a_justification_after_a_limit_is_no_guess():
    reading = read(r"p \to \infty, \text{ since } \lim_{p \to \infty} \|x\|_p = \max_i |x_i|", "limit")
    assert not reading.guessed and reading.value.var == p


def test_reals_macro_in_sizes():
    assert parse(r"C \in \R^{3 \times 3}", "size") == (3, 3)


@pytest.mark.parametrize(("text", "expect", "expected", "guessed"), [
    (r"\begin{bmatrix} 109{,}0 & 92{,}5 \end{bmatrix}", "matrix", Matrix([[109, Rational(185, 2)]]), False),
    ("p = 1{,}0", "limit", Equation((p, Integer(1))), False),
    (r"p = \num{1e6}", "limit", Equation((p, Integer(10**6))), False),
    ("1{,}000", "number", Integer(1000), True),          # or the decimal 1.000: a person checks
    ("1,000", "number", Integer(1000), False),
    ("[(I + 2P - K)/S + 1]", "expr", (I + 2 * P - K) / S + 1, True),   # [x] may be the integer part
    ("[a + b] c", "expr", (a + b) * c, False),
    (r"\left[\sum_{x \in S} x^p\right]^{1/p}", "expr", window("sum", x**p, x, S) ** (1 / p), False),
    (r"\max_{0 \le m, n < K} X_{i+m,\, j+n}", "expr",
     window("max", window("max", Indexed(IndexedBase(X_), i + sym("m"), j + n), n, Tuple(0, K - 1)),
            sym("m"), Tuple(0, K - 1)), False),
])
def test_numbers_and_brackets_that_read_two_ways(text, expect, expected, guessed):
    reading = read(text, expect)
    assert reading.value == expected and reading.guessed is guessed


SIJ_ = Indexed(IndexedBase(S), i, j)


@pytest.mark.parametrize(("text", "expected"), [
    (r"\lVert X^k_{S_{ij}} \rVert_p", window("sum", Abs(x) ** p, x, SIJ_) ** (1 / p)),
    (r"\lVert X_{S_{ij}} \rVert_2", sympy.sqrt(window("sum", x**2, x, SIJ_))),
    (r"\|X_{S}\|_\infty", window("max", Abs(x), x, S)),
    (r"‖X_S‖_{p}", window("sum", Abs(x) ** p, x, S) ** (1 / p)),
    (r"\|X_{S}\|_p + |x|", window("sum", Abs(x) ** p, x, S) ** (1 / p) + Abs(x)),
])
def test_norms_of_a_window(text, expected):
    assert parse(text, "expr") == expected


@pytest.mark.parametrize(("text", "fragment"), [
    (r"\|x\|_p", "a norm is read around a window's entries"),
    (r"\lVert X_{S} \rVert", "needs its order"),
    (r"\lVert X_{S} \rVert_{p+1}", "is not supported"),
    (r"X_{S_{ij}} + 1", "only read inside a norm"),
    (r"\|X_{S}\|_p \|", "unexpected"),
])
def test_norms_refused(text, fragment):
    with pytest.raises(ParseError, match=__import__("re").escape(fragment)):
        parse(text, "expr")


def test_the_pytorch_documentation_formula():
    text = (r"\text{out}(N_i, C_j, h, w) = \max_{m=0, \ldots, kH-1} \max_{n=0, \ldots, kW-1} "
            r"\text{input}(N_i, C_j, \text{stride}[0] \times h + m, \text{stride}[1] \times w + n)")
    h, w, m = sym("h"), sym("w"), sym("m")
    body = Indexed(IndexedBase(sym("input")), S * h + m, S * w + n)
    expected = Equation((Indexed(IndexedBase(sym("out")), h, w),
                         window("max", window("max", body, n, Tuple(0, K - 1)), m, Tuple(0, K - 1))))
    reading = read(text, "equation")
    assert reading.value == expected and reading.notes


@pytest.mark.parametrize(("text", "fragment"), [
    (r"\text{input}(a, b, c)", "unknown function 'input'"),   # three indices: neither (h, w) nor (N, C, h, w)
    (r"\text{input}", "end of answer"),                     # a word alone is prose
])
def test_tensor_entries_refused(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse(text, "expr")


@pytest.mark.parametrize(("text", "expected", "guessed"), [
    (r"B_{11} \text{plus} B_{12}", B11 * B12, True),        # words between operands: a person checks
    (r"a \text{ times } b", a * b, True),
    (r"\text{the answer is } a + b", a + b, False),
    (r"a + b \text{ (valid)}", a + b, False),
    ("x + 1 (stride 1)", x + 1, False),                      # a remark: a word, then more words or a number
    ("1 + (padding + 1)", P + 2, False),                     # a word, then an operator: maths, not a remark
])
def test_dropped_words_and_what_they_leave(text, expected, guessed):
    reading = read(text, "expr")
    assert reading.value == expected and reading.guessed is guessed
    assert bool(reading.notes) is ("padding" not in text)   # something dropped is always said
