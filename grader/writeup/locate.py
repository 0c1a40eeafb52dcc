r"""Finding a part's answer in its units by what the part's task expects (chain-rule lines: grader.writeup.chain;
pooling answers: grader.writeup.pooling).

- a size (``output-size``): ``3 \times 3``, ``3x3``, ``3 by 3``, ``(3, 3)``, ``\mathbb{R}^{3\times 3}``; a size said
  of another matrix of the spec (``B is 3 \times 3``) is not the answer;
- a formula in the size variables (``output-size-formula``): the maths naming most of I, K, P, S, D (or the names
  people give them);
- a matrix (``convolution``, ``*-matrix``, ``max-pool``, ``avg-pool``): LaTeX environments, pipe tables, tab-separated
  rows or printed arrays; the one named as the answer (``C =``, ``\frac{\partial E}{\partial A} =``) and of the
  expected shape wins, and a matrix named after another of the spec's matrices (the restated input) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from grader.errors import ParseError
from grader.writeup.maths import clean, spans
from grader.writeup.structure import Unit
from grader.writeup.text import Line
from symconv.spec import Spec
from symconv.tasks import WrittenAs


@dataclass
class Piece:
    """What was found for a part: the answer (text, or a mapping for parts with pieces), where, and notes."""

    answer: Any
    lines: list[Line]
    notes: list[str] = field(default_factory=list)
    where_each: dict[str, list[Line]] = field(default_factory=dict)


# --- sizes -------------------------------------------------------------------------------------------------------

_SIZE = re.compile(r"(?<![\d.])(\d{1,4})\s*(?:\\times|\\cdot|×|✕|⨉|x|X|\*|by)\s*(\d{1,4})(?!\d|\.\d)"
                   r"|\(\s*(\d{1,4})\s*,\s*(\d{1,4})\s*\)")
_CAPITAL = re.compile(r"(?<![A-Za-z\\])([A-Z])(?![A-Za-z])")


def find_size(units: list[Unit], spec: Spec, output: str | None = None) -> Piece | None:
    """The output's size among the units (``3 \\times 3``), preferring one written next to the output's name
    (``output``; default: the convolution's)."""
    out, others = output or spec.conv.output, set(spec.matrices)
    best: tuple[int, int, str, Unit] | None = None
    order = 0
    for u in units:
        for m in _SIZE.finditer(u.text):
            order += 1
            before = u.text[max(0, m.start() - 40):m.start()]
            names = set(_CAPITAL.findall(before))
            score = 2 if out in names or re.search(r"(?i)output", before) else -1 if names & others else 0
            rows, cols = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if best is None or (score, order) > best[:2]:
                best = (score, order, f"{rows} \\times {cols}", u)
    if best is None or best[0] < 0:
        return None
    return Piece(best[2], best[3].lines)


def find_pool_size(units: list[Unit], spec: Spec) -> Piece | None:
    """The pooling output's size, preferring one written next to its name Y (:func:`find_size`)."""
    return find_size(units, spec, output="Y")


# --- a number or a shape (network parts) ----------------------------------------------------------------------

_VALUE = re.compile(r"(?<![\w.])(\d{1,4}(?:\s*(?:\\times|×|x|X|\*|by)\s*\d{1,4}){1,2}|\d{1,3}(?:[ ,]\d{3})+|\d+)"
                    r"(?![\w.])")


def find_number(units: list[Unit], spec: Spec) -> Piece | None:
    """The last number or shape written in the units (a derivation ends with its result: ``= 1,168``)."""
    found: tuple[str, Unit] | None = None
    for u in units:
        for m in _VALUE.finditer(u.text):
            found = (m.group(1), u)
    return Piece(found[0], found[1].lines) if found else None


# --- formulas in the size variables -------------------------------------------------------------------------------

_NAME = re.compile(r"\\?[A-Za-z]+(?:\s*_\s*(?:\{\s*(?:\\(?:text|mathrm)\s*\{)?\s*[A-Za-z]+\s*\}?\s*\}|[A-Za-z]))?")
_PLAIN_START = re.compile(r"[A-Za-z_{}\\']+\s*=|\\?[lL]floor|floor\(|⌊")


def _plain(text: str) -> str:
    """A plain-text answer without the words before it: after the last colon, or from its first equation."""
    if ":" in text:
        tail = text.rsplit(":", 1)[1]
        if tail.strip():
            return tail.strip()
    m = _PLAIN_START.search(text)
    return text[m.start():].strip() if m else text.strip()


def _size_variables(text: str) -> set[str]:
    from grader.parse.context import SIZE_FORMULA

    found = set()
    for token in _NAME.findall(text):
        name = token.lstrip("\\")
        if name in SIZE_FORMULA.variables:
            found.add(name)
        elif (canonical := SIZE_FORMULA.canonical(name)) and canonical != "O":
            found.add(canonical)
        elif re.fullmatch(r"[IKPSD]{2,3}", name):   # 2PS, DK written together
            found |= set(name)
    return found


def find_formula(units: list[Unit], spec: Spec) -> Piece | None:
    """The output-size formula among the units: an equation in the size letters (I, K, P, S, D or their aliases)."""
    best: tuple[int, str, Unit] | None = None
    for u in units:
        texts = [clean(s.text) for s in spans(u.text)] or [_plain(clean(u.text))]
        for text in texts:
            found = _size_variables(text)
            floor = bool(re.search(r"floor|⌊", text))
            score = len(found) + floor
            if len(found) >= 2 and (best is None or score > best[0]):
                best = (score, text, u)
    return Piece(best[1], best[2].lines) if best else None


# --- matrices ------------------------------------------------------------------------------------------------------

_ENV = re.compile(r"(?:\\left\s*[(\[|]\s*)?\\begin\s*\{\s*(?P<env>pmatrix|bmatrix|Bmatrix|vmatrix|Vmatrix|matrix|"
                  r"smallmatrix|array|tabular)\s*\}.*?\\end\s*\{\s*(?P=env)\s*\}(?:\s*\\right\s*[)\]|])?", re.S)
_NAME_BEFORE = re.compile(r"(?P<name>[^=$&:\n]{1,60}?)\s*(?:=|:)\s*(?:\\left\s*[(\[]\s*)?$")
_GRADIENT_NAME = re.compile(r"\\partial|∂|\\nabla|∇|grad|\bd[A-Za-z]?\s*/|\\frac\s*\{\s*d")


def _name_before(text: str) -> str:
    m = _NAME_BEFORE.search(text[-80:])
    return m.group("name").strip() if m else ""


def _index_table(text: str) -> str:
    """A pipe table without the row and column numbers some write-ups put around a matrix:
    ``| C | 1 | 2 |`` over ``| 1 | 109 | 92 |`` is the matrix ``109 92``."""
    rows = [[c.strip().strip("$* ") for c in line.strip().strip("|").split("|")] for line in text.split("\n")
            if line.strip() and not re.fullmatch(r"[\s|:-]*", line)]
    if len(rows) < 2 or any(len(r) != len(rows[0]) for r in rows):
        return text
    head, body = rows[0], rows[1:]
    numbered = head[1:] == [str(k) for k in range(1, len(head))] and \
        [r[0] for r in body] == [str(k) for k in range(1, len(body) + 1)]
    if not numbered:
        return text
    return "\n".join("| " + " | ".join(r[1:]) + " |" for r in body)


def _matrices(units: list[Unit]) -> list[tuple[str, str, Unit]]:
    """(matrix text, the name before it, unit) for every matrix in the units."""
    found = []
    for k, u in enumerate(units):
        text = u.text
        first = text.lstrip()
        if first.startswith("|") or "\t" in text or re.match(r"(?:(?:torch|np|numpy)\.)?(?:tensor|array)?\(?\s*\[\s*\[",
                                                             first):
            name = _name_before(units[k - 1].text.rstrip(" $")) if k else ""
            if first.startswith("|"):
                table = _index_table(text)
                head = text.strip().split("\n", 1)[0]
                if table != text and not name:
                    name = head.strip().strip("|").split("|")[0].strip().strip("$ ")
                text = table
            found.append((text.strip(), name, u))
            continue
        for m in _ENV.finditer(text):
            found.append((m.group(0), _name_before(text[:m.start()]), u))
    return found


def _shape(text: str) -> tuple[int, int] | None:
    from grader.parse import parse

    try:
        value = parse(text, "matrix")
    except (ParseError, ValueError, TypeError, RecursionError):
        return None
    return tuple(value.shape) if hasattr(value, "shape") else None


def _base_name(name: str) -> str:
    bare = re.sub(r"\\(?:mathbf|mathit|boldsymbol|bm|mathrm)\s*|[{}\s$*]", "", name)
    return bare


def find_matrix(units: list[Unit], spec: Spec, shape: tuple[int, int], written: WrittenAs, strict: bool = False
                ) -> Piece | None:
    """The part's matrix among the units, recognised by how the task's answer is written (its name, or the
    matrix it is the gradient with respect to) and its shape; ``strict`` (text under no label) wants its name or
    its shape."""
    avoid = set(spec.matrices) | set(written.avoid)
    best: tuple[int, int, str, Unit] | None = None
    for order, (text, name, u) in enumerate(_matrices(units)):
        base = _base_name(name)
        gradient = bool(_GRADIENT_NAME.search(name))
        score = 0
        if written.gradient_of is not None:
            by = written.gradient_of
            score += (3 + bool(re.search(r"(?:\\partial|∂|\\nabla_?|∇_?|d)\s*\{?\s*" + re.escape(by) + r"(?![A-Za-z_])",
                                         name))) if gradient else 0
        elif written.name is not None:
            out = written.name
            score += 3 if base == out or base.endswith(out) and not gradient else 0
        elif base and base not in avoid:
            score += 3 if not gradient else 0
        if base in avoid and not gradient:
            score -= 6
        if _shape(text) == tuple(shape):
            score += 2
        if best is None or (score, order) >= best[:2]:
            best = (score, order, text, u)
    if best is None or best[0] < (2 if strict else 0):
        return None
    return Piece(clean(best[2]) if "\\begin" in best[2] else best[2], best[3].lines)
