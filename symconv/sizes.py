"""Output sizes of convolution and pooling, as integers and as SymPy formulas (PyTorch's floor rule).

>>> output_size(5, 3)
3
>>> output_size(6, 3, padding=1, stride=2)
3
>>> output_size_expr()
floor((-D*(K - 1) + I + 2*P - 1)/S) + 1
"""

from __future__ import annotations

import numbers

import sympy

from symconv.errors import ConfigError

Pair = tuple[int, int]


def check_int(argument: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (Python, NumPy and SymPy integers; not bools, not floats, as PyTorch),
    or a ConfigError naming the argument and the allowed range.

    >>> check_int("stride", 2.0, 1)
    Traceback (most recent call last):
    ...
    symconv.errors.ConfigError: stride: must be an integer >= 1 (got 2.0)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ConfigError(argument, f"must be an integer >= {minimum}", value)
    return int(value)


def pair(argument: str, value: object, minimum: int) -> Pair:
    """An int or an (h, w) pair (a 1-tuple counts for both axes, as in PyTorch), validated.

    >>> pair("padding", (0, 1), 0), pair("stride", 2, 1), pair("dilation", (3,), 1)
    ((0, 1), (2, 2), (3, 3))
    """
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = (value[0], value[0])
        if len(value) != 2:
            raise ConfigError(argument, "must be an int or an (h, w) pair", value)
        return check_int(argument, value[0], minimum), check_int(argument, value[1], minimum)
    v = check_int(argument, value, minimum)
    return v, v


def conv_length(i: int, k: int, padding: int, stride: int, dilation: int) -> int:
    """The floor formula on checked integers, unvalidated (it may be < 1): ⌊(i + 2p − d(k−1) − 1)/s⌋ + 1."""
    return (i + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def pool_length(i: int, k: int, padding: int, stride: int, dilation: int, ceil_mode: bool) -> int:
    """Pooling's length on checked integers, unvalidated: with ``ceil_mode`` rounded up, unless the last window
    would start inside the right padding (PyTorch's rule; floor division as its div_rtn)."""
    span = i + 2 * padding - dilation * (k - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= i + padding:
        out -= 1
    return out


def output_size(i: int, k: int, *, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Output length along one axis: ⌊(i + 2p − d(k−1) − 1)/s⌋ + 1 (PyTorch's floor formula).

    Raises ConfigError naming the argument for stride < 1, dilation < 1, negative padding, non-integers and a
    kernel larger than the padded input.

    >>> output_size(5, 3, dilation=2)
    1
    >>> output_size(2, 3)
    Traceback (most recent call last):
    ...
    symconv.errors.ConfigError: kernel_size: effective kernel d*(k-1)+1 = 3 must be <= padded input i+2p = 2 (got 3)
    """
    i = check_int("input_size", i, 1)
    k = check_int("kernel_size", k, 1)
    p = check_int("padding", padding, 0)
    s = check_int("stride", stride, 1)
    d = check_int("dilation", dilation, 1)
    effective = d * (k - 1) + 1
    if effective > i + 2 * p:
        raise ConfigError("kernel_size", f"effective kernel d*(k-1)+1 = {effective} must be <= padded input "
                          f"i+2p = {i + 2 * p}", k)
    return conv_length(i, k, p, s, d)


def pool_output_size(i: int, k: int, *, stride: int, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Pooling output length: the floor formula, or with ``ceil_mode`` rounded up unless the last window would
    start inside the right padding (PyTorch's rule). Padding must be at most half the kernel.

    >>> pool_output_size(5, 2, stride=2), pool_output_size(5, 2, stride=2, ceil_mode=True)
    (2, 3)
    """
    i = check_int("input_size", i, 1)
    k = check_int("kernel_size", k, 1)
    p = check_int("padding", padding, 0)
    s = check_int("stride", stride, 1)
    d = check_int("dilation", dilation, 1)
    if 2 * p > k:
        raise ConfigError("padding", f"must be at most half the kernel size ({k // 2})", p)
    out = pool_length(i, k, p, s, d, ceil_mode)
    if out < 1:
        raise ConfigError("kernel_size", f"effective kernel d*(k-1)+1 = {d * (k - 1) + 1} leaves no output for "
                          f"padded input i+2p = {i + 2 * p}", k)
    return out


I, K, P, S, D = sympy.symbols("I K P S D", integer=True, positive=True)


def output_size_expr(*, dilation: bool = True, floor: bool = True) -> sympy.Expr:
    """The output-size formula as a SymPy expression in I (input), K (kernel), P, S and D, for documents.

    >>> output_size_expr(dilation=False, floor=False)
    1 + (I - K + 2*P)/S
    >>> output_size_expr().subs({I: 5, K: 3, P: 0, S: 1, D: 1})
    3
    """
    effective = D * (K - 1) + 1 if dilation else K
    inner = (I + 2 * P - effective) / S
    return (sympy.floor(inner) if floor else inner) + 1


def transposed_output_size(i: int, k: int, *, padding: int = 0, stride: int = 1, output_padding: int = 0,
                           dilation: int = 1) -> int:
    """Transposed convolution's output length (ConvTranspose2d): (i − 1)s − 2p + d(k − 1) + output_padding + 1.

    It inverts the floor formula: output_size of the result, with the same arguments, is ``i`` again. PyTorch's
    checks: output_padding must be smaller than the stride or the dilation, and the length must be >= 1.

    >>> transposed_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    >>> transposed_output_size(3, 3, stride=2, output_padding=2)
    Traceback (most recent call last):
    ...
    symconv.errors.ConfigError: output_padding: must be smaller than the stride (2) or the dilation (1) (got 2)
    """
    i = check_int("input_size", i, 1)
    k = check_int("kernel_size", k, 1)
    p = check_int("padding", padding, 0)
    s = check_int("stride", stride, 1)
    d = check_int("dilation", dilation, 1)
    a = check_int("output_padding", output_padding, 0)
    if a >= s and a >= d:
        raise ConfigError("output_padding", f"must be smaller than the stride ({s}) or the dilation ({d})", a)
    out = (i - 1) * s - 2 * p + d * (k - 1) + a + 1
    if out < 1:
        raise ConfigError("padding", f"2p = {2 * p} leaves no output for (i-1)s + d(k-1) + output_padding + 1 = "
                          f"{out + 2 * p}", p)
    return out


P_OUT = sympy.Symbol("P_out", integer=True, nonnegative=True)  # output_padding


def transposed_output_size_expr(*, dilation: bool = True, output_padding: bool = True) -> sympy.Expr:
    """Transposed convolution's output-size formula in I, K, P, S, D and P_out (output_padding), for documents.

    >>> transposed_output_size_expr(dilation=False, output_padding=False)
    K - 2*P + S*(I - 1)
    >>> transposed_output_size_expr().subs({I: 3, K: 3, P: 1, S: 2, D: 1, P_OUT: 1})
    6
    """
    effective = D * (K - 1) + 1 if dilation else K
    return (I - 1) * S - 2 * P + effective + (P_OUT if output_padding else 0)
