r"""The structure of a write-up: units (a line, or a display block over several lines) and the part each is under.

Labels people put before an answer, all read: headings and sectioning (``## 1.1``, ``\section*{Convolution}``,
``\subsection*{(b)}``), problem labels (``1.1``, ``Problem 1.1``, ``1.1. Convolution``, ``Question 2``, a
problem's title), part labels (``(a)``, ``a)``, ``- (b)``, ``**(c)**``, ``\textbf{(c)}``, ``Part (d)``, ``1.1c``,
``Q1.2a:``), and ``\item`` in an ``enumerate`` under a problem (counted a, b, c..., or ``\item[(c)]``). A part
label names a part of the spec through its problem (``(c)`` under problem 1.1 is 1.1c, typed ids are matched as
``grader.submission.part_key`` does). A label that names no part of the spec (``(e)``) still ends the part
before it.

>>> from symconv.spec import load_spec
>>> from grader.writeup.text import lines_of
>>> units = split_units(lines_of("# Problem 1.1\n**(a)** $3 \\times 3$\n(c)\n$$\nC = 1\n$$", "md").lines,
...                     load_spec())
>>> [(u.part, u.text.strip(), u.first) for u in units]
[(None, '', 1), ('1.1a', '$3 \\times 3$', 2), ('1.1c', '', 3), ('1.1c', '$$\nC = 1\n$$', 4)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.writeup.text import Line
from symconv.spec import Problem, Spec

MAX_BLOCK_LINES = 400      # lines one display block may span before it is cut (an unclosed $$)
WRAPPED_LINES = 3          # lines inline maths ($...$) may be wrapped over

_SECTION = re.compile(r"\\(?:section|subsection|subsubsection|paragraph|subparagraph|chapter|part)\*?\s*"
                      r"(?:\[[^\]]*\])?\s*\{(?P<title>[^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_ITEM = re.compile(r"\\item\s*(?:\[(?P<label>[^\]]*)\])?")
_HEADING = re.compile(r"#{1,6}\s+")
_BULLET = re.compile(r"(?:[-*+•–—·]\s+|>\s*)")
_BOLD = re.compile(r"(?:\*\*|__)(?P<inner>.+?)(?:\*\*|__)|\\text(?:bf|it)\s*\{(?P<inner2>[^{}]*)\}"
                   r"|\*(?P<inner3>[^*\s][^*]*)\*")
_KEYWORD = r"(?:problem|prob\.?|question|exercise|ex\.?|task|aufgabe|q)"
_PART_ID = re.compile(r"(?i)" + _KEYWORD + r"?\s*(?P<num>\d+(?:\.\d+)+)\s*(?:\((?P<l1>[a-z])\)|(?P<l2>[a-z])\)"
                      r"|\.?(?P<l3>[a-z])(?![a-z]))(?P<suffix>[-_ ]?(?:matrix))?(?P<end>\s*[.:)]?)")
_PROBLEM = re.compile(r"(?i)(?P<kw>" + _KEYWORD + r"\s*)?(?P<num>\d+(?:\.\d+)*)(?![\d.]*\s*(?:\\times|×|x\b|by\b))"
                      r"\s*[.:)]?(?=\s|$)")
_LETTER = re.compile(r"(?i)(?:part\s*)?(?:\((?P<l1>[a-z])\)|(?P<l2>[a-z])\)(?=\s|$)|(?P<l3>[a-z])\.(?=\s|$))")
_LIST = re.compile(r"\\(?:begin|(?P<end>end))\s*\{\s*(?P<env>enumerate|itemize|description)\s*\}(?:\s*\[[^\]]*\])?")
_OPENERS = (
    (re.compile(r"\$\$"), re.compile(r"\$\$")),
    (re.compile(r"\\\["), re.compile(r"\\\]")),
)
_SINGLE_DOLLAR = re.compile(r"(?<![\\$])\$(?!\$)")
_BEGIN = re.compile(r"\\begin\s*\{\s*(?P<env>[A-Za-z]+\*?)\s*\}")
_BLOCK_ENVS = frozenset("equation equation* align align* aligned gather gather* gathered multline multline* "
                        "eqnarray eqnarray* displaymath math split cases array matrix pmatrix bmatrix Bmatrix "
                        "vmatrix Vmatrix smallmatrix tabular".split())
_TABLE_ROW = re.compile(r"\s*\|.*\|\s*$")
_TAB_ROW = re.compile(r"\s*[-+]?\d+(?:\.\d+)?(?:\t+[-+]?\d+(?:\.\d+)?)+\s*$")
_NESTED_START = re.compile(r"\s*(?:(?:torch|np|numpy)\.)?(?:tensor|array)?\(?\s*\[\s*\[")


@dataclass
class Unit:
    """A line, or a display block spanning lines; ``text`` without the label that introduced it."""

    text: str
    lines: list[Line]
    part: str | None = None       # the spec part it is under ("?1.1e" for a label naming no part)
    problem: str | None = None    # the spec problem it is under
    label: str = ""               # the label read on its first line, as written

    @property
    def first(self) -> int:
        """The 1-based number of the unit's first line."""
        return self.lines[0].no


