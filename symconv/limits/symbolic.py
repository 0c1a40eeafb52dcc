"""Checked proofs about LP pooling over N symbolic nonnegative entries x_1 .. x_N.

``sympy.limit`` alone fails here (``limit(((a**p + b**p)/2)**(1/p), p, oo)`` "depends on the sign of
sign(log(a))"), so p -> oo goes through the squeeze theorem, with m = max x_i:

    (1/N)^(1/p) m <= M_p <= m            m <= L_p <= N^(1/p) m

Every step carries a SymPy check. What SymPy decides itself: identities (by expanding powers of positive
factors), signs from assumptions (``is_positive``/``is_nonnegative``), derivatives and limits
(``sympy.limit``).
The order argument "u <= v and f increasing give f(u) <= f(v)" is stated, not decided; the step that uses it
says so and checks the identities it rests on.

>>> proof = prove_max_limit(3)
>>> proof.verified
True
>>> print(to_text(proof.conclusion))
lim[p->oo] (x_1**p/3 + x_2**p/3 + x_3**p/3)**(1/p) = Max(x_1, x_2, x_3)
"""

from __future__ import annotations

import sympy
from sympy import Contains, Eq, Interval, Le, Limit, Rational, oo

from symconv.errors import ConfigError
from symconv.limits.means import P, check_norm, function_symbol, power_mean
from symconv.limits.proof import Check, Part, Proof, Step, to_text

MAX_SYMBOLIC = 32  # proofs stay well under a second up to here

_m = sympy.Symbol("m", positive=True)  # the maximum, once it is known to be positive
_S = sympy.Symbol("S")  # display name for the scaled power sum
_t, _u, _c = sympy.Symbol("t"), sympy.Symbol("u"), sympy.Symbol("c")  # display-only, no assumptions
_tpos, _upos = sympy.Symbol("t", positive=True), sympy.Symbol("u", positive=True)

__all__ = ["MAX_SYMBOLIC", "entries", "prove_max_limit", "prove_p1", "to_text"]


