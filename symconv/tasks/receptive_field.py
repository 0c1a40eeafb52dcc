"""Task ``receptive-field``: how many input cells (per axis) one output of the network's layer ``layer:`` sees
(default: the last layer), by the recurrence r ← r + (k_eff − 1)·j, j ← j·s (:func:`symconv.stack.receptive_field`).

>>> from symconv.spec import load_spec
>>> from symconv import derive_solution
>>> conv = {"type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": 3}
>>> sol = derive_solution(load_spec({"name": "n", "network": {"input": [1, 32, 32], "layers": [conv,
...     {"type": "MaxPool2d", "kernel_size": 2}, conv]}, "problems": [{"id": "1", "parts": [
...     {"id": "a", "task": "receptive-field", "points": 1}]}]}))
>>> value(sol, sol.spec.parts[0]), [(a.code, a.value) for a in alternatives(sol, sol.spec.parts[0])]
((8, 8), [('stride-ignored', (6, 6))])
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part
from symconv.stack import FieldStep, receptive_field
from symconv.tasks._network import PART_KEYS, layer_index, network, rows, rules_text, table
from symconv.tasks._network import layer_name as name_of
from symconv.tasks.base import Alternative, Task, distinct

# The recurrence, as the document states it, and what it means for the layers that are not convolutions.
RECURRENCE = (r"starting from one input cell ($r = 1$, jump $j = 1$), each layer with effective kernel "
              r"$k_\text{eff} = d(k - 1) + 1$ and stride $s$ gives $r \leftarrow r + (k_\text{eff} - 1)\,j$ and "
              r"$j \leftarrow j\,s$")
RULES = {"pool": "a pooling window counts as a kernel", "relu": "ReLU changes neither"}


def _steps(sol: Solution, part: Part) -> list[FieldStep]:
    net = network(sol.spec)
    k = layer_index(sol.spec, part) or len(net.layers)
    return receptive_field(net.layers[:k], net.input)


def value(sol: Solution, part: Part) -> tuple[int, int]:
    """The receptive field (rows, columns) of one output of the part's layer."""
    return _steps(sol, part)[-1].size


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The field with every stride taken as 1 (the kernels' extents summed: r = 1 + Σ (k_eff − 1))."""
    steps = _steps(sol, part)
    summed = tuple(1 + sum(s.kernel[a] - 1 for s in steps) for a in (0, 1))
    return distinct(value(sol, part), [Alternative("stride-ignored", summed)])


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The recurrence, a row per layer (effective kernel, stride, field, jump), and the answer."""
    prose(box, rules_text(sol.spec, part, RULES, lambda p: [s.index for s in _steps(sol, p)],
                          RECURRENCE))
    names = {r.index: name_of(r) for r in rows(network(sol.spec))}
    steps = _steps(sol, part)
    table(box, [r"\text{layer}", r"k_\text{eff}", "s", "r", "j"],
          [[names[s.index], _axis(s.kernel), _axis(s.stride), _axis(s.size), _axis(s.jump)] for s in steps])
    h, w = value(sol, part)
    size = str(h) if h == w else f"{h} \\times {w}"
    prose(box, f"One output of layer {steps[-1].index} sees ${size}$ input cells"
               + (f" (${h} \\times {w}$)." if h == w else "."))


def _axis(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}, {pair[1]}"


TASK = Task("receptive-field", render, checker="grader.checkers.counts:check_field", needs=("network",),
            keys=PART_KEYS, value=value, part_alternatives=alternatives, locate="grader.writeup.locate:find_number")
