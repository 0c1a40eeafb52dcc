r"""Lark's parse errors as one readable line: where, what was found, and what the grammar expected there.

>>> from lark.exceptions import UnexpectedCharacters
>>> fail = explain(UnexpectedCharacters(r"a + \star", 4, 1, 5, allowed={"NUMBER", "NAME"}), r"a + \star")
>>> print(fail.offset, fail.problem)
4 '\star' is not supported here
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from grader.parse.names import Fail, token_start

_OPERAND = ("a number", "a name", "'('")
_COMMAND_AT = re.compile(r"\\[A-Za-z]+")
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "TEXTNAME": "a name", "GREEK": "a name", "LPAR": "'('",
    "RPAR": "')'", "RBRACK": "']'", "RBRACE": "'}'", "RSET": "'\\}'", "RFLOOR": "'\\rfloor'",
    "RCEIL": "'\\rceil'", "END_ENV": "'\\end{...}'", "ADDOP": "an operator", "MULOP": "an operator",
    "DIVOP": "an operator", "POW": "an operator", "EQ": "'='", "ARROW": "'\\to'", "COMMA": "','",
    "AMP": "'&'", "ROWSEP": "'\\\\'", "SIZE_TIMES": "'x'", "IN": "'\\in'", "LBRACE": "'{'", "LBRACK": "'['",
    "UNDERSCORE": "'_'", "BEGIN_ENV": "'\\begin{bmatrix}'", "$END": "the end", "CLOSE_BAR": "'|'",
    "CLOSE_NORM": "'\\|'", "REL": "a relation like \\le", "COLON": "':'", "FLOORDIV": "an operator",
}


def explain(error: UnexpectedInput, text: str) -> Fail:
    """The Fail (offset, problem, what was expected) for a lark error on ``text``."""
    offset: int
    expected: Collection[str]
    if isinstance(error, UnexpectedCharacters):
        # lark declares pos_in_stream as None on the base class; UnexpectedCharacters sets the lexer's int position
        offset = error.pos_in_stream  # type: ignore[assignment]
        expected = error.allowed or set()
        if command := _COMMAND_AT.match(text, offset):
            return Fail(offset, f"'{command.group()}' is not supported here")
        found = f"'{text[offset]}'" if offset < len(text) else "end of answer"
    elif isinstance(error, UnexpectedToken):
        token, expected = error.token, error.expected
        if token.type == "$END":
            offset, found = len(text.rstrip()), "end of answer"
        else:
            offset, found = token_start(token), f"'{token}'"
    else:  # UnexpectedEOF
        offset, expected, found = len(text.rstrip()), getattr(error, "expected", ()), "end of answer"
    return Fail(offset, f"unexpected {found}", _describe(expected))


def _describe(expected: Collection[str]) -> tuple[str, ...]:
    if "NUMBER" in expected and "NAME" in expected:
        return _OPERAND
    words: list[str] = []
    for name in sorted(expected, key=lambda n: list(_WORDS).index(n) if n in _WORDS else len(_WORDS)):
        word = _WORDS.get(name)
        if word and word not in words:
            words.append(word)
    return tuple(words[:5])
