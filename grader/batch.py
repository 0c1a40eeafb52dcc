"""Grading many submission files in parallel, each under a time budget enforced by killing its worker.

``grade_batch(files, spec, jobs=N, budget=S)`` keeps N long-lived worker processes (forked after the spec is loaded
and the grader warmed up once, so no worker re-imports SymPy or re-derives the reference solution). Each worker is
fed one file at a time through a pipe; it reads the file (grader.submission) and grades it. A worker that has not
answered within the budget is killed, its file gets ``status=error`` ("timed out after 10s"), and a fresh worker
takes its place; a worker that dies (a crash, out of memory) is replaced the same way. So every input yields
exactly one result, in input order.

Duplicate student ids: both files are graded; the later one (in input order) is renamed ``<id>-dup2`` (``-dup3``,
...), and its ``Graded.note`` says so. Nothing is overwritten and the rename is deterministic.

Ctrl-C: workers ignore SIGINT; the parent kills them and re-raises KeyboardInterrupt (nothing has been written).

>>> from grader.result import PartResult, Result
>>> def stand_in(spec, submission):  # any grade function with grade()'s signature
...     return Result(submission["student"], [PartResult("1.1a", 1.0, 1.0, "ok")])
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("ada.json", "bob.json", "ada.yaml"):
...     _ = (d / name).write_text('{"answers": {}}' if name.endswith("json") else "student: ada\\nanswers: {}")
>>> done = grade_batch(sorted(d.iterdir()), None, jobs=2, grade_fn=stand_in)
>>> [(g.result.student, g.result.status, g.note) for g in done]
[('ada', 'ok', ''), ('ada-dup2', 'ok', "duplicate student id 'ada' (also in ada.json); renamed ada-dup2"), \
('bob', 'ok', '')]
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from grader.result import ERROR, UNREADABLE, PartResult, Result
from grader.submission import SubmissionError, load_submission, student_id
from symconv.errors import SymconvError
from symconv.spec import Spec, load_spec

DEFAULT_BUDGET = 10.0          # seconds per submission (a normal one takes milliseconds)
MEMORY_HEADROOM = 2 << 30      # bytes a worker may allocate beyond what it inherits

GradeFn = Callable[[Spec, dict[str, Any]], Result]


@dataclass
class Graded:
    """One input file's outcome: where it came from, its Result, and a note (duplicate id) for the report."""

    source: str
    result: Result
    note: str = ""


