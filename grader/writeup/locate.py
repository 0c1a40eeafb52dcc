r"""Finding each part's answer in its units, by what the part's task expects.

- a size (``output-size``): ``3 \times 3``, ``3x3``, ``3 by 3``, ``(3, 3)``, ``\mathbb{R}^{3\times 3}``; a size said
  of another matrix of the spec (``B is 3 \times 3``) is not the answer;
- a formula in the size variables (``output-size-formula``): the maths naming most of I, K, P, S, D (or the names
  people give them);
- a matrix (``convolution``, ``*-matrix``, ``max-pool``, ``avg-pool``): LaTeX environments, pipe tables, tab-separated
  rows or printed arrays; the one named as the answer (``C =``, ``\frac{\partial E}{\partial A} =``) and of the
  expected shape wins, and a matrix named after another of the spec's matrices (the restated input) is skipped;
- equations whose left side is ∂E/∂A_ij (``input-gradient``), or lines labelled with the entry (``A_{11}:``);
  a left side naming an entry already answered, between the lines of two other entries, is read as the line of
  the entry missing there, and the checker diagnoses its left side;
- module names (``pooling-modules``), pooling formulas (``pooling-formulas``) and limits (``lp-limits``), each
  given to the pooling the words beside it name (``Max pooling:``), or else the one its content shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from grader.errors import ParseError
from grader.writeup.maths import clean, prose, spans
from grader.writeup.structure import Unit
from grader.writeup.text import Line
from symconv.spec import Spec

KINDS = ("max", "avg", "lp")
MAX_CLAIMS = 50    # limit claims read in one unit (an answer has two)


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


def find_size(units: list[Unit], spec: Spec) -> Piece | None:
    out, others = spec.convolution.output, set(spec.matrices)
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


def find_matrix(units: list[Unit], spec: Spec, shape: tuple[int, int], task: str, strict: bool = False
                ) -> Piece | None:
    """The part's matrix among the units; ``strict`` (text under no label) wants its name or its shape."""
    out = spec.convolution.output
    avoid = set(spec.matrices)
    if task in ("max-pool", "avg-pool") and spec.pooling is not None:
        avoid.add(spec.pooling.input)
    best: tuple[int, int, str, Unit] | None = None
    for order, (text, name, u) in enumerate(_matrices(units)):
        base = _base_name(name)
        gradient = bool(_GRADIENT_NAME.search(name))
        score = 0
        if task.endswith("gradient-matrix"):
            score += 3 if gradient else 0
        elif task == "convolution":
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


# --- chain-rule equations ------------------------------------------------------------------------------------------

_LOSS = r"(?:\\mathcal\s*\{\s*[A-Za-z]\s*\}|\{\s*[A-Za-z]\s*\}|[A-Za-z])"
_D = r"(?:\\partial|∂|d)"


def _entry_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = re.escape(name) + (f"|{re.escape(name.lower())}" if name.lower() != name else "")
    index = r"\s*(?:_\s*)?(?:\{\s*)?(?P<i>\d)\s*,?\s*(?P<j>\d)\s*\}?"
    lhs = re.compile(_D + r"\s*" + _LOSS + r"\s*(?:\}\s*\{|/)\s*" + _D + r"\s*(?:\{\s*)?(?:" + names + r")" + index)
    label = re.compile(r"^\s*(?:[-*•–]\s*)?(?:for\s+)?\$?\s*(?:" + names + r")" + index + r"\s*\$?\s*(?::|\\colon)")
    return lhs, label


@dataclass
class _Equation:
    text: str
    lines: list[Line]
    key: tuple[int, int] | None = None
    written: tuple[int, int] | None = None   # the entry its left side names


