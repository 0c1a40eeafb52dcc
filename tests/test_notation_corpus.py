"""The notation corpus (tests/data/notation/*.yaml): answers as students really write them, each with the verdict
a careful TA would give, graded through the real grader.

Each YAML file is a list of entries ``{part, answer, expect, note}``. ``expect`` is ``full`` (full marks, no costly
diagnosis), ``none`` (the piece under test gets no credit), ``review`` (the part is needs-review, with no verdict),
or diagnosis codes separated by spaces (each code reported, and the piece loses exactly their rubric cost). For
mapping parts (1.1d, 1.2a, 1.2b, 1.2d) an entry answers one piece (one entry of A, one kind of pooling); every
other piece is filled with a correct answer (1.1d: the engine's own chain rule), so a verdict is the piece's.

The piece's share: 1.1d an entry (points / entries), 1.2a/b/d a kind (points / kinds), an ``entry-slip`` in a
matrix part one entry of the matrix, otherwise the whole part. Optional fields: ``kind`` (which pooling a key names,
when the key's words do not say), ``score`` (the exact expected score where the README's rule applies instead of
"points - cost x share": a diagnosed matrix earns the better of its per-entry credit and the rubric's).

Run: ``.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_notation_corpus.py`` (``-k 1.2b`` for a part).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.diagnose import CODES, cost
from grader.grade import Grader
from grader.result import GRADED, NEEDS_REVIEW, PartResult
from symconv.spec import load_spec

CORPUS = Path(__file__).resolve().parent / "data" / "notation"
VERDICTS = ("full", "none", "review")
MIN_ENTRIES = 600
TOLERANCE = 1e-5
#: 1.2a/1.2b/1.2d: a correct answer per kind for the pieces an entry does not answer (known-good, fixed)
GOOD_FORMULAS = {"max": r"Y^k_{ij} = \max_{(p,q) \in S^k_{ij}} X^k_{pq}",
                 "avg": r"Y^k_{ij} = \frac{1}{N} \sum_{(p,q) \in S^k_{ij}} X^k_{pq}",
                 "lp": r"Y^k_{ij} = \left( \sum_{(u,v) \in S^k_{ij}} (X^k_{uv})^p \right)^{1/p}"}
GOOD_LIMITS = {"avg": "p = 1", "max": r"p \to \infty"}
KIND_PARTS = {"pooling-modules", "pooling-formulas", "lp-limits"}
MATRIX_TASKS = {"convolution", "input-gradient-matrix", "kernel-gradient-matrix", "max-pool", "avg-pool"}
SPEC = load_spec(None)
PARTS = {p.id: p for p in SPEC.parts}


@dataclass(frozen=True)
class Entry:
    file: str
    line: int
    index: int
    part: str
    answer: Any
    expect: str
    note: str
    kind: str | None = None
    score: float | None = None   # an explicit expected score, when the rubric's rule is not "points - cost x share"

    @property
    def where(self) -> str:
        return f"tests/data/notation/{self.file}:{self.line}"


def _load(path: Path) -> list[Entry]:
    """The entries of one file, each with the line it starts on (for the failure message)."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text)
    data = yaml.safe_load(text)
    if node is None:
        return []
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: expected a list of entries")
    entries = []
    for k, (item, raw) in enumerate(zip(node.value, data)):
        if not isinstance(raw, dict):
            raise ValueError(f"{path.name}:{item.start_mark.line + 1}: an entry must be a mapping")
        entries.append(Entry(path.name, item.start_mark.line + 1, k, str(raw.get("part", "")), raw.get("answer"),
                             str(raw.get("expect", "")), str(raw.get("note", "")), raw.get("kind"),
                             raw.get("score")))
    return entries


ENTRIES = [e for path in sorted(CORPUS.glob("*.yaml")) for e in _load(path)]


def _id(entry: Entry) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", entry.note).strip("-")[:48]
    return f"{entry.file.removesuffix('.yaml')}:{entry.index}-{slug}"


@pytest.fixture(scope="session")
def homework() -> Grader:
    return Grader(None)


# ---- filling the other pieces of a mapping part -------------------------------------------------------------
_ENTRY = re.compile(r"[Aa]\s*(?:_|\[|\()?\s*\{?\s*(\d)\s*,?\s*(\d)")


def _entry_of(text: str) -> tuple[int, int] | None:
    """The (i, j) of A an entry's key (or its equation's left side) names: A_{24}, A24, A(2,4), dE/dA_24."""
    head = str(text).split("=")[0]
    found = _ENTRY.findall(head)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def _kind_of(key: Any) -> str | None:
    k = str(key).lower()
    if "max" in k:
        return "max"
    if "av" in k or "mean" in k:
        return "avg"
    if "lp" in k or "l_p" in k or "l^p" in k or "power" in k:
        return "lp"
    return None


def submission_answer(grader: Grader, entry: Entry) -> Any:
    """The part's whole answer: the entry's piece, and a correct answer for every other piece."""
    task = PARTS[entry.part].task
    sol = grader.reference.solution
    if task == "input-gradient":
        chain = {key: rule for key, rule in sorted(sol.chain.items())}
        if isinstance(entry.answer, dict):
            named = {_entry_of(k) for k in entry.answer}
            rest = {f"A_{{{i}{j}}}": rule.to_latex() for (i, j), rule in chain.items() if (i, j) not in named}
            return {**rest, **entry.answer}
        given = entry.answer if isinstance(entry.answer, list) else [entry.answer]
        named = {_entry_of(t) for t in given}
        return [rule.to_latex() for key, rule in chain.items() if key not in named] + given
    if task in KIND_PARTS:
        good = {"pooling-modules": dict(sol.pool_modules), "pooling-formulas": GOOD_FORMULAS,
                "lp-limits": GOOD_LIMITS}[task]
        assert isinstance(entry.answer, dict), f"{entry.where}: a {task} entry answers one kind as a mapping"
        named = {entry.kind or _kind_of(k) for k in entry.answer}
        return {**{k: v for k, v in good.items() if k not in named}, **entry.answer}
    return entry.answer