def grade_batch(files: Sequence[str | Path], spec: Spec | str | Path | None = None, *, jobs: int = 1,
                budget: float = DEFAULT_BUDGET, grade_fn: GradeFn | None = None,
                on_result: Callable[[Graded], None] | None = None) -> list[Graded]:
    """Grade every file; returns one Graded per file, in the order given, with student ids made unique."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    grade_fn = grade_fn or _real_grade()
    try:
        grade_fn(spec, {"student": "warm-up", "answers": {}})  # derive and cache the reference once, before forking
    except SymconvError:
        raise  # the engine cannot grade this spec at all: one error for the run, not one per student
    except Exception:  # noqa: BLE001, S110 (anything else recurs, per file, as that file's error result)
        pass
    results: list[Result | None] = [None] * len(files)
    pool = _Pool(spec, grade_fn, max(1, min(jobs, len(files))), budget)
    try:
        for index, result in pool.run([str(f) for f in files]):
            results[index] = result
            if on_result:
                on_result(Graded(str(files[index]), result))
    finally:
        pool.close()
    return unique_ids([Graded(str(f), r) for f, r in zip(files, results) if r is not None])


def unique_ids(graded: list[Graded]) -> list[Graded]:
    """Rename repeated student ids ``<id>-dup2``, ``-dup3``... (first come keeps its id), noting each rename."""
    taken = {g.result.student for g in graded}
    first: dict[str, str] = {}
    for g in graded:
        sid = g.result.student
        if sid not in first:
            first[sid] = Path(g.source).name
            continue
        n = 2
        while f"{sid}-dup{n}" in taken:
            n += 1
        g.result.student = f"{sid}-dup{n}"
        taken.add(g.result.student)
        g.note = f"duplicate student id {sid!r} (also in {first[sid]}); renamed {g.result.student}"
    return graded


def error_result(spec: Spec, student: str, source: str, reason: str) -> Result:
    """The Result of a file that could not be graded: every part of the spec, scored zero, with the reason."""
    parts = [PartResult(p.id, 0.0, float(p.points), f"{p.id}: not graded ({reason}).", [], UNREADABLE)
             for p in spec.parts]
    return Result(student, parts, status=ERROR, error=reason, source=source)


def grade_file(spec: Spec, path: str, grade_fn: GradeFn) -> Result:
    """Read and grade one file in this process; never raises for a bad file or a failing grader."""
    name = Path(path).name
    start = time.perf_counter()
    try:
        sub = load_submission(path)
    except SubmissionError as err:
        return error_result(spec, student_id(path), name, str(err))
    try:
        result = grade_fn(spec, {"student": sub.student, "answers": sub.answers})
    except MemoryError:
        return error_result(spec, sub.student, name, f"{name}: ran out of memory while grading")
    except RecursionError:
        return error_result(spec, sub.student, name, f"{name}: an answer is nested too deeply to grade")
    except Exception as err:  # a grader bug must cost one file, not the batch
        message = " ".join(str(err).split())[:200]
        return error_result(spec, sub.student, name, f"{name}: internal error while grading "
                                                     f"({type(err).__name__}: {message})")
    result.student, result.source = sub.student, name
    result.execution_time = time.perf_counter() - start
    return result


def _real_grade() -> GradeFn:
    from grader.grade import grade

    return grade


# --- the worker pool -----------------------------------------------------------------------------------------------

class _Worker:
    def __init__(self, ctx: Any, spec: Spec, grade_fn: GradeFn):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, spec, grade_fn), daemon=True)
        self.process.start()
        child.close()
        self.job: tuple[int, str] | None = None
        self.deadline = 0.0

    def send(self, job: tuple[int, str], budget: float) -> None:
        self.job, self.deadline = job, time.monotonic() + budget
        self.conn.send(job)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class _Pool:
    def __init__(self, spec: Spec, grade_fn: GradeFn, jobs: int, budget: float):
        self.ctx = multiprocessing.get_context("fork")  # workers inherit the loaded grader: no re-import
        self.spec, self.grade_fn, self.budget = spec, grade_fn, budget
        self.workers = [_Worker(self.ctx, spec, grade_fn) for _ in range(jobs)]

    def run(self, paths: list[str]):
        """Yield (index, Result) for every path, each exactly once."""
        pending = deque(enumerate(paths))
        while True:
            for w in self.workers:
                if w.job is None and pending:
                    w.send(pending.popleft(), self.budget)
            busy = [w for w in self.workers if w.job is not None]
            if not busy:
                return
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy], timeout))
            for w in busy:
                job = w.job
                assert job is not None
                if w.conn in ready:
                    try:
                        index, data = w.conn.recv()
                    except (EOFError, OSError):
                        yield job[0], self._lost(w, "the grading process died (crash or out of memory)")
                        continue
                    w.job = None
                    yield index, Result.from_dict(data)
                elif time.monotonic() >= w.deadline:
                    yield job[0], self._lost(w, f"timed out after {self.budget:g}s")

    def _lost(self, w: _Worker, why: str) -> Result:
        """Replace a dead or overdue worker; the file it held gets an error result."""
        assert w.job is not None
        path = w.job[1]
        w.kill()
        self.workers[self.workers.index(w)] = _Worker(self.ctx, self.spec, self.grade_fn)
        name = Path(path).name
        return error_result(self.spec, student_id(path), name, f"{name}: {why}")

    def close(self) -> None:
        for w in self.workers:
            w.kill()


def _serve(conn: Connection, spec: Spec, grade_fn: GradeFn) -> None:
    """Worker loop: receive (index, path), send back (index, Result dict), until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _limit_memory()
    while True:
        try:
            index, path = conn.recv()
        except (EOFError, OSError):
            return
        conn.send((index, grade_file(spec, path, grade_fn).to_dict()))


def _limit_memory() -> None:
    """Cap the worker's address space at what it inherited plus MEMORY_HEADROOM (a bomb fails with MemoryError)."""
    try:
        with open("/proc/self/statm") as f:
            inherited = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = inherited + MEMORY_HEADROOM
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):  # no /proc (not Linux): the time budget still holds
        pass
