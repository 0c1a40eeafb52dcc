"""symconv: symbolic convolution and pooling, their gradients, verified limits, and grading.

>>> from symconv import sym_matrix, conv2d, conv2d_grad, output_size
>>> A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
>>> output_size(5, 3)
3
>>> conv2d_grad(A, B)[0][0, 1]
B_11 + B_12

``from symconv import *`` brings in only names that shadow nothing common (Python's builtins, ``from sympy import
*``, ``math``, ``functools``, NumPy); ``latex``, ``partial`` and ``verify`` stay reachable by their modules, and
the pictures load matplotlib only when first used:

>>> import symconv
>>> symconv.latex.latex(A[0, 0] * B[0, 1]), symconv.chain.partial(A[0, 0], B[0, 0])
('A_{11} B_{12}', Derivative(A_11, B_11))
>>> "latex" in symconv.__all__, callable(symconv.verify.verify)
(False, True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Where each public name lives. Nothing is imported until first use, so `import symconv` is instant (SymPy loads
# with the first name used) and the command line can handle a Ctrl-C that lands while it loads.
_HOMES = {
    "symconv.chain": ("ChainRule", "ChainTerm", "chain_rule"),
    "symconv.conv": ("conv2d", "conv2d_grad"),
    "symconv.sequence": ("conv1d", "conv1d_grad"),
    "symconv.derivation": ("Derivation", "derive"),
    "symconv.errors": ("ConfigError", "SpecError", "SymconvError", "VerificationError"),
    "symconv.layer": ("conv2d_layer", "conv2d_layer_grad", "relu", "relu_grad"),
    "symconv.matrices": ("as_matrix", "entry_symbol", "parse_entry_name", "sym_matrix"),
    "symconv.pooling": ("avg_pool2d", "avg_pool2d_grad", "lp_pool2d", "lp_pool2d_grad", "max_pool2d",
                        "max_pool2d_grad", "pool_windows",
                        "MaxRoute", "max_pool2d_argmax", "max_pool2d_routes"),
    "symconv.sizes": ("output_size", "output_size_expr", "pool_output_size", "transposed_output_size",
                      "transposed_output_size_expr"),
    "symconv.solution": ("Solution", "derive_solution"),
    "symconv.spec": ("load_spec",),
    "symconv.stack": ("AvgPool2d", "Conv2d", "Flatten", "LPPool2d", "Linear", "MaxPool2d", "ReLU", "multiply_adds",
                      "output_shape", "parameter_count", "receptive_field"),
    "symconv.transposed": ("conv_transpose2d",),
    "symconv.verify": ("verify_conv2d", "verify_conv2d_grad", "verify_pool"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}
_SUBMODULES = frozenset({"chain", "conv", "derivation", "document", "errors", "evaluate", "figure_data",
                         "latex", "layer", "limits", "matrices", "norms", "numeric", "plot", "pooling", "sizes",
                         "solution", "spec", "stack", "transposed", "unicode", "verify"})

__all__ = sorted(_HOME, key=lambda n: (n[0].islower(), n))
__version__ = "0.1.0"

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from symconv.chain import ChainRule, ChainTerm, chain_rule  # noqa: F401
    from symconv.conv import conv2d, conv2d_grad  # noqa: F401
    from symconv.derivation import Derivation, derive  # noqa: F401
    from symconv.errors import ConfigError, SpecError, SymconvError, VerificationError  # noqa: F401
    from symconv.layer import conv2d_layer, conv2d_layer_grad, relu, relu_grad  # noqa: F401
    from symconv.matrices import as_matrix, entry_symbol, parse_entry_name, sym_matrix  # noqa: F401
    from symconv.pooling import (  # noqa: F401
        MaxRoute,
        avg_pool2d,
        avg_pool2d_grad,
        lp_pool2d,
        lp_pool2d_grad,
        max_pool2d,
        max_pool2d_argmax,
        max_pool2d_grad,
        max_pool2d_routes,
        pool_windows,
    )
    from symconv.sequence import conv1d, conv1d_grad  # noqa: F401
    from symconv.sizes import (  # noqa: F401
        output_size,
        output_size_expr,
        pool_output_size,
        transposed_output_size,
        transposed_output_size_expr,
    )
    from symconv.solution import Solution, derive_solution  # noqa: F401
    from symconv.spec import load_spec  # noqa: F401
    from symconv.stack import (  # noqa: F401
        AvgPool2d,
        Conv2d,
        Flatten,
        Linear,
        LPPool2d,
        MaxPool2d,
        ReLU,
        multiply_adds,
        output_shape,
        parameter_count,
        receptive_field,
    )
    from symconv.transposed import conv_transpose2d  # noqa: F401
    from symconv.verify import verify_conv2d, verify_conv2d_grad, verify_pool  # noqa: F401


def __getattr__(name: str) -> Any:
    """A public name, or a submodule (``symconv.latex``, ``symconv.plot``), imported on first use."""
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"symconv.{name}")
    else:
        raise AttributeError(f"module 'symconv' has no attribute {name!r}")
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME, *_SUBMODULES})
