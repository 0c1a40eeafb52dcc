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

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.diagnose import CODES, cost
from grader.grading import Grader
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


def mismatch(entry: Entry, got: PartResult, share: float) -> str | None:
    """Why the grader's result for the part is not the entry's verdict, or None when it is."""
    points = PARTS[entry.part].points
    if entry.expect == "review":
        if got.status != NEEDS_REVIEW or got.diagnoses:
            return "wanted: status needs-review and no diagnosis (no verdict on maths it could not read)"
        return None
    if got.status != GRADED:
        return "wanted: a graded verdict (the answer is readable)"
    if entry.expect == "full":
        costly = [c for c in got.diagnoses if cost(SPEC, c) > 0]
        if abs(got.score - points) > TOLERANCE or costly:
            return f"wanted: full marks {points:g} with no costly diagnosis"
        return None
    codes = [] if entry.expect == "none" else entry.expect.split()
    lost = share if entry.expect == "none" else min(share, share * sum(cost(SPEC, c) for c in codes))
    want = points - lost if entry.score is None else entry.score
    missing = [c for c in codes if c not in got.diagnoses]
    if abs(got.score - want) > TOLERANCE or missing:
        return (f"wanted: score {want:g} (the piece's share {share:g} loses {lost:g})"
                + (f" and diagnoses {missing}" if missing else ""))
    return None


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_entry(homework: Grader, entry: Entry) -> None:
    if _problems(entry):
        pytest.fail(f"{entry.where}: malformed entry: {'; '.join(_problems(entry))}", pytrace=False)
    answers = {entry.part: submission_answer(homework, entry)}
    got = next(p for p in homework.grade({"student": "corpus", "answers": answers}).parts if p.part == entry.part)
    codes = [] if entry.expect in VERDICTS else entry.expect.split()
    why = mismatch(entry, got, piece_share(homework, entry, codes))
    if why:
        pytest.fail(_report(entry, got, why), pytrace=False)


def _synthetic(part: str, expect: str, score: float | None = None) -> Entry:
    return Entry("synthetic.yaml", 1, 0, part, "x", expect, "synthetic", None, score)


# The harness's own judge, on made-up grader results: it must reject every result that is not the verdict.
@pytest.mark.parametrize("entry, got, share, accepted", [
    (_synthetic("1.1a", "full"), PartResult("1.1a", 1.0, 1.0, ""), 1.0, True),
    (_synthetic("1.1a", "full"), PartResult("1.1a", 0.5, 1.0, ""), 1.0, False),
    (_synthetic("1.1a", "full"), PartResult("1.1a", 1.0, 1.0, "", ["output-size-off-by-one"]), 1.0, False),
    (_synthetic("1.2b", "full"), PartResult("1.2b", 3.0, 3.0, "", ["lp-normalisation"]), 1.0, True),
    (_synthetic("1.1a", "full"), PartResult("1.1a", 1.0, 1.0, "", status=NEEDS_REVIEW), 1.0, False),
    (_synthetic("1.1d", "none"), PartResult("1.1d", 4.8, 5.0, ""), 0.2, True),
    (_synthetic("1.1d", "none"), PartResult("1.1d", 5.0, 5.0, ""), 0.2, False),
    (_synthetic("1.1d", "none"), PartResult("1.1d", 4.8, 5.0, "", status=NEEDS_REVIEW), 0.2, False),
    (_synthetic("1.1d", "chain-rule-extra-term"), PartResult("1.1d", 4.95, 5.0, "", ["chain-rule-extra-term"]), 0.2,
     True),
    (_synthetic("1.1d", "chain-rule-extra-term"), PartResult("1.1d", 4.95, 5.0, ""), 0.2, False),
    (_synthetic("1.1d", "chain-rule-extra-term"), PartResult("1.1d", 5.0, 5.0, "", ["chain-rule-extra-term"]), 0.2,
     False),
    (_synthetic("1.1c", "transposed", 1.666667), PartResult("1.1c", 1.666667, 3.0, "", ["transposed"]), 3.0, True),
    (_synthetic("1.1c", "transposed", 1.666667), PartResult("1.1c", 1.5, 3.0, "", ["transposed"]), 3.0, False),
    (_synthetic("1.1c", "review"), PartResult("1.1c", 0.0, 3.0, "", status=NEEDS_REVIEW), 3.0, True),
    (_synthetic("1.1c", "review"), PartResult("1.1c", 0.0, 3.0, "", ["transposed"], status=NEEDS_REVIEW), 3.0, False),
    (_synthetic("1.1c", "review"), PartResult("1.1c", 0.0, 3.0, ""), 3.0, False),
])
def test_the_judge(entry: Entry, got: PartResult, share: float, accepted: bool) -> None:
    assert (mismatch(entry, got, share) is None) == accepted


