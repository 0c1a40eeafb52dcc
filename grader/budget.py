"""Time budgets inside one grading process, by SIGALRM (the batch's hard budget kills the whole worker).

Budgets nest: an inner budget never outlasts the one around it, and when it ends the outer one resumes with what
it has left.

>>> import time
>>> try:
...     with time_limit(0.05):
...         time.sleep(1)
... except OutOfTime:
...     print("stopped")
stopped
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from grader.errors import OutOfTime

__all__ = ["OutOfTime", "available", "time_limit"]


def available() -> bool:
    """Budgets work only in the main thread of a process on a platform with setitimer."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise OutOfTime in the block after ``seconds``; where budgets are unavailable, raise it at once."""
    if not available():
        raise OutOfTime
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()

    def stop(signum: int, frame: Any) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:  # the outer budget goes on with what it has left (and fires at once if it is spent)
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - start), 1e-4))
