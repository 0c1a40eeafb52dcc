"""symconv.chain: the chain-rule expansion of one input entry, against brute force and conv2d_grad."""

from __future__ import annotations

import pytest
import sympy
from conftest import HOMEWORK_A, HOMEWORK_B
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ChainRule, ConfigError, chain_rule, conv2d, conv2d_grad, entry_symbol, sym_matrix
from symconv.chain import partial
from symconv.latex import latex, term_key

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
        r"\frac{\partial E}{\partial C_{12}} \frac{\partial C_{12}}{\partial A_{12}} = B_{11} + B_{12}")
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


@pytest.mark.parametrize(("shape", "k", "ij", "symbolic"), [
    ((5, 5), (3, 3), (2, 4), False), ((5, 5), (3, 3), (3, 3), True), ((4, 4), (2, 2), (2, 3), True),
    ((3, 4), (2, 3), (1, 2), True),
])
def test_text_and_latex_list_the_kernel_terms_in_one_order(shape, k, ij, symbolic):
    """The sum after the last = is the same list of terms in text and in LaTeX, in the order the printer writes
    the input gradient's entry (term_key), whatever the order of the outputs they came from."""
    A, B = sym_matrix("A", *shape), sym_matrix("B", *k)
    G = sym_matrix("G", shape[0] - k[0] + 1, shape[1] - k[1] + 1) if symbolic else None
    rule = chain_rule(A, B, *ij, upstream=G)
    expected = sorted(rule.terms, key=lambda t: term_key(t.value))
    dA, _ = conv2d_grad(A, B, G)
    assert rule.to_latex().rsplit(" = ", 1)[1] == latex(dA[ij[0] - 1, ij[1] - 1])
    assert list(rule.kernel_terms) == expected
    assert str(rule).rsplit(" = ", 1)[1] == " + ".join(sympy.sstr(t.value) for t in expected)
    assert rule.to_latex().rsplit(" = ", 1)[1] == " + ".join(latex(t.value) for t in expected)
    # the chain part stays in output order
    assert [(t.u, t.v) for t in rule.terms] == sorted((t.u, t.v) for t in rule.terms)


def test_readme_entry_24_lists_the_b_terms_in_index_order():
    rule = chain_rule(sym_matrix("A", 5, 5), sym_matrix("B", 3, 3), 2, 4)
    assert str(rule).endswith("= B_12 + B_13 + B_22 + B_23")
    assert rule.to_latex().endswith("= B_{12} + B_{13} + B_{22} + B_{23}")


def test_negative_upstream_terms_are_subtracted():
    rule = chain_rule(sym_matrix("A", 1, 3), sym_matrix("B", 1, 2), 1, 2, upstream=[[-2, 3]])
    assert str(rule).endswith("= 3*B_11 - 2*B_12")
    assert rule.to_latex().endswith(r"= 3 B_{11} - 2 B_{12}")


def test_latex_settings_reach_every_term():
    """latex(rule, **settings) goes through the rule's _latex(printer), so the settings apply (decimals here)."""
    rule = chain_rule(sym_matrix("A", 1, 3), [[sympy.Rational(1, 3), 1]], 1, 2)
    assert latex(rule, decimals=2).endswith("= 1 + 0.33")
    assert latex(rule).endswith(r"= 1 + \frac{1}{3}")
    assert rule.to_latex(decimals=2) == latex(rule, decimals=2)
    assert sympy.latex(rule).startswith(r"\frac{d}{d A_{12}} E")   # SymPy's own printer uses the hook too


CHANNEL_CASES = [((3, 3), (2, 2), 2, {}), ((4, 4), (2, 2), 3, {"stride": 2}), ((4, 5), (3, 2), 2,
                 {"padding": (1, 0), "dilation": 1}), ((5, 5), (2, 2), 2, {"dilation": 2, "padding": 1})]


@pytest.mark.parametrize(("shape", "k", "channels", "cfg"), CHANNEL_CASES)
@pytest.mark.parametrize("symbolic", [False, True])
def test_channel_lists_as_conv2d_takes_them(shape, k, channels, cfg, symbolic):
    """With channel lists C sums over the channels; each channel's entries have the chain rule of their own
    kernel channel, and the totals are conv2d_grad's per-channel input gradient."""
    names = "AXYZ"[:channels]
    xs = [sym_matrix(n, *shape) for n in names]
    ws = [sym_matrix(n, *k) for n in "BKLM"[:channels]]
    C = conv2d(xs, ws, **cfg)
    G = sym_matrix("G", *C.shape) if symbolic else None
    dxs, _ = conv2d_grad(xs, ws, G, **cfg)
    for c in range(1, channels + 1):
        for i in range(1, shape[0] + 1):
            for j in range(1, shape[1] + 1):
                rule = chain_rule(xs, ws, i, j, channel=c, upstream=G, **cfg)
                assert rule.entry == xs[c - 1][i - 1, j - 1] and rule.channel == c
                assert sympy.expand(rule.total - dxs[c - 1][i - 1, j - 1]) == 0
                assert {t.local for t in rule.terms} <= set(ws[c - 1])
                for t in rule.terms:   # the summed forward pass, differentiated
                    assert t.local == sympy.diff(C[t.u - 1, t.v - 1], rule.entry)


@pytest.mark.parametrize(("channel", "message"), [
    (None, "from 1 to 2"), (0, "from 1 to 2"), (3, "from 1 to 2"), (True, "from 1 to 2"), ("1", "from 1 to 2"),
])
def test_channel_lists_need_a_channel(channel, message):
    xs, ws = [sym_matrix("A", 3, 3), sym_matrix("X", 3, 3)], [sym_matrix("B", 2, 2), sym_matrix("K", 2, 2)]
    with pytest.raises(ConfigError) as err:
        chain_rule(xs, ws, 1, 1, channel=channel)
    assert err.value.argument == "channel" and message in str(err.value)


def test_a_single_channel_takes_channel_1_only():
    A, B = sym_matrix("A", 3, 3), sym_matrix("B", 2, 2)
    assert chain_rule(A, B, 1, 1, channel=1) == chain_rule(A, B, 1, 1)
    assert chain_rule([A], [B], 1, 1, channel=1).channel is None   # one channel: nothing to name
    with pytest.raises(ConfigError):
        chain_rule(A, B, 1, 1, channel=2)


@pytest.mark.parametrize(("shape", "k", "cfg"), [((4, 4), (2, 3), {}), ((5, 5), (3, 3), {"stride": 2, "padding": 1})])
def test_flip_as_conv2d_takes_it(shape, k, cfg):
    A, B = sym_matrix("A", *shape), sym_matrix("B", *k)
    C = conv2d(A, B, flip=True, **cfg)
    for i in range(1, shape[0] + 1):
        for j in range(1, shape[1] + 1):
            rule = chain_rule(A, B, i, j, flip=True, **cfg)
            assert sympy.expand(rule.total - sum(sympy.diff(c, A[i - 1, j - 1]) for c in C)) == 0
