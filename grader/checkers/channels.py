"""Answers of several matrices: the channels of a layer's output, the kernels of a weight's gradient (the layers
tasks, whose ``value(sol, part)`` is a mapping label -> matrix: ``Z[1]``, ``Z[2]``).

Each matrix is graded by :func:`grader.checkers.matrices.check_matrix` as a part of its own worth its share of the
points (shape first, per-entry credit, the task's diagnosed mistakes restricted to that matrix), and the credit is
summed. One matrix is answered as the part itself; several as a mapping (an answer sheet's ``\\answer{1a/Z[1]}``
lines), whose keys are matched tolerantly (``Z[1]``, ``z1``, ``Z^{(1)}``, ``1``). A matrix that cannot be read goes
to a person; the others are graded.

>>> key("Z^{(1)}"), key(" z[1] "), key("W[1, 2]")
('z1', 'z1', 'w12')
"""

from __future__ import annotations

import re
from typing import Any

from grader.checkers.common import graded, tex
from grader.checkers.matrices import check_matrix
from grader.checkers.reference import Reference
from grader.checkers.values import UnreadableAnswer, read_matrix
from grader.diagnose import Finding
from grader.errors import ParseError
from grader.result import NEEDS_REVIEW, PartResult
from symconv.spec import Part
from symconv.tasks import Alternative
from symconv.tasks import task as registry_task


def key(label: Any) -> str:
    """A label as a student may write it, reduced to letters and digits in lower case."""
    return re.sub(r"[^a-z0-9]", "", str(label).lower())


class _One:
    """One matrix of the answer, seen by check_matrix as a Reference: its expected value and the mistakes
    recomputed for it; everything else (tolerance, rubric, seed, reading context) is the part's."""

    def __init__(self, ref: Reference, expected: Any, alternatives: list[Alternative], label: str):
        self.ref, self._expected, self._alternatives, self.entry_label = ref, expected, alternatives, label
        self.spec, self.tolerance = ref.spec, ref.tolerance

    def expected(self, task: str) -> Any:
        return self._expected

    def alternatives(self, task: str) -> list[Alternative]:
        return self._alternatives

    def cost(self, code: str) -> float:
        return self.ref.cost(code)

    def seed_for(self, part_id: str) -> str:
        return self.ref.seed_for(part_id)

    def context(self, task: str) -> Any:
        return self.ref.context(task)


def expected(ref: Reference, part: Part) -> tuple[dict[str, Any], list[Alternative]]:
    """The part's matrices by label and its diagnosed mistakes (the task's record), derived once."""
    t = registry_task(part.task)
    value, mistakes = t.value, t.part_alternatives
    assert value is not None and mistakes is not None   # the task's record says so (tests/test_tasks)
    return ref.memo(f"channels:{part.id}", lambda: (value(ref.solution, part), mistakes(ref.solution, part)))


def _given(answer: Any, labels: list[str]) -> dict[str, Any]:
    if len(labels) == 1 and not isinstance(answer, dict):
        return {labels[0]: answer}
    if not isinstance(answer, dict):
        raise UnreadableAnswer(f"expected one matrix each for {', '.join(labels)}")
    index = {key(label.partition("[")[2]): label for label in labels} | {key(label): label for label in labels}
    given: dict[str, Any] = {}
    for k, v in answer.items():
        label = index.get(key(k), f"?{k}")   # "?": a label the part does not have
        if label in given and given[label] != v:   # Z[1] and z1 answered differently: keeping one would be a guess
            raise UnreadableAnswer(f"two answers for {label.lstrip('?')}: which one is yours?")
        given[label] = v
    return given


def _is_bias(ref: Reference, part: Part) -> bool:
    """The part asks for a bias's gradient (one row: a vector, one entry per output channel)."""
    if "wrt" not in part.options:   # a forward part, or a gradient by the chain's input (the default)
        return False
    from symconv.tasks.layer_gradient import chain, wrt_of
    name = wrt_of(ref.spec, part)
    return any(step.bias == name for step in chain(ref.spec).steps)


