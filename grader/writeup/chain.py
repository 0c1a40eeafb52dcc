"""Chain-rule lines (``input-gradient``): equations whose left side is ∂E/∂A_ij, or lines labelled with the entry.

Found in maths (``$…$``, display blocks, ``aligned`` rows with ``&=`` continuation lines), plain text
(``dE/dA_11 = …``), entry labels (``A_{11}: B_{11}``, ``- $A_{13}$: …``) and tables of entries. A left side naming an
entry already answered, between the lines of two other entries, is read as the line of the entry missing there
(the checker then diagnoses its left side): a mistyped left side is a mistake to diagnose, not a line to lose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.writeup.locate import Piece
from grader.writeup.maths import clean, spans
from grader.writeup.structure import Unit
from grader.writeup.text import Line
from symconv.spec import Spec

_SINGLE_DOLLAR = re.compile(r"(?<![\\$])\$(?!\$)")
_LOSS = r"(?:\\mathcal\s*\{\s*[A-Za-z]\s*\}|\{\s*[A-Za-z]\s*\}|[A-Za-z])"
_D = r"(?:\\partial|∂|d)"


def _entry_patterns(name: str, flat: bool = False) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = re.escape(name) + (f"|{re.escape(name.lower())}" if name.lower() != name else "")
    index = r"\s*(?:_\s*)?(?:\{\s*)?(?P<i>\d)\s*,?\s*(?P<j>\d)\s*\}?"
    if flat:   # entries numbered row by row (x_5, x_{12}); x_{1,2} is still (1, 2)
        index = r"\s*(?:_\s*)?(?:\{\s*)?(?:(?P<i>\d)\s*,\s*(?P<j>\d)|(?P<k>\d{1,3})(?![\d,]))\s*\}?"
    lhs = re.compile(_D + r"\s*" + _LOSS + r"\s*(?:\}\s*\{|/)\s*" + _D + r"\s*(?:\{\s*)?(?:" + names + r")" + index)
    label = re.compile(r"^\s*(?:[-*•–]\s*)?(?:for\s+)?\$?\s*(?:" + names + r")" + index + r"\s*\$?\s*(?::|\\colon)")
    return lhs, label


@dataclass
class _Equation:
    text: str
    lines: list[Line]
    key: tuple[int, int] | None = None
    written: tuple[int, int] | None = None   # the entry its left side names


def _place(m: re.Match[str], cols: int | None) -> tuple[int, int]:
    """The (i, j) an entry pattern matched: its two digits, or (with ``cols``) the entry numbered row by row."""
    k = m.groupdict().get("k")
    if k is not None and cols:
        return (int(k) - 1) // cols + 1, (int(k) - 1) % cols + 1
    return int(m.group("i")), int(m.group("j"))


def _equations(units: list[Unit], input_name: str, cols: int | None = None) -> list[_Equation]:
    """The equations of the units, each with the entry of ``input_name`` it is for (``cols``: the entries are
    numbered flat, row by row, in a matrix of ``cols`` columns)."""
    lhs, label = _entry_patterns(input_name, flat=cols is not None)
    equations: list[_Equation] = []
    for u in units:
        pieces: list[tuple[str, list[Line]]] = []
        if u.text.lstrip().startswith("|"):   # a table of entries: | A_11 | ... | B_11 |
            for line in u.lines:
                cells = [c.strip().strip("$").strip() for c in line.text.strip().strip("|").split("|")]
                if len(cells) >= 2 and not re.fullmatch(r"[\s:|-]*", line.text):
                    m = label.match(cells[0] + ":")
                    head = "@{}_{{{}{}}}@".format(input_name, *_place(m, cols)) if m else ""
                    rest = [c for c in (cells[1:] if m else cells) if c]
                    pieces.append((head + " = ".join(rest), [line]))
        else:
            rows = [(x.text, [x]) for x in u.lines]
            if any(len(_SINGLE_DOLLAR.findall(x.text)) % 2 for x in u.lines):   # inline maths over lines
                rows = [(" ".join(x.text for x in u.lines), list(u.lines))]
            for text, at in rows:
                m = label.match(text) if text.strip() else None
                head = ""
                if m:
                    head = "{}_{{{}{}}}".format(input_name, *_place(m, cols))
                    text = text[m.end():]
                found = spans(text)
                if not found and not m and not lhs.search(text) and not text.strip().startswith(("=", "&")):
                    if not re.search(r"\\\\|\\partial|\\frac|&", text):
                        continue
                bodies = [text]
                if found:   # one equation per span, unless only "=" stands between two spans
                    bodies = [found[0].text]
                    for before, span in zip(found, found[1:]):
                        between = text[before.end:span.start].strip()
                        if between == "=":
                            bodies[-1] += " = " + span.text
                        else:
                            bodies.append(span.text)
                for sub in (piece for body in bodies for piece in re.split(r"\\\\", body)):
                    sub = re.sub(r"\\(?:begin|end)\s*\{[^}]*\}(?:\s*\{[^}]*\})?", " ", sub).replace("&", " ")
                    sub = clean(sub).strip().strip("$").strip()
                    if sub:
                        pieces.append(((f"@{head}@" if head else "") + " ".join(sub.split()), at))
                        head = ""
        for text, where in pieces:
            forced = None
            if text.startswith("@"):
                _, head, text = text.split("@", 2)
                forced = re.search(r"(\d)(\d)", head)
            if text.startswith("=") and equations and not forced:
                equations[-1].text += " " + text
                equations[-1].lines += where
                continue
            left = text.split("=", 1)[0]
            m = lhs.search(left)
            written = _place(m, cols) if m else None
            if forced:
                equations.append(_Equation(text, list(where), (int(forced.group(1)), int(forced.group(2))), written))
            elif written:
                equations.append(_Equation(text, list(where), written, written))
    return equations


def _resolve(equations: list[_Equation], keys: list[tuple[int, int]], name: str) -> list[str]:
    """Give each equation whose left side repeats an entry already answered the entry missing at its place."""
    notes = []
    order = {k: n for n, k in enumerate(keys)}
    claims: dict[tuple[int, int], list[int]] = {}
    for n, eq in enumerate(equations):
        claims.setdefault(eq.key, []).append(n)   # type: ignore[arg-type]
    missing = {k for k in keys if k not in claims}

    def fit(n: int) -> int:
        key = equations[n].key
        if key not in order:
            return 0
        before = equations[n - 1].key if n else None
        after = equations[n + 1].key if n + 1 < len(equations) else None
        return (before in order and order[before] == order[key] - 1) + (after in order and order[after] ==
                                                                          order[key] + 1)

    for key, at in claims.items():
        if len(at) < 2:
            continue
        keep = max(at, key=fit)
        for n in at:
            if n == keep:
                continue
            before = equations[n - 1].key if n else None
            after = equations[n + 1].key if n + 1 < len(equations) else None
            guess = [k for k in missing if (before in order and order[k] == order[before] + 1)
                     or (after in order and order[k] == order[after] - 1)]
            if len(guess) >= 1:
                new = guess[0]
                missing.discard(new)
                notes.append(f"line {equations[n].lines[0].no} has {name}_{{{key[0]}{key[1]}}} on its left side where "
                             f"the line for {name}_{{{new[0]}{new[1]}}} belongs; it was graded as that line")
                equations[n].key = new
            else:
                equations[n].key = None
                notes.append(f"a second line for {name}_{{{key[0]}{key[1]}}} (line {equations[n].lines[0].no}) "
                             "was not graded")
    return notes


def find_chain(units: list[Unit], spec: Spec, entries: list[tuple[int, int]], name: str | None = None
               ) -> Piece | None:
    r"""The chain-rule lines for the asked ``entries``: each line whose left side is ``\partial E/\partial X_{ij}``
    for one of them (the spec's input matrix, or the matrix ``name``), with where it was read; a second line for one
    entry is graded as the missing entry next to it when there is one, else not graded (with a note either way).
    None when no line is found."""
    name = name or spec.conv.input
    flat = spec.conv.index == "flat" and name in spec.matrices and max(spec.matrices[name].shape) <= 9
    cols = spec.matrices[name].cols if flat else None   # entries numbered x_1 ... as the spec numbers them
    equations = [eq for eq in _equations(units, name, cols) if eq.key in set(entries) or eq.key is not None]
    if not equations:
        return None
    notes = _resolve(equations, entries, name)
    answer: dict[str, str] = {}
    where: dict[str, list[Line]] = {}
    for eq in equations:
        if eq.key is None or eq.key not in set(entries):
            continue
        # (with flat numbering, x_{1,2}: two digits would read as one entry number)
        label = f"{name}_{{{eq.key[0]},{eq.key[1]}}}" if cols else f"{name}_{{{eq.key[0]}{eq.key[1]}}}"
        if label not in answer:
            answer[label] = eq.text
            where[label] = eq.lines
    if not answer:
        return None
    lines = [line for ls in where.values() for line in ls]
    return Piece(answer, lines, notes, where)


def find_input_chain(units: list[Unit], spec: Spec) -> Piece | None:
    """The chain-rule lines of every entry of the convolution's input (task ``input-gradient``)."""
    rows, cols = spec.matrices[spec.conv.input].shape
    return find_chain(units, spec, [(i, j) for i in range(1, rows + 1) for j in range(1, cols + 1)])


def find_kernel_chain(units: list[Unit], spec: Spec) -> Piece | None:
    """The chain-rule lines of every entry of the convolution's kernel (task ``kernel-gradient``)."""
    rows, cols = spec.matrices[spec.conv.kernel].shape
    return find_chain(units, spec, [(m, n) for m in range(1, rows + 1) for n in range(1, cols + 1)], spec.conv.kernel)
