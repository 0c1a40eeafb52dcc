"""A spec's ``layers:`` section: numeric layers chained on real inputs (the forward result of every step, and the
gradients by walking back), for the exercises that take an input through a convolution, a ReLU and a pooling.

.. code-block:: yaml

    matrices: {X: [[[...]], [[...]]], W: <C_out x C_in/groups x kh x kw>, b: [1, -1]}
    layers:
      input: X                     # a matrix (one channel), a 3-D array (channels), a flat list (one sequence)
      steps:
        - {type: conv2d, weight: W, bias: b, stride: 1, padding: 1, output: Z}
        - {type: relu, output: R}
        - {type: maxpool2d, kernel_size: 2, output: Y}
      upstream: ones               # or a matrix's name, or symbolic (G_uv; upstream_name: G, loss: L)

A tensor is a list of channels (SymPy matrices); a 1-D sequence is a 1×L channel (PyTorch's conv1d is the 2-D
layer on rows, :mod:`symconv.sequence`). Each step is the engine's own function (:mod:`symconv.layer`,
:mod:`symconv.pooling`, :mod:`symconv.transposed`, :mod:`symconv.sequence`), and the forward pass runs when the
spec loads, so an impossible shape is an error naming its step.

>>> chain = parse_layers({"input": "X", "steps": [{"type": "conv2d", "weight": "W", "output": "Z"},
...     {"type": "relu", "output": "R"}]}, {"X": [[1, -2], [3, 4]], "W": [[1]]}, "<spec>", {})
>>> chain.outputs["R"]
[Matrix([
[1, 0],
[3, 4]])]
>>> gradients(chain)["W"]
[[Matrix([[8]])]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy

from symconv.errors import ConfigError, SpecError
from symconv.layer import bias_values, conv2d_layer, conv2d_layer_grad, filters, relu, relu_grad
from symconv.matrices import as_matrix, sym_matrix
from symconv.pooling import (
    avg_pool2d,
    avg_pool2d_grad,
    lp_pool2d,
    lp_pool2d_grad,
    max_pool2d,
    max_pool2d_grad,
    max_pool2d_routes,
)
from symconv.sequence import conv1d, conv1d_grad
from symconv.spec_file import unknown_name
from symconv.transposed import conv_transpose2d

Tensor = list[sympy.Matrix]   # channels

CONVS = ("conv2d", "conv1d", "conv_transpose2d")
POOLS = ("maxpool2d", "avgpool2d", "lppool2d")
#: Each step type's keys besides ``type`` and ``output`` (PyTorch's argument names).
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "conv2d": ("weight", "bias", "stride", "padding", "dilation", "groups", "flip"),
    "conv1d": ("weight", "bias", "stride", "padding", "dilation", "groups", "flip"),
    "conv_transpose2d": ("weight", "bias", "stride", "padding", "output_padding", "dilation", "groups"),
    "relu": (),
    "maxpool2d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avgpool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "lppool2d": ("norm_type", "kernel_size", "stride", "ceil_mode"),
}
REQUIRED = {"conv2d": ("weight",), "conv1d": ("weight",), "conv_transpose2d": ("weight",),
            "maxpool2d": ("kernel_size",), "avgpool2d": ("kernel_size",), "lppool2d": ("norm_type", "kernel_size")}
SECTION_KEYS = ("input", "steps", "upstream", "upstream_name", "loss")
_SCALAR = (int, float, str, tuple, sympy.Basic)
_BOOLS = ("flip", "ceil_mode", "count_include_pad")


@dataclass(frozen=True)
class Step:
    """One layer: its type, the name of its result, the names of its weight and bias, and its other arguments."""

    type: str
    output: str
    weight: str | None = None
    bias: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The step as the problem text names it: ``conv2d (W, b) -> Z``."""
        params = ", ".join(n for n in (self.weight, self.bias) if n)
        return f"{self.type}{f' ({params})' if params else ''} -> {self.output}"


@dataclass(frozen=True)
class Variant:
    """A forward pass under a mistaken assumption (a diagnosed alternative): kernels flipped, biases left out,
    ReLUs left out."""

    flip: bool = False
    bias: bool = True
    relu: bool = True


