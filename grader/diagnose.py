"""Diagnosed mistakes: each one is the engine's answer RECOMPUTED under a mistaken assumption.

A wrong answer is compared with these recomputations; a match names the mistake by its stable code. Nothing here
holds a number: flipped-kernel is ``conv2d(..., flip=True)``, pool-wrong-stride is the pool at other strides, and
so on. The alternatives depend only on the spec, so :class:`grader.checkers.Reference` computes them once.

>>> from symconv import derive_solution
>>> sol = derive_solution()
>>> [a.code for a in conv_alternatives(sol)]
['flipped-kernel', 'transposed']
>>> [a.code for a in size_alternatives(sol.spec)][:2]
['output-size-off-by-one', 'output-size-off-by-one']
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import sympy

from symconv import conv2d, conv2d_grad, output_size, output_size_expr
from symconv.pooling import avg_pool2d, max_pool2d
from symconv.sizes import D, P
from symconv.solution import Solution
from symconv.spec import Spec

#: Every diagnosis code, with what it means in words (the feedback's sentence).
CODES: dict[str, str] = {
    "flipped-kernel": "you rotated the kernel by 180 degrees (true convolution); the layer computes "
                      "cross-correlation, with the kernel as given",
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


@dataclass(frozen=True)
class Alternative:
    """A recomputation under a mistaken assumption: its code, its value, and the assumption in words."""

    code: str
    value: Any
    assumption: str = ""


def _distinct(reference: Any, alternatives: list[Alternative]) -> list[Alternative]:
    """Drop recomputations that coincide with the reference (they diagnose nothing) or repeat an earlier one
    with the same code; one value may carry two codes (a rounded-up size is also one too large)."""
    kept: list[Alternative] = []
    for alt in alternatives:
        if alt.value != reference and all((alt.code, alt.value) != (k.code, k.value) for k in kept):
            kept.append(alt)
    return kept


def _conv_config(spec: Spec) -> dict[str, Any]:
    c = spec.convolution
    return dict(stride=c.stride, padding=c.padding, dilation=c.dilation)


def conv_alternatives(sol: Solution) -> list[Alternative]:
    """C = A ⋆ B recomputed with a flipped kernel, transposed, and without the padding."""
    cfg = _conv_config(sol.spec)
    alts = [Alternative("flipped-kernel", conv2d(sol.input, sol.kernel, flip=True, **cfg), "kernel flipped"),
            Alternative("transposed", sol.output.T)]
    if any(cfg["padding"]):
        alts.append(Alternative("padding-forgotten", conv2d(sol.input, sol.kernel, **{**cfg, "padding": 0})))
    return _distinct(sol.output, alts)


def input_gradient_alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂A recomputed with the unrotated kernel, and transposed.

    Correlating the (padded, dilated) upstream with the kernel as given is the gradient of a layer whose kernel
    is rotated by 180 degrees: ``conv2d_grad(A, rot180(B), G)[0]``.
    """
    cfg = _conv_config(sol.spec)
    unflipped = conv2d_grad(sol.input, sol.kernel[::-1, ::-1], sol.upstream, **cfg)[0]
    return _distinct(sol.grad_input, [Alternative("unflipped-kernel-in-gradient", unflipped),
                                      Alternative("transposed", sol.grad_input.T)])


def kernel_gradient_alternatives(sol: Solution) -> list[Alternative]:
    """∂E/∂B recomputed as for a flipped kernel (rotated result), and transposed."""
    return _distinct(sol.grad_kernel, [Alternative("flipped-kernel", sol.grad_kernel[::-1, ::-1]),
                                       Alternative("transposed", sol.grad_kernel.T)])


