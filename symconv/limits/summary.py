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
from html import escape
from typing import Any

import mpmath
import sympy
from pylatex import NoEscape
from sympy.printing.printer import Printer

from symconv.latex import Fragment, SymconvLatexPrinter, TabularLines, latex
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
LATEX_LABELS = {"p=1": "p = 1", "p->inf": r"p \to \infty", "p->0": r"p \to 0^+", "p->-inf": r"p \to -\infty"}
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
        """Every exact limit agrees with its direct value, the convergence table's checks hold, and the
        float64 cross-check agrees."""
        return all(limit.agrees for limit in self.limits.values()) and self.table.verified and self.numeric_ok

    @property
    def name(self) -> str:
        """The norm's name in the reports: ``M_p`` (the normalized power mean) or ``L_p`` (PyTorch's sum form)."""
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
        """The plain-text report: the window, the definition, the limits table and the convergence table."""
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

    def _latex(self, printer: Printer, **_: Any) -> str:
        """The same report as two LaTeX tabulars (the limits, then the convergence to the max), each exact value
        through ``printer`` so its settings apply."""
        limits = TabularLines("llll")
        limits.add_row(["limit", "value", "exact", ""])
        limits.add_hline()
        for key in LIMIT_KEYS:
            limit = self.limits[key]
            exact = r"\text{undefined}" if limit.value is None else printer._print(_exact(limit))
            approx = "" if limit.as_number() is None else rf"$\approx {_number(sympy.N(limit.value, 30), 15)}$"
            limits.add_row([NoEscape(f"${LATEX_LABELS[key]}$"), _direct_name(key, self.norm, limit),
                            NoEscape(f"${exact}$"), NoEscape(approx)])
        table = TabularLines("rlll")
        table.add_row([NoEscape(f"${cell}$") for cell in ("p", self.name, f"|{self.name} - m|",
                                                           _LATEX_BOUNDS[self.norm])])
        table.add_hline()
        for p, value, error, bound in self.table.rows:
            table.add_row([p, _number(value), _number(error, 6), _number(bound, 6)])
        return Fragment([limits, NoEscape(""), table]).dumps()

    def to_latex(self, **settings: Any) -> str:
        """The report in LaTeX, by the project's printer with ``settings`` (as ``symconv.latex.latex``)."""
        return SymconvLatexPrinter(settings).doprint(self)

    # How a window's limits show themselves in a REPL and a notebook (the rows in LIMIT_KEYS order, as in the
    # documents and the CLI).

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        """One line: the window, the definition and each limit's exact value."""
        entries = ", ".join(str(x) for x in self.window)
        limits = "; ".join(f"{_LABELS[key]}: {'undefined' if limit.value is None else sympy.sstr(_exact(limit))}"
                           for key, limit in self.limits.items())
        return f"WindowLimits([{entries}], {self.norm}: {limits}; {'verified' if self.verified else 'NOT verified'})"

    def _limit_cells(self, key: str) -> tuple[str, str, Any, str]:
        """(label, name of the direct value, exact value or None, approximate value) of one limit."""
        limit = self.limits[key]
        approx = "" if limit.as_number() is None else _number(sympy.N(limit.value, 30), 15)
        return LATEX_LABELS[key], _direct_name(key, self.norm, limit), _exact(limit), approx

    def _repr_latex_(self) -> str:
        """The limits as a math-mode array (MathJax renders it; ``to_latex`` is a document's tabular)."""
        rows = []
        for label, name, exact, approx in map(self._limit_cells, LIMIT_KEYS):
            value = r"\text{undefined}" if exact is None else latex(exact)
            rows.append(rf"{label} & \text{{{name}}} & {value} & " + (r"\approx " + approx if approx else ""))
        head = r"\text{limit} & \text{value} & \text{exact} & \text{approx} "
        mark = r"\text{verified}" if self.verified else r"\text{NOT verified}"
        return r"$\begin{array}{llll}" + head + r"\\ \hline " + r" \\ ".join(rows) + rf"\end{{array}}\quad {mark}$"

    def _repr_html_(self) -> str:
        """Two tables, the limits and the convergence to the max, as in ``to_text``."""
        def row(cells: list[str], tag: str = "td") -> str:
            return "<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>"

        limits = [row([f"${label}$", escape(name), "undefined" if exact is None else escape(f"${latex(exact)}$"),
                       approx, "yes" if self.limits[key].agrees else "NO"])
                  for key, (label, name, exact, approx) in zip(LIMIT_KEYS, map(self._limit_cells, LIMIT_KEYS))]
        table = [row([str(p), _number(value), _number(error, 6), _number(bound, 6)])
                 for p, value, error, bound in self.table.rows]
        entries = ", ".join(str(x) for x in self.window)
        return "\n".join([
            f"<p>window {escape(entries)} (N = {len(self.window)}), {escape(_DEFINITIONS[self.norm])}; "
            f"<b>{'verified' if self.verified else 'NOT verified'}</b></p>",
            "<table>", row(["limit", "direct value", "exact", "approx", "agrees"], "th"), *limits, "</table>",
            "<table>", row(["p", self.name, f"|{self.name} - max|", f"bound {escape(_BOUNDS[self.norm])}"], "th"),
            *table, "</table>"])

    def plot(self, ax: Any = None) -> Any:
        """The convergence of the pooled value to the max as p grows (:func:`symconv.plot.lp_convergence`)."""
        from symconv.plot import lp_convergence

        return lp_convergence(self, ax=ax)


def window_limits(values: Iterable[object], norm: str = "normalized", absolute: bool = False,
                  powers: Sequence[int] = POWERS, dps: int = 50) -> WindowLimits:
    """Exact limits (SymPy), convergence table (mpmath) and float64 cross-check for one window."""
    check_norm(norm)
    window = parse_window(values, absolute=absolute)
    table = convergence_table(window, norm, powers, dps)
    numeric_ok, compared = numeric_check(window, table)
    return WindowLimits(window, norm, absolute, exact_limits(window, norm), table, compared, numeric_ok)
