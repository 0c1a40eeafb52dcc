"""The chain-rule part (1.1d): ∂E/∂x_ij for every input entry, each as a sum of kernel entries; and the kernel's
counterpart (task kernel-gradient, :func:`check_kernel_chain`): ∂E/∂B_mn for every kernel entry, a sum of input
entries, read and judged by the same code with the two matrices' roles swapped (:class:`Variable`).

An answer maps entries to text (``{"A_{11}": "B_{11}", "A24": "\\frac{∂E}{∂A_{24}} = ... = B_{12} + B_{13}"}``),
or is a list of whole chained equations whose left side names the entry, or one text holding them line by line.
Each entry earns ``points / entries`` when its answer equals the engine's sum; the written chain step is checked
against the engine's expansion (``grader.diagnose.chain_findings``) and each mistake found costs the rubric's
fraction of that entry.

How people write it, all read: the loss named E, L, \\mathcal{L} or J; the upstream gradient written as a
derivative (``\\frac{∂L}{∂C_{11}} B_{11}``: it is the spec's upstream, 1 here); bounded sums over kernel entries
(``\\sum_{n=1}^{3} B_{1,n}``, written out before comparing); lower-case kernel names (``b_{11}`` when the spec
names the kernel B and nothing b; with a note); a sum followed by its value (``= B_{11} + B_{12} = 3 + 4 = 7``:
the sum is graded, the value checked against the spec's kernel and a wrong one noted). The answer side is the
last side that is a sum of kernel entries; other sides that disagree with it are notes, not zeros. An entry that
cannot be read (or only by a guess) goes to a person and costs only that entry until then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.core.symbol import Str

from grader import feedback
from grader.checkers.common import credit, graded, printed_names, tex
from grader.checkers.reference import Reference
from grader.checkers.values import Log, UnreadableAnswer, expand_bounded, read, read_equation
from grader.compare import by_name, same_value
from grader.diagnose import Finding, chain_findings
from grader.errors import ParseError
from grader.parse import Equation, WindowReduce, chain_terms, has_ellipsis
from grader.result import PartResult
from symconv.matrices import parse_entry_name
from symconv.spec import Part
from symconv.tasks import Alternative

_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{\s*(?:aligned|align\*?|gathered|gather\*?|split|eqnarray\*?|"
                          r"array)\s*\}(?:\s*\{[^}]*\})?")
_BREAK = re.compile(r"\\\\|\n")


def _entry_key(text: Any, input_name: str, context: Any, lower_taken: frozenset[str] = frozenset()
               ) -> tuple[int, int] | None:
    """The 1-based (i, j) a key names: "A_{24}", "A24", "A[2,4]", "dE/dA_24", "a_{24}" (unless a matrix of the
    problem is called a: ``lower_taken``); None if it names no entry."""
    try:
        value = read(str(text), "expr", context)
    except ParseError:
        return None
    if isinstance(value, sympy.Derivative):
        value = value.variables[0]
    parsed = parse_entry_name(value.name) if isinstance(value, sympy.Symbol) else None
    names = {input_name} | ({input_name.lower()} if input_name.lower() not in lower_taken else set())
    return (parsed[1], parsed[2]) if parsed and parsed[0] in names else None


def split_equations(text: str) -> list[str]:
    """One text holding several equations, one per line (``\\\\`` or a newline), as one text per equation: a line
    that starts with ``=`` continues the equation above. Environments (aligned, align*) and ``&`` are layout.

    >>> split_equations("\\\\begin{aligned} a &= b \\\\\\\\ &= c \\\\\\\\ d &= e \\\\end{aligned}")
    ['a = b = c', 'd = e']
    """
    body = _ENVIRONMENT.sub(" ", text).replace("&", " ")
    pieces: list[str] = []
    for line in _BREAK.split(body):
        line = line.strip()
        if not line:
            continue
        if pieces and line.startswith("="):
            pieces[-1] += " " + line
        else:
            pieces.append(line)
    return [" ".join(p.split()) for p in pieces]


def _by_entry(answer: Any, input_name: str, context: Any, taken: frozenset[str] = frozenset()
              ) -> tuple[dict[tuple[int, int], Any], list[str], list[str]]:
    """The answers per entry, lines about keys or equations that name no entry, and pieces for a person
    (``taken``: the names of the problem's matrices)."""
    found: dict[tuple[int, int], Any] = {}
    problems: list[str] = []
    review: list[str] = []
    twice: set[tuple[int, int]] = set()
    if isinstance(answer, dict):
        for key, value in answer.items():
            entry = _entry_key(key, input_name, context, taken)
            if entry is None:
                problems.append(f"the key {str(key)[:40]!r} does not name an entry of {input_name}")
            elif entry in found and str(found[entry]).strip() != str(value).strip():
                twice.add(entry)   # K11 and K_{11} answered differently: keeping the last would take a hedge
            else:
                found[entry] = value
        for entry in sorted(twice):
            del found[entry]
            problems.append(f"two different answers for {input_name}_{{{entry[0]}{entry[1]}}}")
            review.append(f"{input_name}_{{{entry[0]}{entry[1]}}}")
        return found, problems, review
    if isinstance(answer, str):
        answer = split_equations(answer) if len(split_equations(answer)) > 1 else [answer]
    if not isinstance(answer, list):
        raise UnreadableAnswer(f"expected one answer per entry of {input_name}, like {{\"{input_name}_{{11}}\": ...}}")
    for k, text in enumerate(answer, start=1):
        try:
            sides = read_equation(text, context).sides
        except (ParseError, UnreadableAnswer) as error:
            problems.append(feedback.unreadable(f"equation {k}", error))
            review.append(f"equation {k}")
            continue
        lhs = sides[0]
        entry = (_entry_key(lhs.variables[0].name, input_name, context, taken) if isinstance(lhs, sympy.Derivative)
                 else None)
        if entry is None or len(sides) < 2:
            problems.append(f"equation {k} does not start with the derivative of E by an entry of {input_name}")
        else:
            found[entry] = text
    return found, problems, review


def _renames(ref: Reference) -> dict[str, str]:
    """Lower-case matrix names people use for the spec's (b for B) when the spec has no matrix of that name."""
    names = set(ref.spec.matrices) | {ref.output_name}
    return {n.lower(): n for n in names if n.lower() != n and n.lower() not in names}


def _rename(side: Any, mapping: dict[str, str], notes: list[str]) -> Any:
    """Entry symbols of matrix ``old`` renamed to ``mapping[old]`` (``b_11`` -> ``B_11``), with a note each."""
    if not isinstance(side, sympy.Basic) or not mapping:
        return side
    renamed: dict[sympy.Symbol, sympy.Symbol] = {}
    olds: list[str] = []   # the renamed matrices, in the order their entries are met
    for sym in sorted(side.atoms(sympy.Symbol), key=sympy.default_sort_key):
        parsed = parse_entry_name(sym.name)
        if parsed and parsed[0] in mapping:
            renamed[sym] = sympy.Symbol(f"{mapping[parsed[0]]}_{parsed[1]}{parsed[2]}", real=True)
            olds.append(parsed[0])
    for old in dict.fromkeys(olds):
        note = f"read {old}_{{ij}} as {mapping[old]}_{{ij}}, the entries of {mapping[old]}"
        if note not in notes:
            notes.append(note)
    return side.xreplace(renamed) if renamed else side


def _output_aliases(sides: list[Any], ref: Reference, variable: str | None = None) -> dict[str, str]:
    """Another name for the output in ∂X_uv/∂A_ij (O, Y, Z) when the spec has no matrix of that name
    (``variable``: the matrix differentiated by, the input unless a kernel's chain rule is graded)."""
    known = set(ref.spec.matrices) | {ref.output_name}
    aliases = {}
    for side in sides:
        for d in side.atoms(sympy.Derivative) if isinstance(side, sympy.Basic) else ():
            top = parse_entry_name(getattr(d.expr, "name", ""))
            wrt = parse_entry_name(getattr(d.variables[0], "name", ""))
            if top and wrt and wrt[0] == (variable or ref.spec.conv.input) and top[0] not in known:
                aliases[top[0]] = ref.output_name
    return aliases


def _whole_matrix_sums(side: sympy.Expr, ref: Reference) -> sympy.Expr:
    """``\\sum_{m,n} B_{mn}`` (no bounds) over every entry of the spec's matrix B."""
    mapping = {}
    for w in side.atoms(WindowReduce):
        body = w.body
        if (isinstance(w.domain, Str) and isinstance(body, sympy.Indexed) and len(w.bound) == 2
                and tuple(body.indices) == w.bound and str(body.base.label) in ref.spec.matrices):
            m = ref.spec.matrices[str(body.base.label)]
            mapping[w] = w.expand([(i, j) for i in range(1, m.rows + 1) for j in range(1, m.cols + 1)])
    return side.xreplace(mapping) if mapping else side


def _normalise(side: Any, ref: Reference, notes: list[str]) -> Any:
    """A side with bounded sums written out, lower-case matrix names renamed (with a note), and the upstream
    (∂L/∂C_uv with any loss name, or G_uv) replaced by the spec's upstream value."""
    if not isinstance(side, sympy.Expr):
        return side
    side = expand_bounded(_whole_matrix_sums(side, ref))
    side = _rename(side, _renames(ref), notes)
    upstream_values = ref.solution.upstream
    upstream = {}
    for d in side.atoms(sympy.Derivative):
        parsed = parse_entry_name(getattr(d.variables[0], "name", ""))
        if parsed and parsed[0] == ref.output_name and not parse_entry_name(getattr(d.expr, "name", "")):
            if parsed[1] <= upstream_values.rows and parsed[2] <= upstream_values.cols:
                upstream[d] = by_name(upstream_values[parsed[1] - 1, parsed[2] - 1])
    names = _upstream_names(ref)   # the upstream's entries by the names people give them (G_uv, δ_uv)
    for sym in side.free_symbols:
        parsed = parse_entry_name(getattr(sym, "name", ""))
        if parsed and parsed[0] in names and parsed[1] <= upstream_values.rows and parsed[2] <= upstream_values.cols:
            upstream[sym] = by_name(upstream_values[parsed[1] - 1, parsed[2] - 1])
    return side.xreplace(upstream) if upstream else side


def _upstream_names(ref: Reference) -> set[str]:
    """Names of the upstream gradient ∂E/∂C_uv: G (the engine's), δ (backprop's error), none a spec matrix; and
    the spec's own (``convolution.upstream_name``, or the upstream matrix the spec gives)."""
    c = ref.spec.conv
    own = {c.upstream_name} if c.upstream == "symbolic" else set() if c.upstream == "ones" else {c.upstream}
    return ({"G", "delta"} - set(ref.spec.matrices)) | own


def _unknown_matrices(expr: sympy.Expr, ref: Reference) -> list[str]:
    """Entry symbols of matrices the spec does not name (``w_11`` for a kernel called B): a person decides."""
    known = set(ref.spec.matrices) | {ref.output_name} | _upstream_names(ref)
    return sorted({tex(s) for s in expr.free_symbols
                   if (parsed := parse_entry_name(getattr(s, "name", ""))) and parsed[0] not in known})


def _kernel_values(ref: Reference, name: str | None = None) -> dict[str, Any]:
    """The entries of the spec's kernel (or of matrix ``name``: the input, for a kernel's chain rule) by symbol
    name (to check a numeric side)."""
    name = name or ref.spec.conv.kernel
    kernel = ref.spec.matrices[name]
    key = "kernel-values" if name == ref.spec.conv.kernel else f"values:{name}"
    return ref.memo(key, lambda: {f"{name}_{i + 1}{j + 1}": kernel[i, j] for i in range(kernel.rows)
                                  for j in range(kernel.cols)})


class NeedsReview(Exception):
    """An entry the grader cannot judge (names it does not know); a person reads it."""


@dataclass(frozen=True)
class Variable:
    """What the chain rule is graded for: ∂E/∂A_ij per input entry (each a sum of kernel entries) or ∂E/∂B_mn per
    kernel entry (each a sum of input entries); ``name`` names the keys' matrix, ``terms`` the sums' matrix."""

    name: str
    terms: str
    words: str        # the sums' entries in words: "kernel entries", "input entries"
    rules: dict[tuple[int, int], Any]
    totals: dict[tuple[int, int], sympy.Expr]
    memo: str         # the expected LaTeX's memo key


def variable(ref: Reference, wrt: str = "input") -> Variable:
    """The input's chain rules (``wrt="input"``) or the kernel's (``wrt="kernel"``,
    :func:`symconv.tasks.kernel_gradient.kernel_chain`), with the parser's symbols in the totals."""
    c = ref.spec.conv
    if wrt == "input":
        return Variable(c.input, c.kernel, "kernel entries", ref.solution.chain, ref.chain_totals, "chain-latex")
    from symconv.tasks.kernel_gradient import kernel_chain

    rules = ref.memo("kernel-chain", lambda: kernel_chain(ref.solution))
    totals = ref.memo("kernel-chain-totals", lambda: {key: by_name(r.total) for key, r in rules.items()})
    return Variable(c.kernel, c.input, "input entries", rules, totals, "kernel-chain-latex")


def _grade_entry(ref: Reference, part: Part, key: tuple[int, int], equation: Equation, wrt: Variable | None = None,
                 given: dict[tuple[int, int], sympy.Expr] | None = None
                 ) -> tuple[bool, list[Finding], str, list[str], bool]:
    """(is the sum right, chain-step findings, a line when the sum is wrong, notes, was a chain step shown);
    ``wrt``: the input's chain rules unless given; the sum read is kept in ``given``."""
    wrt = wrt or variable(ref)
    rule = wrt.rules[key]
    findings: list[Finding] = []
    notes: list[str] = []
    sides = [_rename(s, _renames(ref), notes) for s in equation.sides]
    aliases = _output_aliases(sides, ref, wrt.name)
    sides = [_rename(s, aliases, notes) for s in sides]
    lhs = sides[0]
    if len(sides) > 1 and isinstance(lhs, sympy.Derivative):
        if lhs.variables[0] != rule.entry:
            findings.append(Finding("chain-rule-wrong-variable",
                                    f"the left side is {tex(lhs)}, not the derivative by {tex(rule.entry)}"))
        sides = sides[1:]
    written = [(chain_terms(s), has_ellipsis(s)) for s in sides if isinstance(s, sympy.Expr)
               and s.has(sympy.Derivative)]
    written = [w for w in written if w[0]]
    if written:
        chains, elided = max(written, key=lambda w: len(w[0]))
        outputs = ref.solution.output_shape[0] * ref.solution.output_shape[1]
        findings += chain_findings(rule, chains, elided, ref.output_name, outputs)
    label = tex(rule.entry)
    total = wrt.totals[key]
    values = _kernel_values(ref, wrt.terms)
    normal = [_normalise(s, ref, notes) for s in sides]
    candidates = [s for s in normal if isinstance(s, sympy.Expr) and not s.has(sympy.Derivative)
                  and not has_ellipsis(s)]
    symbolic = [s for s in candidates if not s.is_number]
    numeric = [s for s in candidates if s.is_number]
    final = normal[-1]
    if isinstance(final, sympy.Expr) and has_ellipsis(final) and not final.has(sympy.Derivative):
        raise NeedsReview("your sum leaves terms out with dots; which entries it covers is for a person to judge")
    value = total.xreplace(_symbols(values, total))
    if not symbolic and numeric and total == 0 and same_value(numeric[-1], total, ref.tolerance):
        return True, findings, "", notes, bool(written)   # every term's upstream entry is 0: nothing to sum
    if not symbolic:
        if numeric and value.is_number and same_value(numeric[-1], value, ref.tolerance):
            return False, findings, f"{label}: your value {tex(numeric[-1])} is right, but the question asks for " \
                                    f"the sum of entries of {wrt.terms}", notes, bool(written)
        return False, findings, f"{label}: no final sum of {wrt.words}; expected {tex(rule.total)}", notes, \
            bool(written)
    answer = symbolic[-1]
    unknown = _unknown_matrices(answer, ref)
    if unknown:
        raise NeedsReview(f"{', '.join(unknown)} name no matrix of this problem")
    if given is not None:
        given[key] = answer
    seed = ref.seed_for(part.id)
    right = same_value(answer, total, ref.tolerance, seed=seed)
    for step in symbolic[:-1]:
        if same_value(step, answer, ref.tolerance, seed=seed) is not True:
            notes.append(f"{label}: the step {tex(step)} does not equal your answer {tex(answer)}")
    if right and value.is_number:
        for number in numeric:
            if not same_value(number, value, ref.tolerance):
                notes.append(f"{label}: with the given {wrt.terms}, {tex(answer)} is "
                             f"{tex(value)}, not {tex(number)}")
    if right:
        return True, findings, "", notes, bool(written)
    return False, findings, f"{label}: expected {tex(rule.total)}, got {tex(answer)}", notes, bool(written)


def _symbols(values: dict[str, Any], expr: sympy.Expr) -> dict[sympy.Symbol, Any]:
    return {s: sympy.sympify(values[s.name], strict=True) for s in expr.free_symbols
            if getattr(s, "name", None) in values}


def _asks_for_chain_rule(part: Part) -> bool:
    """Does the part's text ask for the chain rule ("Using the chain rule, derive ...")?"""
    return re.search(r"chain[\s-]+rule", part.text, re.IGNORECASE) is not None


def _recomputed(ref: Reference, part: Part, given: dict[tuple[int, int], sympy.Expr],
                wrong: list[tuple[int, int]]) -> list[Alternative]:
    """The task's recomputed mistakes (one sum per entry, as ``kernel-gradient``'s flipped kernel) that every wrong
    entry's sum equals."""
    if not wrong or any(key not in given for key in wrong):
        return []
    seed = ref.seed_for(part.id)
    return [alt for alt in ref.alternatives(part.task) if isinstance(alt.value, dict)
            and all(same_value(given[key], by_name(alt.value[key]), ref.tolerance, seed=seed) is True
                    for key in wrong)]


def check_chain(ref: Reference, part: Part, answer: Any, wrt: str = "input") -> PartResult:
    """Each input entry's gradient: its sum of kernel terms (per entry, with partial credit), and any chain-rule
    products written before it, checked against the engine's expansion (missing, extra or wrong-variable terms).
    ``wrt="kernel"``: each kernel entry's gradient, a sum of input terms, likewise (:func:`check_kernel_chain`).
    Wrong sums that all equal a recomputed mistake of the task are diagnosed by its code."""
    var = variable(ref, wrt)
    rules = var.rules
    entries = sorted(rules)
    context = ref.context(part.task)
    answers, lines, review = _by_entry(answer, var.name, context, frozenset(ref.spec.matrices) | {ref.output_name})
    given: dict[tuple[int, int], sympy.Expr] = {}
    share = part.points / len(entries)
    score, findings, wrong, notes, shown, judged = 0.0, [], [], [], False, 0
    log = Log()
    for key in entries:
        label = tex(rules[key].entry)
        if key not in answers:
            lines.append(f"{label}: no answer")
            continue
        piece = Log()
        try:
            equation = read_equation(answers[key], context, piece)
        except (ParseError, UnreadableAnswer) as error:
            lines.append(feedback.unreadable(f"{part.id} ({label})", error))
            review.append(label)
            continue
        if piece.guessed:
            review.append(label)
            log.notes += piece.notes
            continue
        try:
            right, found, line, entry_notes, chain_shown = _grade_entry(ref, part, key, equation, var, given)
        except NeedsReview as reason:
            lines.append(f"{label}: {reason}")
            review.append(label)
            continue
        shown = shown or chain_shown
        judged += 1
        notes += [n for n in entry_notes if n not in notes]
        findings += [Finding(f.code, f"{label}: {f.detail}" if f.detail else label) for f in found]
        if right:
            score += share * credit((f.code for f in found), ref.cost)
        else:
            lines.append(line)
            wrong.append(key)
        if not right or any(ref.cost(f.code) > 0 for f in found):   # how it was read explains a lost point
            log.notes += piece.notes
    matched = _recomputed(ref, part, given, wrong)
    findings += [Finding(alt.code, alt.assumption) for alt in matched]
    score = max([score] + [part.points * (1.0 - ref.cost(alt.code)) for alt in matched])
    if len(wrong) == 1 and not matched:
        findings.append(Finding("entry-slip", tex(rules[wrong[0]].entry)))
    if judged and not shown and _asks_for_chain_rule(part):
        findings.append(Finding("chain-rule-not-shown"))
        score *= credit(["chain-rule-not-shown"], ref.cost)
    notes += log.notes
    expected = ref.memo(var.memo, lambda: r" \\ ".join(rules[key].to_latex(**printed_names()) for key in entries))
    return graded(part, score, lines=lines, findings=findings, notes=notes, expected_latex=expected,
                  show_expected=False, cost=ref.cost, review=review, raw=answer)


def warm(ref: Reference, part: Part) -> None:
    """Compute the per-entry sums and the expected LaTeX before a batch forks."""
    ref.chain_totals  # noqa: B018  (computes and keeps the per-entry sums)
    check_chain(ref, part, {})  # prints and keeps the expected LaTeX



def check_kernel_chain(ref: Reference, part: Part, answer: Any) -> PartResult:
    """Each kernel entry's gradient ∂E/∂B_mn, a sum of input terms: :func:`check_chain` for the kernel."""
    return check_chain(ref, part, answer, wrt="kernel")


def warm_kernel(ref: Reference, part: Part) -> None:
    """Compute the kernel's chain rules, their sums, the expected LaTeX and the task's recomputed mistakes before a
    batch forks."""
    variable(ref, "kernel")
    check_kernel_chain(ref, part, {})
    ref.alternatives(part.task)
