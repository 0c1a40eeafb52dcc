"""Finding each part in a write-up: labels as people write them, and each task's answer by its content."""

from __future__ import annotations

import pytest

from grader.writeup import Found, WriteupError, extract
from grader.writeup.structure import split_units
from grader.writeup.text import lines_of
from symconv.spec import load_spec

SPEC = load_spec()


def _last_part(text: str, kind: str = "md") -> str | None:
    return split_units(lines_of(text, kind).lines, SPEC)[-1].part


@pytest.mark.parametrize("text, part", [
    ("## 1.1\n(a) x", "1.1a"),
    ("Problem 1.1\n**(c)** x", "1.1c"),
    ("1.1. Convolution\n- (b) x", "1.1b"),
    ("# 1.2 Pooling\n__(d)__ x", "1.2d"),
    ("## Pooling\nb) x", "1.2b"),
    ("Question 2\nc) x", "1.2c"),
    ("Q1.2a: x", "1.2a"),
    ("1.1 (d) x", "1.1d"),
    ("1.1d-matrix: x", "1.1d-matrix"),
    ("Part (c)\nx", "1.1c"),                                   # no problem heading: the first problem
    ("(a) x\n(b) y\n(a) z", "1.2a"),                           # letters start again: the next problem
    ("## 1.1\n(e) x", "?1.1e"),                                # a label naming no part still ends the one before
    ("## 1.1\n(b) x\na. the kernel is small", "1.1b"),         # prose, not a label
    ("## 1.1\n(b) x\n3 x 3 is the size", "1.1b"),              # a number starting a line is no problem label
    ("## 1.2\n**Max pooling**\n$Y = 1$", None),               # bold words are no problem title
])
def test_labels(text, part):
    assert _last_part(text) == part


@pytest.mark.parametrize("text, part", [
    ("\\section*{Problem 1.1}\n\\subsection*{(c)}\nx", "1.1c"),
    ("\\section{Pooling}\n\\begin{enumerate}\n\\item x\n\\item y\n\\end{enumerate}", "1.2b"),
    ("\\section{Pooling}\n\\begin{enumerate}\n\\item x\n\\begin{itemize}\\item max\n\\item avg\\end{itemize}\n"
     "\\item z\n\\end{enumerate}", "1.2b"),                       # items of a nested itemize are not parts
    ("\\section{Convolution}\n\\begin{enumerate}\n\\item[(d)] x\n\\end{enumerate}", "1.1d"),
])
def test_latex_structure(text, part):
    assert _last_part(text, "tex") == part


def _found(part: str, body: str):
    label = {"1.1": "## 1.1\n", "1.2": "## 1.2\n"}[part[:3]]
    try:
        return extract("hw.md", text=label + body).found[part]
    except WriteupError:   # nothing found at all
        return Found(part)


@pytest.mark.parametrize("body, answer", [
    ("(a) A is 5×5 and B is 3×3, so C is 3×3.", "3 \\times 3"),
    ("(a) $C \\in \\mathbb{R}^{3\\times3}$", "3 \\times 3"),
    ("(a) the output is (3, 3)", "3 \\times 3"),
    ("(a) 3 by 3.", "3 \\times 3"),
    ("(a) the kernel B is 3 × 3", None),                          # a size said of another matrix
])
def test_sizes(body, answer):
    assert _found("1.1a", body).answer == answer


@pytest.mark.parametrize("body, answer", [
    ("(b) $O = \\lfloor (I + 2P - K)/S \\rfloor + 1$ and for us $O = 3$", "O = \\lfloor (I + 2P - K)/S \\rfloor + 1"),
    ("(b) The formula is: (W - F + 2P)/S + 1", "(W - F + 2P)/S + 1"),
    ("(b) 3", None),
])
def test_size_formulas(body, answer):
    assert _found("1.1b", body).answer == answer


A = "\\begin{bmatrix}4&5&2&2&1\\\\3&3&2&2&4\\\\4&3&4&1&1\\\\5&1&4&1&2\\\\5&1&3&1&4\\end{bmatrix}"
G = "\\begin{bmatrix}4&7&10&6&3\\\\9&17&25&16&8\\\\11&23&34&23&11\\\\7&16&24&17&8\\\\2&6&9&7&3\\end{bmatrix}"
B = "\\begin{bmatrix}4&3&3\\\\5&5&5\\\\2&4&3\\end{bmatrix}"
C = "\\begin{bmatrix}109&92&72\\\\108&85&74\\\\110&74&79\\end{bmatrix}"


