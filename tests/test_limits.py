"""symconv.limits: checked proofs over symbolic windows, exact limits of concrete windows, convergence tables.

Oracles: real torch (torch.nn.functional.lp_pool2d, float64), symconv.numeric.lp_pool2d, and values computed
directly (max, mean, geometric mean, min) with the standard library.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random

import mpmath
import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import HOMEWORK_A, HOMEWORK_B, tensor
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import conv2d
from symconv.errors import ConfigError
from symconv.limits import (
    Check,
    Proof,
    Step,
    convergence_table,
    parse_window,
    power_mean,
    prove_max_limit,
    prove_p1,
    window_limits,
)
from symconv.limits.symbolic import _same, entries
from symconv.limits.window import ConvergenceTable, Limit, numeric_check, table_checks
from symconv.numeric import lp_pool2d

NORMS = ("normalized", "torch")


def homework_windows() -> list[list[int]]:
    """The four 2x2 windows (stride 1) of C = A * B, row-major."""
    c = conv2d(HOMEWORK_A, HOMEWORK_B)
    return [[int(c[i, j]), int(c[i, j + 1]), int(c[i + 1, j]), int(c[i + 1, j + 1])]
            for i in range(c.rows - 1) for j in range(c.cols - 1)]


# --- symbolic proofs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", range(1, 10))
def test_max_limit_proof_verified_for_n_entries(n, norm):
    proof = prove_max_limit(n, norm)
    xs = entries(n)
    assert proof.verified and all(step.verified for step in proof.steps)
    assert proof.conclusion == sympy.Eq(sympy.Limit(power_mean(xs, sympy.Symbol("p", positive=True), norm),
                                                    sympy.Symbol("p", positive=True), sympy.oo),
                                        sympy.Max(*xs))
    assert "Therefore" in proof.to_text()


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", range(1, 10))
def test_p1_proof_gives_mean_or_sum(n, norm):
    proof = prove_p1(n, norm)
    xs = entries(n)
    expected = sympy.Add(*xs) / (n if norm == "normalized" else 1)
    assert proof.verified
    assert sympy.simplify(proof.conclusion.rhs - expected) == 0


@pytest.mark.parametrize("norm", NORMS)
def test_proof_bounds_hold_numerically_and_match_lp_pool2d(norm):
    """The proof's definition and its two bounds, evaluated at random windows, against lp_pool2d and torch."""
    rng = random.Random(3)
    n = 4
    proof = prove_max_limit(n, norm)
    definition = proof.steps[0].claim.rhs
    lower, upper = proof.steps[8].claim.lhs, proof.steps[9].claim.rhs
    p_sym, m_sym = sympy.Symbol("p", positive=True), sympy.Symbol("m", positive=True)
    for _ in range(20):
        values = [rng.uniform(0.1, 10.0) for _ in range(n)]
        for p in (1.0, 2.5, 7.0):
            subs = {**dict(zip(entries(n), values, strict=True)), p_sym: p}
            value = float(definition.xreplace(subs))
            ours = lp_pool2d(np.array([values]), p, (1, n), norm=norm)[0, 0]
            assert value == pytest.approx(ours, rel=1e-12)
            if norm == "torch":
                assert value == pytest.approx(F.lp_pool2d(tensor([[values]]), p, (1, n)).item(), rel=1e-12)
            bounds = {m_sym: max(values), p_sym: p}
            assert float(lower.xreplace(bounds)) <= value * (1 + 1e-12)
            assert value <= float(upper.xreplace(bounds)) * (1 + 1e-12)


def test_same_rejects_a_wrong_identity():
    p, m = sympy.Symbol("p", positive=True), sympy.Symbol("m", positive=True)
    xs, t = entries(2), sympy.Symbol("t_2", nonnegative=True)
    scaled = power_mean(xs, p).xreplace({xs[0]: m, xs[1]: m * t})
    assert _same(scaled, m * ((1 + t**p) / 2) ** (1 / p))
    assert not _same(scaled, m * ((1 + t**p) / 3) ** (1 / p))


