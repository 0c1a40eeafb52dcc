"""Cheap checks and same-length rewrites that run before lark sees the text.

The caps are checked here, in linear time, so hostile input (huge, deeply nested, unknown LaTeX commands) is
refused before any parsing or SymPy work. Rewrites replace characters by spaces of the same length, so every
offset the parser reports is still an offset into the student's original text.
"""

from __future__ import annotations

import re

from grader.parse.names import Fail

MAX_LENGTH = 20_000   # characters in one answer
MAX_DEPTH = 60        # nesting of ( [ { \{ \left ...
MAX_POWERS = 100      # '^' and '**' in one answer (bounds the depth of a power tower)
MAX_OPERATORS = 60    # \log \ln \exp \sum \max \min, which nest without brackets
MAX_CELLS = 50 * 50   # entries of a matrix (rows and columns are capped at 50 each after parsing)

KNOWN_COMMANDS = frozenset("""
    frac dfrac tfrac sqrt cdot times ast div log ln exp max min sum partial infty to rightarrow longrightarrow in
    lfloor rfloor lceil rceil left right bigl bigr Bigl Bigr biggl biggr big Big bigg Bigg dots ldots cdots dotsb
    quad qquad displaystyle textstyle limits nolimits hline nonumber notag tag label begin end
    mathbf mathrm mathit mathsf mathcal mathbb boldsymbol bm text textrm textit textbf operatorname
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho sigma tau
    phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega
    color textcolor boxed fbox underline cancel mleft mright lbrace rbrace lvert rvert vert lim le leq leqslant
    ge geq geqslant neq ne lt gt mid colon prime textnormal mbox textsf thinspace mathtt texttt star circledast
    otimes circ odot dim nabla uparrow nearrow downarrow searrow href emph R Reals reals ell num lVert rVert Vert
""".split())
MATRIX_ENVIRONMENTS = frozenset(
    "matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix array tabular".split())
EQUATION_ENVIRONMENTS = frozenset(
    "aligned align align* split gathered gather gather* equation equation* eqnarray eqnarray* multline "
    "multline* alignedat displaymath math".split())

_COMMAND = re.compile(r"\\(?:\\|([A-Za-z]+))")   # a row break \\ is one token: \\G is not the command \G
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{\s*([A-Za-z*]*)\s*\}")
_LONG_NUMBER = re.compile(r"[0-9]{51,}")
_BRACKET = re.compile(r"\\[lr](?:floor|ceil)|[(\[{)\]}⌊⌈⌋⌉]")
_MATRIX_NAMES = "|".join(MATRIX_ENVIRONMENTS)
_EQUATION_NAMES = "|".join(map(re.escape, EQUATION_ENVIRONMENTS))
_MATRIX_SPAN = re.compile(r"\\begin\s*\{\s*(?:" + _MATRIX_NAMES + r")\s*\}.*?\\end\s*\{[^}]*\}", re.S)
_ALIGNMENT = re.compile(
    r"\\begin\s*\{\s*(?:" + _EQUATION_NAMES + r")\s*\}(?:\s*\{[0-9]*\})?"
    r"|\\end\s*\{\s*(?:" + _EQUATION_NAMES + r")\s*\}|&|\\\\(?:\s*\[[^\]\n]*\])?")
_TAG = re.compile(r"\\q?quad\s*\(\s*[0-9]+[a-z]?\s*\)(?=[\s&]*(?:\\\\|\\end\s*\{|\n|\$|$))|\\tag\*?\s*\{[^{}]*\}"
                  r"|\\label\s*\{[^{}]*\}")
_OPERATOR = re.compile(r"\\(?:log|ln|exp|sum|max|min)(?![A-Za-z])|[Σ∑]")
_SIGN_RUN = re.compile(r"(?:[+\-−–]\s*){11,}")
_CELL_SEPARATOR = re.compile(r"[,&]")
_DELIMITERS = re.compile(r"\$|(?<!\\)\\\[|(?<!\\)\\\]")  # $, \[ and \], not the \\[2pt] of a row break


def check(text: str) -> None:
    """Refuse text over the caps or with unknown commands; raise Fail at the offending offset."""
    if len(text) > MAX_LENGTH:
        raise Fail(MAX_LENGTH, f"answer too long ({len(text)} characters; the limit is {MAX_LENGTH})")
    if m := _LONG_NUMBER.search(text):
        raise Fail(m.start(), "number too long (more than 50 digits)")
    for m in _COMMAND.finditer(text):
        if m.group(1) and m.group(1) not in KNOWN_COMMANDS:
            raise Fail(m.start(), f"unknown command '\\{m.group(1)}' is not supported")
    for m in _ENVIRONMENT.finditer(text):
        if m.group(1) not in MATRIX_ENVIRONMENTS and m.group(1) not in EQUATION_ENVIRONMENTS:
            raise Fail(m.start(), f"unknown environment '{m.group(1)}'")
    depth = 0
    for m in _BRACKET.finditer(text):
        token = m.group()
        if token in "([{⌊⌈" or token in ("\\lfloor", "\\lceil"):
            depth += 1
            if depth > MAX_DEPTH:
                raise Fail(m.start(), f"nested deeper than {MAX_DEPTH} levels")
        else:
            depth -= 1
    if m := _SIGN_RUN.search(text):
        raise Fail(m.start(), "more than 10 signs in a row")
    powers = text.count("^") + text.count("**")
    if powers > MAX_POWERS:
        raise Fail(text.index("^") if "^" in text else text.index("**"),
                   f"too many powers ({powers}; the limit is {MAX_POWERS})")
    for count, m in enumerate(_OPERATOR.finditer(text), start=1):
        if count > MAX_OPERATORS:
            raise Fail(m.start(), f"too many operators like {m.group()} (the limit is {MAX_OPERATORS})")


def check_matrix(text: str) -> None:
    """Refuse a matrix with more than MAX_CELLS entries before parsing any of them."""
    for count, m in enumerate(_CELL_SEPARATOR.finditer(text), start=1):
        if count > MAX_CELLS:
            raise Fail(m.start(), f"matrix too large (more than {MAX_CELLS} entries)")


def blank(text: str, pattern: re.Pattern) -> str:
    """Replace every match of ``pattern`` with spaces (newlines kept), preserving offsets."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def strip_layout(text: str) -> str:
    """For expressions and equations: drop $...$, \\[ \\], alignment marks, line breaks, tags and aligned
    environments, except inside a matrix environment (where & and \\\\ separate entries)."""
    text = blank(blank(text, _DELIMITERS), _TAG)
    pieces, last = [], 0
    for m in _MATRIX_SPAN.finditer(text):
        pieces += [blank(text[last:m.start()], _ALIGNMENT), m.group()]
        last = m.end()
    pieces.append(blank(text[last:], _ALIGNMENT))
    return "".join(pieces)


def strip_delimiters(text: str) -> str:
    """For matrices: only the math delimiters go."""
    return blank(text, _DELIMITERS)
