"""grader: scores student answers against the spec.

The public functions are named apart from the modules, so that no attribute shadows a submodule: ``grade`` is the
function (its module is ``grader.grading``) and ``parse_answer`` reads one answer (its package is ``grader.parse``).

>>> from grader import grade, parse_answer
>>> parse_answer("B11 + B12")
B_11 + B_12
>>> grade(None, {"student": "ada", "answers": {"1.1a": "3x3"}}).parts[0].score
1.0
"""

from grader.errors import GraderError, ParseError
from grader.grading import Grader, grade
from grader.parse import parse as parse_answer
from grader.result import PartResult, Result

__all__ = ["Grader", "GraderError", "ParseError", "PartResult", "Result", "grade", "parse_answer"]