@pytest.mark.parametrize("part, body, answer", [
    ("1.1c", f"(c) with $B = {B}$ we get $C = {C}$", C),
    ("1.1c", f"(c) $C = {C}$, using $B = {B}$", C),                       # the kernel restated after: skipped
    ("1.1d-matrix", f"(d) $A = {A}$ so $\\nabla_A E = {G}$", G),           # the input restated: skipped
    ("1.1d-matrix", f"(d) $A = {A}$", None),
    ("1.1c", "(c)\n| 109 | 92 | 72 |\n|---|---|---|\n| 108 | 85 | 74 |\n| 110 | 74 | 79 |",
     "| 109 | 92 | 72 |\n|---|---|---|\n| 108 | 85 | 74 |\n| 110 | 74 | 79 |"),
    ("1.1c", "(c)\n| C | 1 | 2 | 3 |\n|--|--|--|--|\n| 1 | 109 | 92 | 72 |\n| 2 | 108 | 85 | 74 |\n"
             "| 3 | 110 | 74 | 79 |",
     "| 109 | 92 | 72 |\n| 108 | 85 | 74 |\n| 110 | 74 | 79 |"),            # row and column numbers dropped
    ("1.2c", f"(c) pooling $C = {C}$ gives $Y = \\begin{{pmatrix}} 109 & 92 \\\\ 110 & 85 \\end{{pmatrix}}$",
     "\\begin{pmatrix} 109 & 92 \\\\ 110 & 85 \\end{pmatrix}"),
])
def test_matrices(part, body, answer):
    assert _found(part, body).answer == answer


@pytest.mark.parametrize("body, answer", [
    ("(a) Max pooling: `nn.AvgPool2d`", {"max": "nn.AvgPool2d"}),           # the label says which pooling
    ("(a) `nn.MaxPool2d` for max, `nn.AvgPool2d` for average and `nn.LPPool2d` for LP",
     {"max": "nn.MaxPool2d", "avg": "nn.AvgPool2d", "lp": "nn.LPPool2d"}),
    ("(a) nn.MaxPool2d, torch.nn.modules.pooling.AvgPool2d, F.lp_pool2d",
     {"max": "nn.MaxPool2d", "avg": "torch.nn.modules.pooling.AvgPool2d", "lp": "F.lp_pool2d"}),
    ("(a) • max: torch.MaxPool2d\n• average: nn.AvgPool2D", {"max": "torch.MaxPool2d", "avg": "nn.AvgPool2D"}),
])
def test_modules(body, answer):
    assert _found("1.2a", body).answer == answer


@pytest.mark.parametrize("body, answer", [
    ("(d) When $p = 1$, LP pooling is average pooling; as $p \\to \\infty$ it becomes max pooling.",
     {"avg": "p = 1", "max": "p \\to \\infty"}),
    ("(d) max pooling: $N \\to \\infty$", {"max": "N \\to \\infty"}),         # the checker judges the variable
    ("(d) $p = \\begin{cases} 1 & \\text{average} \\\\ \\infty & \\text{max} \\end{cases}$",
     {"avg": "p = 1", "max": "p \\to \\infty"}),
    ("(d) avg: p = 1; max: p -> inf", {"avg": "p = 1", "max": "p \\to \\infty"}),
])
def test_limits(body, answer):
    assert _found("1.2d", body).answer == answer


@pytest.mark.parametrize("body, kinds", [
    ("(b)\n- Max: $Y = \\max_{x \\in S} x$\n- Average: $Y = \\frac{1}{N}\\sum_{x \\in S} x$", {"max", "avg"}),
    ("(b) $$\\begin{aligned} \\text{LP:} & \\quad Y = (\\sum x^p)^{1/p} \\\\ \\text{max:} & \\quad Y = \\max S "
     "\\end{aligned}$$", {"lp", "max"}),
    ("(b) $Y = \\max_{x \\in S} x$ and $Y = (\\sum_{x \\in S} x^p)^{1/p}$", {"max", "lp"}),   # by their content
])
def test_pooling_formulas(body, kinds):
    assert set(_found("1.2b", body).answer) == kinds


def _chain(entries: list[tuple[str, str]]) -> str:
    return "(d)\n" + "\n".join(f"$\\frac{{\\partial E}}{{\\partial A_{{{lhs}}}}} = {rhs}$" for lhs, rhs in entries)


def test_chain_rule_lines_by_their_left_side_and_labels():
    found = _found("1.1d", _chain([("11", "B_{11}"), ("12", "B_{11} + B_{12}")]) +
                   "\n- $A_{13}$: $B_{11} + B_{12} + B_{13}$\n$$\\partial E/\\partial A_{14}\n= B_{12} + B_{13}$$")
    assert found.answer == {"A_{11}": "\\frac{\\partial E}{\\partial A_{11}} = B_{11}",
                            "A_{12}": "\\frac{\\partial E}{\\partial A_{12}} = B_{11} + B_{12}",
                            "A_{13}": "B_{11} + B_{12} + B_{13}",
                            "A_{14}": "\\partial E/\\partial A_{14} = B_{12} + B_{13}"}
    assert found.each["A_{14}"] == "lines 6-7"


