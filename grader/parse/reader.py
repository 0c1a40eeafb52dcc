"""``read``/``parse``: student text to SymPy objects, through one LALR parser built once at import.

``read`` returns a ``Reading`` (the value, notes on how ambiguous notation was read, and whether the reading is
a guess a person should check); ``parse`` returns the value only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy
from lark import Lark
from lark.exceptions import UnexpectedInput

from grader.errors import ParseError
from grader.parse import matrix_text, normalise, prescan, size_text
from grader.parse.build import Builder, Partial, to_matrix
from grader.parse.context import Context, current, definitions, note, reading
from grader.parse.explain import explain
from grader.parse.names import Fail
from grader.parse.nodes import Equation
from grader.parse.windows import WindowEntries

EXPECTS = ("auto", "expr", "number", "matrix", "size", "equation", "limit")
_STARTS = {"expr": "start_expr", "number": "start_expr", "matrix": "start_matrix", "size": "start_size",
           "equation": "start_equation", "limit": "start_limit"}
_PARSER = Lark(Path(__file__).with_name("answer.lark").read_text(encoding="utf-8"), parser="lalr",
               lexer="contextual", transformer=Builder(), start=sorted(set(_STARTS.values())))

_ARROW = re.compile(r"->|→|\\(?:long)?rightarrow(?![A-Za-z])|\\to(?![A-Za-z])")
_MATRIX_START = re.compile(r"\s*+(?:\[\s*+\[|(?:\\left\s*+)?[(\[]?\s*+\\begin\s*\{\s*(?:"
                           + "|".join(prescan.MATRIX_ENVIRONMENTS) + r")\s*\})")


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
                result = _equation(text)
                return result.sides[0] if isinstance(result, Equation) and len(result.sides) == 1 else result
        if expect == "matrix":
            return _named_matrix(normalise.prose(normalise.tidy(prescan.strip_delimiters(text)), current()))
        if expect == "size":
            return _size(normalise.tidy(prescan.strip_delimiters(text)))
        if expect == "equation":
            return _equation(text)
        if expect == "limit":
            return _limit(text)
        result = _equation(text)
        if isinstance(result, Equation) and len(result.sides) == 1:
            result = result.sides[0]
        if expect == "number" and not _has_number(result):
            raise Fail(len(text) - len(text.lstrip()), "expected a number, got an expression")
        return result
    except Fail as fail:
        raise ParseError(text, fail.offset, fail.problem, fail.expected) from None
    except RecursionError:
        raise ParseError(text, 0, "expression nested too deeply") from None


def _has_number(result: Any) -> bool:
    sides = result.sides if isinstance(result, Equation) else (result,)
    return any(isinstance(side, sympy.Expr) and side.is_number for side in sides)


def _guess(text: str) -> str:
    if _MATRIX_START.match(text) or matrix_text.WRAPPER.match(text) or ";" in text:
        return "matrix"
    if _ARROW.search(text):
        return "limit"
    return "equation"


def _expression_text(text: str) -> str:
    return normalise.expression(prescan.strip_layout(text), current())


def _equation(text: str) -> Any:
    clean = _expression_text(text)
    try:
        return _defined(_run(clean, "equation"))
    except Fail as fail:
        try:
            pieces = _sides(clean, _TOP_COMMA, MAX_AXES)
        except Fail:
            raise fail from None
        if len(pieces) == 1:
            raise
        first = fail
    # H' = ..., W' = ...: one formula per axis; read when every piece says the same, ambiguous otherwise
    values = []
    for piece in pieces:
        try:
            values.append(_run(piece, "equation"))
        except Fail:
            raise first from None
    if any(value != values[0] for value in values):
        raise Fail(len(pieces[0].rstrip()), "the parts of this answer say different things; which one is the "
                   "answer is ambiguous")
    note("read the answer once: its comma-separated parts say the same")
    return _defined(values[0])


def _defined(result: Any) -> Any:
    """Substitute the definitions of a where-clause (``... where N = 2``) into the answer."""
    mapping = {}
    for name, value in definitions():
        try:
            key, val = _run(name, "expr"), _run(normalise.expression(value, current()), "expr")
        except Fail:
            note(f"could not read the definition {name} = {value}", guessed=True)
            continue
        if isinstance(key, sympy.Symbol):
            mapping[key] = val
            note(f"used {name} = {' '.join(value.split())} from the answer's where-clause")
    for key, val in mapping.items():  # in the written order: "N = K^2 and K = 2" makes N = 4
        if isinstance(result, Equation):
            result = Equation(tuple(side.xreplace({key: val}) for side in result.sides))
        elif isinstance(result, sympy.Basic):
            result = result.xreplace({key: val})
    return result


def _limit(text: str) -> Any:
    """``p \\to \\infty``, ``p = 1``, or an equation such as ``\\lim_{p \\to \\infty} ... = \\max ...``."""
    clean = _expression_text(text)
    try:
        return _run(clean, "limit")
    except Fail as fail:
        first = fail
    try:
        result = _defined(_run(clean, "equation"))
    except Fail:
        raise first from None
    return result.sides[0] if isinstance(result, Equation) and len(result.sides) == 1 else result


def _size(text: str) -> tuple[int, ...]:
    """``3 \\times 3`` and friends through the grammar; sizes with words around them by ``find_size``."""
    text = size_text.unwrap_digits(text)
    try:
        return _run(text, "size")
    except Fail as fail:
        first = fail
    found = size_text.named_size(text) or size_text.find_size(text)
    if found is None:
        found = size_text.computed_size(text, _number_or_none)
    if found is None:
        raise first
    return found


def _number_or_none(text: str) -> sympy.Expr | None:
    try:
        return _run(normalise.expression(text, current()), "expr")
    except Fail:
        return None


def _run(text: str, expect: str) -> Any:
    try:
        result = _PARSER.parse(text, start=_STARTS[expect])
    except UnexpectedInput as error:
        raise explain(error, text) from None
    if ("∂" in text or "\\partial" in text or "d" in text) and _leftover_partials(result):
        raise Fail(int(_leftover_partials(result)[0].args[1]),
                   "\\partial belongs in a fraction, like \\frac{\\partial E}{\\partial A_{24}}")
    if "_" in text and (entries := _leftover(result, WindowEntries)):
        raise Fail(int(entries[0].args[1]), "the entries of a window, like X_{S_{ij}}, are only read inside a norm")
    return result


def _leftover(result: Any, kind: type) -> list:
    items = result.sides if isinstance(result, Equation) else (result,)
    return [p for item in items if isinstance(item, sympy.Basic) for p in item.atoms(kind)]


def _leftover_partials(result: Any) -> list:
    items = result.sides if isinstance(result, Equation) else getattr(result, "args", ())
    found = [p for item in (result, *items) if isinstance(item, sympy.Basic) for p in item.atoms(Partial)]
    return sorted(found, key=lambda p: int(p.args[1]))


# ---- matrices, and named matrices (C = [[...]]) -------------------------------------------------------
_TOP_LEVEL = re.compile(r"\\begin\s*\{|\\end\s*\{[^}]*\}|[(\[{]|[)\]}]|(?<![<>!=\\])=(?!=)")
MAX_AXES = 3   # comma-separated parts of one answer tried as one formula per axis
MAX_SIDES = 8  # sides of a named matrix answer (C = A \star B = [[...]])
_TOP_COMMA = re.compile(r"\\begin\s*\{|\\end\s*\{[^}]*\}|[(\[{]|[)\]}]|[,;]")
_PIPE_LINE = re.compile(r"^[ \t]*\|", re.M)
_MATLAB = re.compile(r"\s*\[([^\[\]]*[;\n][^\[\]]*)\]\s*")
_BRACED = re.compile(r"\s*\{(\s*\\begin.*\\end\s*\{[A-Za-z]+\}\s*)\}\s*", re.S)
_MATRIX_HINT = re.compile(r"&|\\\\|;|\n[ \t]*\S|\|")


def _sides(text: str, separators: re.Pattern | None = None, limit: int = MAX_SIDES) -> list[str]:
    """``text`` cut at each top-level ``=`` (or other separator); every side keeps its offsets (the rest blanked).

    More than ``limit`` sides is a Fail at the first separator over it (each side is as long as the text)."""
    cuts, depth = [], 0
    for m in (separators or _TOP_LEVEL).finditer(text):
        token = m.group()
        if token.startswith("\\begin") or token in "([{":
            depth += 1
        elif token.startswith("\\end") or token in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            cuts.append(m.start())
            if len(cuts) >= limit:
                raise Fail(m.start(), f"too many parts separated by '{token}' (the limit is {limit})")
    bounds = [-1, *cuts, len(text)]
    return [" " * (a + 1) + text[a + 1:b] + " " * (len(text) - b) for a, b in zip(bounds, bounds[1:], strict=False)]


def _named_matrix(text: str) -> Any:
    """A matrix, or ``C = <matrix> (= ...)`` as an Equation whose matrix sides are matrices."""
    sides = _sides(text)
    if len(sides) == 1:
        return _matrix(text)
    values, failures = [], []
    for side in sides:
        if not side.strip():
            raise Fail(len(side) - len(side.lstrip()), "an empty side of '='", ("a matrix",))
        looks = _looks_like_matrix(side)
        try:
            values.append(_matrix(side) if looks else _run(_expression_text(side), "expr"))
        except Fail as fail:
            failures.append((side, fail))
    if not any(isinstance(v, sympy.MatrixBase) for v in values):
        raise failures[-1][1] if failures else Fail(0, "expected a matrix", ("a matrix",))
    for side, _ in failures:
        note(f"could not read '{' '.join(side.split())}'; read the other sides of '='", guessed=False)
    return Equation(tuple(values)) if len(values) > 1 else values[0]


def _looks_like_matrix(side: str) -> bool:
    stripped = side.strip()
    return bool(_MATRIX_START.match(side) or matrix_text.is_nested(side) or _MATRIX_HINT.search(stripped)
                or re.search(r"[0-9.]\s+[+\-]?[0-9]", stripped))


def _matrix(text: str) -> sympy.ImmutableMatrix:
    """A matrix: LaTeX environments and bracket lists go to the grammar; text layouts to matrix_text."""
    prescan.check_matrix(text)
    if m := _MATLAB.fullmatch(text):  # [1 2; 3 4]: MATLAB's rows inside one pair of brackets
        text = text[:m.start(1) - 1] + " " + m.group(1) + " " + text[m.end(1) + 1:]
    if m := _BRACED.fullmatch(text):  # {\begin{bmatrix}...\end{bmatrix}} left by \color{red}{...}
        text = text[:m.start(1) - 1] + " " + m.group(1) + " " + text[m.end(1) + 1:]
    grammar_failure = None
    if _MATRIX_START.match(text) and not matrix_text.WRAPPER.match(text):
        try:
            return _run(text, "matrix")
        except Fail as fail:
            if not text.lstrip().startswith("[["):
                raise
            grammar_failure = fail
    cell = functools.partial(_cell, text)
    if matrix_text.is_nested(text):
        try:
            rows = matrix_text.nested_rows(text, cell)
        except Fail:
            if grammar_failure is not None and "," in text:
                raise grammar_failure from None  # a list with commas: the grammar's caret is the useful one
            raise
    elif _PIPE_LINE.search(text):
        rows = matrix_text.pipe_rows(text, cell)
    else:
        rows = matrix_text.plain_rows(text, cell)
    return to_matrix(rows)


def _cell(text: str, piece: str, offset: int) -> sympy.Expr:
    if not piece.strip():
        raise Fail(offset, "empty entry", ("a number",))
    try:
        return _run(normalise.expression(piece, current()), "expr")
    except Fail as fail:
        raise Fail(offset + fail.offset, fail.problem, fail.expected) from None
