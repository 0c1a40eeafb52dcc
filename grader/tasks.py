"""The grader's side of the task registry (:mod:`symconv.tasks`): each task names its checker, its write-up
locator and its warm-up as ``"module:function"``; this module resolves them. The engine never imports the grader,
so this is where the two meet.

>>> checker("convolution").__name__
'check_matrix'
>>> locator("convolution") is None     # a matrix task is found by its shape and name (grader.writeup.locate)
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from symconv.tasks import task


@cache
def resolve(path: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` string names.

    >>> resolve("grader.checkers.sizes:check_size").__name__
    'check_size'
    """
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def checker(name: str) -> Callable[..., Any]:
    """The checker of task ``name``: ``check(reference, part, answer) -> PartResult``."""
    return resolve(task(name).checker)


def locator(name: str) -> Callable[..., Any] | None:
    """The write-up locator of task ``name`` (``(units, spec) -> Piece | None``), or None for a matrix task."""
    path = task(name).locate
    return resolve(path) if path else None


def warmer(name: str) -> Callable[..., Any] | None:
    """The warm-up of task ``name`` (``(reference, part) -> None``), or None when the reference and the
    alternatives are all it needs."""
    path = task(name).warm
    return resolve(path) if path else None
