"""The reference solution of a problem spec: every answer derived by the engine and verified numerically.

The solution documents typeset it and the grader compares against it; nothing here is typed in by hand.

>>> sol = derive_solution()               # the built-in homework
>>> sol.output_shape
(3, 3)
>>> sol.grad_input.tolist()[0]
[4, 7, 10, 6, 3]
>>> sol.chain[(2, 4)].total
B_12 + B_13 + B_22 + B_23
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy

from symconv.chain import ChainRule, chain_rule
from symconv.conv import conv2d, conv2d_grad
from symconv.errors import SpecError
from symconv.matrices import sym_matrix
from symconv.pooling import avg_pool2d, max_pool2d
from symconv.sizes import output_size_expr
from symconv.spec import Spec, load_spec
from symconv.verify import verify_conv2d, verify_conv2d_grad, verify_pool

#: The torch.nn modules for 2-D pooling; `check_pool_modules` confirms them against the installed torch.
POOL_MODULES = {"max": "torch.nn.MaxPool2d", "avg": "torch.nn.AvgPool2d", "lp": "torch.nn.LPPool2d"}


def check_pool_modules() -> bool:
    """True when torch is installed and every path in POOL_MODULES resolves; False without torch."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch.nn  # noqa: F401  (imported only where it exists; used through importlib below)

    for path in POOL_MODULES.values():
        module, _, name = path.rpartition(".")
        if not hasattr(importlib.import_module(module), name):
            raise SpecError("torch", f"{path} does not exist in the installed torch")
    return True


@dataclass(frozen=True)
class ConvResults:
    """The convolution's derived answers; symbolic forms are in the entry symbols A_ij, B_mn (and G_uv)."""

    input: sympy.Matrix                  # A, numbers (or the spec's symbols: a, w_11, A_ij)
    kernel: sympy.Matrix                 # B, numbers (or symbols)
    output_shape: tuple[int, int]
    output: sympy.Matrix                 # C = A ⋆ B (A * B with convolution.mode: convolution), numbers
    output_symbolic: sympy.Matrix        # C in A_ij and B_mn
    upstream: sympy.Matrix               # ∂E/∂C: ones, G_uv or the spec's upstream matrix
    grad_input: sympy.Matrix             # ∂E/∂A, numbers (or in G_uv when the upstream is symbolic)
    grad_input_symbolic: sympy.Matrix    # ∂E/∂A as sums of B terms
    grad_kernel: sympy.Matrix            # ∂E/∂B
    chain: dict[tuple[int, int], ChainRule]   # (i, j) 1-based -> chain-rule expansion
    symbols: dict[str, sympy.Matrix] = field(default_factory=dict)


