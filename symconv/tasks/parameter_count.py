"""Task ``parameter-count``: the learnable parameters of the network's layer ``layer:`` (a part key, 1-based), or of
the whole network without it.

>>> from symconv.spec import load_spec
>>> from symconv import derive_solution
>>> sol = derive_solution(load_spec({"name": "n", "network": {"input": [3, 8, 8], "layers": [{"type": "Conv2d",
...     "in_channels": 3, "out_channels": 4, "kernel_size": 3}]}, "problems": [{"id": "1", "parts": [
...     {"id": "a", "task": "parameter-count", "points": 1}]}]}))
>>> value(sol, sol.spec.parts[0]), [(a.code, a.value) for a in alternatives(sol, sol.spec.parts[0])]
(112, [('bias-forgotten', 108), ('channels-forgotten', 40)])
"""

from __future__ import annotations

from dataclasses import replace

from pylatex.base_classes import Container

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.solution import Solution
from symconv.spec import Part
from symconv.stack import Conv2d, Layer, Linear, parameter_count
from symconv.tasks._network import PART_KEYS, layer_index, layer_name, network, rows, rules_text, table
from symconv.tasks.base import Alternative, Task, distinct


def _layers(sol: Solution, part: Part) -> list[Layer]:
    net, k = network(sol.spec), layer_index(sol.spec, part)
    return list(net.layers) if k is None else [net.layers[k - 1]]

# The parameter count of each kind of layer, as the document states it (only the kinds a table has).
RULES = {"conv": r"a convolution has $C_\text{out} \cdot (C_\text{in}/\text{groups}) \cdot k_h k_w$ weights and "
                 r"$C_\text{out}$ biases",
         "linear": r"a linear layer has $n_\text{in} n_\text{out}$ weights and $n_\text{out}$ biases",
         "pool": "pooling has no parameters", "relu": "ReLU has none", "flatten": "flattening has none"}


def value(sol: Solution, part: Part) -> int:
    """The parameters of the part's layer, or of every layer."""
    return sum(parameter_count(layer) for layer in _layers(sol, part))


def _without_channels(layer: Layer) -> Layer:
    return replace(layer, in_channels=layer.groups) if isinstance(layer, Conv2d) else layer


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The count without the biases, and with each filter one channel deep (the input channels forgotten)."""
    layers = _layers(sol, part)
    no_bias = [replace(layer, bias=False) if isinstance(layer, Conv2d | Linear) else layer for layer in layers]
    flat = [_without_channels(layer) for layer in layers]
    return distinct(value(sol, part), [
        Alternative("bias-forgotten", sum(parameter_count(layer) for layer in no_bias)),
        Alternative("channels-forgotten", sum(parameter_count(layer) for layer in flat))])


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """Each layer's weights and biases, and the total asked for."""
    table_rows = rows(network(sol.spec))
    k = layer_index(sol.spec, part)
    count = len(network(sol.spec).layers)
    def shown(p: Part) -> list[int]:
        index = layer_index(sol.spec, p)
        return [index] if index is not None else list(range(1, count + 1))

    prose(box, rules_text(sol.spec, part, RULES, shown))
    table(box, [r"\text{layer}", r"\text{parameters}"], [[layer_name(r), r.parameters] for r in table_rows
                                         if k is None or r.index == k])
    what = f"Layer {k} has" if k is not None else "Altogether the network has"
    prose(box, f"{what} ${value(sol, part)}$ parameters.")


TASK = Task("parameter-count", render, checker="grader.checkers.counts:check_count", needs=("network",),
            keys=PART_KEYS, value=value, part_alternatives=alternatives, locate="grader.writeup.locate:find_number")
