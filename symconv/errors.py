"""Typed errors: one root per package, small subclasses that carry context.

Every error reaches a user as one line (``str(err)``) and a non-zero exit code; the CLI never shows a traceback.
"""

from __future__ import annotations


class SymconvError(Exception):
    """Root of every error the engine raises on purpose."""


class ConfigError(SymconvError, ValueError):
    """An invalid convolution or pooling configuration (names the argument and the allowed range).

    >>> str(ConfigError("stride", "must be an integer >= 1", 0))
    'stride: must be an integer >= 1 (got 0)'
    """

    def __init__(self, argument: str, requirement: str, got: object = None):
        self.argument = argument
        self.requirement = requirement
        self.got = got
        suffix = "" if got is None else f" (got {got!r})"
        super().__init__(f"{argument}: {requirement}{suffix}")


class VerificationError(SymconvError):
    """A symbolic result disagrees with the numeric evaluator; names the entry."""

    def __init__(self, what: str, entry: str, symbolic: float, numeric: float):
        self.what, self.entry, self.symbolic, self.numeric = what, entry, symbolic, numeric
        super().__init__(f"verification failed for {what} at {entry}: symbolic {symbolic!r} != numeric {numeric!r}")


class SpecError(SymconvError):
    """A problem spec that cannot be used; names the file and the key."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")