def test_a_failed_step_makes_the_proof_unverified():
    x = sympy.Symbol("x")
    good = Step(sympy.Gt(x, 0), ("given",), Check(True, "assumption"))
    bad = Step(sympy.Gt(x, 1), ("hoped",), Check(False, "is_positive gave None"))
    assert Proof("t", ("x > 0",), (good,), x > 0).verified
    failed = Proof("t", ("x > 0",), (good, bad), x > 1)
    assert not failed.verified
    assert "NOT PROVED" in failed.to_text() and "FAILED" in failed.to_text()
    assert "NOT verified" in failed.to_latex()
    assert not Proof("empty", (), (), x > 0).verified


def test_proof_renders_as_latex_dict_and_repr():
    proof = prove_max_limit(3, "torch")
    text = proof.to_latex()
    assert text.count(r"\item") == len(proof.steps)
    assert r"\begin{enumerate}" in text and r"\max\left(x_{1}, x_{2}, x_{3}\right)" in text
    prose = text.replace("$", "")  # what remains outside math must not carry raw comparison signs
    assert "->" not in text and "<=" not in prose
    data = json.loads(json.dumps(proof.to_dict()))
    assert data["verified"] is True and len(data["steps"]) == len(proof.steps)
    assert all(step["check"]["ok"] for step in data["steps"])
    assert proof._repr_latex_().startswith("$") and r"\checkmark" in proof._repr_latex_()


@pytest.mark.parametrize("bad", [0, -1, 33, 2.0, True, "4"])
def test_symbolic_size_is_checked(bad):
    with pytest.raises(ConfigError):
        prove_max_limit(bad)


def test_unknown_norm_is_rejected():
    with pytest.raises(ConfigError, match="norm"):
        prove_max_limit(2, norm="max")


# --- concrete windows: the homework's C ------------------------------------------------------------------


def test_homework_c_has_the_known_windows():
    assert homework_windows() == [[109, 92, 108, 85], [92, 72, 85, 74], [108, 85, 110, 74], [85, 74, 74, 79]]


@pytest.mark.parametrize("window", homework_windows())
def test_homework_window_limits_are_max_mean_geomean_min(window):
    result = window_limits(window)
    limits = result.to_dict()["limits"]
    assert limits["p->inf"] == max(window)
    assert limits["p=1"] == pytest.approx(sum(window) / 4, rel=1e-15)
    assert limits["p->0"] == pytest.approx(math.prod(window) ** 0.25, rel=1e-14)
    assert limits["p->-inf"] == min(window)
    assert result.verified and result.table.verified and result.numeric_ok
    # the exact values, not only their floats
    assert result.limits["p=1"].value == sympy.Rational(sum(window), 4)
    assert result.limits["p->0"].value ** 4 == math.prod(window)


@pytest.mark.parametrize("window", homework_windows())
def test_homework_window_limits_under_torch_norm(window):
    result = window_limits(window, norm="torch")
    limits = result.to_dict()["limits"]
    assert limits == {"p=1": float(sum(window)), "p->inf": float(max(window)), "p->0": None,
                      "p->-inf": float(min(window))}
    assert result.limits["p->0"].value == sympy.oo and result.verified


