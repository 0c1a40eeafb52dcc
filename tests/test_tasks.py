"""The task registry (symconv.tasks): every task is one complete record, the grader resolves every piece it names,
and no other module names a task."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.tasks import checker, locator, resolve, warmer
from symconv import derive_solution
from symconv.spec import TEMPLATES, load_spec
from symconv.tasks import TASKS, Task, registry, task

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(TASKS)


def test_the_registry_has_the_homework_tasks():
    assert {p.task for p in load_spec().parts} <= set(NAMES)
    assert registry() is registry()   # discovered once


@pytest.mark.parametrize("name", NAMES)
def test_every_task_is_complete(name):
    t = task(name)
    assert isinstance(t, Task) and t.name == name and callable(t.render)
    assert callable(checker(name))
    assert t.locate == "" or callable(locator(name))
    assert t.warm == "" or callable(warmer(name))
    assert t.reading in ("default", "size-formula")
    matrix = [t.reference, t.shape, t.label, t.written_as]
    assert all(x is None for x in matrix) or all(x is not None for x in matrix), "a matrix task needs all four"
    assert t.locate or t.shape is not None, "a write-up must be able to find the answer"
    assert (t.value is None) == (t.part_alternatives is None), "a value task says what its mistakes are"
    assert t.value is None or t.reference is None, "an answer is a matrix or a value, not both"


def _matrix_cases() -> list[tuple[str, str]]:
    specs = {name: load_spec(TEMPLATES / name) for name in ("homework.yaml", "maxpool7.yaml", "stride2-padding1.yaml")}
    return [(n, s) for n in NAMES for s, spec in specs.items()
            if task(n).shape is not None and all(getattr(spec, need) is not None for need in task(n).needs)]


@pytest.mark.parametrize(("name", "spec"), _matrix_cases())
def test_a_matrix_task_knows_its_shape_before_deriving(name, spec):
    s = load_spec(TEMPLATES / spec)
    t = task(name)
    assert tuple(t.shape(s)) == t.reference(derive_solution(s)).shape


def test_an_unresolvable_grader_piece_fails_loudly():
    with pytest.raises((ImportError, AttributeError)):
        resolve("grader.checkers.sizes:no_such_checker")


def _task_literals(path: Path) -> list[tuple[int, str]]:
    names = set(NAMES) - {"convolution"}   # "convolution" is also a spec section's name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names]


def test_no_module_outside_the_registry_names_a_task():
    """One home per task: the spec loader, the documents, the grader and the write-up reader iterate over the
    registry (a task named elsewhere is a parallel registry that the next task would have to edit)."""
    offenders = []
    for package in ("symconv", "grader"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tasks" in path.relative_to(ROOT).parts[:2] or path.name == "tasks.py":
                continue
            offenders += [f"{path.relative_to(ROOT)}:{line}: {value!r}" for line, value in _task_literals(path)]
    assert offenders == []
