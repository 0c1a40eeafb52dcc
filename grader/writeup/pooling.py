"""Pooling answers, each given to the pooling the words beside it name (``Max pooling:``, ``for average``), or
else the one its content shows: module names (``pooling-modules``), formulas (``pooling-formulas``, rows of an
``align`` labelled ``\\text{max:}`` one by one) and limits (``lp-limits``: ``p = 1``, ``p \\to \\infty``, a ``cases``
environment).
"""

from __future__ import annotations

import re

from grader.writeup.locate import Piece, _plain
from grader.writeup.maths import clean, prose, spans
from grader.writeup.structure import Unit
from grader.writeup.text import Line
from symconv.spec import Spec

KINDS = ("max", "avg", "lp")
MAX_CLAIMS = 50    # limit claims read in one unit (an answer has two)

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
    """The answer to ``pooling-modules``: each PyTorch module name (``nn.MaxPool2d``, ``F.avg_pool2d``)
    given to the pooling its label or the words beside it name, else to its own kind; None when no unit names one."""
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
    r"""The answer to ``pooling-formulas``: each formula given to the pooling named by the words before it
    (or by a row's ``\text{max:}`` label in an aligned display); None when no unit holds one."""
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
    r"""The answer to ``lp-limits``: the claims for ``p = 1`` and ``p \to \infty`` (in prose, in maths or
    in a ``cases`` environment); None when no unit makes one."""
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