@pytest.mark.parametrize("norm", NORMS)
def test_homework_tables_converge_and_match_torch_on_c(norm):
    """The table of every 2x2 window of C, against lp_pool2d over C itself (numeric and real torch)."""
    c = np.array(conv2d(HOMEWORK_A, HOMEWORK_B).tolist(), dtype=float)
    for k, window in enumerate(homework_windows()):
        table = convergence_table(parse_window(window), norm)
        assert table.verified
        m, n = max(window), len(window)
        errors = [err for _, _, err, _ in table.rows]
        assert errors == sorted(errors, reverse=True) and errors[-1] < m * math.log(n) / 1024
        for p, value, err, bound in table.rows:
            assert err <= bound
            if p > 64:
                continue  # float64 overflows around 110^150
            ours = lp_pool2d(c, float(p), 2, stride=1, norm=norm)[k // 2, k % 2]
            assert float(value) == pytest.approx(ours, rel=1e-12)
            if norm == "torch":
                theirs = F.lp_pool2d(tensor([[c.tolist()]]), float(p), 2, stride=1)[0, 0, k // 2, k % 2].item()
                assert float(value) == pytest.approx(theirs, rel=1e-12)


def test_table_bound_is_the_squeeze_bound():
    table = convergence_table(parse_window([109, 92, 108, 85]), "normalized", powers=(1, 4))
    with mpmath.workdps(50):
        assert table.rows[1][3] == 109 * (1 - mpmath.mpf(4) ** (-mpmath.mpf(1) / 4))
        assert table.rows[0][1] == mpmath.mpf(394) / 4


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=6), st.sampled_from(NORMS))
def test_tables_of_random_windows_verify_against_torch(window, norm):
    table = convergence_table(parse_window(window), norm, powers=(1, 2, 4, 8, 16, 32))
    assert table.verified
    x = tensor([[window]])
    for p, value, _, _ in table.rows:
        theirs = F.lp_pool2d(x, float(p), (1, len(window))).item()
        if norm == "normalized":
            theirs /= len(window) ** (1 / p)
        if math.isfinite(theirs):
            assert float(value) == pytest.approx(theirs, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("window, norm, expected", [
    ([0, 2, 3], "normalized", {"p=1": 5 / 3, "p->inf": 3.0, "p->0": 0.0, "p->-inf": None}),
    ([5, 0], "torch", {"p=1": 5.0, "p->inf": 5.0, "p->0": 5.0, "p->-inf": None}),
    ([7], "torch", {"p=1": 7.0, "p->inf": 7.0, "p->0": 7.0, "p->-inf": 7.0}),
    ([2, 2, 2], "normalized", {"p=1": 2.0, "p->inf": 2.0, "p->0": 2.0, "p->-inf": 2.0}),
    ([0, 0], "torch", {"p=1": 0.0, "p->inf": 0.0, "p->0": 0.0, "p->-inf": None}),
])
def test_edge_windows(window, norm, expected):
    result = window_limits(window, norm, powers=(1, 2, 4))
    assert result.to_dict()["limits"] == pytest.approx(expected)
    assert result.verified


@pytest.mark.parametrize("bad", [[], ["a"], ["1/0"], ["nan"], ["inf"], [-1, 2], ["1e101"], list(range(17))])
def test_bad_windows_are_config_errors(bad):
    with pytest.raises(ConfigError, match="window"):
        parse_window(bad)


def test_exact_entries_are_parsed_without_floats():
    assert parse_window(["0.1", "3/4", 2]) == (sympy.Rational(1, 10), sympy.Rational(3, 4), 2)


# --- PyTorch's own edge cases (real torch) ---------------------------------------------------------------


def test_torch_inf_norm_is_max_abs_not_ones():
    """torch 2.13 special-cases p = inf as max |x| (older releases returned ones; the notes still say so)."""
    for window in ([[109.0, 92.0], [108.0, 85.0]], [[0.5, 0.25], [0.1, 0.2]], [[-5.0, 1.0], [2.0, 3.0]]):
        got = F.lp_pool2d(tensor([[window]]), float("inf"), 2).item()
        assert got != 1.0 or max(abs(v) for row in window for v in row) == 1.0
        assert got == max(abs(v) for row in window for v in row)
    # for a nonnegative window it is the limit we prove; for mixed signs it is max |x|, not max pooling
    assert F.lp_pool2d(tensor([[[[109.0, 92.0], [108.0, 85.0]]]]), float("inf"), 2).item() == \
        window_limits([109, 92, 108, 85], powers=(1,)).to_dict()["limits"]["p->inf"]
    assert F.lp_pool2d(tensor([[[[-5.0, 1.0], [2.0, 3.0]]]]), float("inf"), 2).item() != \
        F.max_pool2d(tensor([[[[-5.0, 1.0], [2.0, 3.0]]]]), 2).item()


def test_torch_negative_entries_with_non_integer_p_give_nan():
    x = tensor([[[[-1.0, 2.0], [3.0, 4.0]]]])
    assert math.isnan(F.lp_pool2d(x, 1.5, 2).item())
    with pytest.raises(ConfigError, match="nonnegative"):
        window_limits([-1, 2, 3, 4])
    absolute = window_limits([-1, 2, 3, 4], absolute=True, powers=(1, 2))
    assert absolute.to_dict()["limits"]["p->inf"] == 4.0 and absolute.absolute  # max |x|


def test_torch_p1_is_the_plain_sum_for_any_signs():
    """prove_p1's last step: x^1 = x needs no sign condition, so torch's p = 1 is sum pooling for any signs."""
    x = tensor([[[[-1.0, -2.0], [-3.0, 4.0]]]])
    assert F.lp_pool2d(x, 1, 2).item() == -2.0
    assert prove_p1(4, "torch").steps[-1].verified


def test_torch_partial_window_under_ceil_mode_is_rescaled():
    """Under ceil_mode a partial window of n valid cells is scaled by K/n before the root: K^(1/p) M_p(valid).

    So p = 1 gives K * mean(valid) (not the sum) and p -> oo still gives max(valid), inside
    m (K/n)^(1/p) <= value <= m K^(1/p)."""
    y = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    valid, k = [7.0, 8.0], 4  # the bottom-left window of a 2x2/stride-2 pool over 3x3 keeps one row
    for p in (1, 2, 3, 64):
        got = F.lp_pool2d(y, p, 2, ceil_mode=True)[0, 0, 1, 0].item()
        ours = float(power_mean([sympy.Integer(int(v)) for v in valid], p)) * k ** (1 / p)
        assert got == pytest.approx(ours, rel=1e-12)
        m = max(valid)
        assert m * (k / len(valid)) ** (1 / p) * (1 - 1e-12) <= got <= m * k ** (1 / p) * (1 + 1e-12)
    assert F.lp_pool2d(y, 1, 2, ceil_mode=True)[0, 0, 1, 0].item() == k * sum(valid) / len(valid)
    ours = lp_pool2d(y.numpy(), 2.0, 2, ceil_mode=True)[0, 0, 1, 0]
    assert ours == pytest.approx(F.lp_pool2d(y, 2, 2, ceil_mode=True)[0, 0, 1, 0].item(), rel=1e-12)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("window", homework_windows())
def test_fallbacks_when_sympy_limit_fails_give_the_same_limits(window, norm):
    """The squeeze (p -> +-oo) and log (p -> 0+) fallbacks, called directly, agree with the direct values."""
    from symconv.limits.means import P
    from symconv.limits.window import _Q, _log_limit, _squeeze_limit, direct_values

    exact, direct = parse_window(window), direct_values(parse_window(window), norm)
    assert _squeeze_limit(exact, norm, P, sympy.oo)[0] == direct["p->inf"]
    assert _squeeze_limit(exact, norm, _Q, -sympy.oo)[0] == direct["p->-inf"]
    at_zero = _log_limit(exact, norm)[0]
    if direct["p->0"] is sympy.oo:
        assert at_zero is sympy.oo
    else:
        assert sympy.simplify(at_zero - direct["p->0"]) == 0


# --- agreement: exact limits against the direct values (issue 15) ----------------------------------------

_C = sympy.log(2) / (sympy.log(5) - sympy.log(2))  # 5**c / 2**c = 2, the form SymPy returns for min(2, 25/4)


@pytest.mark.parametrize("window", [[7.5, 3, 11, 2, 6.25, 9], [1.5, 2.5]])
@pytest.mark.parametrize("norm", NORMS)
def test_limits_sympy_leaves_unsimplified_still_agree(window, norm):
    """sympy.limit returns min(...) at p -> -oo as a power quotient that simplify() cannot reduce; it agrees."""
    result = window_limits(window, norm, powers=(1, 2, 4))
    at_minus_inf = result.limits["p->-inf"]
    assert at_minus_inf.value != at_minus_inf.direct  # still SymPy's unsimplified form: the case under test
    assert at_minus_inf.direct == min(parse_window(window))
    assert at_minus_inf.agrees and result.verified
    assert result.to_dict()["limits"]["p->-inf"] == float(min(parse_window(window)))


@pytest.mark.parametrize("value, direct, agrees", [
    (5**_C / 2**_C, sympy.Integer(2), True),
    (sympy.exp(sympy.log(2) * sympy.log(sympy.Rational(25, 4)) / (2 * sympy.log(5) - 2 * sympy.log(2))),
     sympy.Integer(2), True),
    (sympy.log(6) - sympy.log(2) - sympy.log(3), sympy.Integer(0), True),  # a zero evalf only bounds
    (sympy.Integer(0), sympy.Integer(0), True),
    (sympy.oo, sympy.oo, True),
    (None, None, True),
    (sympy.Integer(2) + sympy.Rational(1, 10**30), sympy.Integer(2), False),  # off in the 30th digit
    (5**_C / 2**_C, sympy.Integer(2) + sympy.Rational(1, 10**30), False),
    (sympy.sqrt(2), sympy.Rational(14142, 10000), False),
    (sympy.Integer(3), sympy.Integer(2), False),
    (sympy.Rational(1, 10**60), sympy.Integer(0), False),
    (sympy.oo, sympy.Integer(2), False),
    (sympy.Integer(2), sympy.oo, False),
    (None, sympy.Integer(2), False),
    (sympy.Integer(2), None, False),
])
def test_limit_agrees_decides_by_value(value, direct, agrees):
    assert Limit("p->-inf", value, "test", direct).agrees is agrees


def _with_limit(result, key, value):
    wrong = dict(result.limits, **{key: dataclasses.replace(result.limits[key], value=value)})
    return dataclasses.replace(result, limits=wrong)


def test_a_wrong_limit_fails_verification_and_the_cli(monkeypatch, capsys):
    """A limit that disagrees with its direct value makes the window unverified and `symconv limits` exit 1."""
    right = window_limits([3, 1], powers=(1, 2))
    assert right.verified
    wrong = _with_limit(right, "p->-inf", sympy.Integer(2))
    assert not wrong.limits["p->-inf"].agrees and not wrong.verified
    monkeypatch.setattr("symconv.cli.limits.window_limits", lambda *args, **kwargs: wrong)
    from symconv.cli import main

    assert main(["limits", "--window", "3,1"]) == 1
    out = capsys.readouterr().out
    assert "p -> -oo" in out and "  NO  " in out and out.rstrip().endswith("verified: NO")


# --- the convergence table's checks and the float64 cross-check must be able to fail ---------------------


def _rows(window, norm="normalized"):
    return list(convergence_table(parse_window(window), norm, powers=(1, 2, 4, 8)).rows)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("check, spoil", [
    # an error just above its bound (far above the tolerance, far below float64's resolution)
    ("error <= bound", lambda r: (r[0], r[1], r[3] * (1 + mpmath.mpf(10) ** -25), r[3])),
    ("error decreasing", lambda r: (r[0], r[1], r[2] * 100, r[3] * 100)),
])
def test_table_checks_fail_on_a_spoiled_row(norm, check, spoil):
    rows = _rows([5, 2, 1], norm)
    assert all(table_checks(rows, mpmath.mpf(5), norm, 50).values())
    with mpmath.workdps(50):
        rows[2] = spoil(rows[2])
    checks = table_checks(rows, mpmath.mpf(5), norm, 50)
    assert checks[check] is False
    assert not ConvergenceTable(norm, 50, tuple(rows), checks).verified


@pytest.mark.parametrize("norm", NORMS)
def test_table_checks_fail_when_values_turn_back(norm):
    rows = _rows([5, 2, 1], norm)
    p, value, err, bound = rows[2]
    with mpmath.workdps(50):
        step = mpmath.mpf(10) ** -20 * (-1 if norm == "normalized" else 1)  # against the direction of travel
        rows[2] = (p, rows[1][1] + step, err, bound)
    assert table_checks(rows, mpmath.mpf(5), norm, 50)["value monotone"] is False


@pytest.mark.parametrize("norm", NORMS)
def test_numeric_cross_check_fails_on_a_wrong_table_value(norm):
    window = parse_window([5, 2, 1])
    table = convergence_table(window, norm, powers=(1, 2, 4, 8))
    assert numeric_check(window, table) == (True, (1, 2, 4, 8))
    rows = list(table.rows)
    p, value, err, bound = rows[1]
    rows[1] = (p, value * (1 + mpmath.mpf(10) ** -8), err, bound)  # float64 sees a 1e-8 relative slip
    ok, compared = numeric_check(window, dataclasses.replace(table, rows=tuple(rows)))
    assert not ok and compared == (1,)


@pytest.mark.parametrize("spoil", [
    lambda r: _with_limit(r, "p=1", sympy.Integer(3)),
    lambda r: dataclasses.replace(r, table=dataclasses.replace(r.table, checks={**r.table.checks,
                                                                                "error <= bound": False})),
    lambda r: dataclasses.replace(r, numeric_ok=False),
])
def test_window_is_verified_only_when_every_check_passes(spoil):
    right = window_limits([3, 1], powers=(1, 2))
    assert right.verified
    assert not spoil(right).verified
