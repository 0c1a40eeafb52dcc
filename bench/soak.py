"""Soak test (issue 15; not run by CI): ``symconv grade`` on 10,000 generated submissions, 2% of them hostile.

Submissions come from bench_batch's generator (the engine's reference answers with mistakes the engine recomputes),
and every 50th file is overwritten by a hostile one (a YAML alias bomb, binary, invalid UTF-8, an empty file, a
file over the size cap, Python code in answers, exponent towers, deep nesting, LaTeX injection, a huge matrix).
Then, each run a ``symconv grade SUBS --out OUT --jobs N`` subprocess:

1. interrupted: Ctrl-C (SIGINT) once a given number of results files exist (the writing phase);
2. restart: the same command, into the same OUT;
3. rerun: the same command again; then a last run with every 100th input removed (its results must go).

Reported: the time from the signal to the exit, results = inputs (CSV rows, results/*.json, per status), no process
left (the workers seen during each run, checked after it ends), no temporary file, the reruns byte-identical, and
peak memory (VmHWM of the parent and of the largest worker seen, and getrusage's largest waited-for descendant).

Run: .venv/bin/python bench/soak.py [--n 10000] [--jobs 2] [--interrupt-at 5000]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import generate  # noqa: E402  (the same generated class as the throughput benchmark)

SYMCONV = Path(sys.executable).parent / "symconv"
HOSTILE_EVERY = 50  # 2%


def hostile_files() -> list[tuple[str, bytes]]:
    """(suffix, content) of each kind of hostile file; the loader or the parser must refuse each one fast."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi")) + "answers: {'1.1a': *i}\n"
    code = "__import__('os').system('touch /tmp/symconv-soak-pwned')"
    return [
        (".yaml", bomb.encode()),
        (".json", b"\x00\x01binary\x00" * 100),
        (".yaml", b"answers: {'1.1a': '\xff\xfe'}\n"),
        (".toml", b""),
        (".yaml", b"answers:\n  '1.1a': '" + b"x" * 1_100_000 + b"'\n"),
        (".json", json.dumps({"answers": {"1.1a": code, "1.1b": f"(lambda: {code})()",
                                          "1.2a": {"max": "os.system"}}}).encode()),
        (".json", json.dumps({"answers": {"1.1b": "9^9^9^9", "1.1c": "10^{10^{10}}", "1.2c": "(" * 5000}}).encode()),
        (".json", ("[" * 200 + "]" * 200).encode()),
        (".tex", (br"\student{\input{/etc/passwd}} \answer{1.1a}{\write18{touch /tmp/x} \catcode`\^=7}")),
        (".json", json.dumps({"answers": {"1.1c": [[1] * 300] * 300}}).encode()),
    ]


