"""How result objects show themselves in a REPL and a notebook: a short repr, a readable str, LaTeX through the
project's printer (settings kept), HTML tables where a table reads better; text and LaTeX list things in one
order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

from symconv import chain_rule, derive, derive_solution, sym_matrix
from symconv.latex import latex
from symconv.limits import LIMIT_KEYS, prove_max_limit, prove_p1, window_limits


def dataclass_dump(text: str) -> bool:
    """True for the default dataclass repr (``Name(field=..., field=...)``)."""
    return re.match(r"^\w+\(\w+=", text) is not None


def latex_terms(tex: str) -> list[str]:
    """``B_{11} G_{22} + B_{12}`` -> ``['B_11*G_22', 'B_12']`` (the text printer's spelling)."""
    return [re.sub(r"_\{(\w+)\}", r"_\1", t).replace(" ", "*") for t in tex.split(" + ")]


# --- ChainRule ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("upstream", [None, "G"])
def test_chain_rule_text_and_latex_list_the_same_terms_in_the_same_order(upstream):
    A, B = sym_matrix("A", 4, 4), sym_matrix("B", 3, 3)
    G = sym_matrix("G", 2, 2) if upstream else None
    for i in range(1, 5):
        for j in range(1, 5):
            rule = chain_rule(A, B, i, j, upstream=G)
            assert repr(rule) == str(rule) and "\n" not in repr(rule)
            text_chain, text_sum = str(rule).split(" = ")[1:]
            tex_chain, tex_sum = rule.to_latex().split(" = ")[1:]
            assert text_sum.split(" + ") == latex_terms(tex_sum)
            outputs = re.findall(r"dE/d(C_\d\d)\*", text_chain)
            assert outputs == [o.replace("{", "").replace("}", "")
                               for o in re.findall(r"\\partial E\}\{\\partial (C_\{\d\d\})\}", tex_chain)]
            assert rule._repr_latex_() == f"${rule.to_latex()}$" and latex(rule) == rule.to_latex()


# --- Proof -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "steps"), [(lambda: prove_max_limit(3), 12), (lambda: prove_p1(2), 3)])
def test_proof_prints_as_its_text_and_reprs_in_one_line(make, steps):
    proof = make()
    assert str(proof) == proof.to_text()
    text = repr(proof)
    assert "\n" not in text and not dataclass_dump(text) and len(text) < 200
    assert text.startswith(f"Proof({proof.title!r}: {steps} steps, verified; ")
    assert text.endswith(proof.to_text().splitlines()[-1 - len(proof.notes)].removeprefix("Therefore: ") + ")")
    assert proof._repr_latex_().startswith("$") and proof._repr_latex_().count(r"\checkmark") == steps


def test_an_unverified_proof_says_so():
    proof = prove_p1(2)
    broken = type(proof)(proof.title, proof.assumptions, (), proof.conclusion)
    assert ", NOT verified;" in repr(broken) and "0 steps" in repr(broken)


# --- WindowLimits ------------------------------------------------------------------------------------------------

HOMEWORK_WINDOW = [109, 92, 108, 85]


@pytest.fixture(scope="module")
def limits():
    return window_limits(HOMEWORK_WINDOW)


def test_window_limits_repr(limits):
    assert repr(limits) == ("WindowLimits([109, 92, 108, 85], normalized: p = 1: 197/2; p -> oo: 109; "
                            "p -> 0+: 2*5753565**(1/4); p -> -oo: 85; verified)")
    assert str(limits) == limits.to_text()


def test_window_limits_latex_is_a_math_array_in_the_documents_order(limits):
    tex = limits._repr_latex_()
    assert tex.startswith(r"$\begin{array}") and tex.endswith(r"\quad \text{verified}$")
    labels = [r"p = 1", r"p \to \infty", r"p \to 0^+", r"p \to -\infty"]
    positions = [tex.index(label + " & ") for label in labels]
    assert positions == sorted(positions)
    assert r"\frac{197}{2}" in tex and r"2 \sqrt[4]{5753565}" in tex
    assert "tabular" not in tex        # MathJax renders no tabular


def test_window_limits_html_tables_follow_the_text(limits):
    html = limits._repr_html_()
    assert html.count("<table>") == 2 and html.count("</table>") == 2
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert len(rows) == 2 + len(LIMIT_KEYS) + len(limits.table.rows)
    text_rows = limits.to_text().splitlines()
    names = [re.split(r"\s{2,}", line)[1] for line in text_rows[4:4 + len(LIMIT_KEYS)]]
    assert [re.findall(r"<td>(.*?)</td>", r)[1] for r in rows[1:1 + len(LIMIT_KEYS)]] == names
    powers = [int(re.findall(r"<td>(.*?)</td>", r)[0]) for r in rows[2 + len(LIMIT_KEYS):]]
    assert powers == [p for p, _, _, _ in limits.table.rows]
    assert "<b>verified</b>" in html


def test_window_limits_html_escapes():
    html = window_limits([3, 1], norm="torch", powers=(1, 2))._repr_html_()
    assert "L_p = (sum x_i^p)^(1/p)  (PyTorch)" in html and "<td>sum</td>" in html
    assert "&lt;" not in html.replace("<", "").replace(">", "")   # nothing double-escaped


# --- Solution and Derivation -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sol():
    return derive_solution()


def test_solution_repr_and_str(sol):
    assert repr(sol) == ("Solution(homework: A 5x5 ⋆ B 3x3 -> C 3x3, stride=1, padding=0, dilation=1, dE/dC = ones; "
                         "pooling 2x2 stride 1)")
    lines = str(sol).splitlines()
    assert lines[0] == repr(sol)
    assert [line.split(" = ")[0] for line in lines[1:]] == ["C", "dE/dA", "dE/dB", "max pool", "avg pool"]
    assert lines[1] == "C = [[109, 92, 72], [108, 85, 74], [110, 74, 79]]"


def test_solution_latex_in_the_documents_order_with_settings(sol):
    tex = sol._repr_latex_()
    assert tex.startswith(r"$\displaystyle \begin{aligned}C &= \begin{bmatrix}109 & 92 & 72")
    order = [r"C &=", r"\frac{\partial E}{\partial A} &=", r"\frac{\partial E}{\partial B} &=",
             r"\text{max pool} &=", r"\text{avg pool} &="]
    assert [tex.index(x) for x in order] == sorted(tex.index(x) for x in order)
    assert r"\dfrac{197}{2}" in tex
    assert r"98.5 & 80.75" in latex(sol, decimals=2)        # the printer's settings reach the matrices


def test_derivation_repr_latex_and_settings():
    d = derive((3, 3), (2, 2), stride=1, upstream="symbolic", chain=True)
    assert repr(d) == ("Derivation(dE/dA: A 3x3 ⋆ B 2x2 -> C 2x2, stride=1, padding=0, dilation=1, dE/dC = G; "
                       "9 entries, with the chain rule)")
    assert not dataclass_dump(repr(d)) and str(d) == d.to_text()
    assert d._repr_latex_() == d.to_latex() == latex(d)
    assert d.to_latex().startswith("\\begin{align*}\n") and d.to_latex().count(" &= ") == 9
    # every line lists its terms as the text does
    for text, tex in zip(d.to_text().splitlines()[1:], d.to_latex().splitlines()[1:-1]):
        assert text.rsplit(" = ", 1)[1].split(" + ") == latex_terms(tex.rsplit(" = ", 1)[1].removesuffix(r" \\"))
    plain = derive((2, 2), (1, 1), wrt="kernel", stride=2)
    assert repr(plain) == ("Derivation(dE/dB: A 2x2 ⋆ B 1x1 -> C 1x1, stride=2, padding=0, dilation=1, "
                           "dE/dC = ones; 1 entries)")
    assert plain.to_latex().splitlines()[1] == r"\frac{\partial E}{\partial B_{11}} &= A_{11}"


def test_latex_settings_reach_a_chain_rule_inside_a_derivation():
    half = sympy.Rational(1, 2)
    rule = chain_rule(sym_matrix("A", 1, 2), [[half]], 1, 1)
    assert latex(rule, decimals=1).endswith("= 0.5") and latex(rule).endswith(r"= \frac{1}{2}")


def test_convergence_table_repr_is_one_line(limits):
    assert repr(limits.table) == "ConvergenceTable(normalized, 11 rows, p = 1..1024, 50 digits, verified)"


# --- the grader's Result and PartResult ---------------------------------------------------------------------------

def graded_result():
    from grader.result import NEEDS_REVIEW, PartResult, Result

    parts = [PartResult("1.1a", 1.0, 1.0, "1.1a: correct (1/1)."),
             PartResult("1.1c", 1.5, 3.0, "1.1c: partly correct (1.5/3).\n- C_11: expected 109, got 113",
                        ["flipped-kernel"], given_latex=r"\begin{bmatrix}113\end{bmatrix}",
                        expected_latex=r"\begin{bmatrix}109\end{bmatrix}"),
             PartResult("1.2c", 0.0, 2.0, "1.2c: needs review <b>", status=NEEDS_REVIEW)]
    return Result("ada <script>", parts, status="needs-review", notes=["answers for unknown parts: '9.9'"])


def test_result_repr_and_str():
    r = graded_result()
    assert repr(r) == "Result('ada <script>': 2.5/6, needs-review; 1.1c: flipped-kernel)"
    assert str(r).splitlines() == ["ada <script>: 2.5/6 (needs-review)", "  1.1a: 1/1",
                                   "  1.1c: 1.5/3 (flipped-kernel)", "  1.2c: 0/2 [needs-review]",
                                   "Note: answers for unknown parts: '9.9'"]
    assert repr(r.parts[1]) == "PartResult('1.1c': 1.5/3, graded; flipped-kernel)"
    assert str(r.parts[2]) == "1.2c: 0/2 [needs-review]"


def test_result_html_table_in_part_order_escaped():
    html = graded_result()._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert [re.findall(r"<td>(.*?)</td>", row)[0] for row in rows[1:]] == ["1.1a", "1.1c", "1.2c"]
    assert re.findall(r"<td>(.*?)</td>", rows[2]) == ["1.1c", "1.5", "3", "graded", "flipped-kernel",
                                                     "1.1c: partly correct (1.5/3)."]
    assert "ada &lt;script&gt;" in html and "<script>" not in html and "needs review &lt;b&gt;" in html


def test_result_latex_lists_the_parts_and_the_total():
    r = graded_result()
    tex = r._repr_latex_()
    assert tex.startswith(r"$\begin{array}{lrrl}") and tex.endswith(r"\end{array}$")
    assert [tex.index(rf"\text{{{p}}}") for p in ("1.1a", "1.1c", "1.2c")] == sorted(
        tex.index(rf"\text{{{p}}}") for p in ("1.1a", "1.1c", "1.2c"))
    assert r"\hline \text{total} & 2.5 & 6 & \text{needs-review}" in tex
    assert "script" not in tex                      # the student id stays out of LaTeX
    part = r.parts[1]._repr_latex_()
    assert part == (r"$\begin{array}{l}\text{1.1c: } 1.5/3\quad \text{(flipped-kernel)}"
                    r"\\ \text{given: } \begin{bmatrix}113\end{bmatrix}"
                    r"\\ \text{expected: } \begin{bmatrix}109\end{bmatrix}\end{array}$")


@pytest.mark.parametrize("part", [r"\input{/etc/passwd}", "1.1$x$", "a}b{c", "#&%^_~"])
def test_result_latex_keeps_markup_out_of_text(part):
    from grader.result import PartResult, Result

    tex = Result("x", [PartResult(part, 0.0, 1.0, "", [part])])._repr_latex_()
    text = re.findall(r"\\text\{([^}]*)\}", tex)
    assert not any(set(t) & set("\\$#&%^_~{}") for t in text)
    assert tex.count("{") == tex.count("}")


def test_a_real_grading_result_displays():
    import grader

    r = grader.grade(None, str(Path(__file__).resolve().parents[1] / "examples" / "submissions" / "one-slip.toml"))
    assert repr(r) == "Result('one-slip': 21.1667/21.5, ok; 1.1c: entry-slip; 1.1d: chain-rule-not-shown)"
    assert r._repr_html_().count("<tr>") == len(r.parts) + 1
