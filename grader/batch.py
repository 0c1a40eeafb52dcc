"""Grading many submission files in parallel, each under a time budget enforced by killing its worker.

``grade_batch(files, spec, jobs=N, budget=S)`` keeps N long-lived worker processes (forked after the spec is loaded
and the grader warmed up once, so no worker re-imports SymPy or re-derives the reference solution). Each worker is
fed one file at a time through a pipe; it reads the file (grader.submission) and grades it. A worker that has not
answered within the budget is killed, its file gets ``status=error`` ("timed out after 10s"), and a fresh worker
takes its place; a worker that dies (a crash, out of memory) is replaced the same way. So every input yields
exactly one result, in input order.

Duplicate student ids: both files are graded; the later one (in input order) is renamed ``<id>-dup2`` (``-dup3``,
...), and its ``Graded.note`` says so. Nothing is overwritten and the rename is deterministic.

Ctrl-C (and SIGTERM, where the caller turns it into KeyboardInterrupt: grader.interrupts): workers ignore SIGINT;
the parent kills and reaps them and re-raises (nothing has been written). A worker is forked and listed with both
signals held, so no signal can land between the fork and the record of the new process. Workers also die with
the parent when it is killed outright (SIGKILL): on Linux by PR_SET_PDEATHSIG, elsewhere by watching the parent's
pid; and a worker closes its copies of the parent's pipe ends, so an idle worker sees end of file.

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

import ctypes
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from grader.interrupts import deferred, reset_in_child
from grader.result import ERROR, UNREADABLE, PartResult, Result
from grader.submission import SubmissionError, load_submission, student_id
from symconv.errors import SymconvError
from symconv.spec import Spec, load_spec

DEFAULT_BUDGET = 10.0          # seconds per submission (a normal one takes milliseconds)
MEMORY_HEADROOM = 2 << 30      # bytes a worker may allocate beyond what it inherits
PARENT_WATCH = 0.5             # seconds between a worker's checks that its parent lives (where prctl is missing)
PR_SET_PDEATHSIG = 1           # linux/prctl.h

GradeFn = Callable[[Spec, dict[str, Any]], Result]


@dataclass
class Graded:
    """One input file's outcome: where it came from, its Result, and a note (duplicate id) for the report."""

    source: str
    result: Result
    note: str = ""


def grade_batch(files: Sequence[str | Path], spec: Spec | str | Path | None = None, *, jobs: int = 1,
                budget: float = DEFAULT_BUDGET, grade_fn: GradeFn | None = None,
                on_result: Callable[[Graded], None] | None = None,
                ids: Sequence[str | None] | None = None) -> list[Graded]:
    """Grade every file; returns one Graded per file, in the order given, with student ids made unique.

    ``ids`` gives each file's student id for when the file names none (from an export's folder or file naming,
    grader.discover); without it, or where it is empty, the file's stem is the id."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    grade_fn = grade_fn or _real_grade()
    warm = getattr(grade_fn, "warm", None)  # a grade function may warm itself (grader.variants: the default problem)
    try:
        if callable(warm):
            warm()
        else:
            grade_fn(spec, {"student": "warm-up", "answers": {}})  # derive and cache the reference, before forking
    except SymconvError:
        raise  # the engine cannot grade this spec at all: one error for the run, not one per student (issue 15)
    except Exception:  # noqa: BLE001, S110 (anything else recurs, per file, as that file's error result)
        pass
    results: list[Result | None] = [None] * len(files)
    defaults = list(ids) if ids is not None else [None] * len(files)
    pool = _Pool(spec, grade_fn, budget)
    try:  # the workers start inside the try: a failure or a signal while starting them still kills them all
        pool.start(max(1, min(jobs, len(files))))
        for index, result in pool.run([(str(f), d or None) for f, d in zip(files, defaults)]):
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


def grade_file(spec: Spec, path: str, grade_fn: GradeFn, default_id: str | None = None) -> Result:
    """Read and grade one file in this process; never raises for a bad file or a failing grader."""
    name = Path(path).name
    start = time.perf_counter()
    try:
        sub = load_submission(path, default_id=default_id, spec=spec)
    except SubmissionError as err:
        return error_result(spec, default_id or student_id(path), name, str(err))
    try:
        result = grade_fn(spec, {"student": sub.student, "answers": sub.answers,
                                 **({"found": sub.found} if getattr(sub, "found", None) else {})})
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
    from grader.grading import grade

    return grade


# --- the worker pool -----------------------------------------------------------------------------------------------

Job = tuple[int, str, str | None]  # (index, path, default student id)


class _Worker:
    def __init__(self, ctx: Any, spec: Spec, grade_fn: GradeFn, siblings: list[Connection]):
        self.conn, child = ctx.Pipe()
        # the child gets the parent-side ends (its own and its siblings') to close: holding its own would keep it
        # from ever seeing end of file when the parent goes away
        self.process = ctx.Process(target=_serve, args=(child, [*siblings, self.conn], os.getpid(), spec, grade_fn),
                                   daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.deadline = 0.0

    def send(self, job: Job, budget: float) -> None:
        self.job, self.deadline = job, time.monotonic() + budget
        self.conn.send(job)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.process.close()
        self.conn.close()


class _Pool:
    def __init__(self, spec: Spec, grade_fn: GradeFn, budget: float):
        self.ctx = multiprocessing.get_context("fork")  # workers inherit the loaded grader: no re-import
        self.spec, self.grade_fn, self.budget = spec, grade_fn, budget
        self.workers: list[_Worker] = []

    def start(self, jobs: int) -> None:
        for _ in range(jobs):
            with deferred():
                self.workers.append(self._fork())

    def _fork(self) -> _Worker:
        """A new worker; call it with signals held (deferred) and record it before they are let through: a
        KeyboardInterrupt between the fork and the record would leave a worker that nobody kills."""
        return _Worker(self.ctx, self.spec, self.grade_fn, [w.conn for w in self.workers if not w.conn.closed])

    def run(self, jobs: list[tuple[str, str | None]]):
        """Yield (index, Result) for every (path, default id), each exactly once."""
        pending = deque((i, path, default) for i, (path, default) in enumerate(jobs))
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
        _, path, default = w.job
        with deferred():
            w.kill()
            self.workers[self.workers.index(w)] = self._fork()
        name = Path(path).name
        return error_result(self.spec, default or student_id(path), name, f"{name}: {why}")

    def close(self) -> None:
        with deferred():  # a second Ctrl-C must not cut the clean-up short
            for w in self.workers:
                w.kill()


def _serve(conn: Connection, parent_ends: list[Connection], parent: int, spec: Spec, grade_fn: GradeFn) -> None:
    """Worker loop: receive (index, path, default id), send back (index, Result dict), until the pipe closes."""
    reset_in_child()  # forked inside deferred(): from here Ctrl-C is ignored and SIGTERM kills
    for end in parent_ends:
        end.close()
    _die_with_parent(parent)
    _limit_memory()
    while True:
        try:
            index, path, default = conn.recv()
        except (EOFError, OSError):
            return
        conn.send((index, grade_file(spec, path, grade_fn, default).to_dict()))


def _die_with_parent(parent: int) -> None:
    """End this worker when the parent dies, even by SIGKILL (then nobody closes the pipes or kills us)."""
    if not _request_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _request_death_signal() -> bool:
    """Linux: ask the kernel for SIGKILL when the parent exits (prctl PR_SET_PDEATHSIG); False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """The fallback: poll the parent pid (an orphan is re-parented, so getppid changes) and exit when it does."""
    while os.getppid() == parent:
        time.sleep(PARENT_WATCH)
    os._exit(1)
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
