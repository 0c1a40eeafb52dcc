r"""Readable Unicode maths for text, terminals and Markdown: ``⌊(I + 2P − D(K − 1) − 1)/S⌋ + 1``, ``B₁₁ + B₁₂``,
``∂E/∂A₂₄``; matrices as aligned rows.

Two entry points, one style:

- ``unicode(expr)`` prints a SymPy value through ``UnicodePrinter`` (a ``StrPrinter`` with ``_print_<Type>``
  methods); sums list their terms in the order the documents use (``symconv.latex``'s ordering rule).
- ``from_latex(text)`` renders LaTeX that the project printed (``symconv.latex``, the grader's feedback) as the same
  Unicode; ``math=False`` keeps the spaces of prose that has LaTeX inside it. It is a renderer for our own output,
  never a reader of student text: an unknown command is left as written.

>>> from symconv import output_size_expr, sym_matrix
>>> unicode(output_size_expr())
'⌊(I + 2P − D(K − 1) − 1)/S⌋ + 1'
>>> B = sym_matrix("B", 2, 2)
>>> unicode(B[0, 1] + B[0, 0])
'B₁₁ + B₁₂'
>>> from_latex(r"\frac{\partial E}{\partial A_{24}} = B_{11} + B_{12}")
'∂E/∂A₂₄ = B₁₁ + B₁₂'
>>> print(from_latex(r"\begin{bmatrix}109 & 92\\8 & 85\end{bmatrix}"))
[109  92]
[  8  85]
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from symconv.latex import term_key

SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ,"))
SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzT′",
               "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ′"))
MINUS = "−"
_ENTRY = re.compile(r"^([A-Za-z]+)_(\d+(?:,\d+)?)$")


def script(text: str, table: dict[str, str], mark: str) -> str:
    """``text`` as sub- or superscript characters when every character has one, else ``mark`` + text
    (parenthesised when longer than one character).

    >>> script("24", SUB, "_"), script("pq", SUB, "_"), script("T", SUP, "^")
    ('₂₄', '_(pq)', 'ᵀ')
    """
    text = text.replace(MINUS, "-")
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return mark + (text if len(text) == 1 else f"({text})")


def _is_atom_text(text: str) -> bool:
    """True when ``text`` needs no parentheses as a factor, numerator or denominator."""
    if re.fullmatch(r"[\w.′" + "".join(SUB.values()) + "".join(SUP.values()) + r"∂/∞]+", text):
        return "/" not in text or text.startswith("∂")
    return _balanced_outer(text)


def _balanced_outer(text: str) -> bool:
    """True when the whole text is one bracketed group: (…), […], ⌊…⌋, ⌈…⌉, |…|."""
    pairs = {"(": ")", "[": "]", "⌊": "⌋", "⌈": "⌉"}
    if len(text) < 2 or text[0] not in pairs or text[-1] != pairs[text[0]]:
        return False
    depth = 0
    for k, c in enumerate(text):
        depth += c in "([⌊⌈"
        depth -= c in ")]⌋⌉"
        if depth == 0 and k < len(text) - 1:
            return False
    return True


def wrap(text: str) -> str:
    """``text`` in parentheses unless it is already one factor (a name, a number, a bracketed group).

    >>> wrap("B₁₁"), wrap("a + b"), wrap("(a + b)")
    ('B₁₁', '(a + b)', '(a + b)')"""
    return text if _is_atom_text(text) else f"({text})"


class UnicodePrinter(StrPrinter):
    """SymPy's str printer with readable mathematical notation (see the module docstring)."""

    printmethod = "_symconv_unicode"
    _default_settings = {**StrPrinter._default_settings, "full_prec": False}

    def _print_Pi(self, expr: Any) -> str:
        return "π"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        m = _ENTRY.match(expr.name)
        if m:
            return m.group(1) + script(m.group(2), SUB, "_")
        return expr.name

    _print_Dummy = _print_Symbol

    def _print_EllipsisMarker(self, expr: Any) -> str:
        return "…"

    def _print_Str(self, expr: Any) -> str:
        return expr.name

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(expr.p).replace("-", MINUS)

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"{expr.p}/{expr.q}".replace("-", MINUS)

    def _print_Float(self, expr: sympy.Float) -> str:
        return super()._print_Float(expr).replace("-", MINUS)

    def _print_Infinity(self, expr: Any) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return MINUS + "∞"

    def _print_Add(self, expr: sympy.Add, order: Any = None) -> str:
        terms = sorted(expr.args, key=term_key)
        out = self._print(terms[0])
        for term in terms[1:]:
            text = self._print(term)
            out += f" {MINUS} {text[1:]}" if text.startswith(MINUS) else f" + {text}"
        return out

    def _print_Mul(self, expr: sympy.Mul) -> str:
        coeff, factors = expr.as_coeff_mul()
        num, den = [], []
        for f in factors:
            base, exp = f.as_base_exp()
            if exp.is_Number and exp.is_negative:
                den.append(base if exp == -1 else sympy.Pow(base, -exp, evaluate=False))
            else:
                num.append(f)
        if coeff.is_Rational and coeff.q != 1 and not coeff.is_Integer:
            den.insert(0, sympy.Integer(coeff.q))
            coeff = sympy.Integer(coeff.p)
        sign = MINUS if coeff.is_negative else ""
        coeff = abs(coeff)
        numerator = self._product(num, coeff)
        if not den:
            return sign + numerator
        denominator = self._product(den, sympy.S.One)
        return f"{sign}{wrap(numerator)}/{wrap(denominator)}"

    def _product(self, factors: list[Any], coeff: Any) -> str:
        """Factors side by side where that is unambiguous (2P, D(K − 1)), else with a middle dot."""
        parts = [] if coeff == 1 else [self._print(coeff)]
        for f in sorted(factors, key=term_key):
            text = self._print(f)
            parts.append(text if isinstance(f, sympy.Pow | sympy.Symbol | sympy.Function) or _is_atom_text(text)
                         else f"({text})")
        if not parts:
            return "1"
        out = parts[0]
        for prev, text in zip(parts, parts[1:]):
            out += product_joint(prev, text) + text
        return out

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exp = expr.args
        if exp == 1:
            return self._print(base)
        if exp == sympy.S.Half:
            return "√" + wrap(self._print(base))
        if exp.is_Number and exp.is_negative:
            return f"1/{wrap(self._print(sympy.Pow(base, -exp, evaluate=False)))}"
        base_text = self._print(base)
        simple = isinstance(base, sympy.Symbol | sympy.Abs | sympy.floor | sympy.ceiling)
        plain = not isinstance(base, sympy.Pow) and (_balanced_outer(base_text) or re.fullmatch(r"\w+", base_text))
        base_text = base_text if simple or plain else f"({base_text})"
        exp_text = self._print(exp)
        return base_text + script(exp_text.replace(" ", ""), SUP, "^")

    def _print_floor(self, expr: Any) -> str:
        return f"⌊{self._print(expr.args[0])}⌋"

    def _print_ceiling(self, expr: Any) -> str:
        return f"⌈{self._print(expr.args[0])}⌉"

    def _print_Abs(self, expr: Any) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _minmax(self, name: str, expr: Any) -> str:
        return f"{name}(" + ", ".join(self._print(a) for a in sorted(expr.args, key=term_key)) + ")"

    def _print_Max(self, expr: Any) -> str:
        return self._minmax("max", expr)

    def _print_Min(self, expr: Any) -> str:
        return self._minmax("min", expr)

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        if len(expr.variables) == 1 and isinstance(expr.expr, sympy.Symbol):
            return f"∂{self._print(expr.expr)}/∂{self._print(expr.variables[0])}"
        wrt = "".join(f"∂{self._print(v)}" for v in expr.variables)
        return f"∂/{wrt} {wrap(self._print(expr.expr))}"

    def _print_Limit(self, expr: sympy.Limit) -> str:
        body, var, value = expr.args[:3]
        return f"lim_({self._print(var)} → {self._print(value)}) {wrap(self._print(body))}"

    def _print_Relational(self, expr: Any) -> str:
        symbol = {"==": "=", "<=": "≤", ">=": "≥", "!=": "≠", "<": "<", ">": ">"}[expr.rel_op]
        return f"{self._print(expr.lhs)} {symbol} {self._print(expr.rhs)}"

    def _print_Tuple(self, expr: Any) -> str:
        return "(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Indexed(self, expr: Any) -> str:
        indices = "".join(self._print(i) for i in expr.indices)
        return self._print(expr.base.label) + script(indices, SUB, "_")

    def _print_IndexedBase(self, expr: Any) -> str:
        return self._print(expr.label)

    def _print_Sum(self, expr: Any) -> str:
        body, *limits = expr.args
        bounds = ", ".join(f"{self._print(v)} = {self._print(lo)}…{self._print(hi)}" for v, lo, hi in limits)
        return f"∑({bounds}) {wrap(self._print(body))}"

    def _print_WindowReduce(self, expr: Any) -> str:
        var = self._print(expr.var)
        if expr.body == expr.var and not isinstance(expr.domain, sympy.Tuple):
            return f"{expr.op}({self._print(expr.domain)})"
        if isinstance(expr.domain, sympy.Tuple):
            over = f"{var} = {self._print(expr.domain[0])}…{self._print(expr.domain[1])}"
        elif type(expr.domain).__name__ == "Str":
            over = var
        else:
            over = f"{var} ∈ {self._print(expr.domain)}"
        return f"{expr.op} over {over} of {self._print(expr.body)}"

    def _print_MatrixBase(self, expr: Any) -> str:
        return matrix_rows([[self._print(v) for v in expr.row(i)] for i in range(expr.rows)])

    _print_ImmutableDenseMatrix = _print_MutableDenseMatrix = _print_Matrix = _print_MatrixBase


