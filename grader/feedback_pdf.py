r"""The feedback PDF of one student: ``feedback_tex(result)`` and a locked-down pdflatex run (``build_pdf``), many
in parallel (``build_pdfs``), reproducibly (SOURCE_DATE_EPOCH=0).

Student text never enters LaTeX unescaped: the document holds only escaped text (``escape_tt``) and the project
printer's output (``expected_latex``/``given_latex``), set as displays that break across lines and pages;
pdflatex runs through the engine's one TeX runner (symconv.document.tex_runner: no shell escape,
openin_any=p, openout_any=p, a timeout). An interrupt kills the runs under way.

>>> escape_tt(r"\input{/etc/passwd} 50% x_1")
'{\\char92}input{\\char123}/etc/passwd{\\char125}\\ 50{\\char37}\\ x{\\char95}1'
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.atomic import atomic_write
from grader.batch import Graded
from grader.feedback import number
from grader.result import ERROR, Result
from grader.submission import safe_id
from symconv.document.tex_runner import TexRuns
from symconv.unicode import SUB, SUP

PDF_TIMEOUT = 60  # seconds for one pdflatex run


_TT_SPECIAL = set("\\{}$&#%_^~")
_UNICODE_NAMES = {"–": "-", "—": "--", "⋆": "*", "\t": " "}
#: The characters of the project's Unicode maths (symconv.unicode) as LaTeX: fixed snippets, never student text.
_UNICODE_TEX = {"×": r"$\times$", "·": r"$\cdot$", "−": "-", "∂": r"$\partial$", "∞": r"$\infty$", "→": r"$\to$",
                "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$", "…": r"\dots{}", "√": r"$\surd$", "∑": r"$\sum$",
                "Σ": r"$\Sigma$", "∈": r"$\in$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$",
                "⌉": r"$\rceil$", "′": "'", "ℝ": r"$\mathbb{R}$", "≈": r"$\approx$", "±": r"$\pm$",
                **{c: f"$_{{{d}}}$" for d, c in SUB.items() if d != ","},
                **{c: f"$^{{{d}}}$" for d, c in SUP.items() if d not in ",′"}}


def escape_tt(text: str) -> str:
    r"""Any text as LaTeX for a typewriter font, shown literally: every special character is ``{\charN}`` (cmtt has
    each ASCII glyph at its own code), spaces are fixed-width ``\ `` (so carets stay under their character), a few
    math symbols become ASCII, any other non-ASCII character is ``<U+XXXX>``, control characters are dropped."""
    out = []
    for c in text:
        c = _UNICODE_NAMES.get(c, c)
        if c in _UNICODE_TEX:
            out.append(_UNICODE_TEX[c])
        elif len(c) > 1:
            out.append(escape_tt(c))
        elif c in _TT_SPECIAL:
            out.append(f"{{\\char{ord(c)}}}")
        elif c == " ":
            out.append("\\ ")
        elif " " < c <= "~":
            out.append(c)
        elif ord(c) > 127:
            out.append(f"<U+{ord(c):04X}>")
    return "".join(out)


def feedback_tex(result: Result, note: str = "") -> str:
    """The feedback document: escaped text in a typewriter font, printer output in math mode."""
    def block(text: str) -> list[str]:
        return [r"{\ttfamily\raggedright"] + [escape_tt(line) + r"\par" if line.strip() else r"\medskip"
                                               for line in text.split("\n")] + ["}"]

    body = [r"\section*{Feedback: " + r"{\ttfamily " + escape_tt(result.student) + "}}",
            rf"\textbf{{Score: {number(result.score)} / {number(result.max_score)}}}\par\medskip"]
    if result.status == ERROR:
        body += ["This submission could not be graded:\\par"] + block(result.error)
    if note:
        body += ["Note:\\par"] + block(note)
    for text in result.notes:
        body += ["Note:\\par"] + block(text)
    for p in result.parts:
        body.append(rf"\subsection*{{{escape_tt(p.part)} \hfill {number(p.score)} / {number(p.max_score)}}}")
        body += block(_without_expected(p.feedback) if p.expected_latex else p.feedback)
        if p.expected_latex:  # the project printer's output, never student text
            body += [r"\smallskip Expected:\par", *display(p.expected_latex)]
        if p.given_latex:
            body += [r"\smallskip Your answer, as read:\par", *display(p.given_latex)]
    return "\n".join([r"\documentclass[11pt]{article}", r"\usepackage{amsmath,amssymb}",
                      r"\usepackage[margin=2cm]{geometry}", r"\setlength{\parindent}{0pt}",
                      r"\allowdisplaybreaks", r"\begin{document}", *body, r"\end{document}", ""])


TERMS_PER_ROW = 5  # products of two fractions per row of a displayed sum: about 12 cm in \small


def display(tex: str) -> list[str]:
    r"""The printer's LaTeX as a display: one line in ``\[...\]``; several lines (``\\`` outside any
    environment, as in the 25 chain-rule lines) in an ``align*`` that breaks across pages, each line aligned at its
    first ``=`` and each further ``=`` starting a row of its own, so that no line runs past the margin.

    >>> display(r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}")
    ['\\[\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}\\]']
    >>> display(r"a = b = 1 \\ c = 2")[1:-1]
    ['a &= b \\\\', '&= 1 \\\\', 'c &= 2']
    >>> display(r"x = a + b + c + d + e + f + g \\ y = 1")[2]
    '&\\quad + f + g \\\\'
    """
    lines = _top_level_split(tex, r"\\")
    if len(lines) == 1:
        return [r"\[" + tex + r"\]"]
    rows: list[str] = []
    for line in lines:
        sides = _top_level_split(line, "=")
        if len(sides) == 1:
            rows.append(f"& {line.strip()}")
            continue
        for k, side in enumerate(sides[1:]):
            # a long sum of products (a chain with nine terms) continues on rows of a few terms each
            terms = [t.strip() for t in _top_level_split(side, "+")]
            chunks = [" + ".join(terms[i:i + TERMS_PER_ROW]) for i in range(0, len(terms), TERMS_PER_ROW)]
            rows.append(f"{sides[0].strip()} &= {chunks[0]}" if k == 0 else f"&= {chunks[0]}")
            rows += [rf"&\quad + {chunk}" for chunk in chunks[1:]]
    return [r"{\small\begin{align*}", *(row + r" \\" for row in rows[:-1]), rows[-1], r"\end{align*}}"]


def _top_level_split(tex: str, separator: str) -> list[str]:
    """``tex`` split at ``separator`` where it stands outside braces and ``\\begin...\\end`` environments."""
    parts, depth, start, k = [], 0, 0, 0
    while k < len(tex):
        if tex.startswith(r"\begin", k) or tex[k] == "{":
            depth += 1
        elif tex.startswith(r"\end", k) or tex[k] == "}":
            depth -= 1
        elif depth == 0 and tex.startswith(separator, k) and not (separator == "=" and tex[k - 1:k] in "<>\\!"):
            parts.append(tex[start:k])
            start = k + len(separator)
            k = start
            continue
        k += 2 if tex[k] == "\\" and k + 1 < len(tex) and not tex[k + 1].isalpha() else 1
    return [*parts, tex[start:]]


def _without_expected(text: str) -> str:
    """Feedback text without its ``Expected:`` block (the PDF typesets the expected answer instead)."""
    kept, skipping = [], False
    for line in text.split("\n"):
        skipping = line.startswith("Expected:") or (skipping and line.startswith("  "))
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def build_pdfs(graded: Sequence[Graded], folder: Path, jobs: int = 1) -> list[str]:
    """Write ``<student>.tex`` and build ``<student>.pdf`` for each; returns one line per failed build."""
    if shutil.which("pdflatex") is None:
        return ["pdflatex is not installed: no feedback PDFs were built"]
    pool, runs = ThreadPoolExecutor(max(1, jobs)), TexRuns()
    try:
        futures = [pool.submit(build_pdf, feedback_tex(g.result, g.note), folder / safe_id(g.result.student), runs)
                   for g in graded]
        return [failure for future in futures if (failure := future.result())]
    except BaseException:  # Ctrl-C or SIGTERM: stop the pdflatex runs under way; their PDFs are never written
        runs.stop()
        raise
    finally:  # the rest are dropped; a PDF already being renamed into place finishes atomically
        pool.shutdown(wait=True, cancel_futures=True)


def build_pdf(tex: str, stem: Path, runs: TexRuns | None = None) -> str:
    """``stem.tex`` and ``stem.pdf`` from ``tex`` by a locked-down pdflatex; returns "" or why it failed."""
    atomic_write(stem.with_suffix(".tex"), tex)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory(prefix=".pdf-", dir=stem.parent) as tmp:
        (Path(tmp) / "feedback.tex").write_text(tex)
        run = (runs or TexRuns()).run("pdflatex", "feedback.tex", tmp, timeout=PDF_TIMEOUT, env=env)
        if run.timed_out:
            return f"{stem.name}.pdf: pdflatex timed out after {PDF_TIMEOUT}s"
        pdf = Path(tmp) / "feedback.pdf"
        if run.returncode != 0 or not pdf.exists():
            error = next((line for line in run.output.splitlines() if line.startswith("!")), "no PDF produced")
            return f"{stem.name}.pdf: pdflatex failed ({error[:120]})"
        atomic_write(stem.with_suffix(".pdf"), pdf.read_bytes())
    return ""