@dataclass(frozen=True)
class LayerChain:
    """The section: the input's name, the steps, every named operand (channels for tensors, the engine's layout
    for weights and biases), the upstream ∂L/∂(last output) and how the problem names it."""

    input: str
    steps: tuple[Step, ...]
    operands: Mapping[str, Any]
    upstream: str = "ones"            # "ones", "symbolic" or a matrix's name
    upstream_name: str = "G"
    loss: str = "L"
    outputs: Mapping[str, Tensor] = field(default_factory=dict, compare=False, repr=False)

    @property
    def last(self) -> str:
        """The name of the last step's output."""
        return self.steps[-1].output

    def step(self, output: str) -> int:
        """The index of the step whose output is ``output``."""
        return [s.output for s in self.steps].index(output)

    def input_of(self, k: int) -> str:
        """The name of the tensor step ``k`` reads."""
        return self.input if k == 0 else self.steps[k - 1].output

    def tensor(self, name: str) -> Tensor:
        """The chain's input or a step's output, by name."""
        return self.outputs[name] if name in self.outputs else self.operands[name]

    @cached_property
    def gradient(self) -> dict[str, Any]:
        """∂L/∂(every tensor and parameter) by walking back (:func:`gradients`), computed once."""
        return gradients(self)

    def upstream_tensor(self) -> Tensor:
        """∂L/∂(last output): ones, the named matrix, or symbols ``G_uv`` (one channel)."""
        out = self.outputs[self.last]
        if self.upstream == "ones":
            return [sympy.ones(*m.shape) for m in out]
        if self.upstream == "symbolic":
            return [sym_matrix(self.upstream_name, *out[0].shape)]
        return list(self.operands[self.upstream])


# --- the forward pass and the backward pass -------------------------------------------------------------------

def _rows(x: Tensor) -> Tensor:
    """A conv1d input as 1×L channels: one matrix of several rows is C×L (PyTorch's layout), a row per channel."""
    if len(x) == 1 and x[0].rows > 1:
        return [x[0][r, :] for r in range(x[0].rows)]
    return x


def _weight(step: Step, operands: Mapping[str, Any]) -> Any:
    return operands[step.weight] if step.weight else None


def _bias(step: Step, operands: Mapping[str, Any], variant: Variant = Variant()) -> Any:
    return operands[step.bias] if step.bias and variant.bias else None


def _conv_args(step: Step, variant: Variant) -> dict[str, Any]:
    args = dict(step.args)
    if variant.flip and step.type != "conv_transpose2d":
        args["flip"] = not args.get("flip", False)
    return args


def forward_step(step: Step, x: Tensor, operands: Mapping[str, Any], variant: Variant = Variant()) -> Tensor:
    """One step's output (channels) from its input ``x`` (channels).

    >>> forward_step(Step("maxpool2d", "Y", args={"kernel_size": 2}), [sympy.Matrix([[1, 5], [2, 3]])], {})
    [Matrix([[5]])]
    """
    w, b, a = _weight(step, operands), _bias(step, operands, variant), step.args
    if step.type == "conv2d":
        return conv2d_layer(x, w, b, **_conv_args(step, variant))
    if step.type == "conv1d":
        out = conv1d(sympy.Matrix.vstack(*_rows(x)), w, b, **_conv_args(step, variant))
        return [out[r, :] for r in range(out.rows)]
    if step.type == "conv_transpose2d":
        return list(conv_transpose2d(x, w, b, **a))
    if step.type == "relu":
        return [relu(m) for m in x] if variant.relu else list(x)
    pool: dict[str, Callable[..., sympy.Matrix]] = {"maxpool2d": max_pool2d, "avgpool2d": avg_pool2d,
                                                    "lppool2d": lp_pool2d}
    return [pool[step.type](m, **a) for m in x]


