"""Task ``multiply-adds``: the multiply-adds (MACs) of the network's layer ``layer:`` (1-based), or of the whole
network. Convention (stated in the document): one multiply-add per weight per output position; the bias additions
are not counted (:func:`symconv.stack.multiply_adds`).

>>> from symconv.spec import load_spec
>>> from symconv import derive_solution
>>> sol = derive_solution(load_spec({"name": "n", "network": {"input": [3, 8, 8], "layers": [{"type": "Conv2d",
...     "in_channels": 3, "out_channels": 4, "kernel_size": 3}]}, "problems": [{"id": "1", "parts": [
...     {"id": "a", "task": "multiply-adds", "points": 1}]}]}))
>>> value(sol, sol.spec.parts[0]), [(a.code, a.value) for a in alternatives(sol, sol.spec.parts[0])]
(3888, [('channels-forgotten', 1296), ('macs-per-input-position', 6912)])
"""

from __future__ import annotations

from math import prod

from pylatex.base_classes import Container

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part
from symconv.stack import Conv2d, LayerSummary
from symconv.tasks._network import PART_KEYS, layer_index, layer_name, network, rows, rules_text, shape_tex, table
from symconv.tasks.base import Alternative, Task, distinct

# The cost of each kind of layer, as the document states it (only the kinds a table has).
RULES = {"conv": r"counting one multiply-add per weight per output position (the bias additions not counted), a "
                 r"convolution costs (output entries) $\cdot\, (C_\text{in}/\text{groups}) \cdot k_h k_w$",
         "linear": r"a linear layer costs $n_\text{in} n_\text{out}$",
         "pool": "pooling costs no multiply-adds", "relu": "ReLU costs none", "flatten": "flattening costs none"}


def _rows(sol: Solution, part: Part) -> list[LayerSummary]:
    k = layer_index(sol.spec, part)
    return [r for r in rows(network(sol.spec)) if k is None or r.index == k]


def value(sol: Solution, part: Part) -> int:
    """The multiply-adds of the part's layer, or of every layer."""
    return sum(r.multiply_adds for r in _rows(sol, part))


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The count with each filter one channel deep (input channels forgotten), and counted per input position
    instead of per output position."""
    flat = per_input = 0
    for r in _rows(sol, part):
        if isinstance(r.layer, Conv2d):
            depth = r.input_shape[0] // r.layer.groups
            flat += r.multiply_adds // depth
            per_input += r.multiply_adds // prod(r.output_shape[1:]) * prod(r.input_shape[1:])
        else:
            flat, per_input = flat + r.multiply_adds, per_input + r.multiply_adds
    return distinct(value(sol, part), [Alternative("channels-forgotten", flat),
                                       Alternative("macs-per-input-position", per_input)])


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """Each layer's output positions times its weights per position, and the total asked for."""
    prose(box, rules_text(sol.spec, part, RULES, lambda p: [r.index for r in _rows(sol, p)]))
    table(box, [r"\text{layer}", r"\text{output}", r"\text{multiply-adds}"],
          [[layer_name(r), shape_tex(r.output_shape), r.multiply_adds] for r in _rows(sol, part)])
    k = layer_index(sol.spec, part)
    prose(box, (f"Layer {k} takes" if k is not None else "Altogether the network takes")
          + f" ${value(sol, part)}$ multiply-adds.")


TASK = Task("multiply-adds", render, checker="grader.checkers.counts:check_count", needs=("network",),
            keys=PART_KEYS, value=value, part_alternatives=alternatives, locate="grader.writeup.locate:find_number")
