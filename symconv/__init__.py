"""symconv: symbolic convolution and pooling, their gradients, verified limits, and grading.

>>> from symconv import sym_matrix, conv2d, conv2d_grad, output_size
>>> A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
>>> output_size(5, 3)
3
>>> conv2d_grad(A, B)[0][0, 1]
B_11 + B_12
"""

from symconv.chain import ChainRule, ChainTerm, chain_rule, partial
from symconv.conv import conv2d, conv2d_grad
from symconv.derivation import Derivation, derive
from symconv.errors import ConfigError, SpecError, SymconvError, VerificationError
from symconv.latex import latex
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

__all__ = [
    "ChainRule", "ChainTerm", "ConfigError", "Derivation", "derive", "SpecError", "SymconvError",
    "VerificationError", "as_matrix",
    "chain_rule", "conv2d", "conv2d_grad", "entry_symbol", "latex", "output_size", "output_size_expr",
    "parse_entry_name", "partial", "pool_output_size", "sym_matrix", "avg_pool2d", "avg_pool2d_grad",
    "lp_pool2d", "lp_pool2d_grad", "max_pool2d", "max_pool2d_grad", "pool_windows", "verify",
    "verify_conv2d", "verify_conv2d_grad", "verify_pool", "load_spec", "derive_solution",
]
from symconv.solution import derive_solution  # noqa: E402
from symconv.spec import load_spec  # noqa: E402
from symconv.verify import verify, verify_conv2d, verify_conv2d_grad, verify_pool  # noqa: E402

__version__ = "0.1.0"