@dataclass
class Solution:
    """Reference answers for a spec: the convolution's (``conv``, None for a spec without a convolution section;
    its answers are also attributes, ``sol.output``), the pooling's and the network's, each derived and verified.
    """

    spec: Spec
    conv: ConvResults | None = None

    def _conv(self) -> ConvResults:
        if self.conv is None:
            raise SpecError(self.spec.source, "this spec has no convolution section")
        return self.conv

    @property
    def input(self) -> sympy.Matrix:
        """The convolution's input, numbers."""
        return self._conv().input

    @property
    def kernel(self) -> sympy.Matrix:
        """The kernel, numbers."""
        return self._conv().kernel

    @property
    def output_shape(self) -> tuple[int, int]:
        """The convolution output's shape."""
        return self._conv().output_shape

    @property
    def output(self) -> sympy.Matrix:
        """C = A ⋆ B, numbers."""
        return self._conv().output

    @property
    def output_symbolic(self) -> sympy.Matrix:
        """C in the entry symbols A_ij and B_mn."""
        return self._conv().output_symbolic

    @property
    def upstream(self) -> sympy.Matrix:
        """∂E/∂C: ones or G_uv."""
        return self._conv().upstream

    @property
    def grad_input(self) -> sympy.Matrix:
        """∂E/∂A, numbers (or in G_uv when the upstream is symbolic)."""
        return self._conv().grad_input

    @property
    def grad_input_symbolic(self) -> sympy.Matrix:
        """∂E/∂A as sums of kernel terms."""
        return self._conv().grad_input_symbolic

    @property
    def grad_kernel(self) -> sympy.Matrix:
        """∂E/∂B."""
        return self._conv().grad_kernel

    @property
    def chain(self) -> dict[tuple[int, int], ChainRule]:
        """(i, j) 1-based -> the chain-rule expansion of ∂E/∂A_ij."""
        return self._conv().chain

    @property
    def symbols(self) -> dict[str, sympy.Matrix]:
        """The symbolic input and kernel by name."""
        return self._conv().symbols

    @cached_property
    def pooled_max(self) -> sympy.Matrix | None:
        """Max pooling of the pooling's input, verified numerically (None without a pooling section)."""
        return self._pool("max")

    @cached_property
    def pooled_avg(self) -> sympy.Matrix | None:
        """Average pooling of the pooling's input, verified numerically (None without a pooling section)."""
        return self._pool("avg")

    def _pool(self, kind: str) -> sympy.Matrix | None:
        pool = self.spec.pooling
        if pool is None:
            return None
        x = self.pool_input
        kwargs: dict[str, Any] = dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding)
        result = (max_pool2d if kind == "max" else avg_pool2d)(x, **kwargs)
        verify_pool(kind, x, result, name="Y", **kwargs)
        return result

    @cached_property
    def pool_input(self) -> sympy.Matrix:
        """The matrix the pooling pools: the convolution's output or a named matrix (a SpecError otherwise)."""
        pool = self.spec.pooling
        if pool is None:
            raise SpecError(self.spec.source, "this spec has no pooling section")
        if self.spec.convolution is not None and pool.input == self.spec.convolution.output:
            return self.output
        if pool.input not in self.spec.matrices:
            raise SpecError(self.spec.source, f"pooling.input {pool.input!r} is neither the convolution output "
                            "nor one of the matrices")
        return self.spec.matrices[pool.input]

    @property
    def output_size_formula(self) -> sympy.Expr:
        """PyTorch's output-size formula in I, K, P, S, D (:func:`symconv.sizes.output_size_expr`)."""
        return output_size_expr()

    @property
    def pool_modules(self) -> dict[str, str]:
        """The torch.nn module of each pooling kind."""
        return dict(POOL_MODULES)

    # How a solution shows itself (REPL, notebook) and its pictures; the results in the documents' order.

    def _config(self) -> dict[str, Any]:
        c = self.spec.conv
        return {"stride": c.stride, "padding": c.padding, "dilation": c.dilation}

    def __repr__(self) -> str:
        """One line: the spec's name, the convolution and its configuration, the pooling."""
        if self.conv is None:
            net = self.spec.network
            what = f"a network of {len(net.layers)} layers on {net.input}" if net else "no convolution"
            return f"Solution({self.spec.name}: {what})"
        c, pool = self.spec.conv, self.spec.pooling
        (kh, kw), (H, W) = self.kernel.shape, self.input.shape
        config = ", ".join(f"{k}={v[0] if v[0] == v[1] else v}" for k, v in self._config().items())
        op = "*" if c.flip else "⋆"   # true convolution, or cross-correlation
        text = (f"Solution({self.spec.name}: {c.input} {H}x{W} {op} {c.kernel} {kh}x{kw} -> {c.output} "
                f"{self.output_shape[0]}x{self.output_shape[1]}, {config}, d{c.loss}/d{c.output} = {c.upstream}")
        if pool is not None:
            text += f"; pooling {pool.kernel_size[0]}x{pool.kernel_size[1]} stride {pool.stride[0]}"
        return text + ")"

    def _results(self) -> list[tuple[sympy.Basic | str, sympy.Matrix]]:
        """(name, matrix) of each result, in the documents' order."""
        if self.conv is None:
            return []
        c = self.spec.conv
        E = sympy.Symbol(c.loss)
        rows: list[tuple[sympy.Basic | str, sympy.Matrix]] = [(sympy.Symbol(c.output), self.output),
                (sympy.Derivative(E, sympy.Symbol(c.input), evaluate=False), self.grad_input),
                (sympy.Derivative(E, sympy.Symbol(c.kernel), evaluate=False), self.grad_kernel)]
        if self.spec.pooling is not None:
            rows += [("max pool", self.pooled_max), ("avg pool", self.pooled_avg)]
        return rows

    def __str__(self) -> str:
        lines = [repr(self)]
        for name, value in self._results():
            label = f"d{name.expr}/d{name.variables[0]}" if isinstance(name, sympy.Derivative) else str(name)
            lines.append(f"{label} = {value.tolist()}")
        return "\n".join(lines)

    def _latex(self, printer: Any, **_: Any) -> str:
        rows = [(r"\text{" + name + "}" if isinstance(name, str) else printer._print(name)) + " &= "
                + printer._print(value) for name, value in self._results()]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        from symconv.latex import latex

        return f"$\\displaystyle {latex(self)}$"

    def plot_window(self, u: int = 1, v: int = 1) -> Any:
        """The sliding window of output entry (u, v), 1-based (:func:`symconv.plot.sliding_window`)."""
        from symconv.plot import sliding_window

        return sliding_window(self.input, self.kernel, (u, v), flip=self.spec.conv.flip, **self._config())

    def plot_gradient(self, values: str = "count") -> Any:
        """How many outputs each input entry feeds, or the input gradient (:func:`symconv.plot.gradient_heatmap`)."""
        from symconv.plot import gradient_heatmap

        upstream = self.upstream if values == "gradient" else None
        used = self.kernel[::-1, ::-1] if self.spec.conv.flip else self.kernel   # the kernel the layer applies
        return gradient_heatmap(self.input, used, upstream=upstream, values=values, **self._config())

    def plot_pool(self, u: int = 1, v: int = 1) -> Any:
        """Max pooling's window of output entry (u, v), with its winner (:func:`symconv.plot.pool_window`)."""
        from symconv.plot import pool_window

        pool = self.spec.pooling
        if pool is None:
            raise SpecError(self.spec.source, "this spec has no pooling section")
        return pool_window(self.pool_input, pool.kernel_size, (u, v), stride=pool.stride, padding=pool.padding)


