"""A solution document's options, from the spec's ``document:`` section (and each part's ``reveal:``).

``detail: full | summary``
    every entry written out, or representative entries with the rule that gives the others stated;
``numbers: fractions | decimals`` and ``digits: n``
    exact fractions, or decimals rounded to ``n`` places (default 3);
``verification: show | hide``
    the notes on what was checked (SymPy, the float64 cross-checks) shown or left out.

A part with ``reveal: false`` is stated without its solution (a handout with some answers given).

>>> options = document_options({"detail": "summary", "numbers": "decimals", "digits": 2})
>>> options.summary, options.printer
(True, {'decimals': 2})
>>> document_options({}).printer
{}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symconv.errors import SpecError

_CHOICES = {"detail": ("full", "summary"), "numbers": ("fractions", "decimals"), "verification": ("show", "hide")}
MAX_DIGITS = 12


@dataclass(frozen=True)
class DocumentOptions:
    """The validated ``document:`` options (see the module docstring); ``document_options`` builds them."""
    detail: str = "full"
    numbers: str = "fractions"
    digits: int = 3
    verification: str = "show"

    @property
    def summary(self) -> bool:
        """Representative entries and the rule for the others, rather than every entry."""
        return self.detail == "summary"

    @property
    def verified_notes(self) -> bool:
        """Whether the notes on what was checked are shown."""
        return self.verification == "show"

    @property
    def printer(self) -> dict[str, Any]:
        """Settings for :func:`symconv.latex.latex` (numbers as decimals, when asked for)."""
        return {"decimals": self.digits} if self.numbers == "decimals" else {}


def document_options(section: dict[str, Any], where: str = "<spec>") -> DocumentOptions:
    """Validate a spec's ``document:`` mapping (unknown keys and values are a one-line SpecError)."""
    known = (*_CHOICES, "digits")
    for key in section:
        if key not in known:
            raise SpecError(where, f"document: unknown key {key!r} (known: {', '.join(known)})")
    values: dict[str, Any] = {}
    for key, choices in _CHOICES.items():
        if key in section:
            value = section[key]
            if value not in choices:
                raise SpecError(where, f"document.{key} must be {' or '.join(choices)}, not {value!r}")
            values[key] = value
    if "digits" in section:
        digits = section["digits"]
        if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= MAX_DIGITS:
            raise SpecError(where, f"document.digits must be an integer from 0 to {MAX_DIGITS}")
        values["digits"] = digits
    return DocumentOptions(**values)
