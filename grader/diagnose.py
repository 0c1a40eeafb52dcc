"""Diagnosed mistakes: what each code means, what it costs, and how a wrong shape or a chain rule is explained.

Each task's alternatives (its answer RECOMPUTED under a mistaken assumption: flipped-kernel is
``conv2d(..., flip=True)``, pool-wrong-stride the pool at other strides) live in the task's module in
:mod:`symconv.tasks`; a wrong answer that matches one is named by its stable code, listed here with its words.

>>> CODES["flipped-kernel"].split(";")[0]
'you rotated the kernel by 180 degrees (true convolution)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from symconv.sizes import D
from symconv.spec import Spec
from symconv.tasks import Alternative

#: Every diagnosis code, with what it means in words (the feedback's sentence).
CODES: dict[str, str] = {
    "flipped-kernel": "you rotated the kernel by 180 degrees (true convolution); the layer computes "
                      "cross-correlation, with the kernel as given",
    "unflipped-kernel": "you did not rotate the kernel; this problem defines convolution as true convolution "
                        "(kernel rotated by 180 degrees)",
    "transposed": "your answer is the transpose of the expected one",
    "output-size-off-by-one": "your size is off by one (check the + 1 at the end of the output-size formula)",
    "ceil-instead-of-floor": "you rounded up; the output size rounds down (floor)",
    "padding-forgotten": "you left out the padding",
    "unflipped-kernel-in-gradient": "you correlated the upstream gradient with the kernel as given; the input "
                                    "gradient needs the kernel rotated by 180 degrees (a full convolution)",
    "entry-slip": "exactly one entry is wrong: a slip",
    "pool-wrong-stride": "you pooled with the wrong stride",
    "lp-normalisation": "you used the normalised LP definition (power mean, with 1/N); PyTorch's LPPool2d has "
                        "no 1/N. Both are accepted",
    "chain-rule-extra-term": "your chain rule lists outputs that do not depend on this entry",
    "chain-rule-missing-term": "your chain rule leaves out outputs that depend on this entry",
    "chain-rule-wrong-variable": "a partial derivative in your chain rule is taken with respect to the wrong "
                                 "variable",
    "module-path": "the module exists, but not under the path you gave",
    "dilation-missing": "your formula has no dilation D; it only holds for D = 1",
    "floor-missing": "your formula has no floor; it only holds when the stride divides evenly",
    "hard-coded-window-size": "your formula holds only for this window's size; the question asks for any window, "
                              "so write the size as N = |S| (or K x K) instead of a number",
    "chain-rule-not-shown": "you gave the final sums without the chain-rule step",
    "functional-form": "that is the functional form (a function in torch.nn.functional); the question asks for "
                       "the module (a class in torch.nn)",
    "module-capitalisation": "the name is capitalised differently; Python names are case-sensitive",
    "bias-forgotten": "you left out the biases: a layer with a bias has one per output channel (or feature)",
    "channels-forgotten": "you counted each filter one channel deep; a filter spans all of its input channels "
                          "(C_in / groups), so multiply by them",
    "channels-wrong": "the output has one channel per filter (out_channels), not the input's channel count",
    "macs-per-input-position": "you counted per input position; a layer does its multiply-adds once per output "
                               "position",
    "transposed-size-as-conv": "you used the forward convolution's size rule; a transposed convolution goes the "
                               "other way: (I - 1)S - 2P + D(K - 1) + output_padding + 1",
    "transposed-padding-added": "you added the padding; in a transposed convolution the padding crops P cells from "
                                "each side of the output (- 2P)",
    "output-padding-forgotten": "you left out output_padding, which adds that many rows and columns at the end",
    "stride-ignored": "you added up the kernel extents as if every stride were 1; after a layer with stride s, each "
                      "further layer's kernel step covers s times as many input cells (the jump)",
    "pool-tie-split": "you split the gradient among the tied maxima; PyTorch sends the whole upstream entry to one "
                      "of them, the first maximum in row-major order",
    "pool-tie-all": "you sent the gradient to every tied maximum; PyTorch sends it to one entry per window, the "
                    "first maximum in row-major order",
    "pool-tie-last": "you sent the gradient to the last tied maximum; PyTorch keeps the first maximum in row-major "
                     "order (a later entry takes over only if it is strictly greater)",
    "pool-overlap-not-summed": "an entry in several overlapping windows gets the gradient of each of them, added up; "
                               "you kept only one",
    "pool-forward-result": "you gave the pooling's output (the forward pass), not the gradient with respect to its "
                           "input",
    "lp-as-max": "you used max pooling's gradient (each window's upstream to its maximum only); LP pooling with a "
                 "finite p passes x_i^(p-1) / L_p^(p-1) of it to every entry of the window",
    "pool-avg-not-divided": "you did not divide by the window size; an average passes 1/N of each window's upstream "
                            "gradient to each of its N entries",
    "other-variant": "your answer is right for another variant of this problem, not for yours; solve the problem "
                     "with the inputs of your own handout",
    "pool-divisor-padding": "at the border you divided by the wrong window size: with count_include_pad=True "
                            "(PyTorch's default) the padding cells count, otherwise only the real entries",
    "relu-forgotten": "you left out the ReLU: it sets every negative entry to 0",
    "relu-gate-forgotten": "you passed the gradient through the ReLU everywhere; it passes only where its input is "
                           "positive (0 elsewhere, also at 0)",
    "bias-gradient-not-summed": "a bias is added at every output position, so its gradient is the SUM of the "
                                "upstream gradient over its output channel",
}

#: What a diagnosed mistake costs when the spec's rubric does not list it: all of the part or entry it occurs in.
DEFAULT_COST = 1.0
#: Codes that cost nothing unless the rubric says otherwise: they teach, they are not mistakes (an instructor who
#: wants the chain-rule steps shown sets ``chain-rule-not-shown`` in the rubric).
DEFAULT_COSTS: dict[str, float] = {"chain-rule-not-shown": 0.0, "lp-normalisation": 0.0}


def cost(spec: Spec, code: str) -> float:
    """The fraction of the part (or entry) a diagnosed mistake costs: the spec's rubric, else ``DEFAULT_COSTS``,
    else ``DEFAULT_COST`` (all of it).

    >>> from symconv.spec import load_spec
    >>> spec = load_spec()
    >>> cost(spec, "module-path"), cost(spec, "chain-rule-not-shown"), cost(spec, "no-such-code")
    (0.5, 0.0, 1.0)
    """
    return spec.rubric.get(code, DEFAULT_COSTS.get(code, DEFAULT_COST))


def shape_codes(given: tuple[int, int], expected: tuple[int, int], alternatives: list[Alternative]) -> list[str]:
    """Why a matrix may have the wrong shape: transposed, the shape of a recomputation, or else off by one (the
    vaguest reason, given only when no other explains the shape).

    >>> shape_codes((4, 3), (3, 3), []), shape_codes((4, 3), (3, 4), [])
    (['output-size-off-by-one'], ['transposed'])
    """
    codes = ["transposed"] if given == expected[::-1] else []
    for alt in alternatives:
        if getattr(alt.value, "shape", None) == given and alt.code not in codes:
            codes.append(alt.code)
    if not codes and all(abs(g - e) <= 1 for g, e in zip(given, expected)):
        codes.append("output-size-off-by-one")
    return codes


def most_specific(codes: list[str]) -> list[str]:
    """Codes without ``output-size-off-by-one`` when a more specific one explains the same value (a size
    rounded up is also one too large; saying both is saying it twice).

    >>> most_specific(["output-size-off-by-one", "ceil-instead-of-floor"]), most_specific(["output-size-off-by-one"])
    (['ceil-instead-of-floor'], ['output-size-off-by-one'])
    """
    specific = [c for c in codes if c != "output-size-off-by-one"]
    return specific or codes


def needs_dilation(expr: sympy.Expr) -> bool:
    """True when a size formula uses the dilation D."""
    return D in expr.free_symbols


@dataclass(frozen=True)
class Finding:
    """A diagnosis found in one answer: its code and the specifics (which entry, which term)."""

    code: str
    detail: str = ""


def chain_findings(rule: Any, chains: list[tuple[sympy.Derivative, ...]], elided: bool,
                   output_name: str, outputs: int = 0) -> list[Finding]:
    """Check the written chain-rule products of ∂E/∂x_ij against the engine's expansion ``rule``.

    A product may give the local derivative as a derivative (∂E/∂C_uv · ∂C_uv/∂x_ij, in either order) or as its
    value (∂E/∂C_uv · B_mn); the loss may have any name.

    - chain-rule-wrong-variable: a derivative of an output entry not taken with respect to x_ij, a derivative
      of the loss by something that is neither an output entry nor x_ij, or partials that do not meet in one
      output entry (∂E/∂C_12 · ∂C_13/∂A_24);
    - chain-rule-extra-term: an output the entry does not feed (the engine's taps list no kernel entry meeting
      x_ij in it); not when the sum runs over every output (``outputs``: how many there are), as people write it
      with the terms that do not depend on x_ij being 0;
    - chain-rule-missing-term: an output the engine lists but the student did not (not judged when the student
      elided terms with \\dots).
    """
    from symconv.latex import latex

    findings: list[Finding] = []
    listed: list[sympy.Symbol] = []
    prefix = output_name + "_"

    def is_output(s: Any) -> bool:
        return isinstance(s, sympy.Symbol) and s.name.startswith(prefix)

    for chain in chains:
        for d in chain:
            top, wrt = d.expr, d.variables[0]
            if (is_output(top) and wrt != rule.entry) or (not is_output(top) and not is_output(wrt)
                                                           and wrt != rule.entry):
                findings.append(Finding("chain-rule-wrong-variable", f"{_d(d)} should be with respect to "
                                        f"{latex(rule.entry)}, not {latex(wrt)}"))
        met = [s for d in chain for s in (d.expr, d.variables[0]) if is_output(s)]
        if len(set(met)) > 1:
            findings.append(Finding("chain-rule-wrong-variable", " ".join(map(_d, chain)) + " mixes "
                                    + " and ".join(latex(s) for s in dict.fromkeys(met))))
        if met:
            listed.append(met[-1])
    expected = [t.output for t in rule.terms]
    full_sum = outputs > 0 and len(set(listed)) >= outputs
    if not full_sum:
        for extra in dict.fromkeys(s for s in listed if s not in expected):
            findings.append(Finding("chain-rule-extra-term", f"{latex(extra)} does not depend on "
                                    f"{latex(rule.entry)}"))
    if not elided and chains:
        missing = [s for s in expected if s not in listed]
        if missing:
            findings.append(Finding("chain-rule-missing-term", ", ".join(latex(s) for s in missing) + " "
                                    + ("depends" if len(missing) == 1 else "depend") + f" on {latex(rule.entry)}"))
    return findings


def _d(derivative: sympy.Derivative) -> str:
    from symconv.latex import latex

    return latex(derivative)