def pool_alternatives(sol: Solution, kind: str) -> list[Alternative]:
    """The pool recomputed with every other stride (1 .. kernel size + 1), in ceil mode, without padding, and
    transposed."""
    pool = sol.spec.pooling
    assert pool is not None
    x = sol.pool_input
    reference = sol.pooled_max if kind == "max" else sol.pooled_avg
    assert reference is not None  # pooled_max/pooled_avg are None only without a pooling section (asserted above)

    def run(**changes: Any) -> sympy.Matrix | None:
        args = {**dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding), **changes}
        try:
            return (max_pool2d if kind == "max" else avg_pool2d)(x, **args)
        except Exception:  # an impossible configuration (window larger than the input): no alternative
            return None

    alts = []
    strides = sorted({(s, s) for s in range(1, max(pool.kernel_size) + 2)} - {pool.stride})
    for stride in strides:
        if (value := run(stride=stride)) is not None:
            alts.append(Alternative("pool-wrong-stride", value, f"stride {stride[0]}"))
    if (value := run(ceil_mode=True)) is not None:
        alts.append(Alternative("ceil-instead-of-floor", value, "ceil_mode=True"))
    if any(pool.padding) and (value := run(padding=0)) is not None:
        alts.append(Alternative("padding-forgotten", value))
    alts.append(Alternative("transposed", reference.T))
    return _distinct(reference, alts)


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


def size_alternatives(spec: Spec) -> list[Alternative]:
    """The output size recomputed off by one on either axis, rounding up, without padding, and transposed."""
    c, (A, B) = spec.convolution, (spec.matrices[spec.convolution.input], spec.matrices[spec.convolution.kernel])

    def size(axis: int, **changes: Any) -> int:
        args = {**dict(padding=c.padding[axis], stride=c.stride[axis], dilation=c.dilation[axis]), **changes}
        return output_size(A.shape[axis], B.shape[axis], **args)

    right = (size(0), size(1))
    alts = [Alternative("output-size-off-by-one", (right[0] + dh, right[1] + dw))
            for dh, dw in itertools.product((-1, 0, 1), repeat=2) if (dh, dw) != (0, 0)]
    ceil = output_size_expr().replace(sympy.floor, sympy.ceiling)
    alts.append(Alternative("ceil-instead-of-floor", tuple(
        int(ceil.subs(dict(zip(sympy.symbols("I K P S D", integer=True, positive=True),
                               (A.shape[a], B.shape[a], c.padding[a], c.stride[a], c.dilation[a])))))
        for a in (0, 1))))
    if any(c.padding):
        alts.append(Alternative("padding-forgotten", (size(0, padding=0), size(1, padding=0))))
    alts.append(Alternative("transposed", right[::-1]))
    return _distinct(right, alts)


def formula_alternatives() -> list[Alternative]:
    """The output-size formula without dilation, without padding, without floor, with ceiling, and off by one
    (and their combinations), each labelled with every code that applies; the reference is
    ``output_size_expr()``.

    >>> [a.code for a in formula_alternatives()][:3]
    ['output-size-off-by-one', 'output-size-off-by-one', 'ceil-instead-of-floor']
    """
    alts = []
    for dilation, padding, rounding, offset in itertools.product((True, False), (True, False),
                                                                 ("floor", "ceil", "none"), (0, 1, -1)):
        if (dilation, padding, rounding, offset) == (True, True, "floor", 0):
            continue
        expr = output_size_expr(dilation=dilation, floor=rounding != "none")
        if rounding == "ceil":
            expr = expr.replace(sympy.floor, sympy.ceiling)
        if not padding:
            expr = expr.subs(P, 0)
        codes = ([] if dilation else ["dilation-missing"]) + ([] if padding else ["padding-forgotten"])
        codes += {"floor": [], "ceil": ["ceil-instead-of-floor"], "none": ["floor-missing"]}[rounding]
        codes += ["output-size-off-by-one"] if offset else []
        assumption = ", ".join(x for x, used in (("D = 1", not dilation), ("P = 0", not padding)) if used)
        alts.append(Alternative(" ".join(codes), expr + offset, assumption))
    return alts


def needs_dilation(expr: sympy.Expr) -> bool:
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
