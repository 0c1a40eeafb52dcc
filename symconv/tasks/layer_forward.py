"""Task ``layer-forward``: the result of one step of the spec's ``layers:`` chain (the part's ``output:``, default
the last), exact, one matrix per channel (an answer sheet gives each channel a line: ``Z[1]``, ``Z[2]``).

Diagnosed alternatives, each the chain rerun under a mistaken assumption up to that step: kernels flipped (true
convolution), biases left out, ReLUs left out, and each channel transposed.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> sol = derive_solution(TEMPLATES / "multichannel-relu-pool.yaml")
>>> part = next(p for p in sol.spec.parts if p.task == "layer-forward" and p.options.get("output") == "Z")
>>> sorted(value(sol, part)), [a.code for a in alternatives(sol, part)]
(['Z[1]', 'Z[2]'], ['flipped-kernel', 'bias-forgotten', 'transposed'])
"""

from __future__ import annotations

from pylatex.base_classes import Container

from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.errors import ConfigError
from symconv.layer_chain import Variant, forward
from symconv.solution import Solution
from symconv.spec import Part, Spec
from symconv.tasks._layers import Labelled, chain, earlier, labelled, show, step_text, symbol
from symconv.tasks.base import Alternative, Task, distinct
from symconv.tasks.common import part_choice

KEYS = {"problems[].parts[]": ("output",)}


def output_of(spec: Spec, part: Part) -> str:
    """The output the part asks for (``output:``, default the last step's); a SpecError for one that is not a
    step's output."""
    net = chain(spec)
    return part_choice(spec, part, "output", [s.output for s in net.steps], net.last, "one of the steps' outputs")


def value(sol: Solution, part: Part) -> Labelled:
    """The step's output, one matrix per channel."""
    name = output_of(sol.spec, part)
    return labelled(name, chain(sol.spec).outputs[name])


def alternatives(sol: Solution, part: Part) -> list[Alternative]:
    """The output with kernels flipped, biases left out, ReLUs left out (each when such a step comes before it),
    and transposed."""
    net, name = chain(sol.spec), output_of(sol.spec, part)
    k = net.step(name)
    before = net.steps[:k + 1]
    variants = [("flipped-kernel", Variant(flip=True), any(s.type in ("conv2d", "conv1d") for s in before)),
                ("bias-forgotten", Variant(bias=False), any(s.bias for s in before)),
                ("relu-forgotten", Variant(relu=False), any(s.type == "relu" for s in before))]
    alts = []
    for code, variant, applies in variants:
        if applies:
            try:
                alts.append(Alternative(code, labelled(name, forward(net, variant, upto=k)[name])))
            except ConfigError:   # the mistaken chain does not run: nobody can have given its result
                pass
    right = value(sol, part)
    alts.append(Alternative("transposed", {label: m.T for label, m in right.items()}))
    return distinct(right, alts)


def fields(spec: Spec, part: Part) -> list[str]:
    """One answer-sheet line per channel of a multi-channel output (none for one matrix)."""
    net = chain(spec)
    name = output_of(spec, part)
    labels = list(labelled(name, net.outputs[name]))
    return labels if len(labels) > 1 else []


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """Each step up to the part's: what it computes, then its result channel by channel (the steps an earlier
    layer-forward part worked out are referred to, not repeated)."""
    net, name = chain(sol.spec), output_of(sol.spec, part)
    k = net.step(name)
    done = [(net.step(output_of(sol.spec, p)), p.id) for p in earlier(sol.spec, part, "layer-forward")]
    start, source = max([(j, pid) for j, pid in done if j < k], default=(-1, ""))
    if source:
        prose(box, f"${symbol(net.steps[start].output)}$ is worked out in part {source}.", end=True)
    sized = {net.step(str(p.options.get("output", net.last))) for p in earlier(sol.spec, part, "step-output-size")
             if p.options.get("output", net.last) in net.outputs}
    for j in range(start + 1, k + 1):
        prose(box, step_text(net, j, size=j not in sized), end=True)
        show(box, net.steps[j].output, net.outputs[net.steps[j].output], opts)


TASK = Task("layer-forward", render, checker="grader.checkers.channels:check_channels", needs=("layers",),
            keys=KEYS, value=value, part_alternatives=alternatives, part_fields=fields,
            locate="grader.checkers.channels:locate", warm="grader.checkers.channels:warm")
