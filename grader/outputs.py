r"""What a batch run writes under OUT, every file atomically (a temporary file, then ``os.replace``):

- ``results/<student>.json``: Gradescope's results.json (``Result.to_gradescope()``, without execution_time);
- ``feedback/<student>.md`` and, with ``pdf=True``, ``feedback/<student>.tex`` + ``.pdf``;
- ``grades.csv``: student, the score of each part, total, max, status, reason; one row per input, by student id;
- ``summary.md`` and ``histogram.png``: score histogram, mean of each part, most common diagnoses with counts;
- ``.symconv-manifest``: the files above, one per line, so that a rerun removes what it does not write again (OUT
  holds exactly the last run's results) and never touches a file symconv did not write. A non-empty OUT without a
  manifest is refused unless ``force=True``.

Reruns are byte-identical: no timestamps (PDFs get SOURCE_DATE_EPOCH=0), sorted keys and rows, fixed number format.
Files are written by grader.atomic; the feedback PDFs are grader.feedback_pdf's.

>>> number(2.0), number(2 / 3)   # scores in files (grader.feedback.number)
('2', '0.6667')
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from grader.atomic import OutputError, atomic_write
from grader.batch import Graded
from grader.feedback import number
from grader.feedback_pdf import build_pdfs
from grader.result import ERROR, NEEDS_REVIEW, REVIEW, PartResult, Result
from grader.submission import safe_id
from symconv.spec import Spec
from symconv.unicode import from_latex

MANIFEST = ".symconv-manifest"
# the only names a manifest line may have: what write_outputs writes (a hand-edited line cannot point elsewhere)
_OURS = re.compile(r"(results/[A-Za-z0-9@._+-]+\.json|feedback/[A-Za-z0-9@._+-]+\.(md|tex|pdf)"
                   r"|grades\.csv|summary\.md|histogram\.png)")


def check_out(out: str | Path, force: bool = False) -> None:
    """Refuse an OUT that is a file, or a non-empty folder symconv did not write (no manifest) unless ``force``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is not a folder")
    if force or not out.is_dir() or (out / MANIFEST).is_file():
        return
    if any(out.iterdir()):
        raise OutputError(f"{out} is not empty and was not written by symconv (no {MANIFEST}); "
                          "choose an empty folder or pass --force to write into it")