def _equations(units: list[Unit], input_name: str) -> list[_Equation]:
    lhs, label = _entry_patterns(input_name)
    equations: list[_Equation] = []
    for u in units:
        pieces: list[tuple[str, Line]] = []
        if u.text.lstrip().startswith("|"):   # a table of entries: | A_11 | ... | B_11 |
            for line in u.lines:
                cells = [c.strip().strip("$").strip() for c in line.text.strip().strip("|").split("|")]
                if len(cells) >= 2 and not re.fullmatch(r"[\s:|-]*", line.text):
                    m = label.match(cells[0] + ":")
                    head = f"@{input_name}_{{{m.group('i')}{m.group('j')}}}@" if m else ""
                    rest = [c for c in (cells[1:] if m else cells) if c]
                    pieces.append((head + " = ".join(rest), line))
        else:
            for line in u.lines:
                text = line.text
                m = label.match(text) if text.strip() else None
                head = ""
                if m:
                    head = f"{input_name}_{{{m.group('i')}{m.group('j')}}}"
                    text = text[m.end():]
                found = spans(text)
                body = " ".join(s.text for s in found) if found else text
                if not found and not m and not lhs.search(text) and not text.strip().startswith(("=", "&")):
                    if not re.search(r"\\\\|\\partial|\\frac|&", text):
                        continue
                for sub in re.split(r"\\\\", body):
                    sub = re.sub(r"\\(?:begin|end)\s*\{[^}]*\}(?:\s*\{[^}]*\})?", " ", sub).replace("&", " ")
                    sub = clean(sub).strip().strip("$").strip()
                    if sub:
                        pieces.append(((f"@{head}@" if head else "") + " ".join(sub.split()), line))
                        head = ""
        for text, line in pieces:
            forced = None
            if text.startswith("@"):
                _, head, text = text.split("@", 2)
                forced = re.search(r"(\d)(\d)", head)
            if text.startswith("=") and equations and not forced:
                equations[-1].text += " " + text
                equations[-1].lines.append(line)
                continue
            left = text.split("=", 1)[0]
            m = lhs.search(left)
            written = (int(m.group("i")), int(m.group("j"))) if m else None
            if forced:
                equations.append(_Equation(text, [line], (int(forced.group(1)), int(forced.group(2))), written))
            elif written:
                equations.append(_Equation(text, [line], written, written))
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


def find_chain(units: list[Unit], spec: Spec, entries: list[tuple[int, int]]) -> Piece | None:
    name = spec.convolution.input
    equations = [eq for eq in _equations(units, name) if eq.key in set(entries) or eq.key is not None]
    if not equations:
        return None
    notes = _resolve(equations, entries, name)
    answer: dict[str, str] = {}
    where: dict[str, list[Line]] = {}
    for eq in equations:
        if eq.key is None or eq.key not in set(entries):
            continue
        label = f"{name}_{{{eq.key[0]}{eq.key[1]}}}"
        if label not in answer:
            answer[label] = eq.text
            where[label] = eq.lines
    if not answer:
        return None
    lines = [line for ls in where.values() for line in ls]
    return Piece(answer, lines, notes, where)


# --- pooling: kinds by the words beside them ---------------------------------------------------------------------

_KIND_WORD = re.compile(r"(?i)(?<![A-Za-z])(max(?:imum)?|average|avg|mean|l_?\{?p\}?|lp|l\^\{?p\}?|power[- ]mean)"
                        r"(?![A-Za-z])")
_MODULE = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*\s*\.\s*)*[A-Za-z_]*(?i:pool)_?[123][dD])(?![\w])")


def _word_kind(word: str) -> str:
    w = word.lower()
    if w.startswith("max"):
        return "max"
    if w in ("average", "avg", "mean"):
        return "avg"
    return "lp"


def _kinds_in(text: str) -> list[tuple[int, str]]:
    return [(m.start(), _word_kind(m.group(1))) for m in _KIND_WORD.finditer(text)]


_LABEL_END = re.compile(r"(?:[:=→]|[-–—]|\bis|\buses?|\bby)[\s`*_'\"{(]*(?:\\\w+\s*\{)?[\s`*_'\"{(]*$")
_FOR_KIND = re.compile(r"^[\s`*_'\"})]*(?:\(|[-–—:,]|\bfor\b|\bis\b|\bgives\b)\s*(?:the\s+)?", re.I)


