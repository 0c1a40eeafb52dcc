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

from symconv.document.blocks import aligned_rows, display, prose
from symconv.document.options import DocumentOptions
from symconv.latex import latex
from symconv.layer_chain import Backward, gradients
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks._layers import Labelled, back_text, chain, earlier, labelled, show, step_text, symbol
from symconv.tasks.base import Alternative, Task, distinct
from symconv.tasks.common import part_choice

KEYS = {"problems[].parts[]": ("wrt",)}


def wrt_of(spec: Spec, part: Part) -> str:
    """What the part differentiates with respect to (``wrt:``, default the chain's input); a SpecError for a name
    the chain does not use."""
    net = chain(spec)
    names = [net.input, *(n for s in net.steps for n in (s.weight, s.bias, s.output) if n)]
    return part_choice(spec, part, "wrt", names, net.input, "the input, a weight, a bias or a step's output")


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
    if not any(step.bias == name for step in net.steps):   # a bias is a vector: it has no orientation to get wrong
        alts.append(Alternative("transposed", {label: m.T for label, m in right.items()}))
    return distinct(right, alts)


def fields(spec: Spec, part: Part) -> list[str]:
    """One answer-sheet line per channel or kernel of the gradient (none for one matrix)."""
    name = wrt_of(spec, part)
    net = chain(spec)
    shapes = labelled(name, net.operands[name] if name in net.operands else net.outputs[name])
    return list(shapes) if len(shapes) > 1 else []


def stop_of(spec: Spec, part: Part) -> int:
    """The step the backward walk of a part ends at: the one whose output, weight or bias is ``wrt`` (the first
    step for the chain's input)."""
    net, name = chain(spec), wrt_of(spec, part)
    return next((k for k, s in enumerate(net.steps) if name in (s.output, s.weight, s.bias)), 0)


def _derivative(loss: str, name: str) -> str:
    return rf"\partial {loss}/\partial {symbol(name)}"   # inline, in a sentence: slashed


def _forward(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The forward pass, or the part that worked it out."""
    net = chain(sol.spec)
    if earlier(sol.spec, part, "layer-gradient"):   # that part's solution has the forward pass or points to it
        return
    last = [p.id for p in earlier(sol.spec, part, "layer-forward") if p.options.get("output", net.last) == net.last]
    if last:
        prose(box, f"The forward pass is worked out in part {last[-1]}.", end=True)
        return
    prose(box, "The forward pass:", end=True)
    for k in range(len(net.steps)):
        prose(box, step_text(net, k), end=True)
        show(box, net.steps[k].output, net.outputs[net.steps[k].output], opts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The upstream, then the gradient at each step's output walking back (each step's backward rule first), down
    to ``wrt``; the gradients an earlier layer-gradient part worked out are referred to, not repeated."""
    net, name, stop = chain(sol.spec), wrt_of(sol.spec, part), stop_of(sol.spec, part)
    loss, last = net.loss, len(net.steps) - 1
    _forward(box, sol, part, opts)
    shown = [(stop_of(sol.spec, p), p.id) for p in earlier(sol.spec, part, "layer-gradient")]
    reached, source = min([(j, pid) for j, pid in shown], default=(last + 1, ""))
    if source:
        prose(box, f"The gradients down to ${_derivative(loss, net.steps[max(reached, stop)].output)}$ are "
                   f"worked out in part {source}.", end=True)
    else:
        g = {"ones": "$1$ at every entry", "symbolic": f"${net.upstream_name}_{{uv}}$"}.get(
            net.upstream, f"the matrix ${symbol(net.upstream)}$")
        prose(box, rf"The upstream gradient ${_derivative(loss, net.last)}$ is {g}:", end=True)
        show(box, net.last, net.gradient[net.last], opts, loss=loss)
    for k in range(min(reached, last) - 1, stop - 1, -1):   # the output of step k from step k + 1's rule
        prose(box, back_text(net, k + 1), end=True)
        show(box, net.steps[k].output, net.gradient[net.steps[k].output], opts, loss=loss)
    if name == net.steps[stop].output:
        return
    prose(box, back_text(net, stop, name), end=True)
    step = net.steps[stop]
    if name == step.bias:
        g = net.gradient[step.output]
        sums = [rf"\frac{{\partial {loss}}}{{\partial {symbol(name)}_{{{o + 1}}}}} = \sum_{{u,v}} "
                rf"\frac{{\partial {loss}}}{{\partial {symbol(step.output)}^{{({o + 1})}}_{{uv}}}} = "
                rf"{latex(sympy.Add(*g[o]), **opts.printer)}" for o in range(len(g))]
        box.append(display(r" \qquad ".join(sums)) if len(sums) <= 2 else aligned_rows([[e] for e in sums]))
    show(box, name, net.gradient[name], opts, "So" if name != step.bias else "", loss=loss)


TASK = Task("layer-gradient", render, checker="grader.checkers.channels:check_channels", needs=("layers",),
            keys=KEYS, value=value, part_alternatives=alternatives, part_fields=fields,
            locate="grader.checkers.channels:locate", warm="grader.checkers.channels:warm")
