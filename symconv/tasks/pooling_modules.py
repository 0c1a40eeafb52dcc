"""Task ``pooling-modules``: the torch.nn modules for max, average and LP pooling.

An answer names the three modules (answer-sheet fields ``max``, ``avg``, ``lp``); the grader resolves what the
student wrote against the installed torch (:func:`grader.checkers.modules.check_modules`).

>>> from symconv.spec import load_spec
>>> TASK.fields(load_spec())
['max', 'avg', 'lp']
"""

from __future__ import annotations

from pylatex import Itemize, NoEscape
from pylatex.base_classes import Container
from pylatex.utils import escape_latex

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.solution import POOL_MODULES, Solution, check_pool_modules
from symconv.spec import Part
from symconv.tasks.base import Task

_MODULE_ROLES = {"max": "max pooling", "avg": "average pooling", "lp": "LP pooling"}


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The three torch.nn modules with the spec's arguments, and whether their paths were checked."""
    pool = sol.spec.pooling
    items = Itemize()
    for kind, path in sol.pool_modules.items():
        args = ""
        if pool is not None:
            k, s = (pool.kernel_size[0] if pool.kernel_size[0] == pool.kernel_size[1] else pool.kernel_size,
                    pool.stride[0] if pool.stride[0] == pool.stride[1] else pool.stride)
            args = f"kernel_size={k}, stride={s}"
            args = f"norm_type=p, {args}" if kind == "lp" else args
        items.add_item(NoEscape(rf"{escape_latex(_MODULE_ROLES[kind])}: "
                                rf"\texttt{{{escape_latex(path)}({escape_latex(args)})}}"))
    box.append(items)
    if opts.verified_notes:   # student-facing: which PyTorch, not which installed build
        prose(box, "These import paths were checked against PyTorch." if check_pool_modules()
                   else "(PyTorch was not available, so these paths were not checked against it.)", end=True)


TASK = Task("pooling-modules", render, checker="grader.checkers.modules:check_modules",
            fields=lambda spec: list(POOL_MODULES), locate="grader.writeup.pooling:find_modules",
            warm="grader.checkers.modules:warm")