@dataclass
class _State:
    problem: Problem | None = None
    part: str | None = None
    lists: list[str] = field(default_factory=list)   # enumerate roles: "letters", "problems", "other"
    counters: list[int] = field(default_factory=list)
    last_letter: str = ""
    inferred: bool = False     # the problem was inferred from the letters (no problem label)


_KEYS: dict[int, tuple[Spec, dict[str, str]]] = {}


def part_keys(spec: Spec) -> dict[str, str]:
    """The spec's part ids by their typed-form key (``grader.submission.part_key``), kept per spec."""
    from grader.submission import part_key

    kept = _KEYS.get(id(spec))
    if kept is None or kept[0] is not spec:
        if len(_KEYS) > 16:
            _KEYS.clear()
        kept = _KEYS[id(spec)] = (spec, {part_key(p.id): p.id for p in spec.parts})
    return kept[1]


def _key(text: str) -> str:
    from grader.submission import part_key

    return part_key(text)


def _problem_by_number(spec: Spec, num: str) -> Problem | None:
    for problem in spec.problems:
        if problem.id == num:
            return problem
    if num.isdigit() and 1 <= int(num) <= len(spec.problems) and not any("." not in p.id for p in spec.problems):
        return spec.problems[int(num) - 1]   # "Problem 2" for a spec numbering its problems 1.1, 1.2
    return None


def _problem_by_title(spec: Spec, text: str) -> Problem | None:
    words = re.sub(r"^\W*(?:" + _KEYWORD + r"\W*)?[\d.]*\W*", "", text.lower())
    hits = [p for p in spec.problems if p.title and words.startswith(p.title.lower())]
    return hits[0] if len(hits) == 1 else None


def _letter_part(spec: Spec, problem: Problem | None, letter: str, state: _State) -> str:
    """The part id a letter names under ``problem`` ("?<id>" when the spec has none such)."""
    keys = part_keys(spec)
    if problem is None or state.inferred:   # no problem heading: letters restart for each problem
        index = 0
        if state.part and not state.part.startswith("?"):
            index = next((i for i, p in enumerate(spec.problems) if any(q.id == state.part for q in p.parts)), 0)
        if state.last_letter and letter.lower() <= state.last_letter:
            index += 1
        problem = spec.problems[min(index, len(spec.problems) - 1)]
        state.problem, state.inferred = problem, True
    state.last_letter = letter.lower()
    found = keys.get(_key(problem.id + letter.lower()))
    return found or f"?{problem.id}{letter.lower()}"


def _strip_markup(text: str) -> tuple[str, bool]:
    """The line without heading marks, bullets and a bold label around its start; and whether it had any."""
    t, marked = text.strip(), False
    for pattern in (_HEADING, _BULLET):
        m = pattern.match(t)
        if m:
            t, marked = t[m.end():], marked or pattern is _HEADING
    m = _BOLD.match(t)
    if m:
        inner = m.group("inner") or m.group("inner2") or m.group("inner3") or ""
        t, marked = inner + " " + t[m.end():], True
    return t.strip(), marked


def read_label(text: str, spec: Spec, state: _State) -> tuple[str | None, Problem | None, str, str]:
    """(part id or None, problem or None, the rest of the line, the label as written) for one line."""
    t = text.strip()
    heading = False
    m = _SECTION.match(t)
    if m:
        t, heading = (m.group("title") + " " + t[m.end():]).strip(), True
    m = _ITEM.match(t)
    if m:
        rest = t[m.end():]
        role = state.lists[-1] if state.lists else "other"
        if m.group("label"):
            part, problem, _, written = read_label(m.group("label"), spec, state)
            if part or problem:
                return part, problem, rest, written
        if role == "letters" and state.counters:
            state.counters[-1] += 1
            letter = chr(ord("a") + state.counters[-1] - 1)
            inner, problem, inner_rest, written = read_label(rest, spec, state)
            if inner or problem:
                return inner, problem, inner_rest, written
            return _letter_part(spec, state.problem, letter, state), None, rest, f"\\item ({letter})"
        if role == "problems" and state.counters:
            state.counters[-1] += 1
            n = state.counters[-1]
            inner, problem, inner_rest, written = read_label(rest, spec, state)
            if inner or problem:
                return inner, problem, inner_rest, written
            if n <= len(spec.problems):
                return None, spec.problems[n - 1], rest, "\\item"
        t = rest.strip()
    stripped, marked = _strip_markup(t)
    heading = heading or marked
    first = stripped.split(None, 1)
    if first:   # a typed part id: "1.1d-matrix:", "Q1.1c"
        token = first[0].rstrip(":.")
        keys = part_keys(spec)
        if re.search(r"\d", token) and _key(token) in keys:
            return keys[_key(token)], None, first[1] if len(first) > 1 else "", token
    m = _PART_ID.match(stripped)
    if m:
        letter = m.group("l1") or m.group("l2") or m.group("l3")
        problem = _problem_by_number(spec, m.group("num"))
        if problem is not None:
            state.problem = problem
            state.last_letter = letter.lower()
            part = part_keys(spec).get(_key(problem.id + letter + (m.group("suffix") or "")))
            return part or f"?{problem.id}{letter.lower()}", problem, stripped[m.end():], m.group(0).strip()
    m = _PROBLEM.match(stripped)
    if m and (heading or m.group("kw") or "." in m.group("num")):
        problem = _problem_by_number(spec, m.group("num"))
        rest = stripped[m.end():]
        if problem is not None and not re.search(r"[=&\\$]", rest[:40]):
            inner, inner_problem, inner_rest, written = read_label(rest, spec, _State(problem, None))
            if inner:
                return inner, problem, inner_rest, m.group(0).strip() + " " + written
            return None, problem, rest, m.group(0).strip()
    m = _LETTER.match(stripped)
    if m and (heading or len(stripped) < 400):
        letter = m.group("l1") or m.group("l2") or m.group("l3")
        if m.group("l3") and not heading and not re.match(r"\s*[A-Z$\\(]", stripped[m.end():] or " "):
            return None, None, text, ""   # "a. the ..." prose, not a label
        return _letter_part(spec, state.problem, letter, state), None, stripped[m.end():], m.group(0).strip()
    if heading and len(stripped) < 120:
        problem = _problem_by_title(spec, stripped)
        if problem is not None:
            return None, problem, "", stripped
    return None, None, text, ""


