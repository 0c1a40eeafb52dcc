"""grader: scores student answers against the spec."""

from grader.parse import parse

__all__ = ["parse"]
