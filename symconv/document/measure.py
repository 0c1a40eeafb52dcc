"""How wide a piece of printed math will be, estimated from the LaTeX text (in points at 11 pt, Latin Modern).

The documents decide where to break a long sum and whether a matrix fits the line before LaTeX sees them, so
nothing is ever set off the page. The estimate errs on the wide side; the document checks (tests) compile every
template and confirm that no box is overfull.

>>> math_width("1 + 2") > math_width("1")
True
>>> round(math_width(r"\\frac{\\partial E}{\\partial A_{11}}"))   # a display fraction: its wider line
27
>>> fits = TEXT_WIDTH > math_width(r"\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}")
>>> fits
True
"""

from __future__ import annotations

import re

TEXT_WIDTH = 455.0      # pt: A4 with 2.4 cm margins is 460 pt; a little kept in reserve
NUMBER_WIDTH = 30.0     # pt an equation number and its gap take
SCRIPT = 0.72           # sub- and superscripts are set smaller
_GLYPH = {"+": 13.5, "-": 13.5, "=": 15.0, "<": 15.0, ">": 15.0, ",": 5.0, "(": 4.3, ")": 4.3, "[": 3.1, "]": 3.1,
          "|": 3.1, "/": 5.5, ".": 3.1, ";": 5.0, ":": 3.1, "!": 3.1, "'": 3.0, "&": 0.0, "~": 3.7}
_COMMAND = {"partial": 5.7, "cdot": 7.8, "times": 13.5, "quad": 11.0, "qquad": 22.0, ",": 1.8, ";": 3.1, ":": 2.4,
            "max": 18.0, "min": 16.0, "left": 0.0, "right": 0.0, "bigl": 0.0, "bigr": 0.0, "Bigl": 0.0,
            "Bigr": 0.0, "displaystyle": 0.0, "textstyle": 0.0, "to": 15.0, "infty": 11.0, "leq": 15.0,
            "geq": 15.0, "le": 15.0, "ge": 15.0, "approx": 15.0, "lfloor": 4.9, "rfloor": 4.9, "star": 8.6,
            "sum": 16.0, "in": 10.0, "ldots": 13.0, "dots": 13.0, "cdots": 13.0, "notag": 0.0, "\\": 0.0}


def _group(text: str, start: int) -> tuple[str, int]:
    """The braced group at ``start`` (or the single character there) and the index after it."""
    if start >= len(text):
        return "", start
    if text[start] != "{":
        if text[start] == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", text[start:])
            assert m is not None
            return m.group(0), start + len(m.group(0))
        return text[start], start + 1
    depth = 0
    for k in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[start + 1:k], k + 1
    return text[start + 1:], len(text)


def _matrix_width(body: str, scale: float) -> float:
    rows = [[cell for cell in re.split(r"(?<!\\)&", row)] for row in re.split(r"\\\\(?:\[[^\]]*\])?", body)]
    widths = [max((math_width(row[k], scale, display=False) for row in rows if k < len(row)), default=0.0)
              for k in range(max(len(row) for row in rows))]
    return sum(widths) + 10.0 * scale * (len(widths) - 1) + 14.0 * scale


def math_width(tex: str, scale: float = 1.0, display: bool = True) -> float:
    """Estimated width (pt) of the math ``tex``; ``display`` is False inside matrices and scripts (smaller
    fractions)."""
    width, k = 0.0, 0
    while k < len(tex):
        ch = tex[k]
        if ch in " \n\t{}":
            if ch == "{":
                inner, k = _group(tex, k)
                width += math_width(inner, scale, display)
                continue
            k += 1
            continue
        if ch in "_^":
            inner, k = _group(tex, k + 1)
            width += math_width(inner, scale * SCRIPT, False)
            continue
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[k:])
            name = m.group(1) if m else ""
            k += len(name) + 1
            if name == "begin":
                env, k = _group(tex, k)
                end = tex.find(rf"\end{{{env}}}", k)
                end = len(tex) if end < 0 else end
                width += _matrix_width(tex[k:end], scale) if "matrix" in env else math_width(tex[k:end], scale)
                k = end + len(rf"\end{{{env}}}")
                continue
            if name in ("frac", "dfrac", "tfrac"):
                top, k = _group(tex, k)
                bottom, k = _group(tex, k)
                size = scale if (display or name == "dfrac") and name != "tfrac" else scale * SCRIPT
                width += max(math_width(top, size, False), math_width(bottom, size, False)) + 4.0 * scale
                continue
            if name in ("text", "textrm", "mathrm", "operatorname", "texttt"):
                inner, k = _group(tex, k)
                width += 5.5 * scale * len(inner)
                continue
            if name in ("color", "label", "tag"):
                _, k = _group(tex, k)
                continue
            width += _COMMAND.get(name, 8.0) * scale
            continue
        if ch.isdigit() or ch.islower():
            width += 5.7 * scale
        elif ch.isupper():
            width += 8.8 * scale
        else:
            width += _GLYPH.get(ch, 8.0) * scale
        k += 1
    return width