_FLAT = re.compile(r"\s*\$?\s*(?:[^=\d\[\]()]*=)?\s*[\[(]([^\[\]()]*,[^\[\]()]*)[\])]\s*\$?\s*")


def as_row(value: Any, cols: int, context: Any = None) -> Any:
    """A vector written flat ``[4, 2]`` or as a column is the row ``[[4, 2]]``: a bias's gradient has one entry per
    channel and no orientation, so a column is notation, not a transposed answer. Anything else is left as it is.

    >>> as_row([4, 2], 2), as_row([[4], [2]], 2), as_row([[4, 2]], 2)
    ([[4, 2]], [[4, 2]], [[4, 2]])
    """
    if isinstance(value, list | tuple) and value and not any(isinstance(v, list | tuple | dict) for v in value):
        return [list(value)]
    if (isinstance(value, list | tuple) and len(value) == cols > 1
            and all(isinstance(v, list | tuple) and len(v) == 1 for v in value)):
        return [[v[0] for v in value]]
    if isinstance(value, str) and context is not None:
        flat = _FLAT.fullmatch(value)   # [4, 2], (4, 2), db = [4, 2]: one bracket of entries, a name in front
        try:
            matrix = read_matrix(f"[[{flat.group(1)}]]" if flat else value, context)
        except (ParseError, UnreadableAnswer):
            return value   # check_matrix reads it again and says why it could not
        if flat:
            return matrix
        if matrix.shape == (cols, 1) and cols > 1:
            return matrix.T
    return value


def check_channels(ref: Reference, part: Part, answer: Any) -> PartResult:
    """Each matrix graded on its own share of the part; the part's score is their sum."""
    right, alternatives = expected(ref, part)
    labels = list(right)
    given = _given(answer, labels)
    share = part.points / len(labels)
    score, lines, findings, review, notes, shown = 0.0, [], [], [], [], []
    if _is_bias(ref, part):
        context = ref.context(part.task)
        given = {label: as_row(v, right[label].cols, context) if label in right else v for label, v in given.items()}
    unknown = [k[1:] for k in given if k.startswith("?")]
    if unknown:
        lines.append(f"answers for labels this part does not have: {', '.join(unknown)} (it has {', '.join(labels)})")
    for label in labels:
        if label not in given or given[label] is None or str(given[label]).strip() == "":
            lines.append(f"{label}: no answer")
            continue
        own = [Alternative(a.code, a.value[label], a.assumption) for a in alternatives
               if label in a.value and a.value[label] != right[label]]
        sub = Part(f"{part.id}/{label}" if len(labels) > 1 else part.id, part.task, share)
        try:
            result = check_matrix(_One(ref, right[label], own, label), sub, given[label])   # type: ignore[arg-type]
        except (ParseError, UnreadableAnswer) as error:
            lines.append(f"{label}: could not read it ({str(error).splitlines()[0]})")
            review.append(f"your {label}")
            continue
        score += result.score
        findings += [Finding(code, label) for code in result.diagnoses]
        notes += result.notes
        shown.append(result.given_latex)
        if result.status == NEEDS_REVIEW:
            review.append(f"your {label}")
        elif result.score < share:
            said = tuple(f"- {code}:" for code in result.diagnoses)   # the findings are the part's, said once
            lines += [line[2:] if line.startswith(f"- {label}") else f"{label}: {line[2:]}"
                      for line in result.feedback.splitlines() if line.startswith("- ") and not line.startswith(said)]
    expected_tex = r" \quad ".join(f"{label} = {tex(m)}" for label, m in right.items())
    return graded(part, score, lines=lines, findings=findings, notes=notes, expected_latex=expected_tex,
                  given_latex=r" \quad ".join(shown), cost=ref.cost, review=review, raw=answer)


def locate(units: Any, spec: Any) -> None:
    """A write-up's answer to a layers part is not looked for: a person reads it (the part goes to review)."""
    return None


def warm(ref: Reference, part: Part) -> None:
    """Derive the part's matrices and mistakes before a batch (a bad ``output:`` or ``wrt:`` is the spec's error,
    raised here once)."""
    expected(ref, part)
