"""grader.batch: one result per input, a budget enforced by killing the worker, crashes contained, duplicate ids."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from grader.batch import error_result, grade_batch, grade_file, unique_ids
from grader.result import ERROR, OK, PartResult, Result
from symconv import load_spec

SPEC = load_spec(None)


def stand_in(spec, submission):
    """A grade function whose behaviour each test file chooses through its single answer "do"."""
    do = submission["answers"].get("do", "ok")
    if do in ("hang", "sleep") and "marker" in submission["answers"]:  # where the test can find this worker
        Path(submission["answers"]["marker"]).write_text(str(os.getpid()))
    if do == "hang":
        while True:  # SymPy stuck in a simplification, as far as the pool can tell
            pass
    if do == "sleep":
        time.sleep(3600)
    if do == "crash":
        os._exit(3)
    if do == "raise":
        raise RuntimeError("checker bug\non two lines")
    if do == "memory":
        bytearray(64 << 30)  # more than any headroom: MemoryError under the worker's address-space cap
    parts = [PartResult(p.id, float(p.points), float(p.points), f"pid {os.getpid()}") for p in spec.parts]
    return Result(submission["student"], parts)


def write(tmp_path: Path, name: str, do: str = "ok", student: str | None = None) -> Path:
    answers = {"do": do, **({"marker": str(tmp_path / f"{name}.pid")} if do in ("hang", "sleep") else {})}
    data = {"answers": answers, **({"student": student} if student else {})}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _call(send, fn):
    try:
        send.send(("ok", fn()))
    except BaseException as err:  # noqa: BLE001 (reported to the test, whatever it is)
        send.send(("raised", f"{type(err).__name__}: {err}"))


def bounded(fn, guard: float = 60):
    """``fn()`` in a forked child, under a bounded wait: a broken budget fails the test after ``guard`` seconds
    instead of hanging it (the child is killed; its workers die with it, grader.batch)."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_call, args=(send, fn))
    child.start()
    send.close()
    try:
        if not recv.poll(guard):
            pytest.fail(f"no result within {guard:g}s: the time budget did not stop the worker")
        outcome, value = recv.recv()
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    assert outcome == "ok", value
    return value


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_every_input_yields_one_result_in_order(tmp_path):
    files = [write(tmp_path, f"s{i:02d}.json") for i in range(12)]
    files.append(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("[1, 2]")
    files.append(tmp_path / "bad.yaml")
    done = grade_batch(files, SPEC, jobs=2, grade_fn=stand_in)
    assert [g.source for g in done] == [str(f) for f in files]
    assert [g.result.student for g in done] == [f"s{i:02d}" for i in range(12)] + ["missing", "bad"]
    assert [g.result.status for g in done] == [OK] * 12 + [ERROR, ERROR]
    assert "cannot read the file" in done[12].result.error and "top level must be a mapping" in done[13].result.error


def test_workers_are_long_lived(tmp_path):
    files = [write(tmp_path, f"s{i:02d}.json") for i in range(20)]
    done = grade_batch(files, SPEC, jobs=2, grade_fn=stand_in)
    pids = {g.result.parts[0].feedback for g in done}
    assert len(pids) <= 2 and f"pid {os.getpid()}" not in pids


@pytest.mark.parametrize("do, reason", [
    ("hang", "hang.json: timed out after 1s"),
    ("sleep", "sleep.json: timed out after 1s"),
    ("crash", "crash.json: the grading process died (crash or out of memory)"),
    ("raise", "raise.json: internal error while grading (RuntimeError: checker bug on two lines)"),
    ("memory", "memory.json: ran out of memory while grading"),
])
def test_a_failing_submission_costs_only_itself(tmp_path, do, reason):
    files = [write(tmp_path, "a.json"), write(tmp_path, f"{do}.json", do), write(tmp_path, "b.json"),
             write(tmp_path, "c.json")]
    done = bounded(functools.partial(grade_batch, files, SPEC, jobs=1, budget=1.0, grade_fn=stand_in))
    assert [g.result.status for g in done] == [OK, ERROR, OK, OK]
    bad = done[1].result
    assert (bad.student, bad.error) == (do, reason)
    assert [p.part for p in bad.parts] == [p.id for p in SPEC.parts] and bad.score == 0
    assert bad.max_score == sum(p.points for p in SPEC.parts)
    marker = tmp_path / f"{do}.json.pid"
    if marker.exists():  # the worker over its budget was killed, not left running
        assert not _alive(int(marker.read_text()))


def test_two_hangs_with_two_workers_both_time_out(tmp_path):
    files = [write(tmp_path, "h1.json", "hang"), write(tmp_path, "h2.json", "hang")]
    files += [write(tmp_path, f"s{i}.json") for i in range(4)]
    done = bounded(functools.partial(grade_batch, files, SPEC, jobs=2, budget=1.0, grade_fn=stand_in))
    assert [g.result.status for g in done] == [ERROR, ERROR] + [OK] * 4
    assert not any(_alive(int((tmp_path / f"{h}.json.pid").read_text())) for h in ("h1", "h2"))


def test_a_failure_while_starting_workers_kills_those_started(tmp_path, monkeypatch):
    """The pool starts inside the try: a fork that fails after the first worker still leaves no worker behind."""
    import grader.batch as batch

    started, real_init = [], batch._Worker.__init__

    def init(self, *args):
        if started:
            raise OSError("fork failed: out of processes")
        real_init(self, *args)
        started.append(self.process.pid)

    monkeypatch.setattr(batch._Worker, "__init__", init)
    files = [write(tmp_path, f"s{i}.json") for i in range(4)]
    with pytest.raises(OSError, match="fork failed"):
        grade_batch(files, SPEC, jobs=2, grade_fn=stand_in)
    assert started and not _alive(started[0])


def test_duplicate_ids_are_renamed_and_noted(tmp_path):
    files = [write(tmp_path, "a.json", student="ada"), write(tmp_path, "b.json", student="ada"),
             write(tmp_path, "c.json", student="ada-dup2"), write(tmp_path, "d.json", student="ada")]
    done = grade_batch(files, SPEC, jobs=2, grade_fn=stand_in)
    assert [g.result.student for g in done] == ["ada", "ada-dup3", "ada-dup2", "ada-dup4"]
    assert [g.note for g in done] == [
        "", "duplicate student id 'ada' (also in a.json); renamed ada-dup3", "",
        "duplicate student id 'ada' (also in a.json); renamed ada-dup4"]


def test_unique_ids_keeps_distinct_ids():
    from grader.batch import Graded
    graded = [Graded(f"{s}.json", Result(s, [])) for s in ("a", "b", "c")]
    assert [g.result.student for g in unique_ids(graded)] == ["a", "b", "c"]


def test_error_result_lists_every_part():
    r = error_result(SPEC, "ada", "ada.yaml", "ada.yaml: empty file")
    assert r.status == ERROR and r.score == 0 and len(r.parts) == len(SPEC.parts)
    assert r.to_gradescope()["output"] == "Could not grade this submission: ada.yaml: empty file"


def test_grade_file_in_process(tmp_path):
    r = grade_file(SPEC, str(write(tmp_path, "x.json", student="zoe")), stand_in)
    assert (r.student, r.source, r.status, r.score) == ("zoe", "x.json", OK, r.max_score)
