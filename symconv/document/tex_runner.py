"""The one way the project runs TeX (latexmk for the solution PDF, pdflatex for the students' feedback PDFs),
locked down.

Every run: no shell escape (``-no-shell-escape`` and ``shell_escape=f``), TeX's paranoid file access
(``openin_any=p openout_any=p``: no absolute paths, no ``..``, no dot files), ``-interaction=nonstopmode
-halt-on-error`` (an error ends the run instead of waiting for input), stdin closed, a timeout, and a session of
its own, so that a timeout or an interrupt kills the whole process group (latexmk and the pdflatex it started).
The flags and the environment are added here, never by the caller, so no run can leave them out. A ``TexRuns``
set holds the runs under way, so that one thread can stop the runs of others (Ctrl-C while feedback PDFs build).

>>> tex_argv("pdflatex", "feedback.tex")
['pdflatex', '-no-shell-escape', '-interaction=nonstopmode', '-halt-on-error', 'feedback.tex']
>>> locked_env({"PATH": "/usr/bin", "openin_any": "a"})
{'PATH': '/usr/bin', 'openin_any': 'p', 'openout_any': 'p', 'shell_escape': 'f'}
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LOCKED_FLAGS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")
LOCKED_ENV = {"openin_any": "p", "openout_any": "p", "shell_escape": "f"}


def tex_argv(program: str, tex_name: str, options: Sequence[str] = ()) -> list[str]:
    """The command line of one run: the program, its own options, the locked-down flags, the file.

    >>> tex_argv("latexmk", "hw.tex", ["-norc", "-pdf"])[:4]
    ['latexmk', '-norc', '-pdf', '-no-shell-escape']
    """
    return [program, *options, *LOCKED_FLAGS, tex_name]


def locked_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with TeX's locked-down settings on top (a caller's ``openin_any=a`` does not survive).

    >>> locked_env({"SOURCE_DATE_EPOCH": "0"})["SOURCE_DATE_EPOCH"], locked_env({})["shell_escape"]
    ('0', 'f')
    """
    return {**env, **LOCKED_ENV}


@dataclass(frozen=True)
class TexRun:
    """What one run gave: its exit code, its output (stdout and stderr, decoded), whether the timeout killed it.

    >>> TexRun(0, "Output written on f.pdf").timed_out
    False
    """

    returncode: int
    output: str
    timed_out: bool = False


class TexRuns:
    """The TeX runs under way, so that an interrupt can kill them instead of waiting for them.

    >>> runs = TexRuns()
    >>> runs.stop()
    >>> runs.run("pdflatex", "f.tex", ".", timeout=60)    # a stopped set starts nothing
    TexRun(returncode=-9, output='', timed_out=False)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def run(self, program: str, tex_name: str, cwd: str | Path, *, timeout: float, options: Sequence[str] = (),
            env: Mapping[str, str] | None = None) -> TexRun:
        """Run ``program`` on ``cwd/tex_name`` locked down (``tex_argv``, ``locked_env`` over ``env`` or this
        process's environment); killed with its process group at ``timeout`` seconds or when this thread is
        interrupted; exit code -9 without running once ``stop()`` was called.

        >>> TexRuns().run("false", "f.tex", ".", timeout=10)     # any program gets the same flags
        TexRun(returncode=1, output='', timed_out=False)
        """
        argv, environ = tex_argv(program, tex_name, options), locked_env(os.environ if env is None else env)
        with self._lock:
            if self._stopped:
                return TexRun(-signal.SIGKILL, "")
            proc = subprocess.Popen(argv, cwd=cwd, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            self._live.add(proc)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            output, _ = proc.communicate()
            return TexRun(proc.returncode, output.decode(errors="replace"), timed_out=True)
        except BaseException:  # Ctrl-C in this thread: the run (in its own session) must not outlive it
            _kill_group(proc)
            proc.wait()
            raise
        finally:
            with self._lock:
                self._live.discard(proc)
        return TexRun(proc.returncode, output.decode(errors="replace"))

    def stop(self) -> None:
        """Kill every run under way (each with its process group) and refuse new ones."""
        with self._lock:
            self._stopped = True
            for proc in self._live:
                _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the run's whole process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
