"""What a task is: one record that says everything the engine, the documents, the answer sheets and the grader
need to know about one kind of exercise part (``task:`` in a spec).

The engine never imports the grader, so a task names its grader pieces (how an answer is checked, how a
write-up's answer is found, what is computed before a batch forks) as ``"module:function"`` strings that the
grader resolves (:mod:`grader.tasks`); everything else is a plain function of the spec or its solution.

>>> from symconv.tasks import TASKS
>>> t = TASKS["convolution"]
>>> t.checker, t.needs
('grader.checkers.matrices:check_matrix', ('convolution',))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pylatex.base_classes import Container

    from symconv.document.options import DocumentOptions
    from symconv.solution import Solution
    from symconv.spec import Part, Spec

Renderer = Callable[["Container", "Solution", "Part", "DocumentOptions"], None]


@dataclass(frozen=True)
class Alternative:
    """A recomputation under a mistaken assumption: its diagnosis code, its value, and the assumption in words.

    >>> Alternative("transposed", (3, 4)).code
    'transposed'
    """

    code: str
    value: Any
    assumption: str = ""


def distinct(reference: Any, alternatives: list[Alternative]) -> list[Alternative]:
    """Drop recomputations that coincide with the reference (they diagnose nothing) or repeat an earlier one
    with the same code; one value may carry two codes (a rounded-up size is also one too large).

    >>> [a.code for a in distinct(1, [Alternative("a", 1), Alternative("b", 2), Alternative("b", 2)])]
    ['b']
    """
    kept: list[Alternative] = []
    for alt in alternatives:
        if alt.value != reference and all((alt.code, alt.value) != (k.code, k.value) for k in kept):
            kept.append(alt)
    return kept


@dataclass(frozen=True)
class WrittenAs:
    """How a matrix answer is recognised in a write-up: the name it is written under (``C``), or the matrix it is
    the gradient with respect to (``A`` in ∂E/∂A); ``avoid`` lists names that are NOT the answer (the inputs).

    >>> WrittenAs(name="C").gradient_of is None
    True
    """

    name: str | None = None
    gradient_of: str | None = None
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """One kind of exercise part. Required: its name (the spec's ``task:``), how a document renders its solution,
    and the grader's checker. The rest is optional and says what the task has:

    - ``needs``: spec sections it requires (``pooling``); ``keys``: spec keys it adds, by section;
    - ``reference(sol)``: the engine's answer when it is a matrix, with ``shape(spec)`` (known before deriving),
      ``label(spec)`` (how feedback names an entry: ``C``, ``(\\partial E/\\partial A)``) and ``written_as(spec)``;
    - ``value(sol, part)``: the engine's answer when it is a number or a shape (it may depend on the part's own
      keys, such as ``layer:``), with its mistakes ``part_alternatives(sol, part)``;
    - ``alternatives(sol)``: the diagnosed mistakes, each the answer recomputed under a mistaken assumption;
    - ``fields(spec)``: the sub-answers an answer sheet gives one line each (``A_{11}``…, or ``max``, ``avg``…);
      ``part_fields(spec, part)`` when they depend on the part's own keys (one per channel of ``output: Z``);
    - ``reading``: the parse context of its answers (``"size-formula"`` lets I, K, P, S, D be size letters);
    - ``locate``, ``warm``: the grader's write-up locator ``(units, spec) -> Piece | None`` and warm-up
      ``(reference, part) -> None``, as ``"module:function"``; without ``warm`` the grader computes the reference
      and the alternatives before a batch forks.
    """

    name: str
    render: Renderer
    checker: str
    needs: tuple[str, ...] = ()
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reference: Callable[[Solution], Any] | None = None
    shape: Callable[[Spec], tuple[int, int]] | None = None
    label: Callable[[Spec], str] | None = None
    written_as: Callable[[Spec], WrittenAs] | None = None
    value: Callable[[Solution, Part], Any] | None = None
    part_alternatives: Callable[[Solution, Part], list[Alternative]] | None = None
    alternatives: Callable[[Solution], list[Alternative]] | None = None
    fields: Callable[[Spec], list[str]] | None = None
    part_fields: Callable[[Spec, Part], list[str]] | None = None
    reading: str = "default"
    locate: str = ""
    warm: str = ""

    def answer_fields(self, spec: Spec, part: Part) -> list[str]:
        """The answer-sheet fields of one part (``part_fields``, else ``fields``; none: one line for the part).

        >>> from symconv.spec import load_spec
        >>> from symconv.tasks import task
        >>> spec = load_spec()
        >>> task("convolution").answer_fields(spec, spec.parts[0])
        []
        """
        if self.part_fields is not None:
            return self.part_fields(spec, part)
        return self.fields(spec) if self.fields is not None else []
