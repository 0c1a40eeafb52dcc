"""A spec's ``network:`` section: an input shape and a stack of layers with PyTorch's names and arguments, for the
exercises about a whole network (shapes with channels, parameter and multiply-add counts, the receptive field).

.. code-block:: yaml

    network:
      input: [3, 32, 32]          # channels, height, width
      layers:
        - {type: Conv2d, in_channels: 3, out_channels: 16, kernel_size: 3, padding: 1}
        - ReLU
        - {type: MaxPool2d, kernel_size: 2}

A layer's type is a torch.nn class name (any case); its keys are that class's arguments. A misspelt type or key is
an error with the nearest valid name, and the stack is walked when the spec loads, so an impossible layer is an
error naming it.

>>> net = parse_network({"input": [1, 5, 5], "layers": [{"type": "conv2d", "in_channels": 1, "out_channels": 2,
...                                                        "kernel_size": 3}, "relu"]}, "<spec>", {})
>>> type(net.layers[0]).__name__, net.layers[0].out_channels, net.shapes()
('Conv2d', 2, [(2, 3, 3), (2, 3, 3)])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from symconv.errors import ConfigError, SpecError
from symconv.spec_file import unknown_name
from symconv.stack import LAYERS, Layer, Shape, output_shape

#: Layer types by lower-case name (``conv2d`` -> Conv2d).
TYPES = {cls.__name__.lower(): cls for cls in LAYERS}


@dataclass(frozen=True)
class Network:
    """The input shape (C, H, W) and the layers, in order."""

    input: Shape
    layers: tuple[Layer, ...]

    def shapes(self) -> list[Shape]:
        """The shape after each layer (:func:`symconv.stack.output_shape`)."""
        return output_shape(self.layers, self.input)


def parse_network(data: Any, where: str, lines: dict[str, int]) -> Network:
    """The ``network:`` section as a Network, checked: known layer types and arguments (a misspelling gets the
    spec's did-you-mean error, :func:`symconv.spec_file.unknown_name`), whole-number shapes, a stack PyTorch
    would run."""
    if not isinstance(data, dict):
        raise SpecError(where, "network must be a mapping with 'input' and 'layers'")
    for key in data:
        if key not in ("input", "layers"):
            raise unknown_name(where, lines, "network", str(key), ("input", "layers"))
    shape = data.get("input")
    if not (isinstance(shape, list) and len(shape) == 3 and all(type(n) is int and n >= 1 for n in shape)):
        raise SpecError(where, "network.input must be [channels, height, width], three whole numbers >= 1")
    items = data.get("layers")
    if not isinstance(items, list) or not items:
        raise SpecError(where, "network.layers must be a non-empty list of layers")
    layers = tuple(_layer(item, f"network.layers[{k}]", where, lines) for k, item in enumerate(items))
    net = Network(tuple(shape), layers)
    try:
        net.shapes()
    except ConfigError as err:
        raise SpecError(where, f"network: {err}") from None
    return net


def _layer(item: Any, path: str, where: str, lines: dict[str, int]) -> Layer:
    """One layer: ``ReLU`` (a name alone) or a mapping with ``type`` and the class's arguments."""
    args: dict[str, Any] = {}
    if isinstance(item, str):
        name = item
    elif isinstance(item, dict) and isinstance(item.get("type"), str):
        name, args = item["type"], {str(k): v for k, v in item.items() if k != "type"}
    else:
        raise SpecError(where, f"{path}: a layer is a type name (ReLU) or a mapping with `type:`")
    cls = TYPES.get(name.lower())
    if cls is None:
        raise unknown_name(where, lines, path, name, [c.__name__ for c in LAYERS], "layer type")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in args:
        if key not in fields:
            raise unknown_name(where, lines, path, key, list(fields), f"{cls.__name__} argument")
    missing = [f.name for f in fields.values() if f.name not in args
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise SpecError(where, f"{path} ({cls.__name__}): missing {', '.join(missing)}")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
    return cls(**values)
