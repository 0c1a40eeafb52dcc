"""grader.parse.context: the names a part may use decide ambiguous notation; read() reports how it read."""

from __future__ import annotations

import pytest
import sympy
from sympy import Indexed, IndexedBase

from grader.parse import DEFAULT, SIZE_FORMULA, Context, Reading, parse, read


def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


p, q, i, k, x, X = map(sym, "pqikxX")


def test_context_is_hashable_and_compares_by_value():
    one = Context(aliases={"H_{in}": "I"}, variables=frozenset("IK"))
    two = Context(aliases={"H_in": "I"}, variables=frozenset("KI"))
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    assert one != one.extend(variables="P")


@pytest.mark.parametrize(("context", "name", "expected"), [
    (DEFAULT, "H_{in}", "I"), (DEFAULT, r"H_{\text{in}}", "I"), (DEFAULT, "kernel_size", "K"),
    (DEFAULT, "padding", "P"), (DEFAULT, "stride", "S"), (DEFAULT, "HH", "K"),
    (DEFAULT, "p", None), (DEFAULT, "s", None), (DEFAULT, "n", None), (DEFAULT, "x", None),
    (SIZE_FORMULA, "p", "P"), (SIZE_FORMULA, "n", "I"), (SIZE_FORMULA, "f", "K"),
    (DEFAULT.extend(aliases={"taille": "I"}), "taille", "I"),
    (SIZE_FORMULA.without(aliases=["p"]), "p", None),
])
def test_canonical_names(context, name, expected):
    assert context.canonical(name) == expected


# a superscript naming a context index is an index; any other superscript is a power, in either order
XK_PQ = Indexed(IndexedBase(sym("X^k")), p, q)


@pytest.mark.parametrize(("text", "context", "expected"), [
    ("X^k_{pq}", DEFAULT, XK_PQ),
    ("X_{pq}^k", DEFAULT, XK_PQ),
    ("X_{pq}^{k}", DEFAULT, XK_PQ),
    ("X_{pq}^k", DEFAULT.without(indices="k"), Indexed(IndexedBase(X), p, q) ** k),
    ("X^k_{pq}", DEFAULT.without(indices="k"), Indexed(IndexedBase(X), p, q) ** k),
    ("x^p_i", DEFAULT, Indexed(IndexedBase(x), i) ** p),
    ("x_i^p", DEFAULT, Indexed(IndexedBase(x), i) ** p),
    ("x^2_i", DEFAULT, Indexed(IndexedBase(x), i) ** 2),
    ("x_{pq}^2", DEFAULT, Indexed(IndexedBase(x), p, q) ** 2),
])
def test_superscripts(text, context, expected):
    assert parse(text, "expr", context=context) == expected


def test_read_says_how_an_ambiguous_notation_was_read():
    reading = read("X_{pq}^k", "expr")
    assert isinstance(reading, Reading) and not reading.guessed
    assert reading.notes == ("read X^k_{pq} with k as the channel index, not a power",)
    assert read("B11 + B12", "expr") == Reading(sympy.Symbol("B_11", real=True) + sympy.Symbol("B_12", real=True))


def test_context_does_not_leak_between_readings():
    assert parse("X_{pq}^k", "expr", context=DEFAULT.without(indices="k")) != parse("X_{pq}^k", "expr")
    assert read("x", "expr").notes == ()