def forward(chain: LayerChain, variant: Variant = Variant(), upto: int | None = None) -> dict[str, Tensor]:
    """Every step's output by name (the input too), through step ``upto`` (default: all).

    >>> chain = parse_layers({"input": "X", "steps": [{"type": "relu", "output": "R"}]}, {"X": [[-1, 2]]},
    ...                      "<spec>", {})
    >>> forward(chain, Variant(relu=False))["R"]
    [Matrix([[-1, 2]])]
    """
    x = list(chain.operands[chain.input])
    out = {chain.input: x}
    for step in chain.steps[:None if upto is None else upto + 1]:
        x = forward_step(step, x, chain.operands, variant)
        out[step.output] = x
    return out


def _split_ties(x: sympy.Matrix, g: sympy.Matrix, args: Mapping[str, Any]) -> sympy.Matrix:
    """Max pooling's gradient with each window's upstream split among its tied maxima (a diagnosed mistake)."""
    grad = sympy.zeros(*x.shape)
    for row in max_pool2d_routes(x, **args):
        for r in row:
            for cell in r.ties:
                grad[cell] += g[r.window.u, r.window.v] / len(r.ties)
    return grad


@dataclass(frozen=True)
class Backward:
    """A backward pass under a mistaken assumption: the ReLU passing every gradient, max pooling splitting its
    gradient among tied maxima."""

    relu_gate: bool = True
    split_ties: bool = False


def backward_step(step: Step, x: Tensor, g: Tensor, operands: Mapping[str, Any],
                  mistake: Backward = Backward()) -> tuple[Tensor, Any, Any]:
    """(∂L/∂x, ∂L/∂weight, ∂L/∂bias) of one step, from its input ``x`` and ∂L/∂(its output) ``g``.

    >>> backward_step(Step("relu", "R"), [sympy.Matrix([[-1, 2]])], [sympy.Matrix([[5, 7]])], {})[0]
    [Matrix([[0, 7]])]
    """
    w, a = _weight(step, operands), step.args
    if step.type == "conv2d":
        gx, gw, gb = conv2d_layer_grad(x, w, g, **a)
        return gx, gw, gb
    if step.type == "conv1d":
        gx1, gw, gb = conv1d_grad(sympy.Matrix.vstack(*_rows(x)), w, sympy.Matrix.vstack(*g), **a)
        rows = [gx1[r, :] for r in range(gx1.rows)]
        return (rows if len(x) > 1 or x[0].rows == 1 else [gx1]), gw, gb
    if step.type == "conv_transpose2d":
        return _transposed_grad(x, w, g, a)
    if step.type == "relu":
        return ([relu_grad(m, gm) for m, gm in zip(x, g)] if mistake.relu_gate else list(g)), None, None
    if step.type == "maxpool2d":
        if mistake.split_ties:
            return [_split_ties(m, gm, a) for m, gm in zip(x, g)], None, None
        return [max_pool2d_grad(m, upstream=gm, **a) for m, gm in zip(x, g)], None, None
    if step.type == "avgpool2d":
        return [avg_pool2d_grad(m, upstream=gm, **a) for m, gm in zip(x, g)], None, None
    if step.type == "lppool2d":
        return [lp_pool2d_grad(m, upstream=gm, **a) for m, gm in zip(x, g)], None, None
    raise ConfigError("steps", f"no gradient through {step.type} in a layers: chain", step.output)


def _transposed_grad(x: Tensor, w: Any, g: Tensor, args: Mapping[str, Any]) -> tuple[Tensor, Any, Any]:
    """A transposed convolution's gradients from the convolution it transposes (same weights, stride, padding,
    dilation, groups): it is that convolution's input gradient, so its own input gradient is that convolution
    applied to ``g``, and its kernel gradient is that convolution's kernel gradient with ``x`` as the upstream.
    Where output_padding makes the convolution of ``g`` longer than ``x``, the extra entries met no input."""
    conv = {key: args[key] for key in ("stride", "padding", "dilation", "groups") if key in args}
    gx = conv2d_layer(g, w, **conv)
    rows, cols = x[0].shape
    upstream = [sympy.zeros(*m.shape) for m in gx]
    for u, m in zip(upstream, x):
        u[:rows, :cols] = m
    _, gw, _ = conv2d_layer_grad(g, w, upstream, **conv)
    return [m[:rows, :cols] for m in gx], gw, [sympy.Add(*m) for m in g]


