"""Module names (1.2a), resolved against the installed torch.nn namespace by attribute lookup.

``torch.nn.MaxPool2d``, ``nn.MaxPool2d`` and ``torch.nn.modules.pooling.MaxPool2d`` are one object, so all are
right. Nothing is imported from student text and nothing is evaluated: a path is a chain of ``getattr`` from
the ``torch`` package (``nn.`` abbreviates ``torch.nn.``), private names refused. A path to the right class
name that resolves elsewhere (``torch.MaxPool2d``, ``MaxPool2d``) or to the functional form is ``module-path``.
Without torch installed, paths are compared as text against those three spellings.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import cache
from typing import Any

from grader.checkers.common import graded
from grader.checkers.reference import Reference
from grader.checkers.values import UnreadableAnswer
from grader.diagnose import Finding
from grader.result import PartResult
from symconv.spec import Part

_PATH = re.compile(r"\s*(?:\\texttt\{)?`?([A-Za-z][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z][A-Za-z0-9_]*)*)"
                   r"\s*(?:\(\s*\))?`?\}?\s*")
FUNCTIONAL = {"max": "max_pool2d", "avg": "avg_pool2d", "lp": "lp_pool2d"}
KIND_WORDS = {"max": "max", "maximum": "max", "avg": "avg", "average": "avg", "mean": "avg", "lp": "lp"}


@cache
def _torch() -> Any:
    if importlib.util.find_spec("torch") is None:
        return None
    try:
        return importlib.import_module("torch")
    except ImportError:  # installed but broken: grade from the static table, like a machine without torch
        return None


def resolve(path: str) -> Any:
    """The object a dotted path names under torch, or None.

    >>> resolve("nn.MaxPool2d") is resolve("torch.nn.modules.pooling.MaxPool2d") is not None
    True
    >>> resolve("os.system"), resolve("torch.nn._reduction")
    (None, None)
    """
    names = path.split(".")
    if names[0] == "nn":
        names = ["torch", *names]
    torch = _torch()
    if torch is None or names[0] != "torch" or any(n.startswith("_") for n in names):
        return None
    obj = torch
    for name in names[1:]:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _path(value: Any) -> str:
    if not isinstance(value, str) or not (m := _PATH.fullmatch(value)):
        raise UnreadableAnswer("expected a module path like torch.nn.Name")
    return re.sub(r"\s+", "", m.group(1))


def _judge(given: str, expected: str) -> str:
    """"right", "module-path" or "wrong"."""
    name = expected.rpartition(".")[2]
    if _torch() is None:
        spellings = {expected, "nn." + name, "torch.nn.modules.pooling." + name}
        return "right" if given in spellings else "module-path" if given.rpartition(".")[2] == name else "wrong"
    target, obj = resolve(expected), resolve(given)
    if obj is not None and obj is target:
        return "right"
    last = given.rpartition(".")[2].lower()
    if last == name.lower() or (obj is not None and last in FUNCTIONAL.values()
                                and obj is resolve("torch.nn.functional." + last)):
        return "module-path"
    return "wrong"


def check_modules(ref: Reference, part: Part, answer: Any) -> PartResult:
    expected = ref.solution.pool_modules
    if not isinstance(answer, dict):
        raise UnreadableAnswer("expected one module per pooling: {max: ..., avg: ..., lp: ...}")
    given = {KIND_WORDS.get(str(k).strip().lower(), str(k)): v for k, v in answer.items()}
    share = part.points / len(expected)
    score, lines, findings = 0.0, [], []
    for kind, path in expected.items():
        if kind not in given:
            lines.append(f"{kind}: no answer; expected {path}")
            continue
        try:
            text = _path(given[kind])
        except UnreadableAnswer as error:
            lines.append(f"{kind}: could not read your answer: {error}")
            continue
        verdict = _judge(text, path)
        if verdict == "right":
            score += share
        elif verdict == "module-path":
            score += share * (1.0 - ref.cost("module-path"))
            findings.append(Finding("module-path", f"{kind}: {text} should be {path}"))
        else:
            lines.append(f"{kind}: {text} is not the module for {kind} pooling; expected {path}")
    expected_text = ", ".join(expected.values())
    return graded(part, score, lines=lines, findings=findings, expected_latex=r"\texttt{" + expected_text + "}")


def warm(ref: Reference, part: Part) -> None:
    for path in ref.solution.pool_modules.values():
        resolve(path)


check_modules.warm = warm  # type: ignore[attr-defined]
