"""Helpers every checker uses: the PartResult of a graded part, and credit after diagnosed mistakes.

A diagnosed mistake whose rubric cost is 0 is a teaching note, not a mistake: its code is still reported, and its
words appear under "Note:". A part with pieces that could not be read, or were read only by a guess, is
``needs-review``: those pieces earn nothing until a person looks, and the feedback says so instead of "wrong".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import sympy

from grader import feedback
from grader.diagnose import CODES, Finding
from grader.result import GRADED, NEEDS_REVIEW, PartResult
from symconv.latex import latex
from symconv.spec import Part

_FIELDS = {f.name for f in dataclasses.fields(PartResult)}
_KIND_WORDS = {"max": "max", "maximum": "max", "maxpool": "max", "avg": "avg", "average": "avg", "mean": "avg",
               "avgpool": "avg", "lp": "lp", "lppool": "lp", "power": "lp", "powermean": "lp"}
_KIND_NOISE = re.compile(r"\\(?:text|mathrm)|pooling|pool|[^a-z]")


def pooling_kind(key: object) -> str:
    """The pooling a key of a per-kind answer names: "Max pooling", "max", "L_p", "Average" -> max, avg, lp.

    >>> [pooling_kind(k) for k in ("Max pooling", "Average pooling", "LP pooling", "L_p", "mean", "other")]
    ['max', 'avg', 'lp', 'lp', 'avg', 'other']
    >>> [pooling_kind(k) for k in ("AvgPool2d", "LPPool2d", "max_pool2d")]
    ['avg', 'lp', 'max']
    """
    text = str(key).strip()
    word = _KIND_NOISE.sub("", text.lower().replace("2d", ""))
    return _KIND_WORDS.get(word, text)


#: The printed names of entries the spec numbers flat (``convolution.index: flat``): x_{5} for the engine's x_22.
_ENTRY_NAMES: ContextVar[tuple[tuple[sympy.Symbol, str], ...]] = ContextVar("entry_names", default=())


@contextmanager
def entry_names(names: Mapping[sympy.Symbol, str]) -> Iterator[None]:
    """Feedback printed meanwhile (:func:`tex`, :func:`entry_label`) names entries by ``names``.

    >>> with entry_names({sympy.Symbol("x_22"): "x_{5}"}):
    ...     tex(sympy.Symbol("x_22") + 1)
    'x_{5} + 1'
    """
    token = _ENTRY_NAMES.set(tuple(sorted(names.items(), key=lambda item: item[0].name)))
    try:
        yield
    finally:
        _ENTRY_NAMES.reset(token)


def printed_names() -> dict[str, Any]:
    """The printer's settings for the entry names in force (none, or ``symbol_names``)."""
    names = _ENTRY_NAMES.get()
    return {"symbol_names": dict(names)} if names else {}


def entry_label(name: str, r: int, c: int, cols: int, flat: bool = False) -> str:
    """How the feedback names entry (r, c) (0-based) of matrix ``name`` with ``cols`` columns: ``C_{12}``, or
    numbered row by row when ``flat``.

    >>> entry_label("C", 0, 1, 3), entry_label("C", 1, 0, 3, flat=True)
    ('C_{12}', 'C_{4}')
    """
    if flat:
        return f"{name}_{{{r * cols + c + 1}}}"
    return f"{name}_{{{r + 1}{c + 1}}}"


@lru_cache(maxsize=16384)
def _tex(value: Any, names: tuple[tuple[sympy.Symbol, str], ...] = ()) -> str:
    return latex(value, **({"symbol_names": dict(names)} if names else {}))


def tex(value: Any) -> str:
    """The project's LaTeX for a SymPy value, memoised (printing costs milliseconds; values repeat)."""
    names = _ENTRY_NAMES.get()
    try:
        return _tex(value, names)
    except TypeError:  # unhashable
        return latex(value, **printed_names())


def teaching_note(finding: Finding) -> str:
    """The words of a diagnosis that costs nothing.

    >>> teaching_note(Finding("chain-rule-not-shown", "A_{11}"))
    'you gave the final sums without the chain-rule step (A_{11})'
    """
    text = CODES.get(finding.code, finding.code)
    return f"{text} ({finding.detail})" if finding.detail else text


def graded(part: Part, score: float, *, lines: Iterable[str] = (), findings: Iterable[Finding] = (),
           notes: Iterable[str] = (), expected_latex: str = "", given_latex: str = "",
           show_expected: bool = True, cost: Callable[[str], float] | None = None, review: Iterable[str] = (),
           raw: Any = None, read_as: str = "") -> PartResult:
    """A graded part; the score is clamped to [0, points] and rounded to 6 decimals.

    ``show_expected=False`` keeps the expected LaTeX out of the text (when the lines already name each expected
    entry). With ``cost`` (the rubric), findings that cost nothing are shown as notes. ``review`` lists the
    pieces a person must read (the part becomes needs-review); ``raw`` and ``read_as`` keep the answer as written
    and as read, for the reviewer.

    >>> from symconv.spec import Part
    >>> graded(Part("1.1a", "output-size", 1), 0.0, review=["the size"]).status
    'needs-review'
    """
    score = round(min(max(score, 0.0), part.points), 6)
    findings = list(dict.fromkeys(findings))
    free = [f for f in findings if cost is not None and cost(f.code) == 0]
    mistakes = [f for f in findings if f not in free]
    notes = list(dict.fromkeys([*(teaching_note(f) for f in free), *notes]))
    review = list(dict.fromkeys(review))
    text = feedback.compose(part.id, score, part.points, lines=lines, findings=mistakes, notes=notes,
                            expected_latex=expected_latex if show_expected and not review else "")
    if review:
        head, _, rest = text.partition("\n")
        head = f"{part.id}: needs review ({feedback.points(score)}/{feedback.points(part.points)} so far)."
        ask = f"- a person will read {', '.join(review)} and grade {'it' if len(review) == 1 else 'them'} by hand; " \
              "this is not a verdict on your maths"
        text = "\n".join(x for x in (head, getattr(feedback, "readable", str)(ask), rest) if x)
    codes = list(dict.fromkeys(c for f in findings for c in f.code.split()))
    extra: dict[str, Any] = {}
    if "raw" in _FIELDS and raw is not None:
        extra["raw"] = raw if isinstance(raw, str) else repr(raw)
    if "read_as" in _FIELDS and read_as:
        extra["read_as"] = read_as
    if "notes" in _FIELDS and notes:
        extra["notes"] = list(notes)
    return PartResult(part.id, score, part.points, text, codes, expected_latex=expected_latex,
                      given_latex=given_latex, status=NEEDS_REVIEW if review else GRADED, **extra)


def credit(codes: Iterable[str], cost) -> float:
    """The fraction kept after every diagnosed mistake in ``codes`` (each code's rubric cost, added up)."""
    return max(0.0, 1.0 - sum(cost(c) for c in dict.fromkeys(codes)))
