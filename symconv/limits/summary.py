"""Everything about one window's limits in one object, and how it prints (text, LaTeX, JSON-ready dict).

>>> result = window_limits([4, 1], norm="torch", powers=(1, 2))
>>> result.to_dict()["limits"]
{'p=1': 5.0, 'p->inf': 4.0, 'p->0': None, 'p->-inf': 1.0}
>>> result.verified
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy

from symconv.latex import latex
from symconv.limits.means import check_norm
from symconv.limits.window import (
    LIMIT_KEYS,
    POWERS,
    ConvergenceTable,
    Limit,
    convergence_table,
    exact_limits,
    numeric_check,
    parse_window,
)

_LABELS = {"p=1": "p = 1", "p->inf": "p -> oo", "p->0": "p -> 0+", "p->-inf": "p -> -oo"}
_LATEX_LABELS = {"p=1": "p = 1", "p->inf": r"p \to \infty", "p->0": r"p \to 0^+", "p->-inf": r"p \to -\infty"}
_DEFINITIONS = {"normalized": "M_p = ((1/N) sum x_i^p)^(1/p)", "torch": "L_p = (sum x_i^p)^(1/p)  (PyTorch)"}
_BOUNDS = {"normalized": "m (1 - N^(-1/p))", "torch": "m (N^(1/p) - 1)"}
_LATEX_BOUNDS = {"normalized": r"m\,(1 - N^{-1/p})", "torch": r"m\,(N^{1/p} - 1)"}


def _direct_name(key: str, norm: str, limit: Limit) -> str:
    if key == "p->0":
        if norm == "normalized":
            return "geometric mean"
        return "infinite" if limit.direct is sympy.oo else "the positive entry"
    names = {"p=1": "mean" if norm == "normalized" else "sum", "p->inf": "max", "p->-inf": "min"}
    return names[key] if limit.direct is not None else "undefined"


def _number(value: Any, digits: int = 20) -> str:
    return mpmath.nstr(value, digits)


def _columns(*cells: tuple[str, int]) -> str:
    """Cells padded to a width (negative: right-aligned), two spaces apart."""
    out = [text.rjust(-width) if width < 0 else text.ljust(width) for text, width in cells]
    return "  ".join(out).rstrip()


def _exact(limit: Limit) -> sympy.Expr | None:
    """SymPy's value; when it agrees with the direct value in another form (SymPy's limits can come back as
    5**c/2**c for 2), the direct (simpler) form."""
    if limit.value is None or limit.value == limit.direct or not limit.agrees:
        return limit.value
    return limit.direct


@dataclass(frozen=True)
class WindowLimits:
    """The exact limits, the convergence table and the numeric cross-check of one window."""

    window: tuple[sympy.Rational, ...]
    norm: str
    absolute: bool
    limits: dict[str, Limit]
    table: ConvergenceTable
    numeric_powers: tuple[int, ...]
    numeric_ok: bool

    @property
    def verified(self) -> bool:
        return all(limit.agrees for limit in self.limits.values()) and self.table.verified and self.numeric_ok

    @property
    def name(self) -> str:
        return "M_p" if self.norm == "normalized" else "L_p"

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON: window, norm, limits (null where infinite or undefined), table, verified."""
        return {
            "window": [int(x) if x.is_integer else float(x) for x in self.window],
            "norm": self.norm,
            "limits": {key: self.limits[key].as_number() for key in LIMIT_KEYS},
            "table": [[p, float(value)] for p, value, _, _ in self.table.rows],
            "verified": self.verified,
        }

    def to_text(self) -> str:
        entries = ", ".join(str(x) for x in self.window)
        form = " (the |x| form: tends to max |x|, not max pooling)" if self.absolute else ""
        lines = [f"window: {entries}  (N = {len(self.window)}){form}", f"{self.norm}: {_DEFINITIONS[self.norm]}",
                 "", _columns(("limit", 9), ("direct value", 15), ("exact", 26), ("approx", 18), ("agrees", 6),
                              ("method", 0))]
        for key in LIMIT_KEYS:
            limit = self.limits[key]
            approx = "" if limit.as_number() is None else _number(sympy.N(limit.value, 30), 15)
            exact = "undefined" if limit.value is None else sympy.sstr(_exact(limit))
            lines.append(_columns((_LABELS[key], 9), (_direct_name(key, self.norm, limit), 15), (exact, 26),
                                  (approx, 18), ("yes" if limit.agrees else "NO", 6), (limit.method, 0)))
        lines += ["", f"convergence to the max (mpmath, {self.table.dps} digits): error = |{self.name} - max|, "
                      f"squeeze bound = {_BOUNDS[self.norm]}",
                  _columns(("p", -5), (self.name, 24), ("error", 14), ("bound", 0))]
        for p, value, error, bound in self.table.rows:
            lines.append(_columns((str(p), -5), (_number(value), 24), (_number(error, 6), 14),
                                  (_number(bound, 6), 0)))
        checks = "; ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in self.table.checks.items())
        compared = ", ".join(map(str, self.numeric_powers)) or "none"
        lines += ["", f"checks: {checks}",
                  f"symconv.numeric.lp_pool2d (float64) agrees: {'ok' if self.numeric_ok else 'FAILED'} "
                  f"at p = {compared}",
                  f"verified: {'yes' if self.verified else 'NO'}"]
        return "\n".join(lines)

    def to_latex(self) -> str:
        rows = []
        for key in LIMIT_KEYS:
            limit = self.limits[key]
            exact = r"\text{undefined}" if limit.value is None else latex(_exact(limit))
            approx = "" if limit.as_number() is None else rf"$\approx {_number(sympy.N(limit.value, 30), 15)}$"
            rows.append(rf"${_LATEX_LABELS[key]}$ & {_direct_name(key, self.norm, limit)} & ${exact}$ & {approx} \\")
        name = "M_p" if self.norm == "normalized" else "L_p"
        table = [rf"{p} & {_number(value)} & {_number(error, 6)} & {_number(bound, 6)} \\"
                 for p, value, error, bound in self.table.rows]
        return "\n".join([
            r"\begin{tabular}{llll}", r"limit & value & exact & \\ \hline", *rows, r"\end{tabular}", "",
            r"\begin{tabular}{rlll}",
            rf"$p$ & ${name}$ & $|{name} - m|$ & ${_LATEX_BOUNDS[self.norm]}$ \\ \hline",
            *table, r"\end{tabular}",
        ])


def window_limits(values: Iterable[object], norm: str = "normalized", absolute: bool = False,
                  powers: Sequence[int] = POWERS, dps: int = 50) -> WindowLimits:
    """Exact limits (SymPy), convergence table (mpmath) and float64 cross-check for one window."""
    check_norm(norm)
    window = parse_window(values, absolute=absolute)
    table = convergence_table(window, norm, powers, dps)
    numeric_ok, compared = numeric_check(window, table)
    return WindowLimits(window, norm, absolute, exact_limits(window, norm), table, compared, numeric_ok)