def _add(old: Any, new: Any) -> Any:
    """Two gradients of one operand (used by two steps) added entry by entry, in any nesting."""
    if old is None:
        return new
    if isinstance(old, sympy.MatrixBase) or not isinstance(old, list):
        return old + new
    return [_add(a, b) for a, b in zip(old, new)]


def gradients(chain: LayerChain, mistake: Backward = Backward()) -> dict[str, Any]:
    """∂L/∂(every named tensor and parameter) for L = Σ upstream ⊙ (the last output): tensors as channels,
    weights in the engine's layout (C_out lists of C_in kernels), biases as lists; a parameter two steps share
    gets the sum.

    >>> chain = parse_layers({"input": "X", "steps": [{"type": "conv2d", "weight": "W", "bias": "b",
    ...     "output": "Z"}]}, {"X": [[1, 2]], "W": [[1]], "b": [3]}, "<spec>", {})
    >>> g = gradients(chain)
    >>> g["Z"], g["X"], g["W"], g["b"]
    ([Matrix([[1, 1]])], [Matrix([[1, 1]])], [[Matrix([[3]])]], [2])
    """
    g = chain.upstream_tensor()
    out: dict[str, Any] = {chain.last: g}
    for k in range(len(chain.steps) - 1, -1, -1):
        step = chain.steps[k]
        gx, gw, gb = backward_step(step, chain.tensor(chain.input_of(k)), g, chain.operands, mistake)
        if step.weight:
            out[step.weight] = _add(out.get(step.weight), gw)
        if step.bias:
            out[step.bias] = _add(out.get(step.bias), list(gb))
        g = out[chain.input_of(k)] = gx
    return out


# --- reading the section ----------------------------------------------------------------------------------------

def depth(value: Any) -> int:
    """How deeply lists nest (by their first items): 1 for a vector, 2 for a matrix, 3 for channels, 4 for filters.

    >>> depth([1, 2]), depth([[1, 2]]), depth([[[1]], [[2]]]), depth(3)
    (1, 2, 3, 0)
    """
    if isinstance(value, sympy.MatrixBase):   # a spec matrix the loader has read (numbers or symbols)
        return 2
    n = 0
    while isinstance(value, list | tuple) and value:
        value, n = value[0], n + 1
    return n


def is_array(value: Any) -> bool:
    """A spec matrix that is not 2-D (a bias vector, channels, filters): read by the layers: section.

    >>> is_array([[1, 2]]), is_array([1, -1]), is_array([[[1]]])
    (False, True, True)
    """
    return isinstance(value, list) and depth(value) in (1, 3, 4)


def _tensor(value: Any, name: str) -> Tensor:
    """A spec value as channels: a flat list (one 1×L sequence), a matrix (one channel), a 3-D array."""
    d = depth(value)
    if d == 1:
        return [as_matrix([value], f"matrices.{name}")]
    if d == 2:
        return [as_matrix(value, f"matrices.{name}")]
    if d == 3:
        out = [as_matrix(c, f"matrices.{name}[{k}]") for k, c in enumerate(value)]
        if len({m.shape for m in out}) != 1:
            raise ConfigError(f"matrices.{name}", "channels must all have one shape", [m.shape for m in out])
        return out
    raise ConfigError(f"matrices.{name}", "must be a sequence, a matrix or channels (a 3-D array)", f"{d}-D")


def _weight_value(value: Any, name: str, kind: str) -> Any:
    """A weight in the engine's layout: 4-D filters, or one 2-D kernel (one filter, one channel); for conv1d a
    3-D array (C_out x C_in/groups x k), a C_in×k filter, or one flat kernel."""
    d = depth(value)
    if kind == "conv1d":   # one filter as a C_in×k matrix, several as a list of them (symconv.sequence's layout)
        if d in (1, 2):
            return as_matrix([value] if d == 1 else value, f"matrices.{name}")
        if d == 3:
            return [as_matrix(f, f"matrices.{name}[{o}]") for o, f in enumerate(value)]
    elif d == 2:
        return [[as_matrix(value, f"matrices.{name}")]]
    elif d == 4:
        return filters(value, f"matrices.{name}")
    shapes = "C_out x C_in/groups x k, a C_in x k filter or a flat kernel" if kind == "conv1d" else \
        "4-D (C_out x C_in/groups x kh x kw, or C_in x C_out/groups x kh x kw when transposed) or one 2-D kernel"
    raise ConfigError(f"matrices.{name}", f"a {kind} weight must be {shapes}", f"{d}-D")