def _module_kind(before: str, after: str, own: str) -> str:
    """The pooling a module name answers: a label just before it (``Max pooling: ...``), else a ``for max`` just
    after it, else the module's own kind, else any kind word beside it."""
    b, a = _kinds_in(before), _kinds_in(after)
    if b and _LABEL_END.search(before[b[-1][0]:]):
        return b[-1][1]
    if a and (m := _FOR_KIND.match(after)) and a[0][0] <= m.end() + 1:
        return a[0][1]
    if own in KINDS:
        return own
    return b[-1][1] if b else a[0][1] if a else own


def find_modules(units: list[Unit], spec: Spec) -> Piece | None:
    from grader.checkers.common import pooling_kind

    answer: dict[str, str] = {}
    where: dict[str, list[Line]] = {}
    for u in units:
        for line in u.lines:
            text = line.text
            tokens = list(_MODULE.finditer(text))
            for n, m in enumerate(tokens):
                start = tokens[n - 1].end() if n else 0
                end = tokens[n + 1].start() if n + 1 < len(tokens) else len(text)
                own = pooling_kind(m.group(1).rpartition(".")[2])
                kind = _module_kind(prose(text[start:m.start()]), prose(text[m.end():end]), own)
                if kind in KINDS and kind not in answer:
                    answer[kind] = re.sub(r"\s+", "", m.group(1))
                    where[kind] = [line]
    if not answer:
        return None
    return Piece(answer, [line for ls in where.values() for line in ls], [], where)


_ROOT_P = re.compile(r"\^\s*\{?\s*(?:1\s*/\s*p|\\t?frac\s*\{?1\}?\s*\{?p\}?)|\\sqrt\s*\[\s*p")


def _content_kind(text: str) -> str:
    if _ROOT_P.search(text):
        return "lp"
    if re.search(r"\\max|max\s*[_({]|\bmax\b", text):
        return "max"
    if re.search(r"\\sum|\\frac\s*\{\s*1\s*\}|mean|avg|\\operatorname", text):
        return "avg"
    return ""


def _formula_like(text: str) -> bool:
    return len(text) >= 6 and bool(re.search(r"\\max|\\sum|max|sum|mean|avg|\\frac|\^|/", text))


_ROW_LABEL = re.compile(r"\s*\\(?:text|mathrm|textbf|textit|mbox)\s*\{(?P<label>[^{}]*)\}"
                        r"\s*(?:\\q?quad|\\[,;:! ]|~|:)*")
_LAYOUT = re.compile(r"\\(?:begin|end)\s*\{\s*(?:align|aligned|gather|gathered|split|eqnarray)\*?\s*\}|&")


def _rows(maths: str) -> list[tuple[str, str]]:
    """(label words, maths) for each row of a display block (``\\text{max:} & Y = ... \\\\``); one row
    for anything else (a matrix's rows are its own)."""
    if "\\\\" not in maths or re.search(r"\\begin\s*\{\s*(?:[pbBvV]?matrix|array|cases)", maths):
        return [("", maths)]
    rows = []
    for row in re.split(r"\\\\", _LAYOUT.sub(" ", maths)):
        m = _ROW_LABEL.match(row)
        rows.append((m.group("label") if m else "", clean(row[m.end():] if m else row)))
    return [r for r in rows if r[1]]


def find_formulas(units: list[Unit], spec: Spec) -> Piece | None:
    answer: dict[str, str] = {}
    where: dict[str, list[Line]] = {}
    pending = ""   # the one kind named by the words at the end of the unit before
    for u in units:
        text = u.text
        items = [(s.start, s.end, clean(s.text)) for s in spans(text)]
        if not items and _formula_like(text):
            plain = _plain(clean(text))
            at = max(text.find(plain[:20]), 0)
            items = [(at, len(text), plain)]
        last = 0
        for start, end, block in items:
            words = _kinds_in(prose(text[last:start]))
            named = words[-1][1] if words else pending
            pending, last = "", end
            for label, maths in _rows(block):
                labelled = _kinds_in(label)
                kind = labelled[-1][1] if labelled else named
                named = ""
                if not _formula_like(maths) or re.search(r"\\to(?![a-z])|→|\\lim(?!its)", maths):
                    continue
                m = _ROW_LABEL.match(maths)
                if m and not labelled and _kinds_in(m.group("label")):
                    kind, maths = _kinds_in(m.group("label"))[-1][1], maths[m.end():].strip()
                kind = kind or _content_kind(maths)
                if kind in KINDS and kind not in answer:
                    answer[kind] = maths
                    where[kind] = u.lines
        tail = {k for _, k in _kinds_in(prose(text[last:]))}
        pending = tail.pop() if len(tail) == 1 else ("" if tail or items else pending)
    if not answer:
        return None
    return Piece(answer, [line for ls in where.values() for line in ls], [], where)


