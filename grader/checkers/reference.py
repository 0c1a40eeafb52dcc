"""Everything the checkers compare against, derived once per spec: the engine's solution, the diagnosis
alternatives, the course seed of the evaluation points and each part's reading context. A Grader holds one
Reference; nothing here depends on a submission.

The course seed is the spec's ``grading.seed`` (or ``grading.seed_file``); without one it is a digest of the
spec's content, so the same submission always gets the same score. Each part draws its own points from it.

>>> ref = Reference(None)
>>> ref.solution.output_shape, [a.code for a in ref.alternatives("convolution")]
((3, 3), ['flipped-kernel', 'transposed'])
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cached_property
from typing import Any

import sympy

from grader import diagnose
from grader.checkers.common import entry_names
from grader.compare import Tolerance, by_name
from grader.parse.context import DEFAULT, SIZE_FORMULA, Context
from grader.tasks import warmer
from symconv import derive_solution, load_spec
from symconv.errors import SpecError, SymconvError
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks import Alternative
from symconv.tasks import task as registry_task


class Reference:
    """The spec, its verified solution, and per-task alternatives, computed lazily and kept."""

    def __init__(self, spec: Spec | str | None):
        self.spec: Spec = spec if isinstance(spec, Spec) else load_spec(spec)
        # where the grader meets the spec: the engine does not know the diagnosis codes, so a misspelt rubric code
        # (which would silently cost a mistake all its points) is caught here, with its line and the nearest code
        self.spec.check_names("grading.rubric", self.spec.rubric, diagnose.CODES, "rubric code")
        self.solution: Solution = derive_solution(self.spec)
        self.tolerance: Tolerance = self.spec.tolerance
        self._alternatives: dict[str, list[Alternative]] = {}
        self._memo: dict[str, Any] = {}

    def cost(self, code: str) -> float:
        """What a diagnosed mistake costs here (:func:`grader.diagnose.cost` for this spec)."""
        return diagnose.cost(self.spec, code)

    @cached_property
    def seed(self) -> str:
        """The course seed: the spec's own, else a digest of its inputs, setup and parts."""
        if self.spec.seed:
            return self.spec.seed
        spec = self.spec
        # the sections newer specs may have, only when present (the digest of older specs stays the same)
        network = tuple(x for x in (spec.network, getattr(spec, "layers", None)) if x is not None)
        content = repr((sorted((k, m.tolist()) for k, m in spec.matrices.items()), spec.convolution,
                        spec.pooling, [(p.id, p.task, p.points, p.text) for p in spec.parts], *network))
        return hashlib.sha256(content.encode()).hexdigest()[:16]

    def seed_for(self, part_id: str) -> str:
        """The seed of one part's evaluation points (the course seed and the part id)."""
        return f"{self.seed}:{part_id}"

    def context(self, task: str) -> Context:
        """The parse context of a task's answers (``grader.parse.context``): the spec's matrix names, the size
        letters only for a size-formula part (elsewhere ``p`` is LP's exponent), the channel index ``k``
        except where ``k`` is a size, and the loss names."""
        return self.memo(f"context:{task}", lambda: _context_for(self.spec, task))

    def expected(self, task: str) -> Any:
        """The engine's reference value for a matrix task (the task's ``reference``)."""
        reference = registry_task(task).reference
        if reference is None:
            raise KeyError(f"task {task!r} has no matrix reference")
        return reference(self.solution)

    def alternatives(self, task: str) -> list[Alternative]:
        """The diagnosis alternatives of a task (the task's ``alternatives``), computed on first use."""
        if task not in self._alternatives:
            make = registry_task(task).alternatives
            self._alternatives[task] = make(self.solution) if make is not None else []
        return self._alternatives[task]

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """A value a checker derives from the spec, computed by ``make()`` once and kept."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    @cached_property
    def entry_names(self) -> dict[sympy.Symbol, str]:
        """The printed names of the convolution's entries when the spec numbers them flat (x_{5}); else none."""
        from symconv.document.equations import printer

        names: dict[sympy.Symbol, str] = printer(self.solution, {}).get("symbol_names", {}) \
            if self.spec.convolution is not None else {}
        return names

    @cached_property
    def output_name(self) -> str:
        """The name of the convolution's output (``C``)."""
        return self.spec.conv.output

    @cached_property
    def chain_totals(self) -> dict[tuple[int, int], sympy.Expr]:
        """Each input entry's ∂E/∂x_ij as a sum of kernel terms, with the parser's symbols."""
        return {key: by_name(rule.total) for key, rule in self.solution.chain.items()}

    def warm(self) -> None:
        """Compute everything the spec's parts will need now (before a batch forks, and off the clock).

        An engine error here is the spec's, not a student's: it is raised once, as a SpecError naming the spec
        and the part, and never swallowed (a batch would otherwise report it for every student)."""
        for part in self.spec.parts:
            warm = warmer(part.task) or _warm_reference
            try:
                with entry_names(self.entry_names):   # the expected LaTeX kept is printed as the feedback prints it
                    warm(self, part)
            except SpecError:
                raise
            except SymconvError as err:
                raise SpecError(self.spec.source, f"part {part.id} ({part.task}): {err}") from None


def _warm_reference(ref: Reference, part: Part) -> None:
    """Without a warm-up of its own, a task needs its reference (a matrix task) and its alternatives."""
    if registry_task(part.task).reference is not None:
        ref.expected(part.task)
    ref.alternatives(part.task)


def _context_for(spec: Spec, task: str) -> Context:
    base = SIZE_FORMULA if registry_task(task).reading == "size-formula" else DEFAULT
    c = spec.convolution
    outputs = [c.output] if c is not None else []
    context = base.extend(matrices=[*spec.matrices, *outputs], losses=("E", "L", "J", *([c.loss] if c else [])))
    return context if c is None else _entry_numbering(context, spec)


def _entry_numbering(context: Context, spec: Spec) -> Context:
    """The convolution's matrices' shapes (and their lower-case names', when no matrix has them), so an entry may be
    numbered flat (``x5``); with ``convolution.index: flat`` the spec's own numbering (``x_{12}`` is entry 12)."""
    from symconv.tasks.common import output_shape

    c = spec.conv
    shapes = {c.input: spec.matrices[c.input].shape, c.kernel: spec.matrices[c.kernel].shape,
              c.output: output_shape(spec)}
    if c.upstream == "symbolic":
        shapes[c.upstream_name] = shapes[c.output]
    taken = set(spec.matrices) | set(shapes)
    shapes.update({name.lower(): shape for name, shape in list(shapes.items()) if name.lower() not in taken})
    return context.extend(shapes=shapes, flat=shapes if c.index == "flat" else ())
