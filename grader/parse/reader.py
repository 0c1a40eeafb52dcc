"""``read``/``parse``: student text to SymPy objects, through one LALR parser built once at import.

``read`` returns a ``Reading`` (the value, notes on how ambiguous notation was read, and whether the reading is
a guess a person should check); ``parse`` returns the value only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy
from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from grader.errors import ParseError
from grader.parse import prescan
from grader.parse.build import MAX_MATRIX, Builder, Partial, to_matrix
from grader.parse.context import Context, reading
from grader.parse.names import Fail
from grader.parse.nodes import Equation

EXPECTS = ("auto", "expr", "number", "matrix", "size", "equation", "limit")
_STARTS = {"expr": "start_expr", "number": "start_expr", "matrix": "start_matrix", "size": "start_size",
           "equation": "start_equation", "limit": "start_limit"}
_PARSER = Lark(Path(__file__).with_name("answer.lark").read_text(encoding="utf-8"), parser="lalr",
               lexer="contextual", transformer=Builder(), start=sorted(set(_STARTS.values())))

_ARROW = re.compile(r"->|→|\\(?:long)?rightarrow(?![A-Za-z])|\\to(?![A-Za-z])")
_MATRIX_START = re.compile(r"\s*(?:\[\s*\[|(?:\\left\s*)?[(\[]?\s*\\begin\s*\{\s*(?:"
                           + "|".join(prescan.MATRIX_ENVIRONMENTS) + r")\s*\})")
_CELL_SPLIT = {",": re.compile(r","), "&": re.compile(r"&"), " ": re.compile(r"\s+")}


@dataclass(frozen=True)
class Reading:
    """What an answer was read as: ``value`` (what ``parse`` returns), ``notes`` saying which reading was used
    where a notation could be read two ways, and ``guessed`` when a person should check the reading."""

    value: Any
    notes: tuple[str, ...] = ()
    guessed: bool = False


def read(text: str, expect: str = "auto", context: Context | None = None) -> Reading:
    """``parse`` under ``context`` (None: ``DEFAULT``), with the notes and the guessed flag of the reading.

    >>> read("X^k_{pq}", "expr").notes
    ('read X^k_{pq} with k as the channel index, not a power',)
    """
    with reading(context) as state:
        value = _parse(text, expect)
    return Reading(value, tuple(state.notes), state.guessed)


def parse(text: str, expect: str = "auto", context: Context | None = None) -> Any:
    """Read one answer; raise ParseError (with the offset of the offending character) when it cannot.

    ``expect``: "expr", "number", "matrix", "size", "equation", "limit", or "auto" (a matrix when it starts
    like one or has ';' rows, a limit when it has an arrow, otherwise an expression or an Equation).

    >>> parse(r"\\frac{I-K+2P}{S} + 1")
    1 + (I - K + 2*P)/S
    >>> parse("3 x 3", expect="size"), parse(r"p \\to \\infty")
    ((3, 3), Approach(var=p, value=oo))
    >>> parse(r"\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}")
    Matrix([
    [1, 2],
    [3, 4]])
    """
    return read(text, expect, context).value


def _parse(text: str, expect: str) -> Any:
    if not isinstance(text, str):
        raise TypeError(f"parse() reads text, got {type(text).__name__}")
    if expect not in EXPECTS:
        raise ValueError(f"expect must be one of {', '.join(EXPECTS)}; got {expect!r}")
    try:
        prescan.check(text)
        if expect == "auto":
            expect = _guess(prescan.strip_delimiters(text))
            if expect == "equation":
                result = _run(prescan.strip_layout(text), "equation")
                return result.sides[0] if len(result.sides) == 1 else result
        if expect == "matrix":
            return _matrix(prescan.strip_delimiters(text))
        if expect == "size":
            return _run(prescan.strip_delimiters(text), "size")
        result = _run(prescan.strip_layout(text), expect)
        if expect == "number" and not (isinstance(result, sympy.Expr) and result.is_number):
            raise Fail(len(text) - len(text.lstrip()), "expected a number, got an expression")
        return result
    except Fail as fail:
        raise ParseError(text, fail.offset, fail.problem, fail.expected) from None
    except RecursionError:
        raise ParseError(text, 0, "expression nested too deeply") from None


def _guess(text: str) -> str:
    if _MATRIX_START.match(text) or ";" in text:
        return "matrix"
    if _ARROW.search(text):
        return "limit"
    return "equation"


def _run(text: str, expect: str) -> Any:
    try:
        result = _PARSER.parse(text, start=_STARTS[expect])
    except UnexpectedInput as error:
        raise _explain(error, text) from None
    if ("∂" in text or "\\partial" in text) and _leftover_partials(result):
        raise Fail(int(_leftover_partials(result)[0].args[1]),
                   "\\partial belongs in a fraction, like \\frac{\\partial E}{\\partial A_{24}}")
    return result


def _leftover_partials(result: Any) -> list:
    items = result.sides if isinstance(result, Equation) else getattr(result, "args", ())
    found = [p for item in (result, *items) if isinstance(item, sympy.Basic) for p in item.atoms(Partial)]
    return sorted(found, key=lambda p: int(p.args[1]))


def _matrix(text: str) -> sympy.ImmutableMatrix:
    """A matrix: nested lists and LaTeX environments go to the grammar; plain rows are split here."""
    prescan.check_matrix(text)
    if _MATRIX_START.match(text):
        return _run(text, "matrix")
    rows = []
    for line in re.finditer(r"[^;\n]+", text):
        if not line.group().strip():
            continue
        separator = "," if "," in line.group() else "&" if "&" in line.group() else " "
        cells, start = [], line.start()
        for piece in _CELL_SPLIT[separator].split(line.group()):
            offset = text.index(piece, start) if piece else start
            start = offset + len(piece)
            if piece.strip() or separator != " ":
                cells.append(_cell(text, piece, offset))
        rows.append((cells, line.start()))
        if len(rows) > MAX_MATRIX:
            break  # to_matrix names the first row over the cap
    if not rows:
        raise Fail(0, "empty matrix", ("a number",))
    return to_matrix(rows)


def _cell(text: str, piece: str, offset: int) -> sympy.Expr:
    try:
        return _run(piece, "expr")
    except Fail as fail:
        raise Fail(offset + fail.offset, fail.problem, fail.expected) from None


# ---- lark errors to one readable line ----------------------------------------------------------------
_OPERAND = ("a number", "a name", "'('")
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "TEXTNAME": "a name", "GREEK": "a name", "LPAR": "'('",
    "RPAR": "')'", "RBRACK": "']'", "RBRACE": "'}'", "RSET": "'\\}'", "RFLOOR": "'\\rfloor'",
    "RCEIL": "'\\rceil'", "END_ENV": "'\\end{...}'", "ADDOP": "an operator", "MULOP": "an operator",
    "DIVOP": "an operator", "POW": "an operator", "EQ": "'='", "ARROW": "'\\to'", "COMMA": "','",
    "AMP": "'&'", "ROWSEP": "'\\\\'", "SIZE_TIMES": "'x'", "IN": "'\\in'", "LBRACE": "'{'", "LBRACK": "'['",
    "UNDERSCORE": "'_'", "BEGIN_ENV": "'\\begin{bmatrix}'", "$END": "the end",
}


def _explain(error: UnexpectedInput, text: str) -> Fail:
    if isinstance(error, UnexpectedCharacters):
        offset, expected = error.pos_in_stream, error.allowed or set()
        found = f"'{text[offset]}'" if offset < len(text) else "end of answer"
    elif isinstance(error, UnexpectedToken):
        token, expected = error.token, error.expected
        if token.type == "$END":
            offset, found = len(text.rstrip()), "end of answer"
        else:
            offset, found = token.start_pos, f"'{token}'"
    else:  # UnexpectedEOF
        offset, expected, found = len(text.rstrip()), getattr(error, "expected", ()), "end of answer"
    return Fail(offset, f"unexpected {found}", _describe(expected))


def _describe(expected: set[str]) -> tuple[str, ...]:
    if "NUMBER" in expected and "NAME" in expected:
        return _OPERAND
    words: list[str] = []
    for name in sorted(expected, key=lambda n: list(_WORDS).index(n) if n in _WORDS else len(_WORDS)):
        word = _WORDS.get(name)
        if word and word not in words:
            words.append(word)
    return tuple(words[:5])
