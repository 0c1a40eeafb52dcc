"""The lark transformer that builds SymPy objects straight from the parse, with the size caps on numbers.

It runs inline in the LALR parser (one callback per reduced rule), so no parse tree is ever built. Nothing
here evaluates text: numbers are built from their digits, names through ``grader.parse.names``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import sympy
from lark import Token, Transformer

from grader.parse.bigops import BigOpRules, _bigop_name
from grader.parse.context import current, note
from grader.parse.names import FUNCTIONS, Fail, entry, resolve_word, subscripted, symbol, token_start, token_word
from grader.parse.nodes import ELLIPSIS
from grader.parse.windows import MEAN_WORDS, WindowEntries, is_window, reduction

MAX_DIGITS = 50            # digits in one number literal
MAX_EXPONENT = 1000        # |exponent| of any numeric power
MAX_RESULT_DIGITS = 1000   # digits of any number computed while building
MAX_MATRIX = 50            # rows and columns of a matrix
_MAX_BITS = int(MAX_RESULT_DIGITS * math.log2(10))
_ENTRY_BRACKET_SPLIT = str.maketrans("[],", "   ")


class Partial(sympy.Expr):
    """``\\partial x`` waiting for its fraction; args (x, offset). Left over after building, it is an error."""

    is_commutative = True


def _check_number(value: Any, token: Token) -> Any:
    if getattr(value, "is_Rational", False) and max(value.p.bit_length(), value.q.bit_length()) > _MAX_BITS:
        raise Fail(token_start(token), f"number too large (more than {MAX_RESULT_DIGITS} digits)")
    return value


def _power(base: Any, exponent: Any, token: Token) -> sympy.Expr:
    if getattr(exponent, "is_Number", False) and exponent.is_finite:
        size = abs(exponent)
        if size > MAX_EXPONENT and base not in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
            raise Fail(token_start(token), f"exponent too large (limit {MAX_EXPONENT})")
        if getattr(base, "is_Rational", False) and base != 0:
            digits = float(size) * max(math.log10(abs(base.p)), math.log10(base.q))
            if digits > MAX_RESULT_DIGITS:
                raise Fail(token_start(token), f"exponent too large: the result would have {digits:.0f} digits")
    return _check_number(sympy.Pow(base, exponent), token)


def _derivative(numerator: Partial, denominator: Partial) -> sympy.Derivative:
    return sympy.Derivative(numerator.args[0], denominator.args[0], evaluate=False)


def _is_set_like(arg: Any) -> bool:
    """``max(S)``, ``\\max(S_{ij})``: a window name, or a capital name that is no matrix entry or variable."""
    if is_window(arg) or isinstance(arg, sympy.Indexed):
        return True
    context = current()
    return (isinstance(arg, sympy.Symbol) and len(arg.name) == 1 and arg.name.isupper()
            and arg.name not in context.variables | context.matrices | context.losses)


def _apply(name: str, args: list, token: Token) -> sympy.Expr:
    """A whitelisted function of already-built arguments."""
    one = len(args) == 1
    if name in ("max", "min", "sum") or name in MEAN_WORDS:
        if one and _is_set_like(args[0]):
            x = symbol("x")
            return reduction(name, x, x, args[0])
        if name in MEAN_WORDS:
            return sympy.Add(*args) / len(args)
        return {"max": sympy.Max, "min": sympy.Min, "sum": sympy.Add}[name](*args)
    if name == "log" and len(args) == 2:
        return sympy.log(*args)
    if not one:
        raise Fail(token_start(token), f"'{name}' takes one argument, got {len(args)}")
    if name == "sqrt":
        return _power(args[0], sympy.S.Half, token)
    if name == "int":
        note("read int(...) as the floor (the same for the positive sizes of a layer)")
    function = {"floor": sympy.floor, "int": sympy.floor, "ceil": sympy.ceiling, "log": sympy.log, "ln": sympy.log,
                "exp": sympy.exp, "abs": sympy.Abs}[name]
    return function(args[0])


class Builder(BigOpRules, Transformer):
    """One method per grammar rule (see answer.lark); arguments are the already-built children. Relations,
    limits and reductions are in ``grader.parse.bigops``."""

    # ---- whole answers ------------------------------------------------------------------------------
    def start_expr(self, c):
        """A whole answer read as one expression."""
        return c[0]

    def start_equation(self, c):
        """A whole answer read as an equation (or a relation): the built chain."""
        return c[0]

    def start_size(self, c):
        """A size ``3 x 3``, ``(3, 3)`` or ``[3, 3]``: a pair of whole numbers >= 1 (six digits at most)."""
        numbers = [t for t in c if t.type == "NUMBER"]
        for t in numbers:
            if not t.isdigit() or int(t) < 1 or len(t) > 6:
                raise Fail(t.start_pos, "a size is made of whole numbers >= 1")
        return int(numbers[0]), int(numbers[1])

    # ---- matrices -----------------------------------------------------------------------------------
    def env_matrix(self, c):
        r"""A matrix environment (``\begin{bmatrix}...\end{bmatrix}``, ``array``, ``tabular``; bracketed or
        not) whose ``\end`` matches its ``\begin``."""
        begin, rows, end = c[-4:-1] if len(c) == 5 else c  # \left[ \begin{array} ... \end{array} \right]
        opened = begin.split("{")[1].split("}")[0].strip()
        closed = end.split("{")[1].split("}")[0].strip()
        if opened != closed:
            raise Fail(end.start_pos, f"\\end{{{closed}}} does not match \\begin{{{opened}}}")
        starts = [begin.end_pos] + [sep.end_pos for sep in rows[1::2]]
        return to_matrix(list(zip(rows[0::2], starts, strict=False)))

    def rows(self, c):
        r"""The rows of an environment with their ``\\`` separators (the separators give each row's offset)."""
        return c

    def row(self, c):
        """The entries of one row, without the ``&`` between them."""
        return c[0::2]

    def list_row(self, c):
        """One ``[a, b, c]`` row: (its entries, its offset)."""
        return c[1:-1:2], c[0].start_pos

    def list_matrix(self, c):
        """Nested lists ``[[1, 2], [3, 4]]`` as a matrix."""
        return to_matrix([item for item in c if isinstance(item, tuple)])

    # ---- arithmetic ---------------------------------------------------------------------------------
    def sum(self, c):
        """Terms joined by ``+`` and ``-`` (any dash), with the size cap on the result."""
        terms = [c[0]]
        for op, term in zip(c[1::2], c[2::2], strict=True):
            terms.append(term if op == "+" else -term)
        return _check_number(sympy.Add(*terms), c[1])

    def product(self, c: list[Any]) -> Any:
        r"""Factors by ``*``, ``\cdot``, ``\times``, juxtaposition, ``/`` (a quotient of two ``\partial``
        is a derivative) and ``//`` (floor division), with the size cap on the result."""
        factors = [c[0]]
        pending: Token | None = None
        for item in c[1:]:
            if isinstance(item, Token):
                pending = item
                continue
            if pending is not None and pending.type == "FLOORDIV":
                factors = [sympy.floor(sympy.Mul(*factors) / item)]
            elif pending is not None and pending.type == "DIVOP":
                if isinstance(factors[-1], Partial) and isinstance(item, Partial):
                    factors[-1] = _derivative(factors[-1], item)
                else:
                    factors.append(_power(item, sympy.S.NegativeOne, pending))
            else:
                factors.append(item)
            pending = None
        return _check_number(sympy.Mul(*factors), next((t for t in c if isinstance(t, Token)), _NO_TOKEN))

    def signed(self, c):
        """A leading sign: ``-x`` or ``+x``."""
        return -c[1] if c[0] != "+" else c[1]

    def power(self, c):
        """``base^exponent`` with the exponent caps; ``X_{pq}^k`` with ``k`` a channel index is an indexed name."""
        base, exponent = c[0], c[2]
        if isinstance(base, sympy.Indexed) and _is_index_letter(exponent):
            return _channel(base.base.label.name, exponent.name, base.indices)
        return _power(base, exponent, c[1])

    def number(self, c):
        """A decimal or scientific literal (``2.5``, ``1e-3``) as an exact Rational, built from its digits."""
        (t,) = c
        mantissa, _, exponent = t.lower().partition("e")
        whole, _, fraction = mantissa.partition(".")
        if len(whole) + len(fraction) > MAX_DIGITS:
            raise Fail(t.start_pos, f"number too long (more than {MAX_DIGITS} digits)")
        value = sympy.Rational(int(whole or "0") * 10 ** len(fraction) + int(fraction or "0"), 10 ** len(fraction))
        if exponent:  # scientific notation: 1e-3, 2.5E2
            if abs(int(exponent)) > MAX_RESULT_DIGITS:
                raise Fail(t.start_pos, f"exponent too large (limit {MAX_RESULT_DIGITS})")
            value *= sympy.Rational(10) ** int(exponent)
        return value

    def infinity(self, c):
        r"""``\infty`` or ``∞``: SymPy's ``oo``."""
        return sympy.oo

    def ellipsis(self, c):
        r"""``\dots``, ``…`` or ``...``: the ``ELLIPSIS`` marker of an elided sum."""
        return ELLIPSIS

    def group(self, c):
        """A bracketed expression; ``[(n - f)/s]`` gets a note, as [x] is also written for the integer part."""
        if c[0].type == "LBRACK" and _divides_by_a_name(c[1]):
            note("read [...] as brackets; [x] is also written for the integer part of x", guessed=True)
        return c[1]

    def floor(self, c):
        r"""``\lfloor x \rfloor``."""
        return sympy.floor(c[1])

    def ceiling(self, c):
        r"""``\lceil x \rceil``."""
        return sympy.ceiling(c[1])

    def frac(self, c):
        r"""``\frac{a}{b}``; ``\frac{\partial E}{\partial A_{24}}`` is an unevaluated derivative."""
        _, top, bottom = c
        if isinstance(top, Partial) and isinstance(bottom, Partial):
            return _derivative(top, bottom)
        return _check_number(sympy.Mul(top, _power(bottom, sympy.S.NegativeOne, c[0])), c[0])

    def arg_char(self, c):
        r"""A one-character argument (``\frac12``): a digit or a name."""
        (t,) = c
        return sympy.Integer(int(t)) if t.isdigit() else resolve_word(str(t), t.start_pos)

    def sqrt(self, c):
        r"""``\sqrt{x}`` or ``\sqrt[n]{x}`` as a power, with the exponent caps."""
        index = c[2] if len(c) == 5 else sympy.Integer(2)
        return _power(c[-1], 1 / index, c[0])

    def latex_function(self, c):
        r"""``\log``, ``\ln`` or ``\exp`` of its argument."""
        return _apply({"\\ln": "log"}.get(c[0], c[0][1:]), [c[1]], c[0])

    def call(self, c):
        r"""``f(args)``: a whitelisted function, ``\text{input}(N, C, h, w)``, a matrix entry ``A(1,1)``, a
        function's name ``f(X)``, or a name times a group ``S(x)``; anything else is an unknown function."""
        token, args = c[0], c[2:-1:2]
        word = token_word(str(token))
        if word in FUNCTIONS:
            return _apply(word, args, token)
        if token.type == "TEXTNAME" and word.isalpha() and len(args) in (2, 4):  # \text{input}(N_i, C_j, h, w)
            if len(args) == 4:
                note(f"read {word}(N, C, h, w) as the entry (h, w) of one image and channel")
            return sympy.IndexedBase(symbol(word))[tuple(args[-2:])]
        if len(word) == 1 and word in current().matrices and len(args) == 2:  # A(1,1): an entry
            if not all(isinstance(a, sympy.Integer) and 1 <= a < 1000 for a in args):
                raise Fail(token.start_pos, "matrix entries are numbered from 1")
            return entry(word, int(args[0]), int(args[1]))
        if word in _FUNCTION_LETTERS and word not in current().variables:  # f(X) = ...: a function's name
            note(f"read {word}(...) as a function's name, not a product")
            return sympy.Function(word)(*args)
        if token.type == "GREEK" or word[:1].isalpha() and (len(word) == 1 or word[1:].isdigit()):
            if len(args) == 1:  # S(x), A24(a+b): implicit multiplication by a group
                return sympy.Mul(resolve_word(str(token) if token.type == "GREEK" else word, token.start_pos),
                                 args[0])
            raise Fail(token.start_pos, f"'{word}' is not a function")
        raise Fail(token.start_pos, f"unknown function '{word}'")

    def bigop_call(self, c):
        r"""``\max(a, b)``, ``\min\{a, b\}``, ``mean(S)``: a big operator called like a function."""
        return _apply(_bigop_name(c[0]), c[2:-1:2], c[0])

    def partial(self, c):
        r"""``\partial x``, waiting for the fraction it belongs to."""
        return Partial(c[1], sympy.Integer(c[0].start_pos))

    def nabla(self, c):
        r"""``\nabla_A E``: the gradient of E with respect to A, as a derivative."""
        name = re.sub(r"\\[A-Za-z]+|[{}\s]", "", str(c[1])[1:])
        if not (len(name) == 1 and name.isalpha()):
            raise Fail(c[1].start_pos, "write the gradient as \\nabla_A E")
        return sympy.Derivative(c[2], symbol(name), evaluate=False)

    def partial_braced(self, c):
        r"""``\partial{L}``, waiting for the fraction it belongs to."""
        return Partial(c[2], sympy.Integer(c[0].start_pos))

    def axis_name(self, c):
        """``kernel_size[0]`` and the like: refused with a message (one axis of a size is not read)."""
        raise Fail(c[0].start_pos, f"'{' '.join(str(c[0]).split())}' is not supported")

    # ---- names --------------------------------------------------------------------------------------
    def name(self, c):
        """A name: a letter or word, an entry (``A[2,4]``, ``A_{24}``), an indexed name (``x_{pq}``), a
        superscripted name (``X^k_{pq}``, a power unless ``k`` is an index), or ``dE``, ``dA_{11}`` (a differential)."""
        token = c[0]
        if token.type == "ENTRY_BRACKET":
            letter, i, j = str(token).translate(_ENTRY_BRACKET_SPLIT).split()
            if min(int(i), int(j)) < 1 or max(len(i), len(j)) > 3:
                raise Fail(token.start_pos, "matrix entries are numbered from 1")
            return entry(letter, int(i), int(j))
        if token.type == "SUPSUB_NAME":
            head, _, sub = str(token).partition("_")
            letter, _, sup = re.sub(r"\\[A-Za-z]+|[{}\s]", "", head).partition("^")
            indexed = subscripted(letter, sub, token.start_pos)
            if isinstance(indexed, WindowEntries) and sup.isalpha() and sup in current().indices:
                return indexed  # X^k_{S_{ij}}: channel k's entries in the window
            if sup.isalpha() and sup in current().indices and isinstance(indexed, sympy.Indexed):
                return _channel(letter, sup, indexed.indices)
            if sup.isdigit() or sup.isalpha():
                note(f"read {token} as the power ({letter}_{{{sub.strip('{}')}}})^{sup}")
                value = sympy.Integer(int(sup)) if sup.isdigit() else resolve_word(sup, token.start_pos)
                return _power(indexed, value, token)
            raise Fail(token.start_pos, f"'{token}' is not supported")
        word = token_word(str(token))
        if token.type == "NAME" and _is_differential(word, len(c) > 1):  # dE/dA_11: d for \partial
            inner = resolve_word(word[1:], token.start_pos + 1) if len(c) == 1 else subscripted(
                word[1:], c[1][1:], c[1].start_pos)
            return Partial(inner, sympy.Integer(token.start_pos))
        if len(c) == 1:
            return resolve_word(word, token.start_pos)
        base = word[1:] if token.type == "GREEK" else word
        if not (len(base) == 1 or token.type == "GREEK") or not base.isalpha():
            raise Fail(token.start_pos, f"'{word}' cannot take a subscript")
        return subscripted(base, c[1][1:], c[1].start_pos)


_NO_TOKEN = Token("NONE", "", start_pos=0)


_FUNCTION_LETTERS = frozenset("fgh")


def _divides_by_a_name(value: Any) -> bool:
    """A quotient by a variable somewhere in ``value`` (``(n - f)/s``), where [..] could mean the integer part."""
    if not isinstance(value, sympy.Basic):
        return False
    return any(power.exp.is_negative and power.base.free_symbols for power in value.atoms(sympy.Pow))


def _is_differential(word: str, subscripted_: bool) -> bool:
    """``dE``, ``dA`` + subscript, ``dy_{11}``: d then one letter naming the loss, a matrix, or an entry."""
    if len(word) != 2 or word[0] != "d" or not word[1].isalpha():
        return False
    context = current()
    return subscripted_ or word[1] in context.losses or word[1] in context.matrices


def _is_index_letter(value: Any) -> bool:
    return isinstance(value, sympy.Symbol) and value.name in current().indices


def _channel(letter: str, index: str, indices: tuple) -> sympy.Indexed:
    """``X^k_{pq}`` or ``X_{pq}^k`` with ``k`` a channel index: the indexed name ``X^k[p, q]``."""
    texts = [str(i) for i in indices]
    written = "".join(texts) if all(len(t) == 1 for t in texts) else ",".join(texts)
    note(f"read {letter}^{index}_{{{written}}} with {index} as the channel index, not a power")
    return sympy.IndexedBase(symbol(f"{letter}^{index}"))[tuple(indices)]


def to_matrix(rows: list[tuple[list, int]]) -> sympy.ImmutableMatrix:
    """Rows (entries, offset of the row) to a Matrix, refusing ragged or oversized ones."""
    if len(rows) > MAX_MATRIX:
        raise Fail(rows[MAX_MATRIX][1], f"matrix too large (more than {MAX_MATRIX} rows)")
    width = len(rows[0][0])
    for number, (entries, offset) in enumerate(rows, start=1):
        if len(entries) > MAX_MATRIX:
            raise Fail(offset, f"matrix too large (more than {MAX_MATRIX} columns)")
        if len(entries) != width:
            raise Fail(offset, f"row {number} has {len(entries)} entries but row 1 has {width}")
    return sympy.ImmutableMatrix([entries for entries, _ in rows])
