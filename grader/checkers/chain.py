"""The chain-rule part (1.1d): ∂E/∂x_ij for every input entry, each as a sum of kernel entries.

An answer maps entries to text (``{"A_{11}": "B_{11}", "A24": "\\frac{∂E}{∂A_{24}} = ... = B_{12} + B_{13}"}``),
or is a list of whole chained equations whose left side names the entry. Each entry earns ``points / entries``
when its final sum equals the engine's; the written chain step is checked against the engine's expansion
(``grader.diagnose.chain_findings``) and each mistake found costs the rubric's fraction of that entry.
"""

from __future__ import annotations

from typing import Any

import sympy

from grader import feedback
from grader.checkers.common import credit, graded, tex
from grader.checkers.reference import Reference
from grader.checkers.values import UnreadableAnswer, read, read_equation
from grader.compare import same_value
from grader.diagnose import Finding, chain_findings
from grader.errors import ParseError
from grader.parse import Equation, chain_terms, has_ellipsis
from grader.result import PartResult
from symconv.matrices import parse_entry_name
from symconv.spec import Part


def _entry_key(text: Any, input_name: str) -> tuple[int, int] | None:
    """The 1-based (i, j) a key names: "A_{24}", "A24", "A[2,4]", "dE/dA_24"; None if it names no entry."""
    try:
        value = read(str(text), "expr")
    except ParseError:
        return None
    if isinstance(value, sympy.Derivative):
        value = value.variables[0]
    parsed = parse_entry_name(value.name) if isinstance(value, sympy.Symbol) else None
    return (parsed[1], parsed[2]) if parsed and parsed[0] == input_name else None


def _by_entry(answer: Any, input_name: str) -> tuple[dict[tuple[int, int], Any], list[str]]:
    """The answers per entry, and lines about keys or equations that name no entry."""
    found: dict[tuple[int, int], Any] = {}
    problems: list[str] = []
    if isinstance(answer, dict):
        for key, value in answer.items():
            entry = _entry_key(key, input_name)
            if entry is None:
                problems.append(f"the key {str(key)[:40]!r} does not name an entry of {input_name}")
            else:
                found[entry] = value
        return found, problems
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, list):
        raise UnreadableAnswer(f"expected one answer per entry of {input_name}, like {{\"{input_name}_{{11}}\": ...}}")
    for k, text in enumerate(answer, start=1):
        try:
            sides = read_equation(text).sides
        except (ParseError, UnreadableAnswer) as error:
            problems.append(feedback.unreadable(f"equation {k}", error))
            continue
        lhs = sides[0]
        entry = _entry_key(lhs.variables[0].name, input_name) if isinstance(lhs, sympy.Derivative) else None
        if entry is None or len(sides) < 2:
            problems.append(f"equation {k} does not start with the derivative of E by an entry of {input_name}")
        else:
            found[entry] = text
    return found, problems


def _grade_entry(ref: Reference, key: tuple[int, int], equation: Equation) -> tuple[bool, list[Finding], str]:
    """(is the final sum right, chain-step findings, a line when the sum is wrong)."""
    rule = ref.solution.chain[key]
    sides = equation.sides
    findings: list[Finding] = []
    lhs = sides[0]
    if len(sides) > 1 and isinstance(lhs, sympy.Derivative) and lhs.variables[0] != rule.entry:
        findings.append(Finding("chain-rule-wrong-variable",
                                f"the left side is {tex(lhs)}, not the derivative by {tex(rule.entry)}"))
    written = [(chain_terms(s), has_ellipsis(s)) for s in sides if isinstance(s, sympy.Expr)
               and s.has(sympy.Derivative) and s is not lhs]
    if written:
        chains, elided = max(written, key=lambda w: len(w[0]))
        findings += chain_findings(rule, chains, elided, ref.output_name)
    final = sides[-1]
    label = tex(rule.entry)
    if not isinstance(final, sympy.Expr) or final.has(sympy.Derivative) or has_ellipsis(final):
        return False, findings, f"{label}: no final sum of kernel entries; expected {tex(rule.total)}"
    if same_value(final, ref.chain_totals[key], ref.tolerance):
        return True, findings, ""
    return False, findings, f"{label}: expected {tex(rule.total)}, got {tex(final)}"


def check_chain(ref: Reference, part: Part, answer: Any) -> PartResult:
    sol = ref.solution
    entries = sorted(sol.chain)
    answers, lines = _by_entry(answer, ref.spec.convolution.input)
    share = part.points / len(entries)
    score, findings, wrong = 0.0, [], []
    for key in entries:
        label = tex(sol.chain[key].entry)
        if key not in answers:
            lines.append(f"{label}: no answer")
            continue
        try:
            equation = read_equation(answers[key])
        except (ParseError, UnreadableAnswer) as error:
            lines.append(feedback.unreadable(f"{part.id} ({label})", error))
            continue
        right, found, line = _grade_entry(ref, key, equation)
        findings += [Finding(f.code, f"{label}: {f.detail}" if f.detail else label) for f in found]
        if right:
            score += share * credit((f.code for f in found), ref.cost)
        else:
            lines.append(line)
            wrong.append(key)
    if len(wrong) == 1:
        findings.append(Finding("entry-slip", tex(sol.chain[wrong[0]].entry)))
    expected = ref.memo("chain-latex", lambda: r" \\ ".join(sol.chain[key].to_latex() for key in entries))
    return graded(part, score, lines=lines, findings=findings, expected_latex=expected, show_expected=False)


def warm(ref: Reference, part: Part) -> None:
    ref.chain_totals  # noqa: B018  (computes and keeps the per-entry sums)
    check_chain(ref, part, {})  # prints and keeps the expected LaTeX


check_chain.warm = warm  # type: ignore[attr-defined]
