"""What the layers tasks share: the spec's ``layers:`` chain, a tensor or parameter as named matrices (one answer
per channel or per kernel), and the document's description of each step.

>>> labelled("Z", [sympy.Matrix([[1]]), sympy.Matrix([[2]])])
{'Z[1]': Matrix([[1]]), 'Z[2]': Matrix([[2]])}
>>> labelled("b", [3, 4])
{'b': Matrix([[3, 4]])}
"""

from __future__ import annotations

from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import display, matrix_result, prose
from symconv.document.measure import TEXT_WIDTH, math_width
from symconv.document.options import DocumentOptions
from symconv.latex import latex
from symconv.layer_chain import LayerChain, Step
from symconv.sizes import pair, transposed_output_size, transposed_output_size_expr
from symconv.spec import Part, Spec

Labelled = dict[str, sympy.Matrix]


def chain(spec: Spec) -> LayerChain:
    """The spec's layers section (a task that uses it declares ``needs=("layers",)``)."""
    assert spec.layers is not None   # checked when the spec loads
    return spec.layers


def labelled(name: str, value: Any) -> Labelled:
    """A tensor (channels), weights (filters of kernels) or a bias (values) as answers by label: ``Z`` for one
    matrix, ``Z[1]``, ``Z[2]`` for channels, ``W[1,2]`` for filter 1's kernel on input channel 2, and a bias as
    one row."""
    if isinstance(value, sympy.MatrixBase):
        return {name: sympy.Matrix(value)}
    items = list(value)
    if items and not isinstance(items[0], list | tuple | sympy.MatrixBase):
        return {name: sympy.Matrix([items])}
    if items and isinstance(items[0], list | tuple):
        kernels = {f"{name}[{o + 1},{c + 1}]": sympy.Matrix(k) for o, f in enumerate(items) for c, k in enumerate(f)}
        return {name: next(iter(kernels.values()))} if len(kernels) == 1 else kernels
    if len(items) == 1:
        return {name: sympy.Matrix(items[0])}
    return {f"{name}[{k + 1}]": sympy.Matrix(m) for k, m in enumerate(items)}


def label_tex(label: str) -> str:
    """``Z[2]`` as LaTeX: ``Z^{(2)}``; ``W[1,2]`` as ``W^{(1,2)}``."""
    name, _, index = label.partition("[")
    return latex(sympy.Symbol(name)) + (f"^{{({index.rstrip(']')})}}" if index else "")


def _pair(value: Any) -> str:
    return str(value) if not isinstance(value, tuple) else ", ".join(map(str, value))


def _args_text(step: Step) -> str:
    """A step's arguments in words, ``(stride $2$, padding $1$)`` (the mode is said in words elsewhere)."""
    args = ", ".join(f"{key.replace('_', ' ')} ${_pair(v)}$" for key, v in step.args.items() if key != "flip")
    return f" ({args})" if args else ""


# The poolings by their names in the field, and what each makes of a window.
POOLINGS = {"maxpool2d": ("max pooling", "the maximum"), "avgpool2d": ("average pooling", "the average"),
            "lppool2d": ("LP pooling", "the LP norm")}


