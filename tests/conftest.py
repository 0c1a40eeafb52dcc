"""Shared fixtures: the homework's A and B, and torch in float64 (the oracle)."""

from __future__ import annotations

import os
import shutil

import pytest
import torch

HOMEWORK_A = [[4, 5, 2, 2, 1], [3, 3, 2, 2, 4], [4, 3, 4, 1, 1], [5, 1, 4, 1, 2], [5, 1, 3, 1, 4]]
HOMEWORK_B = [[4, 3, 3], [5, 5, 5], [2, 4, 3]]


def tensor(values, *, grad: bool = False) -> torch.Tensor:
    """A float64 torch tensor (for the oracle), optionally requiring grad."""
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


@pytest.fixture
def homework_a() -> list[list[int]]:
    return [row[:] for row in HOMEWORK_A]


@pytest.fixture
def homework_b() -> list[list[int]]:
    return [row[:] for row in HOMEWORK_B]


def pytest_sessionstart(session):
    """In CI the documents must really compile: a missing TeX Live fails the run instead of skipping tests."""
    tools = ("latexmk", "pdflatex", "pdftotext", "pdftoppm")
    if os.environ.get("CI") and not all(shutil.which(t) for t in tools):
        raise pytest.UsageError(f"CI needs TeX Live ({', '.join(tools)}); `make tex` installs it as root")
