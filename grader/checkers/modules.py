"""Module names (1.2a), resolved against the installed torch.nn namespace by attribute lookup.

``torch.nn.MaxPool2d``, ``nn.MaxPool2d`` and ``torch.nn.modules.pooling.MaxPool2d`` are one object, so all are
right, and so is the bare class name ``MaxPool2d`` (the question names torch.nn). Markup around the name is
presentation: ``\\text{nn.MaxPool2d}``, ``\\texttt{...}``, backticks, a constructor call
``nn.MaxPool2d(kernel_size=2, stride=1)`` (its arguments are not read). Nothing is imported from student text and
nothing is evaluated: a path is a chain of ``getattr`` from the ``torch`` package (``nn.`` abbreviates
``torch.nn.``, ``F.`` ``torch.nn.functional.``), private names refused. Diagnosed: the right class under a path
where it does not resolve (``torch.MaxPool2d``) is ``module-path``; the function ``F.max_pool2d`` is
``functional-form``; ``nn.MaxPool2D`` is ``module-capitalisation``. Without torch installed, paths are compared
as text against those spellings.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import cache
from typing import Any

from grader.checkers.common import graded, pooling_kind
from grader.checkers.reference import Reference
from grader.checkers.values import UnreadableAnswer
from grader.diagnose import Finding
from grader.result import PartResult
from symconv.spec import Part

_PATH = re.compile(r"([A-Za-z][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z][A-Za-z0-9_]*)*)(?:\s*\(.*\))?", re.S)
# markup around a name (each pattern's one group is the inside): \text{...}, \texttt{...}, \verb|...|, backticks,
# $...$, \(...\); the arguments of a constructor call are never read
_WRAPPERS = tuple(re.compile(p, re.S) for p in (
    r"\\(?:text|texttt|mathtt|mathrm|textrm|textsf|mathsf|code|operatorname|textbf|mathbf|emph|textit|mathit|"
    r"underline)\s*\{(.*)\}",
    r"\\href\s*\{[^{}]*\}\s*\{(.*)\}", r"\[([^\[\]]*)\]\([^()]*\)",          # \href{url}{text}, [text](url)
    r"\\verb\|(.*)\|", r"\\verb\+(.*)\+", r"`+(.*?)`+", r"\$+(.*?)\$+", r"\\\((.*)\\\)", r'"(.*)"', r"'(.*)'",
    r"“(.*)”", r"\*\*(.*)\*\*", r"__(.*)__", r"\*(.*)\*",
    r"(?i:answer|ans\.?)\s*[:：]\s*(.*)"))
_PACKAGES = {"torch", "nn", "F", "torch.nn", "torch.nn.functional", "nn.functional", "torch.nn.modules"}
FUNCTIONAL = {"max": "max_pool2d", "avg": "avg_pool2d", "lp": "lp_pool2d"}


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


def _unwrap(text: str) -> str:
    """The text inside markup: ``$\\texttt{nn.MaxPool2d}$.`` -> ``nn.MaxPool2d``.

    >>> _unwrap(r"$\\texttt{nn.MaxPool2d}$."), _unwrap("`torch.nn.AvgPool2d`"), _unwrap(r"\\text{nn.LPPool2d}")
    ('nn.MaxPool2d', 'torch.nn.AvgPool2d', 'nn.LPPool2d')
    """
    for _ in range(6):
        text = text.strip().rstrip(".,;:!。．，；：").strip().replace("\\_", "_")
        inside = next((m.group(1) for w in _WRAPPERS if (m := w.fullmatch(text))), None)
        if inside is None:
            return text
        text = inside
    return text


def _path(value: Any) -> str:
    """The dotted name an answer gives (markup and constructor arguments dropped)."""
    text = _unwrap(value) if isinstance(value, str) else ""
    m = _PATH.fullmatch(text)
    if m is None or re.sub(r"\s+", "", m.group(1)) in _PACKAGES:   # "nn." is a path cut short
        raise UnreadableAnswer("expected a module path like torch.nn.Name")
    return re.sub(r"\s+", "", m.group(1))


def _full(path: str) -> str:
    """``nn.X`` and ``F.x`` spelt out from ``torch``."""
    head, _, rest = path.partition(".")
    return {"nn": "torch.nn." + rest, "F": "torch.nn.functional." + rest}.get(head, path) if rest else path


def _judge(given: str, expected: str, kind: str) -> str:
    """"right", "module-path", "functional-form", "module-capitalisation" or "wrong"."""
    name = expected.rpartition(".")[2]
    last = given.rpartition(".")[2]
    functional = FUNCTIONAL.get(kind, "")
    if given == name:   # the bare class name: the question already says torch.nn
        return "right"
    if _torch() is None:
        spellings = {expected, "nn." + name, "torch.nn.modules.pooling." + name}
        if given in spellings:
            return "right"
    else:
        obj = resolve(_full(given))
        if obj is not None and obj is resolve(expected):
            return "right"
    prefix = given.rpartition(".")[0]
    torch_path = prefix in ("", "nn", "F") or prefix == "torch" or prefix.startswith("torch.")
    if last == name and torch_path:
        return "module-path"
    if last == functional and torch_path:
        return "functional-form"
    if last.lower() == name.lower() and torch_path and _judge(f"{prefix}.{name}".lstrip("."), expected, kind) \
            == "right":
        return "module-capitalisation"
    return "wrong"


def check_modules(ref: Reference, part: Part, answer: Any) -> PartResult:
    """The torch.nn module named for each pooling kind, resolved against the installed torch (or the static table
    without it): a wrong path, the functional form or a different capitalisation is diagnosed."""
    expected = ref.solution.pool_modules
    if not isinstance(answer, dict):
        raise UnreadableAnswer("expected one module per pooling: {max: ..., avg: ..., lp: ...}")
    given = {pooling_kind(k): v for k, v in answer.items()}
    share = part.points / len(expected)
    score, lines, findings, review = 0.0, [], [], []
    for kind, path in expected.items():
        if kind not in given or given[kind] is None or str(given[kind]).strip() == "":
            lines.append(f"{kind}: no answer; expected {path}")
            continue
        try:
            text = _path(given[kind])
        except UnreadableAnswer as error:
            lines.append(f"{kind}: could not read your answer: {error}")
            review.append(f"your {kind} answer")
            continue
        verdict = _judge(text, path, kind)
        if verdict == "right":
            score += share
        elif verdict != "wrong":
            score += share * (1.0 - ref.cost(verdict))
            findings.append(Finding(verdict, f"{kind}: {text} should be {path}"))
        else:
            lines.append(f"{kind}: {text} is not the module for {kind} pooling; expected {path}")
    expected_text = ", ".join(expected.values())
    return graded(part, score, lines=lines, findings=findings, expected_latex=r"\texttt{" + expected_text + "}",
                  cost=ref.cost, raw=answer, review=review)


def warm(ref: Reference, part: Part) -> None:
    """Resolve the pooling modules in the installed torch before a batch forks."""
    for path in ref.solution.pool_modules.values():
        resolve(path)