def entries(n: int, real: bool = False) -> tuple[sympy.Symbol, ...]:
    """The window's entries x_1 .. x_n, nonnegative unless ``real``.

    >>> entries(3)
    (x_1, x_2, x_3)
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SYMBOLIC:
        raise ConfigError("n", f"must be an integer from 1 to {MAX_SYMBOLIC}", n)
    kind = {"real": True} if real else {"nonnegative": True}
    return tuple(sympy.Symbol(f"x_{i}", **kind) for i in range(1, n + 1))


def _canonical(expr: sympy.Expr) -> sympy.Expr:
    """Split powers of products of positive factors, factor sums under a root, expand."""
    expr = sympy.expand_power_base(expr)
    expr = expr.replace(lambda e: e.is_Pow and e.base.is_Add,
                        lambda e: sympy.Pow(sympy.factor_terms(e.base), e.exp))
    return sympy.expand(sympy.expand_power_base(expr))


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """SymPy decides a == b (False means "not shown", never "shown different")."""
    return sympy.expand(_canonical(a) - _canonical(b)) == 0


def _step(claim: sympy.Basic, why: tuple, ok: bool, method: str) -> Step:
    return Step(claim, why, Check(bool(ok), method))


def _plain(expr: sympy.Expr) -> sympy.Expr:
    """The same expression over assumption-free symbols, for display (so 0 <= t stays unevaluated)."""
    return expr.xreplace({s: sympy.Symbol(s.name) for s in expr.free_symbols})


def _definition(xs: tuple[sympy.Symbol, ...], norm: str) -> Step:
    n, expr, name = len(xs), power_mean(xs, P, norm), function_symbol(norm)
    root_n = sympy.Integer(n) ** (1 / P)
    at_equal = expr.xreplace({x: _m for x in xs})
    if norm == "normalized":
        why: tuple[Part, ...] = ("the normalized power mean of the", Eq(sympy.Symbol("N"), sympy.Integer(n)),
                                 "entries; at equal entries `x_i = m` it is `m`")
        return _step(Eq(name, expr), why, _same(at_equal, _m), "SymPy simplifies `M_p` at `x_i = m` to `m`")
    ok = _same(expr, root_n * power_mean(xs, P, "normalized")) and _same(at_equal, root_n * _m)
    why = ("PyTorch's LPPool has no factor `1/N`, so", Eq(name, root_n * function_symbol("normalized")))
    return _step(Eq(name, expr), why, ok, "SymPy confirms `L_p = N^(1/p) M_p` identically and `L_p = N^(1/p) m` "
                                          "at `x_i = m`")


def prove_max_limit(n: int, norm: str = "normalized") -> Proof:
    """Prove lim_{p->oo} of the pooled value of n nonnegative entries is their max, by the squeeze theorem.

    Steps: 1 definition, 2 zero window, 3 relabel so m = x_1, 4 scale x_i = m t_i, 5 t^p <= 1 on [0, 1],
    6-7 1 <= S <= N, 8 u^(1/p) increasing, 9-10 the two bounds, 11 the bound factor tends to 1, 12 squeeze.

    >>> proof = prove_max_limit(2, norm="torch")
    >>> all(step.verified for step in proof.steps), len(proof.steps)
    (True, 12)
    >>> print(to_text(proof.steps[-1].claim))
    lim[p->oo] L_p = m
    """
    check_norm(norm)
    xs = entries(n)
    expr, name = power_mean(xs, P, norm), function_symbol(norm)
    big_n, one = sympy.Integer(n), sympy.Integer(1)
    ts = tuple(sympy.Symbol(f"t_{i}", nonnegative=True) for i in range(2, n + 1))
    s_expr = 1 + sympy.Add(*[t**P for t in ts])
    m0 = sympy.Symbol("m", nonnegative=True)  # the max before we know it is positive
    steps = [_definition(xs, norm)]

    # 2: the all-zero window.
    steps.append(_step(sympy.Implies(Eq(m0, 0), Eq(name, 0)),
                       ("if the max is 0, every entry is 0 and then", name, "`= 0 = m`"),
                       expr.xreplace({x: 0 for x in xs}) == 0, "SymPy evaluates the definition at `x_i = 0`"))

    # 3: symmetry, so the max may be taken to be x_1.
    cycle = {x: xs[(i + 1) % n] for i, x in enumerate(xs)}
    swap = {xs[0]: xs[-1], xs[-1]: xs[0]}
    symmetric = expr.xreplace(cycle) == expr and expr.xreplace(swap) == expr
    steps.append(_step(Eq(m0, xs[0]),
                       (name, "is symmetric in the entries: relabel them so that the largest is", xs[0],
                        f"; from here on `m = {xs[0].name} > 0`"),
                       symmetric, "SymPy finds the definition unchanged under the swap `(x_1 x_N)` and the "
                                  "cycle `x_1 -> x_2 -> ... -> x_N -> x_1`, which generate all relabellings"))

    # 4: scale by the max.
    scaled = _m * ((_S / big_n) ** (1 / P) if norm == "normalized" else _S ** (1 / P))
    substitution = {xs[0]: _m, **{x: _m * t for x, t in zip(xs[1:], ts, strict=True)}}
    t_i = sympy.Symbol("t_i")
    steps.append(_step(Eq(name, scaled),
                       ("write", Eq(sympy.Symbol("x_i"), _m * t_i), "with `t_1 = 1` and",
                        Contains(t_i, Interval(0, 1)), "; then", Eq(_S, _plain(s_expr))),
                       _same(expr.xreplace(substitution), scaled.xreplace({_S: s_expr})),
                       "SymPy expands `(m t_i)^p = m^p t_i^p` (`m > 0`, `t_i >= 0`) and confirms the identity"))

    # 5: the termwise bound 0 <= t^p <= 1 on [0, 1].
    derivative = sympy.diff(_tpos**P, _tpos)
    power_ok = bool(derivative.is_positive) and one**P == 1 and sympy.Integer(0) ** P == 0
    steps.append(_step(Le(_t**P, 1),
                       ("for", Contains(_t, Interval(0, 1)), "and `p > 0`:",
                        Eq(sympy.Derivative(_t**P, _t), _plain(sympy.powsimp(derivative))),
                        "`> 0` on `t > 0`, so `t^p` rises to `1^p = 1` at `t = 1`; and `0^p = 0`"),
                       power_ok, "SymPy decides that this derivative is positive for `t, p > 0` and evaluates "
                                 "`1^p = 1`, `0^p = 0`"))

    # 6-7: 1 <= S <= N.
    steps.append(_step(Le(1, _S), ("`S - 1 =`", _plain(s_expr - 1), "is a sum of nonnegative powers"),
                       (s_expr - 1).is_nonnegative, "SymPy decides `S - 1 >= 0` from `t_i >= 0`, `p > 0`"))
    termwise = sympy.expand(big_n - s_expr - sympy.Add(*[1 - t**P for t in ts])) == 0
    steps.append(_step(Le(_S, big_n), ("`N - S` is the sum of `1 - t_i^p` over `i >= 2`, each `>= 0` by step 5",),
                       termwise and power_ok,
                       "SymPy confirms that `N - S` is the sum over `i >= 2` of `1 - t_i^p`; step 5 bounds the "
                       "terms"))

    # 8: u -> u^(1/p) is increasing.
    root_derivative = sympy.diff(_upos ** (1 / P), _upos)
    steps.append(_step(sympy.StrictGreaterThan(sympy.Derivative(_u ** (1 / P), _u), 0, evaluate=False),
                       ("for `u > 0`, `p > 0` the derivative", _plain(root_derivative),
                        "is positive, so `u^(1/p)` is increasing"),
                       root_derivative.is_positive, "SymPy decides the derivative is positive"))

    # 9-10: the bounds, from 6-8 (the order step itself is the lemma, not a SymPy decision).
    if norm == "normalized":
        lower, upper = Rational(1, n) ** (1 / P) * _m, _m
    else:
        lower, upper = _m, big_n ** (1 / P) * _m
    value = scaled.xreplace({_S: s_expr})
    lemma = "; the order step is the lemma of step 8"
    steps.append(_step(Le(lower, name),
                       ("dividing,", Eq(name / lower, _S ** (1 / P)),
                        "; `S >= 1` (step 6) and `u^(1/p)` increasing (step 8) give", Le(1, _S ** (1 / P))),
                       _same(value / lower, s_expr ** (1 / P)) and one ** (1 / P) == 1
                       and steps[5].verified and steps[7].verified,
                       f"SymPy confirms the quotient is `S^(1/p)` and `1^(1/p) = 1`{lemma}"))
    steps.append(_step(Le(name, upper),
                       ("dividing,", Eq(name / upper, (_S / big_n) ** (1 / P)),
                        "; `S/N <= 1` (step 7) and the same lemma give", Le((_S / big_n) ** (1 / P), 1)),
                       _same(value / upper, (s_expr / n) ** (1 / P)) and one ** (1 / P) == 1
                       and steps[6].verified and steps[7].verified,
                       f"SymPy confirms the quotient is `(S/N)^(1/p)` and `1^(1/p) = 1`{lemma}"))

    # 11-12: the squeeze.
    factor = (Rational(1, n) if norm == "normalized" else big_n) ** (1 / P)
    steps.append(_step(Eq(Limit(factor, P, oo), 1), ("a fixed positive number to the power `1/p` tends to 1",),
                       sympy.limit(factor, P, oo) == 1, "sympy.limit"))
    squeezed = sympy.limit(lower, P, oo) == _m and sympy.limit(upper, P, oo) == _m
    steps.append(_step(Eq(Limit(name, P, oo), _m),
                       ("both bounds (steps 9 and 10) tend to `m` (step 11), so the squeeze theorem gives the",
                        "limit"),
                       squeezed and all(step.verified for step in steps),
                       "sympy.limit of both bounds is `m`, and every earlier step is verified"))

    return Proof(f"p -> oo: {to_text(name)} tends to the max (N = {n}, {norm})",   # a title: plain text
                 ("entries", Contains(sympy.Symbol("x_i"), Interval(0, oo)), ", `p > 0`, `m = max x_i`"),
                 tuple(steps), Eq(Limit(expr, P, oo), sympy.Max(*xs)),
                 notes=("Entries of mixed sign: the `|x|` form tends to `max |x|`, which is not max pooling.",))


def prove_p1(n: int, norm: str = "normalized") -> Proof:
    """Prove that p = 1 gives average pooling (normalized) or sum pooling (PyTorch).

    >>> print(to_text(prove_p1(2, norm="torch").conclusion))
    L_1 = x_1 + x_2
    """
    check_norm(norm)
    xs, real_xs = entries(n), entries(n, real=True)
    expected = sympy.Add(*xs) / (n if norm == "normalized" else 1)
    name = function_symbol(norm, 1)
    at_one = power_mean(xs, P, norm).subs(P, 1)
    real_at_one = power_mean(real_xs, 1, norm)
    real_expected = sympy.Add(*real_xs) / (n if norm == "normalized" else 1)
    steps = (
        _definition(xs, norm),
        _step(Eq(name, expected), ("substitute `p = 1`: `x^1 = x`, and a root of order 1 is the identity",),
              _same(at_one, expected), "SymPy substitutes `p = 1` and confirms the identity"),
        _step(Eq(name, expected), ("no sign condition is used, so this holds for real entries of any sign",),
              _same(real_at_one, real_expected), "SymPy repeats the substitution with real (signed) entries"),
    )
    what = "average" if norm == "normalized" else "sum"
    return Proof(f"p = 1: {to_text(name)} is {what} pooling (N = {n}, {norm})",   # a title: plain text
                 ("entries `x_i` real",), steps, Eq(name, expected))
