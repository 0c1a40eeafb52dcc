r"""Maths in a line of prose: the spans of ``$…$``, ``$$…$$``, ``\[…\]``, ``\(…\)`` and display environments, and
the equation tags and labels around them that are layout, not maths.

>>> [s.text for s in spans(r"so $C$ is $3 \times 3$ and \[ O = 3 \tag{2} \]")]
['C', '3 \\times 3', ' O = 3 \\tag{2} ']
>>> clean(r"\frac{\partial E}{\partial A_{11}} = B_{11} \quad (7)")
'\\frac{\\partial E}{\\partial A_{11}} = B_{11}'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPAN = re.compile(
    r"\$\$(?P<a>.+?)\$\$|\\\[(?P<b>.+?)\\\]|\\\((?P<c>.+?)\\\)|(?<![\\$])\$(?P<d>[^$]+?)\$(?!\$)"
    r"|(?P<e>\\begin\s*\{\s*(?P<env>equation|align|gather|multline|eqnarray|displaymath|math)\*?\s*\}.+?"
    r"\\end\s*\{\s*(?P=env)\*?\s*\})", re.S)
_TAG = re.compile(r"\\(?:tag\*?|label|eqref|ref)\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
_QUAD_TAG = re.compile(r"\\q?quad\s*\(\s*\d+[a-z]?\s*\)\s*(?=\\\\|&|$|\n)")
_END_TAG = re.compile(r"\s+\(\s*\d+[a-z]?\s*\)\s*$")
_WRAP = re.compile(r"\\(?:begin|end)\s*\{\s*(?:equation|gather|multline|displaymath|math)\*?\s*\}")
_TRAIL = re.compile(r"[\s.,;:]+$")


@dataclass(frozen=True)
class Span:
    r"""One piece of maths in a text: what is inside the delimiters, where it starts and ends in the text, and
    whether it is displayed (``$$``, ``\[``, an environment) rather than inline."""
    text: str
    start: int
    end: int
    display: bool


def spans(text: str) -> list[Span]:
    """The maths spans of a text, in order (their inside, with the offsets of the whole span)."""
    found = []
    for m in _SPAN.finditer(text):
        inner = next(g for g in (m.group("a"), m.group("b"), m.group("c"), m.group("d"), m.group("e")) if g
                     is not None)
        found.append(Span(inner, m.start(), m.end(), m.group("d") is None and m.group("c") is None))
    return found


def clean(text: str) -> str:
    """Maths without equation tags, labels and numbering wrappers, trailing punctuation and outer spaces."""
    text = _TAG.sub(" ", text)
    text = _QUAD_TAG.sub(" ", text)
    text = _WRAP.sub(" ", text)
    text = "\n".join(_END_TAG.sub("", line) for line in text.split("\n"))
    return _TRAIL.sub("", text).strip()


def prose(text: str) -> str:
    """The text with its maths spans blanked out (for reading the words around them)."""
    out, last = [], 0
    for s in spans(text):
        out.append(text[last:s.start])
        out.append(" " * (s.end - s.start))
        last = s.end
    out.append(text[last:])
    return "".join(out)


def maths_or_line(text: str) -> list[str]:
    """The maths of a text: its spans, or (a plain-text answer with no delimiters) the whole text."""
    found = [clean(s.text) for s in spans(text)]
    return [f for f in found if f] or ([clean(text)] if clean(text) else [])
