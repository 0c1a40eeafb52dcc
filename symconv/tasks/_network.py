"""What the network tasks share: the layer a part asks about (``layer:`` in the part, 1-based; default the last),
the stack's table, and the document's table of it.

>>> from symconv.spec import load_spec
>>> spec = load_spec({"name": "n", "network": {"input": [1, 5, 5], "layers": [{"type": "Conv2d", "in_channels": 1,
...     "out_channels": 2, "kernel_size": 3}]}, "problems": []})
>>> [row.parameters for row in rows(spec.network)]
[20]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pylatex.base_classes import Container

from symconv.document.blocks import display
from symconv.errors import SpecError
from symconv.network import Network
from symconv.spec import Part, Spec
from symconv.stack import LayerSummary, summary

PART_KEYS = {"problems[].parts[]": ("layer",)}


def network(spec: Spec) -> Network:
    """The spec's network section (a task that uses it declares ``needs=("network",)``)."""
    assert spec.network is not None   # checked when the spec loads
    return spec.network


def rows(net: Network) -> list[LayerSummary]:
    """The stack walked layer by layer (:func:`symconv.stack.summary`)."""
    return summary(net.layers, net.input)


def layer_index(spec: Spec, part: Part) -> int | None:
    """The 1-based layer a part asks about, or None for the whole network; a SpecError for a layer that is not
    there."""
    layer = part.options.get("layer")
    if layer is None:
        return None
    count = len(network(spec).layers)
    if type(layer) is not int or not 1 <= layer <= count:
        raise SpecError(spec.source, f"part {part.id}: layer must be a layer number from 1 to {count}, "
                                     f"not {layer!r}")
    return layer


def _pair(value: Any) -> str:
    h, w = (value, value) if isinstance(value, int) else tuple(value)
    return rf"{h} \times {w}" if h != w else str(h)


def layer_name(row: LayerSummary) -> str:
    """A layer as a table cell in maths: its type, channels, kernel, and the stride, padding and dilation that are
    not the default."""
    layer: Any = row.layer
    parts = []
    name = rf"\text{{{type(layer).__name__}}}"
    if hasattr(layer, "in_channels"):
        parts.append(rf"{layer.in_channels} \to {layer.out_channels}")
    if hasattr(layer, "in_features"):
        parts.append(rf"{layer.in_features} \to {layer.out_features}")
    if hasattr(layer, "kernel_size"):
        k = layer.kernel_size
        parts.append(rf"{k} \times {k}" if isinstance(k, int) else rf"{k[0]} \times {k[1]}")
    for key, short, default in (("stride", "s", 1), ("padding", "p", 0), ("dilation", "d", 1)):
        value = getattr(layer, key, default)
        if value is not None and value != default and value != (default, default):
            parts.append(rf"{short} = {_pair(value)}")
    return name + (r"\ " + r",\ ".join(parts) if parts else "")


def shape_tex(shape: tuple[int, ...]) -> str:
    """(32, 29, 29) as 32 \\times 29 \\times 29."""
    return r" \times ".join(str(n) for n in shape)


def kind(layer: object) -> str:
    """A layer's kind, as a rule in a document speaks of it: ``conv``, ``pool``, ``relu``, ``flatten`` or
    ``linear``."""
    name = type(layer).__name__
    return "pool" if name.endswith("Pool2d") else {"Conv2d": "conv"}.get(name, name.lower())


def rules_text(spec: Spec, part: Part, rules: dict[str, str], shown: Callable[[Part], Iterable[int]],
               lead: str = "") -> str:
    """``lead`` and the rule of each kind of layer among the 1-based layers ``shown(part)`` lists, joined by
    semicolons (only the kinds the table has, in ``rules``' order); when an earlier part of the same task stated
    some of them, a reference to that part and only the rules it did not state.

    >>> from symconv.spec import load_spec
    >>> spec = load_spec({"name": "n", "network": {"input": [1, 5, 5], "layers": [{"type": "Conv2d",
    ...     "in_channels": 1, "out_channels": 2, "kernel_size": 3}, "ReLU"]}, "problems": [{"id": "1", "parts": [
    ...     {"id": "a", "task": "parameter-count", "layer": 1, "points": 1},
    ...     {"id": "b", "task": "parameter-count", "points": 1}]}]})
    >>> rules = {"conv": "a convolution has weights", "relu": "ReLU has none"}
    >>> a, b = spec.parts
    >>> shown = {"a": [1], "b": [1, 2]}
    >>> rules_text(spec, a, rules, lambda p: shown[p.id]), rules_text(spec, b, rules, lambda p: shown[p.id])
    ('A convolution has weights:', 'As in part a, layer by layer (ReLU has none):')
    """
    layers = network(spec).layers

    def kinds(p: Part) -> set[str]:
        return {kind(layers[k - 1]) for k in shown(p)}
    before = [p for p in spec.parts[:spec.parts.index(part)] if p.task == part.task]
    stated = set().union(*(kinds(p) for p in before)) if before else set()
    new = [text for key, text in rules.items() if key in kinds(part) - stated]
    if before:
        return f"As in part {before[0].id}, layer by layer" + (f" ({'; '.join(new)}):" if new else ":")
    text = "; ".join([lead, *new] if lead else new)
    return text[:1].upper() + text[1:] + ":"


def table(box: Container, head: list[str], body: list[list[Any]]) -> None:
    """A small table as an array in display maths (numbers right-aligned); ``head`` is maths too."""
    cols = "l" + "r" * (len(head) - 1)
    rows_tex = r" \\ ".join(" & ".join(str(c) for c in row) for row in body)
    box.append(display(rf"\begin{{array}}{{{cols}}}" + " & ".join(head) + r" \\ \hline " + rows_tex
                       + r"\end{array}"))
