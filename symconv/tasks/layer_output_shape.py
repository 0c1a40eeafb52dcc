"""Task ``layer-output-shape``: the shape (channels × height × width) after the network's layer ``layer:``
(default: the last). Students write it C×H×W or H×W×C; both orders are read.

>>> from symconv.spec import load_spec
>>> from symconv import derive_solution
>>> sol = derive_solution(load_spec({"name": "n", "network": {"input": [3, 32, 32], "layers": [{"type": "Conv2d",
...     "in_channels": 3, "out_channels": 32, "kernel_size": 4}]}, "problems": [{"id": "1", "parts": [
...     {"id": "a", "task": "layer-output-shape", "points": 1}]}]}))
>>> value(sol, sol.spec.parts[0]), [a.code for a in alternatives(sol, sol.spec.parts[0])][:3]
((32, 29, 29), ['channels-wrong', 'output-size-off-by-one', 'output-size-off-by-one'])
"""

from __future__ import annotations

from dataclasses import replace

from pylatex.base_classes import Container

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.errors import ConfigError
from symconv.solution import Solution
from symconv.spec import Part
from symconv.stack import AvgPool2d, Conv2d, MaxPool2d, Shape, output_shape
from symconv.tasks._network import PART_KEYS, layer_index, layer_name, network, rows, rules_text, shape_tex, table
from symconv.tasks.base import Alternative, Task, distinct

# The shape rule of each kind of layer, as the document states it (only the kinds a table has).
RULES = {"conv": r"a convolution gives one channel per filter ($C_\text{out}$) and, along each axis, "
                 r"$\lfloor (I + 2P - D(K - 1) - 1)/S \rfloor + 1$ entries",
         "pool": "pooling keeps the channels and sizes each axis by the same rule, its stride by default its "
                 "kernel size",
         "relu": "ReLU keeps the shape",
         "flatten": r"flattening makes one vector of $C \cdot H \cdot W$ entries",
         "linear": r"a linear layer gives $n_\text{out}$ entries"}


def value(sol: Solution, part: Part) -> Shape:
    """The shape after the part's layer (the last without ``layer:``)."""
    net = network(sol.spec)
    return net.shapes()[(layer_index(sol.spec, part) or len(net.layers)) - 1]


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The shape with the layer's input channels kept, off by one spatially, and without any padding."""
    net = network(sol.spec)
    k = layer_index(sol.spec, part) or len(net.layers)
    right = value(sol, part)
    before = net.input if k == 1 else net.shapes()[k - 2]
    alts = []
    if len(right) == 3:
        alts.append(Alternative("channels-wrong", (before[0], *right[1:])))
        alts += [Alternative("output-size-off-by-one", (right[0], right[1] + d, right[2] + d)) for d in (-1, 1)]
        unpadded = [replace(layer, padding=0) if isinstance(layer, Conv2d | MaxPool2d | AvgPool2d) else layer
                    for layer in net.layers[:k]]
        try:
            alts.append(Alternative("padding-forgotten", output_shape(unpadded, net.input)[-1]))
        except ConfigError:   # without padding the stack would not fit: no such mistake to make
            pass
    return distinct(right, alts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The shape after each layer up to the part's, each spatial size by the output-size rule."""
    k = layer_index(sol.spec, part) or len(network(sol.spec).layers)
    prose(box, rules_text(sol.spec, part, RULES, lambda p: range(1, (layer_index(sol.spec, p) or k) + 1)))
    body = [[layer_name(r), shape_tex(r.output_shape)] for r in rows(network(sol.spec)) if r.index <= k]
    table(box, [r"\text{layer}", r"\text{output}"], body)
    prose(box, f"After layer {k} the shape is ${shape_tex(value(sol, part))}$ (channels first, as PyTorch "
               "stores it).")


TASK = Task("layer-output-shape", render, checker="grader.checkers.counts:check_shape", needs=("network",),
            keys=PART_KEYS, value=value, part_alternatives=alternatives, locate="grader.writeup.locate:find_number")
