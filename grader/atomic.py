"""Writing a file atomically: it is absent, the old file, or the whole new file, never half-written, whatever
interrupts the write (a temporary file in the same folder, then ``os.replace``, with Ctrl-C held meanwhile).
Used for every file that symconv grade and gradescope-bundle write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from grader.errors import GraderError
from grader.interrupts import deferred


class OutputError(GraderError):
    """Outputs that cannot be written (one line)."""


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``path`` so that it is either absent, the old file, or the whole new file: never half-written.
    The folder must exist (a mistyped path is an error, not a tree of new folders).

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(d / "a.txt", "whole"); (d / "a.txt").read_text()
    'whole'
    >>> atomic_write(d / "no" / "a.txt", "x")
    Traceback (most recent call last):
    grader.atomic.OutputError: cannot write a.txt: no folder ...no
    """
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path.name}: no folder {path.parent}")
    with deferred():  # Ctrl-C between creating the temporary file and recording its name would leave it behind
        _replace(path, data)


def _replace(path: Path, data: str | bytes) -> None:
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C included: leave no temporary file behind
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
