r"""Sizes with words around them: ``a 3x3 matrix``, ``3 by 3``, ``C \in \mathbb{R}^{3 \times 3}``, ``(3, 3)``.

Every mention of a size is found; they must all agree. A shape with leading ones (``torch.Size([1, 1, 3, 3])``,
batch and channel) is its last two numbers; any other shape keeps all its numbers (``3 \times 3 \times 3`` is a
3-D size, which a 2-D answer does not match). Numbers outside the mentions are allowed only as working shown
with ``=`` (``5 - 3 + 1 = 3, so 3 \times 3``); anything else (``3x3, stride 1``) is ambiguous: a ParseError.

>>> find_size(r"The output is a $3 \times 3$ matrix.")
(3, 3)
>>> find_size(r"C \in \mathbb{R}^{3 \times 4}"), find_size("torch.Size([1, 1, 3, 3])")
((3, 4), (3, 3))
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy

from grader.parse.context import note
from grader.parse.names import Fail

_TIMES = r"\s*+(?:\\times(?![A-Za-z])|\\cdot(?![A-Za-z])|[xX×*✕✖⨯]|\\text\s*\{\s*by\s*\}|by)\s*"
_MENTION = re.compile(
    r"(?<![0-9.])(?P<times>[0-9]+(?:" + _TIMES + r"[0-9]+)+)(?![0-9.])"
    r"|[(\[]\s*(?P<tuple>[0-9]+(?:\s*,\s*[0-9]+)+)\s*,?\s*[)\]]"
    r"|(?<![0-9.])(?P<rows>[0-9]+)\s*+rows?\s*+(?:(?:and|,|×|x|by|\\times)\s*+)?(?P<cols>[0-9]+)\s*+col(?:umn)?s?\b")
_NUMBER = re.compile(r"[0-9]+")
_DIGIT = re.compile(r"[0-9]")
_WORDS = re.compile(r"[A-Za-z]{2,}")
_WRAPPED_DIGITS = re.compile(r"\\(?:textbf|mathbf|text|mathrm|boldsymbol|bm)\s*\{\s*([0-9]+)\s*\}|\{\s*([0-9]+)\s*\}")


_OUT = r"(?:_\s*\{?\s*(?:\\text\s*\{\s*)?out\s*\}?\s*\}?|')"
_HEIGHT = r"(?:H" + _OUT + r"|h_\{?out\}?|height|rows)"
_WIDTH = r"(?:W" + _OUT + r"|w_\{?out\}?|width|columns|cols)"
_NAMED = re.compile(r"((?:(?:" + _HEIGHT + "|" + _WIDTH + r")\s*=\s*)+)([0-9]+)(?![0-9.])")
_NAMED_REST = re.compile(r"[\s,;.]*+(?:and[\s,;.]*+)?")
_TOP_TIMES = re.compile(r"[(\[{]|[)\]}]|\\times(?![A-Za-z])|\\cdot(?![A-Za-z])|×|\bby\b")


def named_size(text: str) -> tuple[int, int] | None:
    """``H_{out} = W_{out} = 3``, ``H_{out} = 3, W_{out} = 3``: a size given axis by axis."""
    height = width = None
    rest = _NAMED.sub(" ", text)
    if not _NAMED_REST.fullmatch(rest):
        return None
    for m in _NAMED.finditer(text):
        value = int(m.group(2))
        if re.search(_HEIGHT, m.group(1)):
            height = value
        if re.search(_WIDTH, m.group(1)):
            width = value
    if height is None or width is None or min(height, width) < 1:
        return None
    return height, width


def computed_size(text: str, number: Callable[[str], sympy.Expr | None]) -> tuple[int, ...] | None:
    """``(5-3+1) \\times (5-3+1)``: each side a computation of a whole number, read by ``number`` (None: unread)."""
    cuts, depth = [], 0
    for m in _TOP_TIMES.finditer(text):
        token = m.group()
        depth += 1 if token in "([{" else -1 if token in ")]}" else 0
        if depth == 0 and token not in "([{)]}":
            cuts.append((m.start(), m.end()))
    if not cuts:
        return None
    bounds = [(0, 0), *cuts, (len(text), len(text))]
    sides = [" " * a[1] + text[a[1]:b[0]] + " " * (len(text) - b[0]) for a, b in zip(bounds, bounds[1:], strict=False)]
    values = [value for side in sides if (value := number(side)) is not None]
    if len(values) < len(sides):
        return None
    for value, (start, _) in zip(values, bounds, strict=False):
        if not (isinstance(value, sympy.Integer) and value >= 1):
            raise Fail(start, "a size is made of whole numbers >= 1")
    note("read the size from the computation of each side")
    return tuple(int(v) for v in values)


def unwrap_digits(text: str) -> str:
    r"""``\textbf{3}`` and ``{3}`` as ``3`` (same length), for sizes only (``\frac{12}{34}`` needs its braces)."""
    def keep(m: re.Match) -> str:
        digits = m.group(1) or m.group(2)
        return digits.center(len(m.group()))
    return _WRAPPED_DIGITS.sub(keep, text)


def find_size(text: str) -> tuple[int, ...] | None:
    """The one size mentioned in ``text``; None when there is none; Fail when ambiguous."""
    found: list[tuple[tuple[int, ...], int]] = []
    rest: list[tuple[str, int]] = []
    last = 0
    for m in _MENTION.finditer(text):
        numbers = [(int(d.group()), m.start() + d.start()) for d in _NUMBER.finditer(m.group())]
        for value, offset in numbers:
            if value < 1 or value > 999_999:
                raise Fail(offset, "a size is made of whole numbers >= 1")
        found.append((_shape([v for v, _ in numbers]), m.start()))
        rest.append((text[last:m.start()], last))
        last = m.end()
    if not found:
        return None
    rest.append((text[last:], last))
    first = found[0]
    for other in found[1:]:
        if other[0] != first[0]:
            raise Fail(other[1], f"two different sizes ({_show(first[0])} and {_show(other[0])}): "
                       "which one is the answer is ambiguous")
    leftover = "".join(piece for piece, _ in rest)
    if _DIGIT.search(leftover):
        if "=" not in leftover:
            offset = next(o + digit.start() for p, o in rest if (digit := _DIGIT.search(p)))
            raise Fail(offset,
                       "a size has two numbers, like 3 \\times 3; this answer has more")
        note(f"read the size {_show(first[0])}; the working around it was not checked")
    elif _WORDS.search(leftover.replace("mathbb", "").replace("times", "")):
        note("read the size from the words around it")
    return first[0]


def _shape(numbers: list[int]) -> tuple[int, ...]:
    """A shape's spatial size: leading ones (batch, channel) dropped down to two numbers."""
    shape = tuple(numbers)
    while len(shape) > 2 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) < len(numbers):
        note(f"read the shape {tuple(numbers)} as {_show(shape)} (batch and channel of size 1)")
    return shape


def _show(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))
