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

from typing import Any

from symconv import latex, verify  # noqa: F401  (the modules, so symconv.latex.latex and symconv.verify.verify work)
from symconv.chain import ChainRule, ChainTerm, chain_rule
from symconv.conv import conv2d, conv2d_grad
from symconv.derivation import Derivation, derive
from symconv.errors import ConfigError, SpecError, SymconvError, VerificationError
from symconv.matrices import as_matrix, entry_symbol, parse_entry_name, sym_matrix
from symconv.pooling import (
                             avg_pool2d,
                             avg_pool2d_grad,
                             lp_pool2d,
                             lp_pool2d_grad,
                             max_pool2d,
                             max_pool2d_grad,
                             pool_windows,
)
from symconv.sizes import output_size, output_size_expr, pool_output_size
from symconv.solution import Solution, derive_solution
from symconv.spec import load_spec
from symconv.verify import verify_conv2d, verify_conv2d_grad, verify_pool

__all__ = [
    "ChainRule", "ChainTerm", "ConfigError", "Derivation", "Solution", "SpecError", "SymconvError",
    "VerificationError", "as_matrix", "avg_pool2d", "avg_pool2d_grad", "chain_rule", "conv2d", "conv2d_grad",
    "derive", "derive_solution", "entry_symbol", "load_spec", "lp_pool2d", "lp_pool2d_grad", "max_pool2d",
    "max_pool2d_grad", "output_size", "output_size_expr", "parse_entry_name", "pool_output_size", "pool_windows",
    "sym_matrix", "verify_conv2d", "verify_conv2d_grad", "verify_pool",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``symconv.plot`` on first use: matplotlib is imported then, not by ``import symconv``."""
    if name == "plot":
        import importlib

        return importlib.import_module("symconv.plot")
    raise AttributeError(f"module 'symconv' has no attribute {name!r}")
