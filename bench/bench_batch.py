"""Batch grading throughput (issue 6): 1,000 generated submissions of the homework, graded with --jobs 2.

Submissions are generated from the engine's reference with perturbations recomputed by the engine (a one-entry
slip, the flipped kernel, the transposed output, a chain-rule sum missing a term, a wrong module path, an
unreadable answer), in YAML, JSON and TOML, into a temporary directory. Measured in the same run:

- baseline: the same files read and graded one after another in this process (grader.batch.grade_file);
- batch: grader.batch.grade_batch with N worker processes (each file read and graded in a worker, under the
  time budget), after the one-time warm-up, which is reported separately;
- batch + outputs: the above plus writing results/, feedback/, grades.csv, summary.md and histogram.png.

Run: .venv/bin/python bench/bench_batch.py [--n 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import yaml

from grader.batch import grade_batch, grade_file
from grader.grading import grade
from grader.outputs import write_outputs
from symconv import conv2d, derive_solution, entry_symbol, load_spec
from symconv.latex import latex
from symconv.matrices import as_matrix

TARGET = 500.0  # submissions per second with --jobs 2 on 2 cores, grading only (issue 9)


def reference_answers(sol) -> dict:
    i, j = sol.output_shape
    return {
        "1.1a": rf"{i} \times {j}",
        "1.1b": latex(sol.output_size_formula),
        "1.1c": latex(sol.output),
        "1.1d": {latex(entry_symbol("A", r, c)): latex(rule.total) for (r, c), rule in sol.chain.items()},
        "1.1d-matrix": [[int(x) for x in row] for row in sol.grad_input.tolist()],
        "1.2a": dict(sol.pool_modules),
        "1.2b": {"max": r"\max_{(m,n) \in S_{ij}} x_{mn}", "avg": r"\frac{1}{N} \sum_{(m,n) \in S_{ij}} x_{mn}",
                 "lp": r"\left( \sum_{(m,n) \in S_{ij}} x_{mn}^p \right)^{1/p}"},
        "1.2c": latex(sol.pooled_max),
        "1.2d": {"avg": "p = 1", "max": r"p \to \infty"},
    }


def mistakes(sol, spec) -> list:
    """Functions answers -> answers, each one mistake, every wrong value recomputed by the engine."""
    conv = spec.conv
    flipped = conv2d(as_matrix(sol.input), as_matrix(sol.kernel), stride=conv.stride, padding=conv.padding,
                     dilation=conv.dilation, flip=True)

    def slip(a, rng):
        c = [[int(x) for x in row] for row in sol.output.tolist()]
        r, k = rng.randrange(len(c)), rng.randrange(len(c[0]))
        c[r][k] += rng.choice([-2, -1, 1, 2])
        return {**a, "1.1c": c}

    def missing_term(a, rng):
        key = rng.choice(sorted(a["1.1d"]))
        rule = sol.chain[next(rc for rc in sol.chain if latex(entry_symbol("A", *rc)) == key)]
        terms = rule.total.as_ordered_terms()
        short = rule.total - terms[0] if len(terms) > 1 else rule.total + sol.kernel_symbols[0]
        return {**a, "1.1d": {**a["1.1d"], key: latex(short)}}

    return [
        lambda a, rng: a,
        lambda a, rng: a,
        slip,
        lambda a, rng: {**a, "1.1c": latex(flipped)},
        lambda a, rng: {**a, "1.1c": latex(sol.output.T)},
        missing_term,
        lambda a, rng: {**a, "1.2a": {**a["1.2a"], "max": "torch.MaxPool2d"}},
        lambda a, rng: {**a, "1.1b": r"\frac{I - K + 2P}{S} + 1", "1.2c": "109 92 \\\\ 110"},
    ]


def generate(folder: Path, n: int, seed: int = 6) -> list[Path]:
    spec = load_spec(None)
    sol = derive_solution(spec)
    sol.kernel_symbols = list(sol.chain[(1, 1)].total.free_symbols)
    base, kinds, rng = reference_answers(sol), mistakes(sol, spec), random.Random(seed)
    files = []
    for k in range(n):
        answers = rng.choice(kinds)(base, rng)
        data = {"student": f"s{k:04d}", "answers": answers}
        fmt = ("json", "yaml", "json")[k % 3]
        path = folder / f"s{k:04d}.{fmt}"
        path.write_text(json.dumps(data) if fmt == "json" else yaml.safe_dump(data, allow_unicode=True))
        files.append(path)
    return files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    spec = load_spec(None)
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), args.n)
        t = time.perf_counter()
        grade(spec, {"student": "warm-up", "answers": {}})
        warm = time.perf_counter() - t

        # the batch runs first: its workers are forked from this process, and must not inherit the answer caches
        # the serial baseline fills; so both start from the same warm-up only
        t = time.perf_counter()
        graded = grade_batch(files, spec, jobs=args.jobs)
        batch = time.perf_counter() - t
        write_outputs(graded, spec, Path(tmp) / "out")
        total = time.perf_counter() - t

        t = time.perf_counter()
        serial = [grade_file(spec, str(f), grade) for f in files]
        base = time.perf_counter() - t

    assert [r.score for r in serial] == [g.result.score for g in graded], "serial and batch scores differ"
    mean = sum(g.result.score for g in graded) / len(graded)
    full = sum(g.result.score == g.result.max_score for g in graded)
    print(f"{args.n} generated submissions (mean {mean:.2f} / {graded[0].result.max_score:g}, {full} perfect); "
          f"one-time warm-up (reference, diagnoses, torch): {warm:.2f}s")
    print(f"baseline, serial in one process: {args.n / base:8.1f} submissions/s")
    print(f"batch, --jobs {args.jobs}:               {args.n / batch:8.1f} submissions/s  "
          f"({base / batch:.2f}x the baseline)")
    print(f"batch + all outputs, --jobs {args.jobs}: {args.n / total:8.1f} submissions/s")
    verdict = "meets" if args.n / batch >= TARGET else "MISSES"
    print(f"target {TARGET:g} submissions/s with --jobs 2: batch {verdict} it")


if __name__ == "__main__":
    main()