def product_joint(left: str, right: str) -> str:
    """What goes between two factors: nothing (2P, D(K − 1), B₁₁B₂₂), a dot between numbers (2·3), a spaced dot
    between fractions (∂E/∂C₁₂ · ∂C₁₂/∂A₂₄).

    >>> product_joint("2", "P"), product_joint("2", "3"), product_joint("∂E/∂C₁₂", "∂C₁₂/∂A₂₄")
    ('', '·', ' · ')
    """
    if "/" in left or "/" in right:
        return " · "
    return "·" if left[-1:].isdigit() and right[:1].isdigit() else ""


def matrix_rows(cells: list[list[str]]) -> str:
    """Rows of cells as aligned lines, each in brackets, entries right-aligned per column.

    >>> print(matrix_rows([["1", "20"], ["300", "4"]]))
    [  1  20]
    [300   4]
    """
    if not cells or not any(cells):
        return "[]"
    width = max(len(row) for row in cells)
    cols = [max((len(row[c]) for row in cells if c < len(row)), default=0) for c in range(width)]
    return "\n".join("[" + "  ".join(row[c].rjust(cols[c]) if c < len(row) else " " * cols[c]
                                     for c in range(width)) + "]" for row in cells)


def unicode(expr: Any) -> str:
    """Readable Unicode text for a SymPy value (or a grader Equation / Approach, or a plain value).

    >>> import sympy
    >>> p = sympy.Symbol("p")
    >>> unicode(sympy.Limit(p, p, sympy.oo)), unicode(sympy.Rational(1, 4) * sympy.Symbol("x"))
    ('lim_(p → ∞) p', 'x/4')
    """
    sides = getattr(expr, "sides", None)
    if isinstance(sides, tuple):
        return " = ".join(unicode(s) for s in sides)
    if hasattr(expr, "var") and hasattr(expr, "value") and not isinstance(expr, sympy.Basic):
        return f"{unicode(expr.var)} → {unicode(expr.value)}"
    if isinstance(expr, tuple | list) and not isinstance(expr, str):
        return "(" + ", ".join(unicode(v) for v in expr) + ")"
    if isinstance(expr, int | float) and not isinstance(expr, bool):
        expr = sympy.sympify(expr)  # a Python number, never text
    return UnicodePrinter().doprint(expr)


