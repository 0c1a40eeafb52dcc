"""Task ``layer-gradient``: ∂L/∂(the chain's input, a weight, a bias or a step's output) through the whole
``layers:`` chain with the section's upstream, as matrices (the part's ``wrt:``, default the input). A bias's
gradient (``wrt: b``) is one row, a weight's one matrix per kernel (``W[o,c]``); there is no separate bias task.

Diagnosed alternatives, each the backward pass redone under a mistaken rule: the ReLU's gate forgotten (the
gradient passed everywhere), max pooling's gradient split among tied maxima, a bias's gradient not summed over
the positions (the upstream matrix itself), and transposed.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "multichannel-relu-pool.yaml")
>>> part = next(p for p in sol.spec.parts if p.task == "layer-gradient" and p.options.get("wrt") == "b")
>>> value(sol, part)
{'b': Matrix([[4, 2]])}
"""

from __future__ import annotations

import sympy
from pylatex.base_classes import Container

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.layer_chain import Backward, gradients
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks._layers import Labelled, chain, labelled, show, step_text
from symconv.tasks.base import Alternative, Task, distinct

KEYS = {"problems[].parts[]": ("wrt",)}


def wrt_of(spec: Spec, part: Part) -> str:
    """What the part differentiates with respect to (``wrt:``, default the chain's input); a SpecError for a name
    the chain does not use."""
    net = chain(spec)
    names = [net.input, *(n for s in net.steps for n in (s.weight, s.bias, s.output) if n)]
    name = part.options.get("wrt", net.input)
    if name not in names:
        raise SpecError(spec.source, f"part {part.id}: wrt must be the input, a weight, a bias or a step's output "
                                     f"({', '.join(names)}), not {name!r}")
    if any(s.type == "conv_transpose2d" for s in net.steps):
        raise SpecError(spec.source, f"part {part.id}: no gradient through conv_transpose2d in a layers: chain")
    return str(name)


def value(sol: Solution, part: Part) -> Labelled:
    """∂L/∂(wrt), one matrix per channel or kernel (a bias: one row)."""
    name = wrt_of(sol.spec, part)
    return labelled(name, chain(sol.spec).gradient[name])


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The gradient with the ReLU's gate forgotten, max pooling's split among ties, a bias's not summed over the
    positions, and transposed."""
    net, name = chain(sol.spec), wrt_of(sol.spec, part)
    kinds = {s.type for s in net.steps}
    alts = []
    if "relu" in kinds:
        alts.append(Alternative("relu-gate-forgotten", labelled(name, gradients(net, Backward(relu_gate=False))[name])))
    if "maxpool2d" in kinds:
        alts.append(Alternative("pool-tie-split", labelled(name, gradients(net, Backward(split_ties=True))[name])))
    for step in net.steps:
        if step.bias == name:   # ∂L/∂b_o written as the upstream ∂L/∂Z_o itself, side by side for several channels
            alts.append(Alternative("bias-gradient-not-summed",
                                    {name: sympy.Matrix.hstack(*net.gradient[step.output])}))
    right = value(sol, part)
    alts.append(Alternative("transposed", {label: m.T for label, m in right.items()}))
    return distinct(right, alts)


def fields(spec: Spec, part: Part) -> list[str]:
    """One answer-sheet line per channel or kernel of the gradient (none for one matrix)."""
    name = wrt_of(spec, part)
    net = chain(spec)
    shapes = labelled(name, net.operands[name] if name in net.operands else net.outputs[name])
    return list(shapes) if len(shapes) > 1 else []


def _derivative(loss: str, name: str) -> str:
    return rf"\frac{{\partial {loss}}}{{\partial {latex(sympy.Symbol(name))}}}"


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The chain, the upstream, the backward rule of each step walked back to ``wrt``, and the result."""
    net, name = chain(sol.spec), wrt_of(sol.spec, part)
    loss = net.loss
    prose(box, "The forward pass:", end=True)
    for k in range(len(net.steps)):
        prose(box, step_text(net, k), end=True)
    g = {"ones": "1 at every entry", "symbolic": f"${net.upstream_name}_{{uv}}$"}.get(
        net.upstream, f"the matrix ${latex(sympy.Symbol(net.upstream))}$")
    prose(box, rf"The upstream gradient ${_derivative(loss, net.last)}$ is {g}. Walking back, step by step: "
               r"a ReLU passes the gradient only where its input is positive; max pooling sends each window's "
               r"gradient to its first maximum (PyTorch's rule), average pooling spreads it evenly; a convolution "
               r"sends it to its input through the kernels, ${\partial " + loss + r"}/{\partial W^{(o,c)}}$ is the "
               r"input channel $c$ correlated with the gradient of output channel $o$, and ${\partial " + loss
               + r"}/{\partial b_o}$ is the sum of that gradient over all positions.", end=True)
    for k in range(len(net.steps) - 1, -1, -1):
        step = net.steps[k]
        show(box, step.output, net.gradient[step.output], opts, "Walking back", loss)
        if name in (step.output, step.weight, step.bias):
            break
    prose(box, rf"So ${_derivative(loss, name)}$ is:", end=True)
    show(box, name, net.gradient[name], opts, loss=loss)


TASK = Task("layer-gradient", render, checker="grader.checkers.channels:check_channels", needs=("layers",),
            keys=KEYS, value=value, part_alternatives=alternatives, part_fields=fields,
            locate="grader.checkers.channels:locate", warm="grader.checkers.channels:warm")
