"""Solution documents: the worked solution of a problem spec as a PyLaTeX tree, its .tex, and its PDF.

- :func:`build_document` / :func:`fill_document` (pure): Solution -> pylatex Document;
- :func:`write_tex`, :func:`compile_pdf` (the edge): the .tex on disk and latexmk run on it.
"""

from symconv.document.build import build_document, fill_document
from symconv.document.compile import LatexError, TexMissing, compile_pdf, tex_available, write_tex

__all__ = ["LatexError", "TexMissing", "build_document", "compile_pdf", "fill_document", "tex_available",
           "write_tex"]