# --- LaTeX the project printed, as the same Unicode ----------------------------------------------------------------

_SYMBOLS = {
    "partial": "∂", "infty": "∞", "times": "×", "cdot": "·", "to": "→", "rightarrow": "→", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "in": "∈", "approx": "≈", "pm": "±", "lfloor": "⌊",
    "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "dots": "…", "ldots": "…", "cdots": "…", "sum": "∑", "prod": "∏",
    "lvert": "|", "rvert": "|", "vert": "|", "mid": "|", "{": "{", "}": "}", "%": "%", "&": "&", "_": "_", "#": "#",
    "max": "max", "min": "min", "lim": "lim", "log": "log", "ln": "ln", "exp": "exp", "sqrt": "√", "prime": "′",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "Delta": "Δ", "epsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "pi": "π", "mu": "μ", "sigma": "σ", "Sigma": "Σ", "nabla": "∇", "ast": "*",
    "star": "⋆",
    "mathcal": "", "mathbf": "", "mathrm": "", "boldsymbol": "", "mathit": "", "displaystyle": "", "left": "",
    "right": "", "bigl": "", "bigr": "", "big": "", "Big": "", "bigg": "", "Bigg": "", ",": " ", ";": " ",
    ":": " ", "!": "", "quad": "  ", "qquad": "    ", " ": " ", "limits": "", "nolimits": "",
}
_SPACED = {"×", "·", "→", "≤", "≥", "≠", "∈", "≈", "±", "=", "+", "<", ">"}
_BIG = {"max", "min", "∑", "∏", "lim"}
_TEXT_ARG = {"text", "texttt", "textrm", "textbf", "textit", "operatorname", "mathrm", "mbox"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\\$|\s+|.", re.S)


def from_latex(text: str, math: bool = True) -> str:
    r"""Unicode for LaTeX the project printed. ``math=True``: a formula (source spaces do not count; operators get
    one space each side). ``math=False``: prose with LaTeX inside (spaces kept).

    >>> from_latex(r"\left\lfloor{\frac{I + 2 P - D \left(K - 1\right) - 1}{S}}\right\rfloor + 1")
    '⌊(I + 2P − D(K − 1) − 1)/S⌋ + 1'
    >>> from_latex(r"A_{12}: \frac{\partial C_{11}}{\partial A_{21}} should be taken", math=False)
    'A₁₂: ∂C₁₁/∂A₂₁ should be taken'
    >>> from_latex(r"\text{avg: } p = 1,\quad \text{max: } p \to \infty")
    'avg: p = 1,  max: p → ∞'
    """
    tokens = _TOKEN.findall(text)
    out, _ = _render(tokens, 0, math, stop=None)
    return _tidy(out, math)


def _tidy(text: str, math: bool) -> str:
    """A formula's spacing: no runs of more than two spaces, no trailing spaces, no blank first or last line."""
    if not math:
        return text
    lines = [line.rstrip() if line.lstrip().startswith("[") else re.sub(r" {3,}", "  ", line).rstrip()
             for line in text.split("\n")]  # matrix rows keep their alignment
    return "\n".join(line.lstrip() if k == 0 or not line.lstrip().startswith("[") else line
                     for k, line in enumerate(lines)).strip("\n ")


def _render(tokens: list[str], i: int, math: bool, stop: str | None) -> tuple[str, int]:
    """Render tokens from ``i`` until ``stop`` (a closing brace, or an ``\\end``); returns (text, next index)."""
    out: list[str] = []
    while i < len(tokens):
        t = tokens[i]
        if t == stop:
            return "".join(out), i + 1
        if t == "{":
            inner, i = _render(tokens, i + 1, math, "}")
            out.append(inner)
            continue
        if t.isspace():
            if not math:
                out.append(t)
            i += 1
            continue
        if t in ("_", "^"):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not math and nxt != "{" and not nxt.isdigit():  # max_pool2d in prose is a name, not a subscript
                out.append(t)
                i += 1
                continue
            arg, i = _argument(tokens, i + 1)
            out.append(script(arg, SUB if t == "_" else SUP, t))
            if out[-2:-1] and out[-2].strip() in _BIG and (i >= len(tokens) or tokens[i] not in "_^"):
                out.append(" ")  # max_(i ∈ S) x, not max_(i ∈ S)x
            continue
        if t == "-" and math:
            out.append(f" {MINUS} " if _operand_before(out) else MINUS)
            i += 1
            continue
        if t in _SPACED and math:
            out.append(f" {t} ")
            i += 1
            continue
        if t == "," and math:
            out.append(", ")
            i += 1
            continue
        if not t.startswith("\\") or t == "\\":
            out.append(t)
            i += 1
            continue
        name = t[1:]
        i += 1
        if name in _TEXT_ARG and i < len(tokens) and tokens[i] == "{":
            body, i = _raw_group(tokens, i)
            out.append(body)
        elif name in ("frac", "dfrac", "tfrac"):
            num, i = _argument(tokens, i)
            den, i = _argument(tokens, i)
            text = f"{num}/{den}" if num.startswith("∂") else f"{wrap(num)}/{wrap(den)}"
            out.append((product_joint("/", text).strip() and " · " if math and _operand_before(out) else "") + text)
        elif name == "sqrt":
            arg, i = _argument(tokens, i)
            out.append("√" + wrap(arg))
        elif name == "mathbb":
            arg, i = _argument(tokens, i)
            out.append({"R": "ℝ", "N": "ℕ", "Z": "ℤ"}.get(arg, arg))
        elif name == "begin":
            env, i = _raw_group(tokens, i)
            if env == "array" and i < len(tokens) and tokens[i] == "{":
                _, i = _raw_group(tokens, i)
            body, i = _environment(tokens, i, env)
            out.append(body)
        elif name == "\\":
            out.append("\n")
            i = _skip_length(tokens, i)
        elif name in _SYMBOLS:
            symbol = _SYMBOLS[name]
            out.append(f" {symbol} " if math and symbol in _SPACED else symbol)
            if not math and name.isalpha():
                i = _skip_space(tokens, i)  # LaTeX swallows the space after a control word
        else:
            out.append(t)  # not ours: shown as written
            if i < len(tokens) and tokens[i] == "{":
                body, i = _raw_group(tokens, i)
                out.append("{" + body + "}")
    return "".join(out), i


def _operand_before(out: list[str]) -> bool:
    prev = "".join(out).rstrip()
    return bool(prev) and (prev[-1].isalnum() or prev[-1] in ")]|⌋⌉∞′" or prev[-1] in SUB.values()
                           or prev[-1] in SUP.values())


def _skip_length(tokens: list[str], i: int) -> int:
    """Past the optional ``[0.8ex]`` after a row break."""
    if i < len(tokens) and tokens[i] == "[":
        end = tokens.index("]", i) if "]" in tokens[i:] else i
        return end + 1 if end > i and end - i < 12 else i
    return i


def _skip_space(tokens: list[str], i: int) -> int:
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    return i


def _argument(tokens: list[str], i: int) -> tuple[str, int]:
    """One macro argument rendered as a formula: a brace group, a command, or one character."""
    i = _skip_space(tokens, i)
    if i >= len(tokens):
        return "", i
    if tokens[i] == "{":
        inner, i = _render(tokens, i + 1, True, "}")
        return _tidy(inner, True), i
    if tokens[i].isdigit():  # C_12 in the grader's own labels is C₁₂ (its LaTeX always braces: C_{12})
        j = i
        while j < len(tokens) and tokens[j].isdigit():
            j += 1
        return "".join(tokens[i:j]), j
    inner, _ = _render(tokens[i:i + 1], 0, True, None)
    return inner.strip(), i + 1


def _raw_group(tokens: list[str], i: int) -> tuple[str, int]:
    """A brace group's text as written (for \\text and environment names)."""
    depth, out = 0, []
    while i < len(tokens):
        t = tokens[i]
        depth += t == "{"
        depth -= t == "}"
        i += 1
        if depth == 0:
            break
        if not (t == "{" and depth == 1):
            out.append(t[1:] if t in ("\\{", "\\}", "\\%", "\\_", "\\&", "\\#") else t)
    return "".join(out), i


def _environment(tokens: list[str], i: int, env: str) -> tuple[str, int]:
    """A matrix-like environment as aligned rows (cells split at & and \\\\)."""
    start = i
    depth = 0
    while i < len(tokens):
        if tokens[i] == "\\begin":
            depth += 1
        if tokens[i] == "\\end":
            if depth == 0:
                break
            depth -= 1
        i += 1
    body = tokens[start:i]
    if i < len(tokens):
        _, i = _raw_group(tokens, i + 1)
    rows: list[list[str]] = []
    row: list[str] = []
    cell: list[str] = []
    body = [*body, "\\\\"]
    k = 0
    while k < len(body):
        t = body[k]
        k += 1
        if t == "\\\\":
            k = _skip_length(body, k)
        if t in ("&", "\\\\"):
            row.append(_tidy(_render(cell, 0, True, None)[0], True))
            cell = []
            if t == "\\\\":
                if any(row):
                    rows.append(row)
                row = []
        elif t != "\\hline":
            cell.append(t)
    if env in ("aligned", "align", "align*", "gathered", "cases"):
        return "\n".join(" ".join(r) for r in rows), i
    return "\n" + matrix_rows(rows) + "\n", i
