"""symconv.chain: the chain-rule expansion of one input entry, against brute force and conv2d_grad."""

from __future__ import annotations

import pytest
import sympy
from conftest import HOMEWORK_A, HOMEWORK_B
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ChainRule, ConfigError, chain_rule, conv2d, conv2d_grad, entry_symbol, partial, sym_matrix

SYMPY_HEAVY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def configs(draw) -> dict:
    pairs = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi)) | st.integers(lo, hi)  # noqa: E731
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return {
        "x": (H, W), "w": (draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        "ij": (draw(st.integers(1, H)), draw(st.integers(1, W))),
        "args": {"stride": draw(pairs(1, 3)), "padding": draw(pairs(0, 2)), "dilation": draw(pairs(1, 3))},
        "symbolic": draw(st.booleans()),
    }


@SYMPY_HEAVY
@given(configs())
def test_chain_rule_against_brute_force_and_the_gradient(cfg):
    A, B = sym_matrix("A", *cfg["x"]), sym_matrix("B", *cfg["w"])
    try:
        C = conv2d(A, B, **cfg["args"])
    except ConfigError:
        return
    G = sym_matrix("G", *C.shape) if cfg["symbolic"] else None
    i, j = cfg["ij"]
    a = A[i - 1, j - 1]
    rule = chain_rule(A, B, i, j, upstream=G, **cfg["args"])

    # the listed outputs are exactly those whose window contains A_ij, in output order
    touching = [(u + 1, v + 1) for u in range(C.rows) for v in range(C.cols) if a in C[u, v].free_symbols]
    assert [(t.u, t.v) for t in rule.terms] == touching
    for t in rule.terms:
        assert t.output == entry_symbol("C", t.u, t.v)
        assert t.local == sympy.diff(C[t.u - 1, t.v - 1], a)       # the local derivative ...
        assert t.local in set(B)                                    # ... is one kernel entry
        assert t.upstream == (G[t.u - 1, t.v - 1] if G is not None else 1)
    assert rule.entry == a and (rule.i, rule.j) == (i, j)
    dA, _ = conv2d_grad(A, B, G, **cfg["args"])
    assert sympy.expand(rule.total - dA[i - 1, j - 1]) == 0
    if not rule.terms:
        assert rule.total == 0 and rule.to_latex().endswith(" = 0")


def test_homework_entry_12():
    rule = chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 1, 2)
    assert [(t.u, t.v) for t in rule.terms] == [(1, 1), (1, 2)]
    assert [t.local for t in rule.terms] == [entry_symbol("B", 1, 2), entry_symbol("B", 1, 1)]
    assert rule.total == entry_symbol("B", 1, 1) + entry_symbol("B", 1, 2)
    assert rule.to_latex() == (
        r"\frac{\partial E}{\partial A_{12}} = "
        r"\frac{\partial E}{\partial C_{11}} \frac{\partial C_{11}}{\partial A_{12}} + "
        r"\frac{\partial E}{\partial C_{12}} \frac{\partial C_{12}}{\partial A_{12}} = B_{12} + B_{11}")
    assert rule._repr_latex_() == f"${rule.to_latex()}$"
    assert str(rule) == "dE/dA_12 = dE/dC_11*dC_11/dA_12 + dE/dC_12*dC_12/dA_12 = B_11 + B_12"
    assert repr(rule) == str(rule)


def test_homework_centre_touches_all_nine_outputs():
    rule = chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 3, 3)
    assert len(rule.terms) == 9
    assert rule.total == sum(sym_matrix("B", 3, 3))


def test_numeric_matrices_give_numbers():
    rule = chain_rule(HOMEWORK_A, HOMEWORK_B, 3, 3)
    assert rule.entry == entry_symbol("A", 3, 3)
    assert rule.total == 34
    assert chain_rule(HOMEWORK_A, HOMEWORK_B, 1, 1, input_name="X").entry == entry_symbol("X", 1, 1)


def test_symbolic_upstream_terms():
    G = sym_matrix("G", 3, 3)
    rule = chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 1, 1, upstream=G)
    (term,) = rule.terms
    assert term.upstream == G[0, 0] and term.value == G[0, 0] * entry_symbol("B", 1, 1)
    assert rule.to_latex().endswith("= B_{11} G_{11}")


def test_stride_skips_give_no_terms():
    A, B = sym_matrix("A", 5, 5), sym_matrix("B", 2, 2)
    rule = chain_rule(A, B, 5, 5, stride=2)
    assert rule.terms == () and rule.total == 0
    assert rule.to_latex() == r"\frac{\partial E}{\partial A_{55}} = 0"
    assert str(rule) == "dE/dA_55 = 0 = 0"
    assert len(chain_rule(A, B, 3, 3, stride=2).terms) == 1


def test_names():
    rule = chain_rule(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), 2, 2, output_name="Y", loss_name="L")
    assert {t.output for t in rule.terms} == {entry_symbol("Y", u, v) for u in (1, 2) for v in (1, 2)}
    assert rule.to_latex().startswith(r"\frac{\partial L}{\partial A_{22}} = \frac{\partial L}{\partial Y_{11}}")
    assert isinstance(rule, ChainRule)


@pytest.mark.parametrize(("i", "j", "argument"), [
    (0, 1, "i"), (6, 1, "i"), (1, 0, "j"), (1, 6, "j"), (-1, 1, "i"), (1.0, 1, "i"), (True, 1, "i"), (1, "2", "j"),
])
def test_index_errors_are_one_based(i, j, argument):
    with pytest.raises(ConfigError) as err:
        chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), i, j)
    assert err.value.argument == argument
    assert "1-based" in str(err.value)


def test_bad_upstream_shape():
    with pytest.raises(ConfigError) as err:
        chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 1, 1, upstream=sym_matrix("G", 2, 2))
    assert err.value.argument == "upstream"


def test_partial_is_unevaluated():
    E, a = sympy.Symbol("E"), entry_symbol("A", 1, 2)
    d = partial(E, a)
    assert isinstance(d, sympy.Derivative) and d.expr == E and d.variables == (a,)
    assert d.doit() == 0          # E does not depend on A_12 as a plain symbol: only unevaluated it means anything
