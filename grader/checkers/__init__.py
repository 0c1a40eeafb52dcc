"""One checker per spec task, ``check(reference, part, answer) -> PartResult``, named by the task's record in
:mod:`symconv.tasks` and resolved by :mod:`grader.tasks`.

A checker raises ParseError or UnreadableAnswer when the whole answer cannot be read (the grader turns that
into a zero with the parse error); answers with several pieces (entries, poolings) report unreadable pieces in
their feedback and grade the rest.

>>> from symconv.tasks import TASKS
>>> sorted(CHECKERS) == sorted(TASKS)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.checkers.reference import Reference
from grader.checkers.values import UnreadableAnswer
from grader.result import PartResult
from grader.tasks import checker
from symconv.tasks import TASKS

Checker = Callable[[Reference, Any, Any], PartResult]


#: Every task's checker by task name (tests may replace one with monkeypatch.setitem).
CHECKERS: dict[str, Checker] = {name: checker(name) for name in TASKS}

__all__ = ["CHECKERS", "Checker", "Reference", "UnreadableAnswer"]
