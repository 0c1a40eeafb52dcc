"""NumPy evaluator for conv2d and 2-D pooling that matches torch.nn.functional (float64), with backwards.

Arrays are NCHW; CHW and plain HW are accepted and results keep the caller's rank. Same names and arguments
as torch.nn.functional: conv2d, max_pool2d, avg_pool2d, lp_pool2d (plus ``norm="normalized"`` for the power
mean), and a ``*_backward`` for each giving the gradient of sum(grad_out * forward). Invalid configurations
raise symconv.errors.ConfigError naming the argument.

>>> import numpy as np
>>> conv2d(np.ones((3, 3)), np.ones((2, 2)))
array([[4., 4.],
       [4., 4.]])
"""

from __future__ import annotations

from symconv.numeric.conv import conv2d, conv2d_backward
from symconv.numeric.lp import lp_pool2d, lp_pool2d_backward
from symconv.numeric.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv2d",
    "conv2d_backward",
    "lp_pool2d",
    "lp_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
]
