"""The edge of the document pipeline: write the .tex, and run latexmk (pdflatex) on it, locked down.

latexmk runs through the project's one TeX runner (``symconv.document.tex_runner``: no shell escape, paranoid
file access, nonstopmode, halt on error, a timeout, killed with its process group), with ``-norc`` (no
latexmkrc, which is Perl), in the output directory. A failed run becomes one line: the first error in the .log.

>>> first_error("This is pdfTeX\\n! Undefined control sequence.\\nl.12 \\\\foo\\n")
'! Undefined control sequence. (l.12 \\\\foo)'
>>> overfull_boxes("Overfull \\\\hbox (12.5pt too wide) in paragraph at lines 3--4\\n")
[12.5]
>>> box_warnings("Overfull \\\\vbox (0.5pt too high) has occurred\\nUnderfull \\\\hbox (badness 10000) in paragraph\\n")
['Underfull \\\\hbox (badness 10000) in paragraph']
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pylatex import Document

from symconv.document.tex_runner import TexRuns
from symconv.errors import SymconvError

TEX_PACKAGES = ("texlive-latex-recommended", "texlive-pictures", "lmodern", "cm-super", "latexmk")
INSTALL_HINT = ("install TeX Live to build the PDF; on Debian/Ubuntu: sudo apt-get install "
                + " ".join(TEX_PACKAGES))
TIMEOUT = 300.0  # seconds for the whole latexmk run
LATEXMK_OPTIONS = ("-norc", "-pdf", "-file-line-error")  # no latexmkrc (Perl); errors as file:line:


class LatexError(SymconvError):
    """latexmk or pdflatex failed (or timed out); the message holds the first LaTeX error."""


class TexMissing(SymconvError):
    """A PDF was asked for but latexmk/pdflatex are not on PATH."""

    def __init__(self) -> None:
        super().__init__(f"latexmk and pdflatex were not found on PATH: {INSTALL_HINT}")


def tex_available() -> bool:
    """Whether latexmk and pdflatex are both on PATH (a PDF can be built)."""
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def safe_name(name: str) -> str:
    """A file stem from a spec name: letters, digits, ``.``, ``_``, ``-``; never a leading dot or dash.

    >>> safe_name("../HW 1: conv"), safe_name("-rf")
    ('HW-1-conv', 'rf')
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return stem or "solution"


def write_tex(doc: Document, out_dir: str | Path, name: str) -> Path:
    """Write ``doc`` to ``out_dir/<name>.tex`` (directories created) and return the path."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{safe_name(name)}.tex"
        path.write_text(doc.dumps(), encoding="utf-8")
    except OSError as err:
        raise SymconvError(f"cannot write the .tex into {out}: {err.strerror or err}") from None
    return path


def first_error(log: str) -> str | None:
    """The first LaTeX error of a .log, with its line reference, in one line."""
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("! ") or re.match(r"^\S+\.tex:\d+: ", line):
            where = next((x.strip() for x in lines[k + 1:k + 12] if re.match(r"^l\.\d+", x)), "")
            return line.strip() + (f" ({where})" if where else "")
    return None


def overfull_boxes(log: str) -> list[float]:
    """How far (pt) each overfull box of a .log sticks out."""
    return [float(m) for m in re.findall(r"^Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too", log, flags=re.M)]


def box_warnings(log: str, tolerance: float = 1.0) -> list[str]:
    """The .log's overfull boxes sticking out more than ``tolerance`` pt, and every underfull box (TeX reports
    those by badness, only when they are visibly loose)."""
    bad = []
    for m in re.finditer(r"^(Overfull|Underfull) \\[hv]box \((?:(\d+(?:\.\d+)?)pt too \w+|badness \d+)\).*$", log,
                         flags=re.M):
        if m.group(1) == "Underfull" or float(m.group(2)) > tolerance:
            bad.append(m.group(0))
    return bad


def compile_pdf(tex: str | Path, timeout: float = TIMEOUT) -> Path:
    """Run latexmk on ``tex`` in its own directory; returns the PDF's path or raises LatexError/TexMissing."""
    if not tex_available():
        raise TexMissing()
    tex = Path(tex)
    cwd = tex.parent.resolve()
    run = TexRuns().run("latexmk", tex.name, cwd, timeout=timeout, options=LATEXMK_OPTIONS)
    if run.timed_out:
        raise LatexError(f"{tex}: latexmk timed out after {timeout:g} s")
    pdf = cwd / f"{tex.stem}.pdf"
    if run.returncode != 0 or not pdf.exists():
        log = cwd / f"{tex.stem}.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        reason = first_error(text) or first_error(run.output) or _last_line(run.output) or f"exit {run.returncode}"
        raise LatexError(f"{tex}: LaTeX failed: {reason}")
    return tex.parent / pdf.name


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