def _mixed_submission(grader: Grader, seed: int) -> dict[str, Any]:
    """A fully correct submission assembled from the corpus's right answers, one notation per piece at random."""
    rng = random.Random(seed)
    right = [e for e in ENTRIES if e.expect == "full" and e.score is None and not _problems(e)]
    answers: dict[str, Any] = {}
    for part_id, part in PARTS.items():
        mine = [e for e in right if e.part == part_id]
        if part.task == "input-gradient":
            pieces = [e for e in mine if isinstance(e.answer, dict)]
            by_key: dict[Any, list[dict]] = {}
            for e in pieces:
                by_key.setdefault(_entry_of(next(iter(e.answer))), []).append(e.answer)
            whole = submission_answer(grader, Entry("mixed", 0, 0, part_id, {}, "full", "engine's chain rule"))
            for key, options in by_key.items():
                whole = {k: v for k, v in whole.items() if _entry_of(k) != key}
                whole.update(rng.choice(options))
            answers[part_id] = whole
        elif part.task in KIND_PARTS:
            whole = {}
            for kind in {"pooling-modules": ("max", "avg", "lp"), "pooling-formulas": ("max", "avg", "lp"),
                         "lp-limits": ("max", "avg")}[part.task]:
                options = [e.answer for e in mine if (e.kind or _kind_of(next(iter(e.answer)))) == kind]
                whole.update(rng.choice(options))
            answers[part_id] = whole
        else:
            answers[part_id] = rng.choice(mine).answer
    return answers


@pytest.mark.parametrize("seed", range(12))
def test_a_correct_submission_in_mixed_notations_scores_full_marks(homework: Grader, seed: int) -> None:
    answers = _mixed_submission(homework, seed)
    result = homework.grade({"student": f"mixed-{seed}", "answers": answers})
    lost = [(p.part, p.score, p.status, p.diagnoses, answers[p.part]) for p in result.parts
            if abs(p.score - p.max_score) > TOLERANCE or p.status != GRADED]
    assert not lost, f"seed {seed}: parts below full marks: {lost}"


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


@pytest.mark.parametrize("entry, problem", [
    (Entry("x.yaml", 1, 0, "9.9z", "3x3", "full", "n"), "unknown part"),
    (Entry("x.yaml", 1, 0, "1.1a", "3x3", "full", " "), "note"),
    (Entry("x.yaml", 1, 0, "1.1a", "", "full", "n"), "empty answer"),
    (Entry("x.yaml", 1, 0, "1.1a", "3x3", "half", "n"), "not codes"),
    (Entry("x.yaml", 1, 0, "1.2d", {"max": "p = 1", "avg": "p = 1"}, "none", "n"), "one kind"),
    (Entry("x.yaml", 1, 0, "1.2d", {"sum": "p = 1"}, "none", "n"), "which kind"),
    (Entry("x.yaml", 1, 0, "1.1d", {"B_{11}": "B_{11}"}, "full", "n"), "names an entry"),
])
def test_malformed_entries_are_caught(entry: Entry, problem: str) -> None:
    assert any(problem in p for p in _problems(entry))


def test_corpus_is_well_formed() -> None:
    bad = [f"{e.where}: {p}" for e in ENTRIES for p in _problems(e)]
    assert not bad, "\n".join(bad)


def test_no_answer_has_two_verdicts() -> None:
    verdicts: dict[tuple[str, str], set] = {}
    where: dict[tuple[str, str], list[str]] = {}
    for e in ENTRIES:
        key = (e.part, json.dumps(e.answer, sort_keys=True, ensure_ascii=False))
        verdicts.setdefault(key, set()).add((e.expect, e.score))
        where.setdefault(key, []).append(e.where)
    clashes = [f"{', '.join(where[k])}: {sorted(map(str, v))}" for k, v in verdicts.items() if len(v) > 1]
    assert not clashes, "the same answer with different verdicts:\n" + "\n".join(clashes)


def test_corpus_covers_every_part_and_verdict() -> None:
    parts = {e.part for e in ENTRIES}
    assert parts == set(PARTS), f"parts without entries: {sorted(set(PARTS) - parts)}"
    for part in PARTS:
        verdicts = {e.expect for e in ENTRIES if e.part == part}
        assert {"full", "none"} <= verdicts, f"{part}: needs right and wrong variants, has {sorted(verdicts)}"
    assert len(ENTRIES) >= MIN_ENTRIES, f"the corpus has {len(ENTRIES)} entries; issue 9 asks for {MIN_ENTRIES}"
