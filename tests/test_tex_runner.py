"""symconv.document.tex_runner: every TeX run is locked down, and killed with its process group at the timeout, on
an interrupt in its thread, or by ``stop()`` from another thread. TeX itself is replaced by stand-in scripts that
report what they were given (the real runs are tested in test_document.py and test_outputs.py)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from symconv.document.tex_runner import LOCKED_ENV, LOCKED_FLAGS, TexRuns, locked_env, tex_argv


def stand_in(tmp_path: Path, monkeypatch, name: str, body: str) -> None:
    """A program ``name`` on PATH that runs the shell ``body``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
    (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def wait_for(predicate, tries: int = 3000) -> bool:
    """A bounded wait for an event (not a delay: returns as soon as it holds)."""
    for _ in range(tries):
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its parent to reap it has ended too)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.parametrize(("program", "options", "expected"), [
    ("pdflatex", (), ["pdflatex", *LOCKED_FLAGS, "f.tex"]),
    ("latexmk", ("-norc", "-pdf"), ["latexmk", "-norc", "-pdf", *LOCKED_FLAGS, "f.tex"]),
    ("latexmk", ("-shell-escape",), ["latexmk", "-shell-escape", *LOCKED_FLAGS, "f.tex"]),  # the lock comes last
])
def test_argv_always_carries_the_locked_flags(program, options, expected):
    assert tex_argv(program, "f.tex", options) == expected


@pytest.mark.parametrize("given", [{}, {"openin_any": "a", "openout_any": "a", "shell_escape": "t"}])
def test_env_is_locked_whatever_the_caller_gives(given):
    assert locked_env({"HOME": "/h", **given}) == {"HOME": "/h", **LOCKED_ENV}


def test_the_program_runs_with_the_flags_and_env(tmp_path, monkeypatch):
    stand_in(tmp_path, monkeypatch, "pdflatex",
             'echo "$@"; echo "in=$openin_any out=$openout_any shell=$shell_escape date=$SOURCE_DATE_EPOCH"; pwd')
    monkeypatch.setenv("openin_any", "a")
    run = TexRuns().run("pdflatex", "f.tex", tmp_path, timeout=60, env={**os.environ, "SOURCE_DATE_EPOCH": "0"})
    assert run == type(run)(0, f"{' '.join([*LOCKED_FLAGS, 'f.tex'])}\nin=p out=p shell=f date=0\n{tmp_path}\n")


def test_stdin_is_closed(tmp_path, monkeypatch):
    """TeX waiting for input reads end-of-file, even when this process's stdin is an open pipe nobody writes to."""
    stand_in(tmp_path, monkeypatch, "pdflatex", "cat; echo read-all")
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        run = TexRuns().run("pdflatex", "f.tex", tmp_path, timeout=10)
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)
    assert (run.timed_out, run.output) == (False, "read-all\n")


def test_the_timeout_kills_the_whole_group(tmp_path, monkeypatch):
    child = tmp_path / "child"
    stand_in(tmp_path, monkeypatch, "latexmk",
             f"sleep 60 >/dev/null 2>&1 & echo $! > {child}.tmp; mv {child}.tmp {child}; wait")
    run = TexRuns().run("latexmk", "f.tex", tmp_path, timeout=3)
    assert run.timed_out and run.returncode == -signal.SIGKILL
    assert child.exists(), "the stand-in did not start its child within the timeout"
    assert wait_for(lambda: gone(int(child.read_text())))  # the child pdflatex dies with latexmk


def run_and_signal(tmp_path, monkeypatch, interrupt) -> tuple[list[int], Exception | None, TexRuns]:
    """A run whose stand-in starts a child and waits; once the child is up, ``interrupt(runs)`` is called from
    another thread. Returns the pids (stand-in, child), what the run raised, and the runs."""
    started = tmp_path / "started"
    stand_in(tmp_path, monkeypatch, "pdflatex",
             f"sleep 60 >/dev/null 2>&1 & echo $$ $! > {started}.tmp; mv {started}.tmp {started}; wait")
    runs = TexRuns()

    def when_started() -> None:
        if wait_for(started.exists):
            interrupt(runs)

    threading.Thread(target=when_started, daemon=True).start()
    raised = None
    try:
        runs.run("pdflatex", "f.tex", tmp_path, timeout=120)
    except KeyboardInterrupt as error:
        raised = error
    return [int(p) for p in started.read_text().split()], raised, runs


def test_stop_kills_the_runs_under_way_and_refuses_new_ones(tmp_path, monkeypatch):
    pids, raised, runs = run_and_signal(tmp_path, monkeypatch, TexRuns.stop)
    assert raised is None and wait_for(lambda: all(map(gone, pids)))
    marker = tmp_path / "ran"
    stand_in(tmp_path, monkeypatch, "pdflatex", f"touch {marker}")
    assert runs.run("pdflatex", "f.tex", tmp_path, timeout=60).returncode == -signal.SIGKILL
    assert not marker.exists()


def test_an_interrupt_in_the_running_thread_kills_the_group(tmp_path, monkeypatch):
    """Ctrl-C while compile_pdf waits: the run leads its own session (the terminal's SIGINT never reaches it), so
    the runner must kill it; without that, latexmk and pdflatex would go on after the program has stopped."""
    pids, raised, _ = run_and_signal(tmp_path, monkeypatch, lambda runs: os.kill(os.getpid(), signal.SIGINT))
    assert isinstance(raised, KeyboardInterrupt)
    assert wait_for(lambda: all(map(gone, pids)))