def step_text(net: LayerChain, k: int, size: bool = True) -> str:
    """What step ``k`` computes, in words and maths (trusted LaTeX); with ``size``, a transposed convolution's
    output size too (without: an earlier part worked it out)."""
    step: Step = net.steps[k]
    x, y = latex(sympy.Symbol(net.input_of(k))), latex(sympy.Symbol(step.output))
    args = _args_text(step)
    if step.type == "conv_transpose2d" and len(net.tensor(net.input_of(k))) == len(net.tensor(step.output)) == 1:
        w = latex(sympy.Symbol(step.weight or "W"))   # one channel in, one out: no channel indices
        return (rf"${y}$ is the transposed convolution of ${x}$ with ${w}${args}: each input entry ${x}_{{ab}}$ "
                rf"adds the kernel scaled by it, ${x}_{{ab}}\, {w}$, to the output window that starts one stride "
                rf"further for each step of $a$ or $b$, and overlapping copies add up."
                + (f" {_transposed_size(net, k)}" if size else ""))
    if step.type in ("conv2d", "conv1d"):
        w = latex(sympy.Symbol(step.weight or "W"))
        bias = rf" + {latex(sympy.Symbol(step.bias))}_o" if step.bias else ""
        kind = "true convolution (kernel rotated by 180 degrees)" if step.args.get("flip") else "cross-correlation"
        plus = ", plus its bias" if step.bias else ""
        return (rf"${y}$ is the output of the convolution layer{args}: each output channel $o$ is the sum over the "
                rf"input channels $c$ of the {kind} of ${x}^{{(c)}}$ with the kernel ${w}^{{(o,c)}}${plus}: "
                rf"${y}^{{(o)}} = \sum_c {x}^{{(c)}} \star {w}^{{(o,c)}}{bias}$.")
    if step.type == "conv_transpose2d":
        w = latex(sympy.Symbol(step.weight or "W"))
        return (rf"${y}$ is the transposed convolution of ${x}$ with ${w}${args}: each input entry "
                rf"${x}^{{(c)}}_{{ab}}$ adds ${x}^{{(c)}}_{{ab}}\, {w}^{{(c,o)}}$ to the output window that starts $s$ "
                rf"entries further for each step of $a$ and $b$." + (f" {_transposed_size(net, k)}" if size else ""))
    if step.type == "relu":
        return rf"${y} = \max(0, {x})$ entry by entry (ReLU)."
    name, kind = POOLINGS[step.type]
    return rf"${y}$ is the {name} of ${x}${args}: each channel separately, {kind} of each window."


def _transposed_size(net: LayerChain, k: int) -> str:
    """The output size of a transposed convolution by the sizes rule, per axis, in words and maths."""
    step = net.steps[k]
    i_shape, k_shape = net.tensor(net.input_of(k))[0].shape, net.operands[step.weight or ""][0][0].shape
    a = {name: pair(name, step.args.get(name, default), low) for name, default, low in (
        ("stride", 1, 1), ("padding", 0, 0), ("output_padding", 0, 0), ("dilation", 1, 1))}
    sizes = []
    for axis in (0, 1):
        s, p, q, d = (a[name][axis] for name in ("stride", "padding", "output_padding", "dilation"))
        i, kk = i_shape[axis], k_shape[axis]
        n = transposed_output_size(i, kk, stride=s, padding=p, output_padding=q, dilation=d)
        sizes.append(rf"{d} \cdot ({kk} - 1) + {s} \cdot ({i} - 1) + {q} - 2 \cdot {p} + 1 = {n}")
    same = sizes[0] == sizes[1]
    rule = latex(transposed_output_size_expr())   # the numbers above follow its order
    return (rf"Along each axis the output has ${rule}$ entries: ${sizes[0]}$" + ("." if same else
            rf" rows and ${sizes[1]}$ columns."))


def show(box: Container, name: str, value: Any, opts: DocumentOptions, lead: str = "", loss: str = "") -> None:
    """Each matrix of a tensor or parameter, named by its label (with ``loss``: as ∂loss/∂label); several side by
    side when they fit the line."""
    items = []
    for label, m in labelled(name, value).items():
        short = label.replace("[", "").replace("]", "").replace(",", "")
        lhs = rf"\frac{{\partial {loss}}}{{\partial {label_tex(label)}}}" if loss else label_tex(label)
        items.append((lhs, m, f"d{loss}/d{short}" if loss else short))
    if lead:
        prose(box, f"{lead}:")
    row: list[str] = []
    for lhs, m, short in items:   # as many to a display as fit the line
        shown = f"{lhs} = {latex(m, **opts.printer)}"
        if row and math_width(r" \qquad ".join([*row, shown])) > TEXT_WIDTH:
            box.append(display(r" \qquad ".join(row)))
            row = []
        if math_width(shown) > TEXT_WIDTH:   # too wide even alone: entry by entry, after what came before
            if row:
                box.append(display(r" \qquad ".join(row)))
                row = []
            matrix_result(box, lhs, m, short, **opts.printer)
            continue
        row.append(shown)
    if row:
        box.append(display(r" \qquad ".join(row)))


