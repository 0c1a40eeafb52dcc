"""What a part's answer may name: the spec's matrices, size variables, indices and loss, and how people name them.

The parser reads notation that can mean two things by asking the context: ``X_{pq}^k`` is a channel index
when ``k`` is one of ``indices`` (a power otherwise), ``DK`` is ``D*K`` only when every letter is one of
``variables``, ``padding`` or ``H_{in}`` is the variable its alias names. Lower-case one-letter aliases
(``p`` for padding, ``s`` for stride) clash with the pooling exponent ``p``, so they are not in ``DEFAULT``;
a size-formula part reads with ``SIZE_FORMULA`` (or ``context.extend(aliases=SIZE_LETTERS)``).

>>> DEFAULT.canonical("H_{in}"), DEFAULT.canonical("kernel_size"), DEFAULT.canonical("p")
('I', 'K', None)
>>> SIZE_FORMULA.canonical("p")
'P'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from types import MappingProxyType

_KEY_NOISE = re.compile(r"\\(?:text|mathrm|mathit|textrm|textit|mathsf|operatorname)\s*|[{}\s\\]")


def alias_key(name: str) -> str:
    r"""The lookup form of a written name: no braces, spaces or ``\text``; case kept.

    >>> alias_key(r"H_{\text{in}}"), alias_key(r"kernel\_size")
    ('H_in', 'kernel_size')
    """
    return _KEY_NOISE.sub("", name)


# How people name the built-in size variables (I input, K kernel, P padding, S stride, D dilation, O output).
# Only unambiguous names: every word here means one thing in any part of a convolution/pooling homework.
DEFAULT_ALIASES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(["H_in", "W_in", "I_in", "N_in", "L_in", "input_size", "input_width", "input_height",
                     "in_size", "n_in", "i_in"], "I"),
    **dict.fromkeys(["kernel_size", "ksize", "filter_size", "HH", "WW", "k_size", "K_size", "kernelsize", "kH", "kW",
                     "k_H", "k_W"], "K"),
    **dict.fromkeys(["padding", "pad", "P_pad", "zero_padding"], "P"),
    **dict.fromkeys(["stride", "S_stride", "strides"], "S"),
    **dict.fromkeys(["dilation", "D_dil", "dil"], "D"),
    **dict.fromkeys(["H_out", "W_out", "O_out", "N_out", "L_out", "I_out", "output_size", "output_width",
                     "output_height", "out_size", "n_out", "W'", "H'"], "O"),
})
# Letters that name these variables in other courses ((n - f + 2p)/s + 1, CS231n's (W - F + 2P)/S + 1) but mean
# something else elsewhere (the pooling exponent p, a weight W): only for a part that asks for a size formula.
SIZE_LETTERS: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(["n", "W", "H", "w", "h", "in", "input", "ih", "iw", "i_h", "i_w"], "I"),
    **dict.fromkeys(["f", "F", "k"], "K"), "p": "P", "s": "S", "d": "D",
    **dict.fromkeys(["out", "output", "oh", "ow", "o_h", "o_w"], "O"),
})


@dataclass(frozen=True)
class Context:
    """The names a part's answer may use; hashable, so readings can be cached by (text, expect, context).

    - ``matrices``: the spec's matrix names (entries ``A_{24}``, ``A(2,4)``).
    - ``variables``: single-letter size variables; ``DK`` reads as ``D*K`` only when every letter is one.
    - ``aliases``: written name -> canonical variable (keys in ``alias_key`` form; ``canonical`` normalises).
    - ``indices``: letters that are indices, never powers, when written as a superscript (channel ``k``).
    - ``losses``: names of the loss (``E``, ``L``, ``J``; ``\\mathcal{L}`` is ``L``).
    - ``windows``: names of a pooling window set; ``|S|`` is its number of cells, ``max(S)`` its maximum.
    - ``shapes``: the spec's matrices' shapes, so an entry may be numbered flat (``x5``, row-major from 1);
      ``flat``: the matrices whose entries the spec numbers flat, where ``x_{12}`` is entry 12, not (1, 2).

    >>> Context(variables=frozenset("IK")).extend(variables="P").variables == frozenset("IKP")
    True
    """

    matrices: frozenset[str] = frozenset()
    variables: frozenset[str] = frozenset()
    aliases: Mapping[str, str] = field(default_factory=dict)
    indices: frozenset[str] = frozenset()
    losses: frozenset[str] = frozenset()
    windows: frozenset[str] = frozenset()
    shapes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    flat: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("matrices", "variables", "indices", "losses", "windows", "flat"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        keyed = {alias_key(k): v for k, v in dict(self.aliases).items()}
        object.__setattr__(self, "aliases", MappingProxyType(keyed))
        object.__setattr__(self, "shapes", MappingProxyType({str(k): (int(v[0]), int(v[1]))
                                                             for k, v in dict(self.shapes).items()}))

    def _key(self) -> tuple:
        return (self.matrices, self.variables, frozenset(self.aliases.items()), self.indices, self.losses,
                self.windows, frozenset(self.shapes.items()), self.flat)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Context):
            return NotImplemented
        return self._key() == other._key()

    def flat_entry(self, name: str, number: int, digits: int) -> tuple[int, int] | None:
        """The (i, j) that entry number ``number`` (written with ``digits`` digits, no comma) of matrix ``name``
        is when read flat, or None when it is read as (i, j) digits: a matrix the spec numbers flat reads every
        number in its range flat (``x_{12}`` of a 5x5 is x_{3,2}); any other matrix of the spec only a one-digit
        number (a two-index entry needs two digits, so ``A_5`` of a 3x3 is A_{22} and ``A_{12}`` stays (1, 2)).

        >>> Context(shapes={"x": (5, 5)}, flat=frozenset("x")).flat_entry("x", 12, 2)
        (3, 2)
        >>> Context(shapes={"A": (3, 3)}).flat_entry("A", 5, 1), Context(shapes={"A": (3, 3)}).flat_entry("A", 12, 2)
        ((2, 2), None)
        """
        shape = self.shapes.get(name)
        if shape is None or not 1 <= number <= shape[0] * shape[1] or (name not in self.flat and digits != 1):
            return None
        return divmod(number - 1, shape[1])[0] + 1, (number - 1) % shape[1] + 1

    def canonical(self, name: str) -> str | None:
        """The variable a written name stands for (``padding`` -> ``P``), or None when it is not an alias."""
        return self.aliases.get(alias_key(name))

    def extend(self, *, matrices: Iterable[str] = (), variables: Iterable[str] = (),
               aliases: Mapping[str, str] | None = None, indices: Iterable[str] = (),
               losses: Iterable[str] = (), windows: Iterable[str] = (),
               shapes: Mapping[str, tuple[int, int]] | None = None, flat: Iterable[str] = ()) -> Context:
        """A copy with more names (a spec declaring its own); later aliases and shapes win."""
        return replace(self, matrices=self.matrices | set(matrices), variables=self.variables | set(variables),
                       aliases={**self.aliases, **(aliases or {})}, indices=self.indices | set(indices),
                       losses=self.losses | set(losses), windows=self.windows | set(windows),
                       shapes={**self.shapes, **(shapes or {})}, flat=self.flat | set(flat))

    def without(self, *, aliases: Iterable[str] = (), indices: Iterable[str] = ()) -> Context:
        """A copy without some aliases or indices (a part where ``k`` is an exponent, say)."""
        drop = {alias_key(a) for a in aliases}
        return replace(self, aliases={k: v for k, v in self.aliases.items() if k not in drop},
                       indices=self.indices - set(indices))


DEFAULT = Context(
    matrices=frozenset("ABCGXY"),
    variables=frozenset("IKPSD"),
    aliases=DEFAULT_ALIASES,
    indices=frozenset("k"),
    losses=frozenset({"E", "L", "J", "ell"}),
    windows=frozenset("SR"),
)
SIZE_FORMULA = DEFAULT.extend(aliases=SIZE_LETTERS).without(indices="k")


# ---- the reading in progress: its context, and the notes the builder leaves ----------------------------
@dataclass
class _State:
    context: Context
    notes: list[str] = field(default_factory=list)
    guessed: bool = False
    definitions: list[tuple[str, str]] = field(default_factory=list)  # "where N = 2": ("N", "2")


_STATE: ContextVar[_State | None] = ContextVar("grader_parse_state", default=None)


@contextmanager
def reading(context: Context | None) -> Iterator[_State]:
    """Run a parse under ``context``; the yielded state collects ``note``/``guess`` calls made meanwhile."""
    state = _State(context if context is not None else DEFAULT)
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


def current() -> Context:
    """The context of the parse in progress (``DEFAULT`` outside one)."""
    state = _STATE.get()
    return DEFAULT if state is None else state.context


def note(text: str, *, guessed: bool = False) -> None:
    """Record which reading was used when a notation could be read two ways; ``guessed`` when not sure."""
    state = _STATE.get()
    if state is None:
        return
    if text not in state.notes:
        state.notes.append(text)
    state.guessed = state.guessed or guessed


def define(name: str, value: str) -> None:
    """Record a definition from a where-clause (``where N = 2``); the reader substitutes it after parsing."""
    state = _STATE.get()
    if state is not None:
        state.definitions.append((name, value))


def definitions() -> list[tuple[str, str]]:
    """The definitions recorded so far in the parse in progress."""
    state = _STATE.get()
    return [] if state is None else list(state.definitions)
