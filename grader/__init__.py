"""grader: scores student answers against the spec.

>>> from grader import grade, parse
>>> parse("B11 + B12")
B_11 + B_12
>>> grade(None, {"student": "ada", "answers": {"1.1a": "3x3"}}).parts[0].score
1.0
"""

from grader.errors import GraderError, ParseError

# after the submodule import, the name `grade` is rebound to the function (the submodule stays importable)
from grader.grade import Grader, grade  # noqa: E402, I001
from grader.parse import parse
from grader.result import PartResult, Result

__all__ = ["Grader", "GraderError", "ParseError", "PartResult", "Result", "grade", "parse"]
