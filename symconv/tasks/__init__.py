"""The task registry: every kind of exercise part, one module each (``symconv/tasks/<task>.py`` holding a
``TASK``, or ``TASKS`` for a family such as max and average pooling).

The spec loader validates ``task:`` against it, the documents render each part with its ``render``, the answer
sheet takes its ``fields`` and the grader its checker, locator and warm-up (:mod:`grader.tasks`); none of them names
a task. Adding a kind of exercise = adding one module here (and its tests); see the README's developer section.

>>> "convolution" in registry(), "no-such-task" in registry()
(True, False)
>>> task("convolution").shape is not None
True
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from symconv.tasks.base import Alternative, Task, WrittenAs, distinct

if TYPE_CHECKING:
    TASKS: dict[str, Task]

_NOT_TASKS = {"base", "common"}


def _discover() -> dict[str, Task]:
    found: dict[str, Task] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _NOT_TASKS:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        records = getattr(module, "TASKS", None) or (module.TASK,)
        for record in records:
            if record.name in found:
                raise RuntimeError(f"task {record.name!r} is defined twice ({info.name})")
            found[record.name] = record
    return found


_registry: dict[str, Task] | None = None


def registry() -> dict[str, Task]:
    """Every task by name, in alphabetical order (imported on first use: the task modules load the document
    code)."""
    global _registry
    if _registry is None:
        _registry = _discover()
    return _registry


def task(name: str) -> Task:
    """The task called ``name`` (a KeyError names it if there is none; the spec loader has checked it).

    >>> task("output-size").checker
    'grader.checkers.sizes:check_size'
    """
    return registry()[name]


def __getattr__(name: str) -> Any:
    if name == "TASKS":
        return registry()
    raise AttributeError(name)


__all__ = ["TASKS", "Alternative", "Task", "WrittenAs", "distinct", "registry", "task"]