def symbol(name: str) -> str:
    """A tensor's or parameter's name as LaTeX."""
    return latex(sympy.Symbol(name))


def back_text(net: LayerChain, k: int, wrt: str = "") -> str:
    """How the gradient goes back through step ``k``: from ∂L/∂(its output) to ``wrt``, its input by default, or
    its weight or bias (only the rule that leads there is stated)."""
    step = net.steps[k]
    x, y, loss = symbol(net.input_of(k)), symbol(step.output), net.loss

    def d(name: str, index: str = "") -> str:
        return rf"\partial {loss}/\partial {name}{index}"
    if step.type == "relu":
        return (rf"Back through the ReLU: ${d(x)}$ is ${d(y)}$ where ${x} > 0$ and $0$ elsewhere (also where "
                rf"${x} = 0$, as in PyTorch).")
    if step.type == "maxpool2d":
        return (rf"Back through the max pooling: each window's entry of ${d(y)}$ goes to the first maximum of the "
                rf"window in ${x}$ (row by row: PyTorch's rule for ties), the other entries get $0$, and an entry "
                "in several windows adds up what it gets.")
    if step.type == "avgpool2d":
        return (rf"Back through the average pooling: each window's entry of ${d(y)}$ is shared equally by the "
                rf"$N$ entries of its window in ${x}$ ($1/N$ each), added up where windows overlap.")
    if step.type == "lppool2d":
        return (rf"Back through the LP pooling: in each window, ${d(x, '_i')} = {d(y)} \cdot x_i^{{p-1}}\, "
                rf"{y}^{{1-p}}$.")
    w = symbol(step.weight or "W")
    if wrt and wrt == step.bias:
        return (rf"The bias ${symbol(step.bias)}_o$ is added at every position of channel $o$, so "
                rf"${d(symbol(step.bias), '_o')} = \sum_{{u,v}} {d(y, '^{(o)}_{uv}')}$.")
    if step.type == "conv_transpose2d":
        if wrt and wrt == step.weight:
            return (rf"Back through the transposed convolution to its kernels: ${d(w, '^{(c,o)}_{mn}')}$ is the sum "
                    rf"over $a, b$ of ${x}^{{(c)}}_{{ab}}$ times the entry of ${d(y, '^{(o)}')}$ that "
                    rf"${x}^{{(c)}}_{{ab}}\, {w}^{{(c,o)}}_{{mn}}$ was added to.")
        return (rf"Back through the transposed convolution: it is the input gradient of the convolution with the "
                rf"same kernels, stride and padding, so ${d(x)}$ is that convolution applied to ${d(y)}$.")
    if wrt and wrt == step.weight:
        return (rf"Back through the convolution to its kernels: ${w}^{{(o,c)}}_{{mn}}$ multiplies one entry of "
                rf"${x}^{{(c)}}$ (or a padding zero), $x_{{uv,mn}}$, in each output ${y}^{{(o)}}_{{uv}}$, so "
                rf"${d(w, '^{(o,c)}_{mn}')} = \sum_{{u,v}} {d(y, '^{(o)}_{uv}')} \cdot x_{{uv,mn}}$.")
    return (rf"Back through the convolution: each entry ${d(y, '^{(o)}_{uv}')}$ is sent to every entry of "
            rf"${x}^{{(c)}}$ that met a kernel entry ${w}^{{(o,c)}}_{{mn}}$ in ${y}^{{(o)}}_{{uv}}$, times that "
            "kernel entry, and the contributions are summed over $o$.")


def earlier(spec: Spec, part: Part, task: str) -> list[Part]:
    """The parts of task ``task`` before ``part`` in the spec (their documents come first)."""
    parts = spec.parts
    return [p for p in parts[:parts.index(part)] if p.task == task]