def _opens_block(text: str) -> re.Pattern[str] | None:
    """The pattern that closes a display block opened (and not closed) on this line."""
    for opener, closer in _OPENERS:
        if len(opener.findall(text)) % 2 == 1 if opener.pattern == r"\$\$" else \
                len(opener.findall(text)) > len(closer.findall(text)):
            return closer
    for m in _BEGIN.finditer(text):
        env = m.group("env")
        if env in _BLOCK_ENVS:
            end = re.compile(r"\\end\s*\{\s*" + re.escape(env) + r"\s*\}")
            if len(end.findall(text)) < len(re.findall(r"\\begin\s*\{\s*" + re.escape(env) + r"\s*\}", text)):
                return end
    if len(_SINGLE_DOLLAR.findall(text)) % 2 == 1:   # inline maths wrapped onto the next line (a PDF export)
        return _SINGLE_DOLLAR
    return None


def _wrapped_end(lines: list[Line], i: int) -> int:
    """The index after the line that closes inline maths opened on ``lines[i]``; ``i + 1`` when no adjacent line
    within WRAPPED_LINES does (a dollar sign in prose)."""
    for k in range(i + 1, min(i + 1 + WRAPPED_LINES, len(lines))):
        if lines[k].no != lines[k - 1].no + 1 or lines[k].cell != lines[k - 1].cell:
            break
        if len(_SINGLE_DOLLAR.findall(lines[k].text)) % 2 == 1:
            return k + 1
    return i + 1


def _kind(text: str) -> str:
    if _TABLE_ROW.match(text):
        return "table"
    if _TAB_ROW.match(text):
        return "tabs"
    return ""


def split_units(lines: list[Line], spec: Spec) -> list[Unit]:
    """The units of a write-up in order, each with the part (and problem) it is under."""
    units: list[Unit] = []
    state = _State()
    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.text
        ends = 0
        for m in _LIST.finditer(text):
            if m.group("end"):
                ends += 1
                continue
            role = "other" if m.group("env") != "enumerate" else "letters" if state.problem is not None and \
                "letters" not in state.lists else "problems" if not state.lists and state.problem is None else "other"
            state.lists.append(role)
            state.counters.append(0)
        text = _LIST.sub(" ", text) if _LIST.search(text) else text
        part, problem, rest, written = read_label(text, spec, state)
        for _ in range(min(ends, len(state.lists))):   # a list ends after the item on its last line
            state.lists.pop()
            state.counters.pop()
        if problem is not None:
            state.problem, state.inferred = problem, False
            if part is None:
                state.part, state.last_letter = None, ""
        if part is not None:
            state.part = part
        block = [Line(line.no, rest if written else text, line.cell)]
        closer = _opens_block(block[0].text)
        if closer is _SINGLE_DOLLAR:   # inline maths wrapped onto the next (adjacent) lines, or a dollar in prose
            end = _wrapped_end(lines, i)
            block += lines[i + 1:end]
            closer, j = None, end
        else:
            j = i + 1
        kind = _kind(block[0].text)
        if closer is not None:
            while j < len(lines) and j - i < MAX_BLOCK_LINES:
                block.append(lines[j])
                j += 1
                if closer.search(lines[j - 1].text):
                    break
        elif kind or _NESTED_START.match(block[0].text):
            nested = not kind
            while j < len(lines) and j - i < MAX_BLOCK_LINES:
                nxt = lines[j].text
                if nested and "]]" in block[-1].text:
                    break
                if not nested and _kind(nxt) != kind:
                    break
                if nested and not nxt.strip().startswith(("[", "]")) and not re.match(r"\s*[-\d]", nxt):
                    break
                block.append(lines[j])
                j += 1
        units.append(Unit("\n".join(b.text for b in block), block, state.part, state.problem.id if state.problem
                          else None, written))
        i = j
    return units