_CLAIM = re.compile(r"(?P<var>(?<![A-Za-z\\])[A-Za-z])\s*(?:(?P<arrow>\\to|\\rightarrow|\\longrightarrow|→|->)\s*"
                    r"(?P<lim>\+?\s*(?:\\infty|∞|inf(?:inity)?\b|oo\b)|\d+)|=\s*(?P<value>\d+(?:\.\d+)?|\\infty|∞)(?![\d./]))")
_SENTENCE = re.compile(r"[;.](?:\s|$)|\n")


_CASES = re.compile(r"(?P<var>(?<![A-Za-z\\])[A-Za-z])\s*(?:=|\\to|→)\s*\\begin\s*\{\s*cases\s*\}(?P<body>.*?)"
                    r"\\end\s*\{\s*cases\s*\}", re.S)


def _cases(text: str) -> list[tuple[str, str]]:
    """(kind, claim) for each row of ``p = \\begin{cases} 1 & \\text{average} \\\\ \\infty & \\text{max}
    \\end{cases}``."""
    claims = []
    for m in _CASES.finditer(text):
        for row in re.split(r"\\\\", m.group("body")):
            value, _, words = row.partition("&")
            kinds = {k for _, k in _kinds_in(words) if k != "lp"}
            value = value.strip()
            if len(kinds) == 1 and value:
                infinite = re.fullmatch(r"\+?\s*(?:\\infty|∞)", value)
                var = m.group("var")
                claims.append((kinds.pop(), f"{var} \\to \\infty" if infinite else f"{var} = {value}"))
    return claims


def find_limits(units: list[Unit], spec: Spec) -> Piece | None:
    answer: dict[str, str] = {}
    where: dict[str, list[Line]] = {}
    previous = ""
    for u in units:
        text = u.text
        for kind, claim in _cases(text):
            if kind not in answer:
                answer[kind] = claim
                where[kind] = u.lines
        text = _CASES.sub(" ", text)
        plain = prose(text)
        claims = [m for m in _CLAIM.finditer(text)][:MAX_CLAIMS]
        claims = [m for m in claims if m.group("var") == "p"] or claims
        stops = [(s.start(), s.end()) for s in _SENTENCE.finditer(plain)]
        for m in claims:
            start = max([e for s, e in stops if e <= m.start()], default=0)
            end = min([s for s, e in stops if s >= m.end()], default=len(plain))
            sentence = plain[start:end]
            kinds = {k for _, k in _kinds_in(sentence) if k != "lp"}
            if len(kinds) != 1:
                kinds = {k for _, k in _kinds_in(previous) if k != "lp"} if not kinds else kinds
            infinite = bool(m.group("arrow")) and not (m.group("lim") or "").strip().isdigit() or \
                bool(m.group("value") and m.group("value") in ("\\infty", "∞"))
            kind = kinds.pop() if len(kinds) == 1 else ("max" if infinite else "avg")
            claim = (f"{m.group('var')} \\to \\infty" if m.group("arrow") and infinite else
                     f"{m.group('var')} \\to {m.group('lim')}" if m.group("arrow") else
                     f"{m.group('var')} = {m.group('value')}")
            if kind not in answer:
                answer[kind] = claim
                where[kind] = u.lines
        previous = plain if plain.strip() else previous
    if not answer:
        return None
    return Piece(answer, [line for ls in where.values() for line in ls], [], where)