def derive_solution(spec: Spec | str | None = None) -> Solution:
    """Derive and verify the reference answers of ``spec`` (a Spec, a path, or None for the homework)."""
    spec = load_spec(spec) if not isinstance(spec, Spec) else spec
    return Solution(spec=spec, conv=_derive_conv(spec) if spec.convolution is not None else None)


def upstream_matrix(spec: Spec, shape: tuple[int, int]) -> sympy.Matrix:
    """∂E/∂C: ones, the symbolic G_uv (``convolution.upstream_name``), or the spec's upstream matrix.

    >>> upstream_matrix(load_spec(), (1, 2))
    Matrix([[1, 1]])
    """
    c = spec.conv
    if c.upstream == "ones":
        return sympy.ones(*shape)
    if c.upstream == "symbolic":
        return sym_matrix(c.upstream_name, *shape)
    return spec.matrices[c.upstream]


def _derive_conv(spec: Spec) -> ConvResults:
    """The convolution's answers, each verified numerically, and the chain rule checked against the gradient.

    ``convolution.mode: convolution`` rotates the kernel by 180 degrees (``flip``) in every one of them: the output,
    both gradients (the kernel's with respect to the kernel as given) and the chain-rule expansions.
    """
    c = spec.conv
    cfg: dict[str, Any] = dict(stride=c.stride, padding=c.padding, dilation=c.dilation, flip=c.flip)
    A, B = spec.matrices[c.input], spec.matrices[c.kernel]
    As, Bs = sym_matrix(c.input, *A.shape), sym_matrix(c.kernel, *B.shape)

    out_sym = conv2d(As, Bs, **cfg)
    verify_conv2d(As, Bs, out_sym, name=c.output, **cfg)
    subs = {**dict(zip(As, A)), **dict(zip(Bs, B))}
    out = out_sym.xreplace(subs)
    verify_conv2d(A, B, out, name=c.output, **cfg)

    upstream = upstream_matrix(spec, out.shape)
    g_in_sym, g_k_sym = conv2d_grad(As, Bs, upstream, **cfg)
    verify_conv2d_grad(As, Bs, upstream, g_in_sym, g_k_sym, **cfg)
    g_in, g_k = g_in_sym.xreplace(subs), g_k_sym.xreplace(subs)
    chain = {(i, j): chain_rule(As, Bs, i, j, upstream=upstream, output_name=c.output, loss_name=c.loss, **cfg)
             for i in range(1, A.rows + 1) for j in range(1, A.cols + 1)}
    for (i, j), rule in chain.items():  # the chain rule and the gradient are two routes to one answer
        if sympy.expand(rule.total - g_in_sym[i - 1, j - 1]) != 0:
            raise SpecError(spec.source, f"internal check failed: chain rule for {rule.entry} disagrees")
    return ConvResults(input=A, kernel=B, output_shape=out.shape, output=out, output_symbolic=out_sym,
                       upstream=upstream, grad_input=g_in, grad_input_symbolic=g_in_sym, grad_kernel=g_k,
                       chain=chain, symbols={c.input: As, c.kernel: Bs})