def piece_share(grader: Grader, entry: Entry, codes: list[str]) -> float:
    part = PARTS[entry.part]
    sol = grader.reference.solution
    if part.task == "input-gradient":
        return part.points / len(sol.chain)
    if part.task in KIND_PARTS:
        kinds = {"pooling-modules": len(sol.pool_modules), "pooling-formulas": len(GOOD_FORMULAS),
                 "lp-limits": len(GOOD_LIMITS)}[part.task]
        return part.points / kinds
    if part.task in MATRIX_TASKS and codes == ["entry-slip"]:
        expected = grader.reference.expected(part.task)
        return part.points / (expected.rows * expected.cols)
    return part.points


def _report(entry: Entry, got: PartResult, why: str) -> str:
    return (f"\n{entry.where} [{entry.part}] {entry.note}\n  answer:   {entry.answer!r}\n  expected: {entry.expect}"
            f"\n  {why}\n  grader:   score {got.score:g} / {got.max_score:g}, status {got.status}, "
            f"diagnoses {got.diagnoses}\n  feedback: {got.feedback}")


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_entry(homework: Grader, entry: Entry) -> None:
    if _problems(entry):
        pytest.fail(f"{entry.where}: malformed entry: {'; '.join(_problems(entry))}", pytrace=False)
    part = PARTS[entry.part]
    answers = {entry.part: submission_answer(homework, entry)}
    got = next(p for p in homework.grade({"student": "corpus", "answers": answers}).parts if p.part == entry.part)
    if entry.expect == "review":
        if got.status != NEEDS_REVIEW or got.diagnoses:
            pytest.fail(_report(entry, got, "wanted: status needs-review and no diagnosis (no verdict on maths it "
                                            "could not read)"), pytrace=False)
        return
    if got.status != GRADED:
        pytest.fail(_report(entry, got, "wanted: a graded verdict (the answer is readable)"), pytrace=False)
    if entry.expect == "full":
        costly = [c for c in got.diagnoses if cost(SPEC, c) > 0]
        if abs(got.score - part.points) > TOLERANCE or costly:
            pytest.fail(_report(entry, got, f"wanted: full marks {part.points:g} with no costly diagnosis"),
                        pytrace=False)
        return
    codes = [] if entry.expect == "none" else entry.expect.split()
    share = piece_share(homework, entry, codes)
    lost = share if entry.expect == "none" else min(share, share * sum(cost(SPEC, c) for c in codes))
    want = part.points - lost if entry.score is None else entry.score
    missing = [c for c in codes if c not in got.diagnoses]
    if abs(got.score - want) > TOLERANCE or missing:
        pytest.fail(_report(entry, got, f"wanted: score {want:g} (the piece's share {share:g} loses {lost:g})"
                            + (f" and diagnoses {missing}" if missing else "")), pytrace=False)


# ---- the corpus itself --------------------------------------------------------------------------------------
def _problems(entry: Entry) -> list[str]:
    """What is wrong with an entry itself (not with the grader)."""
    if entry.part not in PARTS:
        return [f"unknown part {entry.part!r}"]
    problems = []
    if not entry.note.strip():
        problems.append("every entry says what it tests (note)")
    if entry.answer in (None, "", {}, []):
        problems.append("empty answer")
    if entry.expect not in VERDICTS:
        unknown = [c for c in entry.expect.split() if c not in CODES]
        if not entry.expect.split() or unknown:
            problems.append(f"expect {entry.expect!r}: not full/none/review, and {unknown} are not codes of "
                            "grader.diagnose.CODES (a code the corpus needs is added there, with a rubric cost)")
    task = PARTS[entry.part].task
    if task in KIND_PARTS:
        if not isinstance(entry.answer, dict) or len(entry.answer) != 1:
            problems.append("a mapping part's entry answers one kind, as a one-key mapping")
        elif (entry.kind or _kind_of(next(iter(entry.answer)))) is None:
            problems.append("say which kind the key names (kind: max|avg|lp)")
    if task == "input-gradient":
        keys = entry.answer if isinstance(entry.answer, dict | list) else [entry.answer]
        if not all(_entry_of(k) for k in keys):
            problems.append("a 1.1d entry names an entry of A (in its key, or on its equation's left side)")
    return problems


def test_corpus_is_well_formed() -> None:
    bad = [f"{e.where}: {p}" for e in ENTRIES for p in _problems(e)]
    assert not bad, "\n".join(bad)


def test_corpus_covers_every_part_and_verdict() -> None:
    parts = {e.part for e in ENTRIES}
    assert parts == set(PARTS), f"parts without entries: {sorted(set(PARTS) - parts)}"
    for part in PARTS:
        verdicts = {e.expect for e in ENTRIES if e.part == part}
        assert {"full", "none"} <= verdicts, f"{part}: needs right and wrong variants, has {sorted(verdicts)}"
    assert len(ENTRIES) >= MIN_ENTRIES, f"the corpus has {len(ENTRIES)} entries; issue 9 asks for {MIN_ENTRIES}"
