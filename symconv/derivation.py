"""``derive(...)``: every entry of the input (or kernel) gradient of E = sum(G * (A ⋆ B)), checked numerically.

The library side of ``symconv derive``: a pure function that returns a ``Derivation`` (as ``window_limits`` does
for limits); the command only parses arguments and prints one of its renderings.

>>> d = derive((5, 5), (3, 3))
>>> d.output_shape, d.entries[1]
((3, 3), (A_12, B_11 + B_12))
>>> print(d.to_text().splitlines()[2])
dE/dA_12 = B_11 + B_12
>>> derive((3, 3), (2, 2), wrt="kernel", upstream="symbolic").entries[0]
(B_11, A_11*G_11 + A_12*G_12 + A_21*G_21 + A_22*G_22)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy.printing.printer import Printer

from symconv.chain import ChainRule, chain_rule, partial
from symconv.conv import conv2d_grad
from symconv.errors import ConfigError
from symconv.latex import SymconvLatexPrinter, latex
from symconv.matrices import sym_matrix
from symconv.sizes import Pair, output_size, pair
from symconv.verify import verify_conv2d_grad

UPSTREAMS = ("ones", "symbolic")
WRTS = ("input", "kernel")


@dataclass(frozen=True)
class Derivation:
    """The derived gradient: ``entries`` lists (entry symbol, its derivative) in row order; ``chains`` holds the
    chain-rule expansion of each input entry (1-based keys) when it was asked for."""

    input_shape: Pair
    kernel_shape: Pair
    output_shape: Pair
    stride: int | Pair
    padding: int | Pair
    dilation: int | Pair
    upstream: str
    wrt: str
    entries: list[tuple[sympy.Symbol, sympy.Expr]]
    chains: dict[tuple[int, int], ChainRule] = field(default_factory=dict)

    def _chain(self, k: int) -> ChainRule | None:
        if not self.chains:
            return None
        cols = self.input_shape[1]
        return self.chains.get((k // cols + 1, k % cols + 1))

    def to_text(self) -> str:
        """A header line, then one ``dE/dA_ij = ...`` line per entry (the chain expansion when derived)."""
        head = (f"E = sum(G * C), C = A ⋆ B: A {_shape(self.input_shape)}, B {_shape(self.kernel_shape)} -> "
                f"C {_shape(self.output_shape)}; dE/dC = {'G' if self.upstream == 'symbolic' else 'ones'}; "
                "checked numerically")
        lines = [str(rule) if (rule := self._chain(k)) else f"dE/d{s} = {e}"
                 for k, (s, e) in enumerate(self.entries)]
        return "\n".join([head, *lines])

    def to_latex(self, **settings: Any) -> str:
        """An ``align*`` environment, one aligned equation per entry, by the project's printer with ``settings``."""
        return SymconvLatexPrinter(settings).doprint(self)

    def _latex(self, printer: Printer, **_: Any) -> str:
        lines = [printer._print(rule if (rule := self._chain(k)) else
                                sympy.Eq(partial(sympy.Symbol("E"), s), e, evaluate=False)).replace(" = ", " &= ", 1)
                 for k, (s, e) in enumerate(self.entries)]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"

    def _repr_latex_(self) -> str:   # Jupyter's MathJax renders an align* environment as it is
        return self.to_latex()

    def __repr__(self) -> str:
        """One line: what was derived, for which shapes and configuration, and how many entries."""
        of = "A" if self.wrt == "input" else "B"
        config = f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}"
        return (f"Derivation(dE/d{of}: A {_shape(self.input_shape)} ⋆ B {_shape(self.kernel_shape)} -> "
                f"C {_shape(self.output_shape)}, {config}, dE/dC = {'G' if self.upstream == 'symbolic' else 'ones'}; "
                f"{len(self.entries)} entries{', with the chain rule' if self.chains else ''})")

    def to_json(self) -> str:
        """The sizes, the configuration and every entry as text and as LaTeX."""
        return json.dumps({
            "input": list(self.input_shape), "kernel": list(self.kernel_shape), "output": list(self.output_shape),
            "stride": self.stride, "padding": self.padding, "dilation": self.dilation,
            "upstream": self.upstream, "wrt": self.wrt,
            "entries": {str(s): str(e) for s, e in self.entries},
            "latex": {str(s): latex(e) for s, e in self.entries}}, indent=2)

    def plot(self) -> Any:
        """How many outputs each input entry feeds, for these shapes and this configuration
        (:func:`symconv.plot.gradient_heatmap`)."""
        from symconv.plot import gradient_heatmap

        return gradient_heatmap(sym_matrix("A", *self.input_shape), sym_matrix("B", *self.kernel_shape),
                                stride=self.stride, padding=self.padding, dilation=self.dilation)

    def __str__(self) -> str:
        return self.to_text()


def derive(input_shape: Pair, kernel_shape: Pair, *, stride: int | Pair = 1, padding: int | Pair = 0,
           dilation: int | Pair = 1, upstream: str = "ones", wrt: str = "input", chain: bool = False) -> Derivation:
    """Derive ∂E/∂A (``wrt="input"``) or ∂E/∂B (``"kernel"``) for symbolic A and B of the given shapes, with
    an upstream gradient of ones or symbolic G_uv, and check every entry numerically (VerificationError names
    the entry that disagrees). ``chain=True`` also expands each input entry by the chain rule."""
    if upstream not in UPSTREAMS:
        raise ConfigError("upstream", f"must be one of {', '.join(UPSTREAMS)}", upstream)
    if wrt not in WRTS:
        raise ConfigError("wrt", f"must be one of {', '.join(WRTS)}", wrt)
    cfg: dict[str, Any] = {"stride": stride, "padding": padding, "dilation": dilation}
    minimum = {"stride": 1, "padding": 0, "dilation": 1}
    axes = {k: pair(k, v, minimum[k]) for k, v in cfg.items()}
    out_shape = tuple(output_size(input_shape[a], kernel_shape[a], **{k: v[a] for k, v in axes.items()})
                      for a in (0, 1))
    A, B = sym_matrix("A", *input_shape), sym_matrix("B", *kernel_shape)
    G = sym_matrix("G", *out_shape) if upstream == "symbolic" else None
    dA, dB = conv2d_grad(A, B, G, **cfg)
    verify_conv2d_grad(A, B, G, dA, dB, **cfg)
    wrt_matrix, grad = (A, dA) if wrt == "input" else (B, dB)
    chains: dict[tuple[int, int], ChainRule] = {}
    if chain and wrt == "input":
        chains = {(i, j): chain_rule(A, B, i, j, upstream=G, **cfg)
                  for i in range(1, A.rows + 1) for j in range(1, A.cols + 1)}
    entries = [(wrt_matrix[i, j], grad[i, j]) for i in range(wrt_matrix.rows) for j in range(wrt_matrix.cols)]
    return Derivation(tuple(input_shape), tuple(kernel_shape), out_shape, stride, padding, dilation,  # type: ignore[arg-type]
                      upstream, wrt, entries, chains)


def _shape(s: tuple[int, ...]) -> str:
    return "x".join(map(str, s))

