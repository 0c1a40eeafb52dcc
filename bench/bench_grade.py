"""Grading speed per submission on the homework spec: cold (every cache cleared before each submission, so
every answer is parsed, compared and printed from scratch) and for a class (200 submissions mixing the
examples with random one-entry slips, so answers repeat the way they do in a real class).

Run: .venv/bin/python bench/bench_grade.py
"""

from __future__ import annotations

import copy
import random
import time
from pathlib import Path

from grader.checkers import common, values
from grader.grading import Grader
from grader.submission import load_submission

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "submissions"


def load(path: Path) -> dict:
    """An example submission through the real loader (any format it reads, the .tex answer sheet included)."""
    sub = load_submission(path)
    return {"student": sub.student, "answers": sub.answers}


def class_of(n: int, seed: int = 1) -> list[dict]:
    """n submissions: the examples, each copy with a random slip in one matrix entry of 1.1c or 1.1d-matrix."""
    rng = random.Random(seed)
    bases = [load(p) for p in sorted(EXAMPLES.iterdir())]
    subs = []
    for k in range(n):
        sub = copy.deepcopy(bases[k % len(bases)])
        part = rng.choice(["1.1c", "1.1d-matrix"])
        m = sub["answers"].get(part)
        if isinstance(m, list):
            r, c = rng.randrange(len(m)), rng.randrange(len(m[0]))
            m[r][c] = m[r][c] + rng.randint(1, 3) if isinstance(m[r][c], int) else m[r][c]
        sub["student"] = f"s{k}"
        subs.append(sub)
    return subs


def clear(grader: Grader) -> None:
    grader._results.clear()
    values._parse_cached.cache_clear()
    common._tex.cache_clear()


def main() -> None:
    start = time.perf_counter()
    grader = Grader(None)
    print(f"Grader(None) (derive the reference, alternatives, import torch): {time.perf_counter() - start:.2f} s")
    subs = class_of(200)
    cold = []
    for sub in subs[:30]:
        clear(grader)
        t = time.perf_counter()
        grader.grade(sub)
        cold.append(time.perf_counter() - t)
    cold.sort()
    print(f"cold, per submission (caches cleared): median {cold[len(cold) // 2] * 1e3:.1f} ms, "
          f"max {cold[-1] * 1e3:.1f} ms")
    clear(grader)
    t = time.perf_counter()
    for sub in subs:
        grader.grade(sub)
    total = time.perf_counter() - t
    print(f"class of {len(subs)} (answers repeat): {total / len(subs) * 1e3:.2f} ms per submission, "
          f"{len(subs) / total:.0f} submissions/s in one process")
    print(f"ratio cold / class: {cold[len(cold) // 2] / (total / len(subs)):.0f}x")


if __name__ == "__main__":
    main()
