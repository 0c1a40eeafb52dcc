"""Names in student answers: plain symbols, matrix entries, letter-indexed names, and the whitelists.

Every single letter is a real Symbol (``Symbol("P", real=True)``), consistently, so ``2P`` and ``2 P`` agree;
the grader maps these onto the engine's symbols by name. Entries follow the engine's naming through
``symconv.matrices.entry_symbol``: ``A_24``, ``A_{2,4}``, ``A_{2 4}``, ``A24`` and ``A[2,4]`` are all ``A_24``,
``A_{12,3}`` is ``A_12,3``. Letter indices make an ``Indexed`` (``x_{pq}`` is ``x[p, q]``, ``S_{ij}`` is
``S[i, j]``) so a window can be instantiated by substitution; a few word subscripts (``I_{in}``,
``I_{\\text{out}}``) are named symbols ``I_in``.

>>> resolve_word("B11", 0), resolve_word("x", 0), resolve_word("oo", 0)
(B_11, x, oo)
>>> subscripted("x", "{pq}", 0), subscripted("A", "{12,3}", 0), subscripted("I", "{in}", 0)
(x[p, q], A_12,3, I_in)
"""

from __future__ import annotations

import re

import sympy
from lark import Token

from grader.parse.context import current
from symconv.matrices import entry_symbol


class Fail(Exception):
    """Raised while building; ``grader.parse`` turns it into a ParseError on the full text."""

    def __init__(self, offset: int, problem: str, expected: tuple[str, ...] = ()):
        super().__init__(problem)
        self.offset, self.problem, self.expected = offset, problem, expected


FUNCTIONS = frozenset({"floor", "ceil", "max", "min", "sum", "log", "ln", "exp", "sqrt", "abs", "mean", "avg", "int"})
INFINITY_WORDS = frozenset({"oo", "inf", "infty", "infinity"})
SUBSCRIPT_WORDS = frozenset({"in", "out", "max", "min", "avg", "lp", "pad", "loss"})
_WORD = re.compile(r"([A-Za-z]+)([0-9]*)('*)")
_PRIMED_LETTER = re.compile(r"[A-Za-z]'*")
_SCRIPT_SPACE = re.compile(r"\\[,;:! ]|\\q?quad(?![A-Za-z])|~")  # x_{i+m,\, j+n}
_WINDOW_SUBSCRIPT = re.compile(r"([A-Z])(\^[A-Za-z])?(?:_(\{[^{}]*\}|[A-Za-z]{1,2}))?")
_MIXED = re.compile(r"[0-9][A-Za-z]|[A-Za-z][0-9]")
_TEXT_WRAPPER = re.compile(r"^\\[A-Za-z]+\s*\{\s*(.*?)\s*\}$", re.S)
_INDEX_TERM = re.compile(r"\s*([+\-]?)\s*([0-9]+|[A-Za-z])")
_INDEX_EXPR = re.compile(r"\s*[+\-]?\s*([0-9]+|[A-Za-z])(\s*[+\-]\s*([0-9]+|[A-Za-z]))*\s*")


def symbol(name: str) -> sympy.Symbol:
    """The parser's symbol for a name: always real (so ``|x|`` and ``sqrt(x**2)`` stay as written).

    >>> symbol("x").is_real
    True"""
    return sympy.Symbol(name, real=True)


def entry(name: str, i: int, j: int) -> sympy.Symbol:
    """Entry (i, j) of matrix ``name`` (1-based), the engine's symbol."""
    return entry_symbol(name, i, j)


def token_start(token: Token) -> int:
    """Where a lexed token starts in the text (lark types ``start_pos`` as optional; the lexer always sets it).

    >>> token_start(Token("NAME", "x", start_pos=3))
    3
    """
    return token.start_pos if token.start_pos is not None else 0


def token_word(text: str) -> str:
    """The word inside ``\\mathbf{A}``/``\\operatorname{floor}``, or the token itself."""
    m = _TEXT_WRAPPER.match(text)
    return m.group(1) if m else text


def resolve_word(word: str, offset: int) -> sympy.Expr:
    """A bare name: one letter (maybe with entry digits), infinity, or an error naming the word."""
    if word.startswith("\\"):  # a Greek letter
        return symbol(word[1:])
    m = _WORD.fullmatch(word)
    if m is None:
        raise Fail(offset, f"cannot read the name '{word}'")
    letters, digits, primes = m.groups()
    if primes:
        if len(letters) != 1 or digits:
            raise Fail(offset, f"unknown name '{word}'")
        return symbol(word)
    if not digits and letters in INFINITY_WORDS:
        return sympy.oo
    if len(letters) > 1:
        if letters in FUNCTIONS:
            raise Fail(offset, f"'{letters}' needs its argument in parentheses", ("'('",))
        if not digits and (product := _variables_product(letters)) is not None:
            return product
        raise Fail(offset, f"unknown name '{word}'")
    if not digits:
        return symbol(letters)
    if (flat := _flat_entry(letters, digits)) is not None:
        return flat
    return _indexed(letters, _digit_indices(digits, word, offset), offset)