def previous_outputs(out: str | Path) -> set[str]:
    """The files the last run wrote under ``out``, from its manifest; lines that are not ours are ignored."""
    try:
        text = (Path(out) / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    return {line for line in text.splitlines() if _OURS.fullmatch(line)}


def _remove(out: Path, names: Iterable[str]) -> None:
    for name in sorted(names):
        path = out / name
        if path.is_symlink() or path.is_file():  # never a folder; a link goes, not what it points to
            path.unlink(missing_ok=True)


def write_outputs(graded: Sequence[Graded], spec: Spec, out: str | Path, *, pdf: bool = False,
                  jobs: int = 1, force: bool = False, skipped: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Write everything for a graded batch; returns problems worth a warning (PDFs that failed to build).
    ``skipped`` lists (file, why) for the inputs that were not graded, for summary.md.

    Files of the previous run (its manifest) that this run does not write are removed, so OUT holds exactly this
    run's results; files symconv did not write are never touched."""
    out = Path(out)
    names = [safe_id(g.result.student) for g in graded]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise OutputError(f"two results would both be written as {dup!r}; make the student ids unique first")
    check_out(out, force)
    pdfs = [f"feedback/{n}.{ext}" for n in names for ext in ("tex", "pdf")] if pdf else []
    planned = {*(f"results/{n}.json" for n in names), *(f"feedback/{n}.md" for n in names), *pdfs,
               "grades.csv", "histogram.png", "summary.md"}
    previous = previous_outputs(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    # The manifest is written first, naming every file the last run or this one may leave, and rewritten last with
    # exactly this run's: so whenever the run is cut short (Ctrl-C, a crash, SIGKILL), each file symconv wrote is
    # in the manifest and the next run can remove it. Written only at the end, an interrupted run would leave new
    # files that no manifest names, and a later run could neither remove them nor tell them from the user's.
    atomic_write(out / MANIFEST, _manifest(previous | planned))
    # an old PDF is removed before its rebuild: if the build fails, no stale PDF passes for this run's
    _remove(out, (previous - planned) | {p for p in previous if p.endswith(".pdf")})
    for g, name in zip(graded, names):
        atomic_write(out / "results" / f"{name}.json", results_json(g.result))
        atomic_write(out / "feedback" / f"{name}.md", feedback_md(g.result, g.note))
    warnings = build_pdfs(graded, out / "feedback", jobs) if pdf else []
    atomic_write(out / "grades.csv", grades_csv(graded, spec))
    atomic_write(out / "histogram.png", histogram_png([g.result for g in graded], spec))
    atomic_write(out / "summary.md", summary_md(graded, spec, skipped))
    atomic_write(out / MANIFEST, _manifest({p for p in planned if (out / p).is_file()}))
    return warnings


def _manifest(names: Iterable[str]) -> str:
    return "".join(f"{name}\n" for name in sorted(names))


def results_json(result: Result) -> str:
    """Gradescope's results.json for one student; no execution_time, so reruns are byte-identical."""
    data = _rounded(result.to_gradescope())
    data.pop("execution_time", None)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) + 0.0
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


# --- feedback for one student --------------------------------------------------------------------------------------

def feedback_md(result: Result, note: str = "") -> str:
    """The student's feedback in Markdown; their text only ever appears inside fenced blocks, the maths as Unicode.
    A part a person will read says so; a score set by hand says so, with the TA's comment."""
    lines = [f"# Feedback: {safe_id(result.student)}", "",
             f"**Score: {number(result.score)} / {number(result.max_score)}**", ""]
    if result.status == ERROR:
        lines += ["This submission could not be graded:", "", _fence(result.error), ""]
    review = [p.part for p in result.parts if p.status == NEEDS_REVIEW]
    if review:
        lines += [f"A person will read your answers to {', '.join(review)} and grade them by hand; "
                  "what the grader could not read earns nothing until then.", ""]
    if note:
        lines += [f"Note: {_md(note)}", ""]
    lines += [f"Note: {_md(n)}" for n in result.notes] + ([""] if result.notes else [])
    lines += ["| Part | Score | Max | Diagnoses |", "|---|---:|---:|---|"]
    lines += [f"| {p.part} | {number(p.score)}{' (by hand)' if p.by_hand else ''} | {number(p.max_score)} | "
              f"{_part_state(p)} |" for p in result.parts]
    for p in result.parts:
        lines += ["", f"## {p.part}", "", _fence(p.feedback)]
        if p.given_latex and p.score < p.max_score:
            lines += ["", "Your answer, as read:", "", _fence(from_latex(p.given_latex))]
    return "\n".join(lines) + "\n"


def _part_state(p: PartResult) -> str:
    """The Diagnoses cell: the codes, or what is pending."""
    if p.status == NEEDS_REVIEW:
        return "needs review"
    return ", ".join(p.diagnoses) or "-"


def _fence(text: str, lang: str = "text") -> str:
    """A fenced code block that no backtick run in ``text`` can close early."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def _backtick_runs(line: str) -> Iterable[str]:
    run = ""
    for c in line:
        if c == "`":
            run += "`"
        elif run:
            yield run
            run = ""
    if run:
        yield run


# --- the class: CSV, summary, histogram ----------------------------------------------------------------------------

def _by_student(graded: Sequence[Graded]) -> list[Graded]:
    return sorted(graded, key=lambda g: safe_id(g.result.student))


def grades_csv(graded: Sequence[Graded], spec: Spec) -> str:
    """One row per submission, by student id: student, each part's score, total, max, status, reason.

    ``status`` is ok, needs-review (some part waits for a person) or error; ``reason`` says why (the error, the
    parts to review, the parts whose score a TA set by hand, a renamed duplicate id)."""
    parts = [p.id for p in spec.parts]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", *parts, "total", "max", "status", "reason"])
    for g in _by_student(graded):
        r = g.result
        scores = {p.part: p.score for p in r.parts}
        writer.writerow([safe_id(r.student), *(number(scores.get(pid, 0.0)) for pid in parts), number(r.score),
                         number(r.max_score), r.status, " ".join(reason(r, g.note).split())])
    return buf.getvalue()


def reason(result: Result, note: str = "") -> str:
    """The reason column: why a row is not simply "ok", in a few words.

    >>> from grader.result import PartResult
    >>> r = Result("ada", [PartResult("1.1b", 0, 2, "", status="needs-review"), PartResult("1.1c", 3, 3, "",
    ...                    by_hand=True)], status="needs-review")
    >>> reason(r)
    'needs review: 1.1b; set by hand: 1.1c'
    """
    if result.status == ERROR:
        return result.error
    review = [p.part for p in result.parts if p.status == NEEDS_REVIEW]
    by_hand = [p.part for p in result.parts if p.by_hand]
    parts = [f"needs review: {' '.join(review)}" if review else "", f"set by hand: {' '.join(by_hand)}" if by_hand
             else "", note]
    return "; ".join(x for x in parts if x)


def summary_md(graded: Sequence[Graded], spec: Spec, skipped: Sequence[tuple[str, str]] = ()) -> str:
    """The class at a glance: counts, mean and median, histogram, mean per part, common mistakes (and, apart,
    the notes that cost nothing), answers needing review, problems, and the files that were skipped."""
    from grader.diagnose import CODES, cost

    results = [g.result for g in graded]
    ok = [r for r in results if r.status != ERROR]
    totals = sorted(r.score for r in results)
    top = sum(float(p.points) for p in spec.parts)
    lines = [f"# Grading summary: {_md(spec.assignment or spec.name)}", "",
             f"{len(results)} submissions: {len(ok)} graded, {len(results) - len(ok)} could not be graded."]
    waiting = sum(1 for r in results if r.status == REVIEW)
    if waiting:
        lines.append(f"{waiting} of them {'has' if waiting == 1 else 'have'} answers a person must read "
                     "(see Answers needing review).")
    if totals:
        mean, median = sum(totals) / len(totals), _median(totals)
        lines.append(f"Total score: mean {number(mean)}, median {number(median)}, out of {number(top)}.")
    lines += ["", "![Score histogram](histogram.png)", "", "## Mean score per part", "",
              "| Part | Task | Mean | Max | Full marks |", "|---|---|---:|---:|---:|"]
    for part in spec.parts:
        scores = [p.score for r in results for p in r.parts if p.part == part.id]
        mean = sum(scores) / len(scores) if scores else 0.0
        full = sum(1 for s in scores if s >= float(part.points) - 1e-9)
        lines.append(f"| {part.id} | {part.task} | {number(mean)} | {number(float(part.points))} | "
                     f"{full}/{len(scores)} |")
    counts = Counter((p.part, code) for r in results for p in r.parts for code in p.diagnoses)
    free = {key: n for key, n in counts.items() if cost(spec, key[1]) == 0}
    mistakes = {key: n for key, n in counts.items() if key not in free}
    lines += ["", "## Most common mistakes", ""]
    lines += _code_table(mistakes, CODES) if mistakes else ["No mistakes were diagnosed."]
    if free:
        lines += ["", "## Notes that cost no points", "", "The rubric gives these no cost; students see them as notes.",
                  ""] + _code_table(free, CODES)
    lines += review_section(graded)
    from grader.variants import matches_section

    lines += matches_section(graded)   # per-student variants: answers right for another variant (other-variant)
    errors = [g for g in _by_student(graded) if g.result.status == ERROR]
    if errors:
        lines += ["", "## Could not be graded", "", "| Student | Reason |", "|---|---|"]
        lines += [f"| {safe_id(g.result.student)} | {_md(g.result.error)} |" for g in errors]
    notes = [g for g in _by_student(graded) if g.note]
    if notes:
        lines += ["", "## Duplicate student ids", ""] + [f"- {_md(g.note)}" for g in notes]
    if skipped:
        lines += ["", "## Files skipped", "", "| File | Why |", "|---|---|"]
        lines += [f"| {_md(name)} | {_md(why)} |" for name, why in skipped]
    return "\n".join(lines) + "\n"


def _code_table(counts: dict[tuple[str, str], int], meanings: dict[str, str]) -> list[str]:
    """The most frequent (part, code) pairs, as a Markdown table."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    return ["| Diagnosis | Part | Count | Meaning |", "|---|---|---:|---|",
            *(f"| `{code}` | {part} | {n} | {_md(meanings.get(code, ''))} |" for (part, code), n in rows)]


def review_section(graded: Sequence[Graded]) -> list[str]:
    """summary.md's lists for the TA: every answer needing review (student, part, the raw answer, what the grader
    made of it), the scores set by hand, and notes on files (answers for parts the spec does not have)."""
    lines: list[str] = []
    rows = [(g.result.student, p) for g in _by_student(graded) for p in g.result.parts if p.status == NEEDS_REVIEW]
    if rows:
        lines += ["", "## Answers needing review", "",
                  "What the grader could not read earns nothing until a person grades it: give the scores in an "
                  "overrides file (`symconv grade ... --overrides overrides.yaml`).", "",
                  "| Student | Part | Answer as written | What the grader made of it |", "|---|---|---|---|"]
        for student, p in rows:
            made = p.read_as or _first_item(p.feedback) or "; ".join(p.notes) or "nothing"
            lines.append(f"| {safe_id(student)} | {_md(p.part)} | {_md(p.raw) or '(empty)'} | {_md(made)} |")
    manual = [(g.result.student, p) for g in _by_student(graded) for p in g.result.parts if p.by_hand]
    if manual:
        lines += ["", "## Scores set by hand", "", "| Student | Part | Score | Grader's score | Comment |",
                  "|---|---|---:|---:|---|"]
        lines += [f"| {safe_id(s)} | {_md(p.part)} | {number(p.score)} | "
                  f"{number(p.auto_score) if p.auto_score is not None else '-'} | {_md(p.comment)} |"
                  for s, p in manual]
    noted = [(g.result.student, n) for g in _by_student(graded) for n in g.result.notes]
    if noted:
        lines += ["", "## Notes on files", "", "| Student | Note |", "|---|---|"]
        lines += [f"| {safe_id(s)} | {_md(n)} |" for s, n in noted]
    return lines


def _first_item(text: str) -> str:
    """The first ``- `` line of a part's feedback that says why (not that a person will read it), without the dash.

    >>> _first_item("1.2b: needs review (1/3 so far).\\n- a person will read your lp answer\\n- lp: could not read it")
    'lp: could not read it'
    """
    return next((line[2:] for line in text.split("\n")
                 if line.startswith("- ") and not line.startswith("- a person will read")), "")


def _md(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes and markup characters escaped, at most 300 characters.
    Student text stays inert: no HTML tag, link, image, emphasis or code span can form.

    >>> _md("<img src=x onerror=alert(1)> [a](javascript:x) | *b* `c`")
    '\\\\<img src=x onerror=alert(1)\\\\> \\\\[a\\\\](javascript:x) \\\\| \\\\*b\\\\* \\\\`c\\\\`'
    """
    text = " ".join(text.split())
    text = text[:300] + ("…" if len(text) > 300 else "")
    for c in "\\|*_`<>[]&!#~":
        text = text.replace(c, "\\" + c)
    return text


def _median(xs: list[float]) -> float:
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def histogram_png(results: Sequence[Result], spec: Spec) -> bytes:
    """A small PNG histogram of total scores (matplotlib, Agg backend, no timestamp in the file)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    top = sum(float(p.points) for p in spec.parts)
    fig = Figure(figsize=(6, 3.2), dpi=80)
    ax = fig.add_subplot()
    bins = max(1, min(20, int(top) or 1))
    ax.hist([r.score for r in results], bins=bins, range=(0, top), color="#4477aa", edgecolor="white")
    ax.set_xlabel(f"total score (out of {number(top)})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{spec.name}: {len(results)} submissions")
    locator = ax.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one; whole numbers of submissions
        locator.set_params(integer=True)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
