r"""Sizes with words around them: ``a 3x3 matrix``, ``3 by 3``, ``C \in \mathbb{R}^{3 \times 3}``, ``(3, 3)``.

Every mention of a size is found; they must all agree, and no other number may be left over (``3x3x2``,
``3x3, stride 1``), otherwise the answer is ambiguous and a ParseError says so.

>>> find_size(r"The output is a $3 \times 3$ matrix.")
(3, 3)
>>> find_size(r"C \in \mathbb{R}^{3 \times 4}")
(3, 4)
"""

from __future__ import annotations

import re

from grader.parse.context import note
from grader.parse.names import Fail

_TIMES = r"(?:\\times(?![A-Za-z])|\\cdot(?![A-Za-z])|[xX×*]|\\text\s*\{\s*by\s*\}|by)"
_MENTION = re.compile(r"(?<![0-9.])([0-9]+)\s*" + _TIMES + r"\s*([0-9]+)(?![0-9.])"
                      r"|[(\[]\s*([0-9]+)\s*,\s*([0-9]+)\s*[)\]]")
_DIGIT = re.compile(r"[0-9]")
_WORDS = re.compile(r"[A-Za-z]{2,}")


def find_size(text: str) -> tuple[int, int] | None:
    """The one size mentioned in ``text``; None when there is none; Fail when ambiguous."""
    found: list[tuple[int, int, int]] = []
    rest: list[tuple[str, int]] = []
    last = 0
    for m in _MENTION.finditer(text):
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        for digits in (a, b):
            if len(digits) > 6 or int(digits) < 1:
                raise Fail(m.start(), "a size is made of whole numbers >= 1")
        found.append((int(a), int(b), m.start()))
        rest.append((text[last:m.start()], last))
        last = m.end()
    if not found:
        return None
    rest.append((text[last:], last))
    sizes = {(a, b) for a, b, _ in found}
    if len(sizes) > 1:
        first, other = found[0], next(f for f in found if f[:2] != found[0][:2])
        raise Fail(other[2], f"two different sizes ({first[0]}×{first[1]} and {other[0]}×{other[1]}): "
                   "which one is the answer is ambiguous")
    for piece, offset in rest:
        if m := _DIGIT.search(piece):
            raise Fail(offset + m.start(), "a size has two numbers, like 3 \\times 3; this answer has more")
    leftover = "".join(piece for piece, _ in rest)
    if _WORDS.search(leftover.replace("mathbb", "").replace("times", "")):
        note("read the size from the words around it")
    return found[0][0], found[0][1]