def _flat_entry(base: str, digits: str) -> sympy.Expr | None:
    """``x5``, ``x_{12}``: the entry a number names when the context reads it flat (:meth:`Context.flat_entry`)."""
    if not digits.isdigit() or not digits.isascii() or len(digits) > 6:
        return None
    place = current().flat_entry(base, int(digits), len(digits))
    return None if place is None else entry(base, *place)


def _variables_product(letters: str) -> sympy.Expr | None:
    """``DK``, ``PS``: letters written together are a product only when every letter is a size variable."""
    context = current()
    names = [ch if ch in context.variables else context.canonical(ch) for ch in letters]
    known = [name for name in names if name is not None and name in context.variables]
    if len(known) == len(names):
        return sympy.Mul(*(symbol(name) for name in known))
    return None


def subscripted(base: str, subscript: str, offset: int) -> sympy.Expr:
    """``base`` with the raw subscript text (``{24}``, ``{2,4}``, ``ij``, ``{i+p, j}``, ``{\\text{in}}``)."""
    content = _SCRIPT_SPACE.sub(" ", subscript).strip()
    if content.startswith("{") and content.endswith("}"):
        content = content[1:-1].strip()
    word = token_word(content)
    if (window := _window_subscript(content, offset)) is not None:  # X_{S_{ij}}: the entries in a window
        return window
    if word in SUBSCRIPT_WORDS or (word != content and word.isalpha()):
        return symbol(f"{base}_{word}")
    if "," in content:
        indices = [_index_expr(part, offset) for part in content.split(",")]
    elif "+" in content or "-" in content:
        indices = [_index_expr(content, offset)]
    else:
        indices = []
        pieces = content.split()
        if len(pieces) == 1 and (flat := _flat_entry(base, pieces[0])) is not None:
            return flat
        for piece in pieces:
            if piece.isdigit():
                indices += _digit_indices(piece, content, offset) if len(pieces) == 1 else [int(piece)]
            elif _PRIMED_LETTER.sub("", piece) == "" and piece.isascii():
                indices += [symbol(c) for c in _PRIMED_LETTER.findall(piece)]
            elif _MIXED.fullmatch(piece):  # B_{1n}: one character per index, digits and letters mixed
                indices += [int(c) if c.isdigit() else symbol(c) for c in piece]
            else:
                raise Fail(offset, f"cannot read the subscript '{content}'")
        if not indices:
            raise Fail(offset, "empty subscript")
    return _indexed(base, indices, offset)


def _window_subscript(content: str, offset: int) -> sympy.Expr | None:
    m = _WINDOW_SUBSCRIPT.fullmatch(content)
    if m is None or m.group(1) not in current().windows:
        return None
    from grader.parse.windows import window_entries

    domain = symbol(m.group(1)) if not m.group(3) else subscripted(m.group(1) + (m.group(2) or ""), m.group(3),
                                                                     offset)
    if m.group(2) and not m.group(3):
        domain = symbol(m.group(1) + m.group(2))
    return window_entries(domain, offset)


def _digit_indices(digits: str, word: str, offset: int) -> list[int]:
    if len(digits) <= 2:
        return [int(c) for c in digits]
    raise Fail(offset, f"ambiguous indices in '{word}': write them with a comma, like A_{{12,3}}")


def _index_expr(text: str, offset: int) -> sympy.Expr | int:
    if not _INDEX_EXPR.fullmatch(text):
        raise Fail(offset, f"cannot read the index '{text.strip()}'")
    total: sympy.Expr | int = 0
    for sign, item in _INDEX_TERM.findall(text):
        value = sympy.Integer(item) if item.isdigit() else symbol(item)
        total += -value if sign == "-" else value
    return int(total) if isinstance(total, sympy.Integer) else total


def _indexed(base: str, indices: list, offset: int) -> sympy.Expr:
    if all(isinstance(k, int) for k in indices):
        if len(indices) == 1:
            return symbol(f"{base}_{indices[0]}")
        if len(indices) == 2:
            if min(indices) < 1:
                raise Fail(offset, "matrix entries are numbered from 1")
            return entry(base, indices[0], indices[1])
        raise Fail(offset, "an entry takes two indices")
    return sympy.IndexedBase(symbol(base))[tuple(indices)]