def _bias_value(value: Any, name: str) -> list[sympy.Expr]:
    d = depth(value)
    rows = value.tolist() if isinstance(value, sympy.MatrixBase) else value
    items = rows if d == 1 else rows[0] if d == 2 and len(rows) == 1 else None
    if items is None:
        raise ConfigError(f"matrices.{name}", "a bias is a list of values, one per output channel", f"{d}-D")
    return bias_values(items, len(items))


def parse_layers(data: Any, matrices: Mapping[str, Any], where: str, lines: dict[str, int]) -> LayerChain | None:
    """The ``layers:`` section as a LayerChain (None without one), checked: known keys and step types (a
    misspelling gets the spec's did-you-mean error, :func:`symconv.spec_file.unknown_name`), names of matrices that
    exist, unique output names, and a forward pass that runs (an impossible shape names its step). ``matrices``
    are the spec's ``matrices:``: as written, or already read (2-D ones may be symbolic); the arrays that are not
    2-D are this section's to read."""

    arrays = [str(k) for k, v in matrices.items() if is_array(v)]
    if data is None:
        if arrays:
            raise SpecError(where, f"matrices.{arrays[0]}: a {depth(matrices[arrays[0]])}-D array is read only by a "
                                   "layers: section (give a 2-D matrix)")
        return None
    if not isinstance(data, dict):
        raise SpecError(where, "layers must be a mapping with 'input' and 'steps'")
    for name in arrays:   # names become symbols and reach LaTeX (the loader checks the 2-D ones)
        if not name.isalpha() or not name.isascii():
            raise SpecError(where, f"matrices.{name}: a matrix name must be letters only, like X or W")
    for key in data:
        if str(key) not in SECTION_KEYS:
            raise unknown_name(where, lines, "layers", str(key), SECTION_KEYS)
    names = {str(k) for k in matrices}

    def matrix(key: str, value: Any) -> str:
        if not isinstance(value, str) or value not in names:
            raise SpecError(where, f"{key} must name one of the matrices ({', '.join(sorted(names)) or 'none'}), "
                                   f"not {value!r}")
        return value

    items = data.get("steps")
    if not isinstance(items, list) or not items:
        raise SpecError(where, "layers.steps must be a non-empty list of steps")
    input_name = matrix("layers.input", data.get("input"))
    steps = tuple(_step(item, f"layers.steps[{k}]", where, lines, matrix) for k, item in enumerate(items))
    seen = {input_name}
    for k, step in enumerate(steps):
        if step.output in seen or step.output in names:
            raise SpecError(where, f"layers.steps[{k}] ({step.type}): output {step.output!r} is already the name "
                                   "of a matrix or of another step's output")
        seen.add(step.output)
    upstream = data.get("upstream", "ones")
    if upstream not in ("ones", "symbolic"):
        matrix("layers.upstream (ones, symbolic or a matrix's name)", upstream)
    labels = {key: str(data.get(key, default)) for key, default in (("upstream_name", "G"), ("loss", "L"))}
    for key, label in labels.items():
        if not label.isalpha() or not label.isascii():
            raise SpecError(where, f"layers.{key} must be letters only, like G or L")
    try:
        operands = _operands(matrices, input_name, steps, upstream)
    except ConfigError as err:
        raise SpecError(where, str(err)) from None
    chain = LayerChain(input_name, steps, operands, str(upstream), labels["upstream_name"], labels["loss"])
    x = list(operands[input_name])
    outputs: dict[str, Tensor] = {}
    for k, step in enumerate(steps):
        try:
            x = forward_step(step, x, operands)
        except (ConfigError, ValueError, IndexError, TypeError) as err:
            shape = " x ".join(map(str, (len(x), *x[0].shape)))
            raise SpecError(where, f"layers.steps[{k}] ({step.describe()}) on an input of {shape}: "
                                   f"{str(err).splitlines()[0]}") from None
        outputs[step.output] = x
    object.__setattr__(chain, "outputs", outputs)
    _check_upstream(chain, where)
    return chain


