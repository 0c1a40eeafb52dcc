"""Typed grader errors: ``GraderError`` is the root; ``ParseError`` points at the character it could not read.

>>> err = ParseError("(a + b}", 6, "unexpected '}'", ("')'",))
>>> str(err)
"could not read your answer: unexpected '}' at column 7; expected ')'"
>>> print(err.render())
could not read your answer: unexpected '}' at column 7; expected ')'
  (a + b}
        ^
"""

from __future__ import annotations


class GraderError(Exception):
    """Root of every error the grader raises on purpose."""


class ParseError(GraderError, ValueError):
    """Student text that could not be read: the text, the 0-based offset, what was wrong and what was expected.

    ``str()`` is one line; ``render()`` adds the offending line with a caret under the offending character.
    """

    def __init__(self, text: str, offset: int, problem: str, expected: tuple[str, ...] = ()):
        self.text = text
        self.offset = max(0, min(offset, len(text)))
        self.problem = problem
        self.expected = tuple(expected)
        super().__init__(self._one_line())

    @property
    def line(self) -> int:
        """1-based line of the offending character."""
        return self.text.count("\n", 0, self.offset) + 1

    @property
    def column(self) -> int:
        """1-based column of the offending character within its line."""
        return self.offset - (self.text.rfind("\n", 0, self.offset) + 1) + 1

    def _one_line(self) -> str:
        where = f"line {self.line}, column {self.column}" if "\n" in self.text else f"column {self.column}"
        message = f"could not read your answer: {self.problem} at {where}"
        if self.expected:
            message += "; expected " + _join_or(self.expected)
        return message

    def render(self) -> str:
        """The one-line message, then the offending line (at most 100 characters around it) and a caret."""
        start = self.text.rfind("\n", 0, self.offset) + 1
        end = self.text.find("\n", self.offset)
        line = self.text[start:] if end < 0 else self.text[start:end]
        caret = self.offset - start
        if len(line) > 100:  # keep long answers readable: a window around the caret
            lo = max(0, caret - 60)
            line, caret = line[lo:lo + 100], caret - lo
        line = line.replace("\t", " ")
        return f"{self}\n  {line}\n  {' ' * caret}^"


def _join_or(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class UnreadableAnswer(GraderError):
    """An answer whose structure is wrong (not text): a ragged matrix, a size with three numbers, ..."""


class OutOfTime(GraderError):
    """A budgeted block (grader.budget.time_limit) ran past its time."""