@pytest.mark.parametrize("keys, read", [
    (["41", "42", "42", "44"], ["A_{41}", "A_{42}", "A_{43}", "A_{44}"]),      # the second A_42 sits where A_43 goes
    (["41", "43", "43", "44"], ["A_{41}", "A_{42}", "A_{43}", "A_{44}"]),      # the first A_43 sits where A_42 goes
    (["11", "11"], ["A_{11}", "A_{12}"]),
])
def test_a_repeated_left_side_is_read_as_the_missing_entry(keys, read):
    found = _found("1.1d", _chain([(k, f"B_{{{n}1}}") for n, k in enumerate(keys, 1)]))
    assert list(found.answer) == read and found.notes


def test_a_table_of_entries():
    found = _found("1.1d", "(d)\n| Entry | Gradient |\n|---|---|\n| $A_{11}$ | $B_{11}$ |\n"
                           "| A_{1,2} | B_{11} + B_{12} |")
    assert found.answer == {"A_{11}": "B_{11}", "A_{12}": "B_{11} + B_{12}"} and found.where == "lines 5-6"


UNLABELLED = """The output C is 3 × 3, from O = \\lfloor (I + 2P - D(K-1) - 1)/S \\rfloor + 1.

Modules: nn.MaxPool2d, nn.AvgPool2d and nn.LPPool2d.

Max-pooled: $Y = \\begin{bmatrix} 109 & 92 \\\\ 110 & 85 \\end{bmatrix}$

With p = 1 we get average pooling and p → ∞ gives max pooling.
"""


def test_answers_under_no_label_are_found_by_their_content():
    found = extract("notes.md", text=UNLABELLED).found
    assert {p: f.where for p, f in found.items() if f.answer is not None} == {
        "1.1a": "line 1", "1.1b": "line 1", "1.2a": "line 3", "1.2c": "line 5", "1.2d": "line 7"}
    assert all(f.how == "by its content (no label for this part)" for f in found.values() if f.answer is not None)
    assert found["1.2c"].answer == "\\begin{bmatrix} 109 & 92 \\\\ 110 & 85 \\end{bmatrix}"


def test_labelled_parts_are_not_filled_from_other_parts():
    # 1.1a is not answered; the "3 x 3" under (c) belongs to (c) and is not taken for it
    text = "## 1.1\n(c) C is 3 x 3:\n$C = \\begin{bmatrix}1&2&3\\\\4&5&6\\\\7&8&9\\end{bmatrix}$"
    found = extract("hw.md", text=text).found
    assert found["1.1a"].answer is None and found["1.1c"].answer is not None


def test_inline_maths_wrapped_onto_the_next_line():
    found = _found("1.1d", "(d) $\\frac{\\partial E}{\\partial A_{11}} =\n B_{11}$ and "
                           "$\\frac{\\partial E}{\\partial A_{12}} = B_{11} + B_{12}$")
    assert found.answer == {"A_{11}": "\\frac{\\partial E}{\\partial A_{11}} = B_{11}",
                            "A_{12}": "\\frac{\\partial E}{\\partial A_{12}} = B_{11} + B_{12}"}


def test_two_equations_on_one_line_and_an_equals_sign_between_spans():
    found = _found("1.1d", "(d) $\\partial E/\\partial A_{11}$ = $B_{11}$, "
                           "$\\partial E/\\partial A_{12} = B_{11} + B_{12}$")
    assert found.answer == {"A_{11}": "\\partial E/\\partial A_{11} = B_{11}",
                            "A_{12}": "\\partial E/\\partial A_{12} = B_{11} + B_{12}"}


def test_a_dollar_sign_in_prose_does_not_swallow_the_labels_after_it():
    text = "## 1.1\n(a) it costs $5 to print\n\n\n\n\n(b) $O = (I - K + 2P)/S + 1$\n(c) x\n(d) y $z$"
    found = extract("hw.md", text=text).found
    assert found["1.1b"].answer == "O = (I - K + 2P)/S + 1" and found["1.1b"].where == "line 7"


def test_the_gradient_by_the_kernel_is_not_the_gradient_by_the_input():
    spec = load_spec("templates/stride2-padding1.yaml")
    by_kernel = "\\begin{bmatrix}1&2&3\\\\4&5&6\\\\7&8&9\\end{bmatrix}"
    by_input = "\\begin{bmatrix}9&8&7\\\\6&5&4\\\\3&2&1\\end{bmatrix}"
    body = f"## 1\n(f) $\\frac{{\\partial E}}{{\\partial K}} = {by_kernel}$, $\\nabla_A E = {by_input}$"
    assert extract("hw.md", spec, text=body).found["1f"].answer == by_kernel