def make_class(folder: Path, n: int) -> list[Path]:
    files = generate(folder, n)
    kinds = hostile_files()
    for k in range(HOSTILE_EVERY // 2, n, HOSTILE_EVERY):
        suffix, content = kinds[(k // HOSTILE_EVERY) % len(kinds)]
        files[k].unlink()
        files[k] = files[k].with_suffix(suffix)
        files[k].write_bytes(content)
    return files


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = [int(c) for c in (task / "children").read_text().split()]
                found.update(kids)
                todo += kids
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def vm_hwm(pid: int) -> int:
    """Peak resident memory of a live process, in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Run:
    """One ``symconv grade`` subprocess, watched: its workers, their peak memory, and (optionally) a Ctrl-C."""

    def __init__(self, subs: Path, out: Path, jobs: int, log: Path):
        self.argv = [str(SYMCONV), "grade", str(subs), "--out", str(out), "--jobs", str(jobs)]
        self.out, self.log = out, log
        self.seen: set[int] = set()
        self.parent_kib = self.worker_kib = 0

    def go(self, interrupt_at: int | None = None, guard: float = 3600) -> tuple[int, float | None]:
        """Run to the end (or Ctrl-C once ``interrupt_at`` results files exist); (exit code, signal-to-exit s)."""
        start = time.monotonic()
        with open(self.log, "w") as log:
            proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        signalled = None
        while proc.poll() is None:
            self._watch(proc.pid)
            if interrupt_at is not None and signalled is None and self._results() >= interrupt_at:
                proc.send_signal(signal.SIGINT)
                signalled = time.monotonic()
            if time.monotonic() - start > guard:
                proc.kill()
                raise SystemExit(f"soak: a run took over {guard:g}s; see {self.log}")
            time.sleep(0.05)
        stop = time.monotonic()
        return proc.returncode, (stop - signalled if signalled else None)

    def _watch(self, pid: int) -> None:
        kids = descendants(pid)
        self.seen |= kids
        self.parent_kib = max(self.parent_kib, vm_hwm(pid))
        self.worker_kib = max([self.worker_kib] + [vm_hwm(k) for k in kids])

    def _results(self) -> int:
        try:
            return sum(1 for _ in os.scandir(self.out / "results"))
        except OSError:
            return 0

    def orphans(self, guard: float = 10) -> list[int]:
        deadline = time.monotonic() + guard
        while any(alive(p) for p in self.seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [p for p in self.seen if alive(p)]


def temporaries(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".pdf-")]


def tree(out: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(out.rglob("*")):
        if p.is_file():
            digest.update(p.relative_to(out).as_posix().encode() + b"\0" + p.read_bytes())
    return digest.hexdigest()


def check(out: Path, inputs: int) -> dict[str, int]:
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    results = sum(1 for _ in (out / "results").glob("*.json"))
    feedback = sum(1 for _ in (out / "feedback").glob("*.md"))
    assert len(rows) == results == feedback == inputs, (len(rows), results, feedback, inputs)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--interrupt-at", type=int, default=None, help="results files before Ctrl-C (default n/2)")
    args = ap.parse_args()
    interrupt_at = args.interrupt_at or args.n // 2
    with tempfile.TemporaryDirectory(prefix="symconv-soak-") as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        t = time.perf_counter()
        files = make_class(subs, args.n)
        hostile = len(range(HOSTILE_EVERY // 2, args.n, HOSTILE_EVERY))
        print(f"{args.n} submissions ({hostile} hostile) generated in {time.perf_counter() - t:.1f}s")
        runs, problems = [], []

        def step(name: str, interrupt: int | None = None, inputs: int | None = None) -> Run:
            run = Run(subs, out, args.jobs, Path(tmp) / f"{name}.log")
            t0 = time.perf_counter()
            code, to_exit = run.go(interrupt)
            wall = time.perf_counter() - t0
            left, tmps = run.orphans(), temporaries(out)
            line = f"{name:12s} exit {code:3d}  {wall:7.1f}s  workers seen {len(run.seen):3d}  left {len(left)}  " \
                   f"temporary files {len(tmps)}"
            if to_exit is not None:
                line += f"  Ctrl-C to exit {to_exit:.2f}s"
            if inputs is not None:
                line += f"  statuses {check(out, inputs)}"
            print(line, flush=True)
            if left or tmps:
                problems.append(f"{name}: {len(left)} processes left, temporary files {tmps[:3]}")
            runs.append(run)
            return run

        step("interrupted", interrupt_at)
        step("restart", inputs=args.n)
        first = tree(out)
        step("rerun", inputs=args.n)
        same = tree(out) == first
        removed = files[::100]
        for f in removed:
            f.unlink()
        step("fewer", inputs=args.n - len(removed))
        stale = [f.stem for f in removed if (out / "results" / f"{f.stem}.json").exists()]
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"rerun byte-identical: {'yes' if same else 'NO'}; results of removed inputs left: {len(stale)}")
    print(f"peak memory: parent {max(r.parent_kib for r in runs) / 1024:.0f} MiB, largest worker "
          f"{max(r.worker_kib for r in runs) / 1024:.0f} MiB, largest waited-for descendant (getrusage) "
          f"{children / 1024:.0f} MiB")
    if problems or not same or stale:
        raise SystemExit("soak: FAILED: " + "; ".join(problems + (["rerun differs"] if not same else [])
                                                       + ([f"stale results {stale[:3]}"] if stale else [])))
    print("soak: results = inputs, no process left, no temporary file")


if __name__ == "__main__":
    main()