def _operands(matrices: Mapping[str, Any], input_name: str, steps: tuple[Step, ...], upstream: Any
              ) -> dict[str, Any]:
    operands: dict[str, Any] = {input_name: _tensor(matrices[input_name], input_name)}
    roles = {input_name: "the input"}

    def take(name: str, role: str) -> bool:
        if roles.setdefault(name, role) != role:   # one matrix, one layout: a weight may be shared, not re-read
            raise ConfigError(f"layers: {name}", f"is both {roles[name]} and {role}", name)
        return True

    for step in steps:
        if step.weight and take(step.weight, f"a {step.type} weight"):
            operands[step.weight] = _weight_value(matrices[step.weight], step.weight, step.type)
        if step.bias and take(step.bias, "a bias"):
            operands[step.bias] = _bias_value(matrices[step.bias], step.bias)
    if upstream not in ("ones", "symbolic") and take(upstream, "the upstream"):
        operands[upstream] = _tensor(matrices[upstream], upstream)
    return operands


def _check_upstream(chain: LayerChain, where: str) -> None:
    out = chain.outputs[chain.last]
    shape = [m.shape for m in out]
    if chain.upstream == "symbolic" and len(out) > 1:
        raise SpecError(where, f"layers.upstream: symbolic needs a one-channel output; {chain.last} has {len(out)} "
                               "channels (give the upstream as a matrix)")
    given = chain.operands.get(chain.upstream)
    if given is not None and len(given) == 1 and len(out) > 1 and given[0].rows == len(out) and shape[0][0] == 1:
        given[:] = _rows(given)   # a C×L upstream of a conv1d chain: one row per channel, as its output
    if given is not None and [m.shape for m in given] != shape:
        raise SpecError(where, f"layers.upstream {chain.upstream} must have the shape of {chain.last} "
                               f"({len(out)} x {shape[0][0]} x {shape[0][1]})")


def _step(item: Any, path: str, where: str, lines: dict[str, int],
          matrix: Callable[[str, Any], str]) -> Step:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise SpecError(where, f"{path}: a step is a mapping with `type:` and `output:`")
    kind = item["type"]
    if kind not in STEP_KEYS:
        lowered = kind.lower().replace("_", "")
        kind = next((k for k in STEP_KEYS if k.replace("_", "") == lowered), kind)
    if kind not in STEP_KEYS:
        raise unknown_name(where, lines, path, item["type"], list(STEP_KEYS), "step type")
    known = ("type", "output", *STEP_KEYS[kind])
    for key in item:
        if str(key) not in known:
            raise unknown_name(where, lines, path, str(key), known, f"{kind} key")
    missing = [k for k in ("output", *REQUIRED.get(kind, ())) if k not in item]
    if missing:
        raise SpecError(where, f"{path} ({kind}): missing {', '.join(missing)}")
    output = item["output"]
    if not isinstance(output, str) or not output.isalpha() or not output.isascii():
        raise SpecError(where, f"{path}: output must be a name of letters only, like Z")
    weight = matrix(f"{path}.weight", item["weight"]) if "weight" in item else None
    bias = matrix(f"{path}.bias", item["bias"]) if "bias" in item else None
    args = {str(k): tuple(v) if isinstance(v, list) else v for k, v in item.items()
            if k not in ("type", "output", "weight", "bias")}
    for key, value in args.items():
        if key in _BOOLS and not isinstance(value, bool):
            raise SpecError(where, f"{path}.{key} must be true or false, not {value!r}")
        if not isinstance(value, _SCALAR) or isinstance(value, tuple) and not all(
                isinstance(v, int) for v in value):
            raise SpecError(where, f"{path}.{key}: {value!r} is not a number, a list of whole numbers or a word")
    return Step(kind, output, weight, bias, args)


__all__ = ["Backward", "LayerChain", "Step", "Variant", "backward_step", "depth", "forward", "forward_step",
           "gradients", "is_array", "parse_layers"]
