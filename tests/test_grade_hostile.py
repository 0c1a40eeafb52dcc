"""Hostile and pathological answers through the whole grader (not only the parser): every one is graded,
quickly, and costs at most its own part."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grader
from grader import grading
from grader.grading import PART_BUDGET, Grader
from symconv.spec import DEFAULT_SPEC

PERFECT = yaml.safe_load((Path(__file__).parent.parent / "examples/submissions/perfect-plain.yaml").read_text())
FULL = grader.grade(None, PERFECT).max_score
assert grader.grade(None, PERFECT).score == FULL  # the baseline is a perfect submission


def with_answer(part: str, answer: object) -> dict:
    sub = copy.deepcopy(PERFECT)
    sub["answers"][part] = answer
    return sub


def chain_entry(answer: str) -> dict:
    sub = copy.deepcopy(PERFECT)
    sub["answers"]["1.1d"]["A_{11}"] = answer
    return sub


@pytest.mark.parametrize("submission, part", [
    (chain_entry(r"\sum_{i=1}^{2} B_{11}"), "1.1d"),                       # a bounded sum in an entry (2 B_11)
    (with_answer("1.1b", r"\max_{x\in S_{11}} x"), "1.1b"),
    (with_answer("1.2d", {"avg": "p = 1", "max": "p = 100000"}), "1.2d"),  # exact 109**100000 never ends
    (with_answer("1.2d", {"avg": "p = 1", "max": "p = " + "9" * 45}), "1.2d"),
    (with_answer("1.1b", "I^{I^{I}}"), "1.1b"),                             # 40**(40**40) if done exactly
    (chain_entry(r"\exp(\exp(\exp(\exp(B_{11}))))"), "1.1d"),
    (chain_entry(r"B_{11}^{B_{12}^{B_{13}^{B_{21}}}}"), "1.1d"),
])
def test_pathological_answers_cost_only_their_part(submission, part):
    start = time.monotonic()
    result = grader.grade(None, submission)
    assert time.monotonic() - start < PART_BUDGET * len(result.parts)
    lost = {p.part: p.max_score - p.score for p in result.parts if p.score < p.max_score}
    assert set(lost) == {part}
    assert result.score < FULL


def test_a_fault_in_a_checker_costs_one_part_with_a_message(monkeypatch):

    def broken(reference, part, answer):
        raise KeyError("boom")
    graderobj = Grader(None)
    monkeypatch.setitem(grading.CHECKERS, "max-pool", broken)
    result = graderobj.grade(PERFECT)
    bad = [p for p in result.parts if p.score < p.max_score]
    assert [p.part for p in bad] == ["1.2c"] and "internal error: KeyError" in bad[0].feedback


def test_dict_spec_edited_in_place_is_graded_against_its_new_content():
    spec = yaml.safe_load(DEFAULT_SPEC.read_text())
    answer = {"student": "s", "answers": {"1.1c": PERFECT["answers"]["1.1c"]}}
    before = next(p for p in grader.grade(spec, answer).parts if p.part == "1.1c")
    spec["matrices"]["A"][0][0] += 5
    after = next(p for p in grader.grade(spec, answer).parts if p.part == "1.1c")
    assert before.score == before.max_score and after.score < after.max_score


ALPHABET = st.sampled_from(list("0123456789+-*/^_{}()[],.=&;| xIKPSDABCpE") +
                           [r"\frac", r"\sum", r"\max", r"\infty", r"\to", r"\partial", r"\cdot", r"\exp",
                            r"\log", r"\left(", r"\right)", "A_{11}", "B_{12}", "C_{21}", r"\\", "^{", "!"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.lists(ALPHABET, max_size=25).map("".join), min_size=9, max_size=9))
def test_random_text_in_every_part_is_graded(texts):
    parts = [p.part for p in grader.grade(None, PERFECT).parts]
    answers = dict(zip(parts, texts))
    answers["1.1d"] = {"A_{11}": texts[3], "A_{12}": texts[4]}
    result = grader.grade(None, {"student": "fuzz", "answers": answers})
    assert [p.part for p in result.parts] == parts
    assert all(0 <= p.score <= p.max_score for p in result.parts)
    assert not any("internal error" in p.feedback for p in result.parts)
