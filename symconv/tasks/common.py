"""What several tasks share: the convolution's configuration, its shapes, names as LaTeX, the index rule.

>>> from symconv.spec import load_spec
>>> spec = load_spec()
>>> conv_config(spec), output_shape(spec), symbol("A_1")
({'stride': (1, 1), 'padding': (0, 0), 'dilation': (1, 1), 'flip': False}, (3, 3), 'A_{1}')
>>> other_mode_code(spec)
'flipped-kernel'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import aligned_rows, prose
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.sizes import output_size, pool_output_size

if TYPE_CHECKING:
    from symconv.solution import Solution
    from symconv.spec import Part, Spec


def conv_config(spec: Spec) -> dict[str, Any]:
    """The convolution's stride, padding, dilation and flip (``convolution.mode: convolution``: true convolution)
    as keyword arguments of :func:`symconv.conv2d`, :func:`symconv.conv2d_grad` and the chain rules."""
    c = spec.conv
    return dict(stride=c.stride, padding=c.padding, dilation=c.dilation, flip=c.flip)


def other_mode_code(spec: Spec) -> str:
    """The diagnosis code of an answer computed for the other operation (the kernel rotated when the problem
    does not rotate it, or not rotated when it does): ``flipped-kernel`` for a cross-correlation problem,
    ``unflipped-kernel`` for a true-convolution one (``convolution.mode``)."""
    return "unflipped-kernel" if spec.conv.flip else "flipped-kernel"


def output_shape(spec: Spec) -> tuple[int, int]:
    """The convolution output's shape, from the spec's sizes alone (before anything is derived)."""
    c = spec.conv
    a, b = spec.matrices[c.input].shape, spec.matrices[c.kernel].shape
    rows, cols = (output_size(a[k], b[k], padding=c.padding[k], stride=c.stride[k], dilation=c.dilation[k])
                  for k in (0, 1))
    return rows, cols


def pooled_shape(spec: Spec) -> tuple[int, int]:
    """The pooling output's shape, from the spec's sizes alone (the pooling's input may be the convolution's
    output or one of the spec's matrices)."""
    pool = spec.pooling
    assert pool is not None   # a pooling task needs the pooling section (checked when the spec is loaded)
    pin = spec.matrices[pool.input].shape if pool.input in spec.matrices else output_shape(spec)
    rows, cols = (pool_output_size(pin[k], pool.kernel_size[k], stride=pool.stride[k], padding=pool.padding[k])
                  for k in (0, 1))
    return rows, cols


def symbol(name: str) -> str:
    """A matrix name as LaTeX (``A_1`` -> ``A_{1}``)."""
    return latex(sympy.Symbol(name))


def index_rule(sol: Solution, axis: int, out: str, k: str) -> str:
    """The input index that output index ``out`` meets through kernel index ``k`` (1-based), simplified by
    SymPy from the spec's stride, padding and dilation: S(u - 1) + D(m - 1) + 1 - P; for true convolution the
    kernel is rotated, so kernel index m sits at K + 1 - m: S(u - 1) + D(K - m) + 1 - P."""
    c = sol.spec.conv
    u, m = sympy.Symbol(out), sympy.Symbol(k)
    tap = sol.kernel.shape[axis] - m if c.flip else m - 1
    return latex(c.stride[axis] * (u - 1) + c.dilation[axis] * tap + 1 - c.padding[axis])


def entry_fields(spec: Spec, name: str) -> list[str]:
    """One answer line per entry of matrix ``name``, named as its entries are written (``A_{11}``, or ``A_{1}`` ...
    with ``convolution.index: flat``)."""
    rows, cols = spec.matrices[name].shape
    if spec.conv.index == "flat":
        return [f"{name}_{{{k}}}" for k in range(1, rows * cols + 1)]
    return [f"{name}_{{{i}{j}}}" for i in range(1, rows + 1) for j in range(1, cols + 1)]


def part_choice(spec: Spec, part: Part, key: str, choices: list[str], default: str, what: str) -> str:
    """The value of the part's own key ``key`` (``output:``, ``wrt:``), ``default`` without it; a one-line SpecError
    naming the part and the valid ``choices`` (described as ``what``) for anything else.

    >>> from symconv.spec import Part, load_spec
    >>> part_choice(load_spec(), Part("x", "convolution", 1, options={"wrt": "B"}), "wrt", ["A", "B"], "A", "a matrix")
    'B'
    """
    name = part.options.get(key, default)
    if name not in choices:
        raise SpecError(spec.source, f"part {part.id}: {key} must be {what} ({', '.join(choices)}), not {name!r}")
    return str(name)


def representatives(rules: Mapping[tuple[int, int], Any]) -> list[tuple[int, int]]:
    """One entry (1-based key) per distinct number of chain-rule terms, the first in row-major order: what a
    summary document shows of a chain-rule part."""
    seen: dict[int, tuple[int, int]] = {}
    for key in sorted(rules):
        seen.setdefault(len(rules[key].terms), key)
    return sorted(seen.values())


def chain_equations(box: Container, rules: Mapping[tuple[int, int], Any], summary: bool, summary_text: str,
                    full_text: str, equation: Callable[[tuple[int, int]], list[str]]) -> None:
    """A chain-rule part's numbered equations: every entry, or in a summary one per number of terms, after the
    sentence that says which."""
    prose(box, summary_text if summary else full_text)
    keys = representatives(rules) if summary else sorted(rules)
    box.append(aligned_rows([equation(key) for key in keys], numbered=True))
