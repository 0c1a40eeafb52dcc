"""Ctrl-C and SIGTERM at the edges of a batch: held while a step must finish, and SIGTERM raised like Ctrl-C.

``deferred()`` holds SIGINT and SIGTERM for a short block (writing one file, forking and registering one worker)
so that the signal cannot land between two steps that must happen together; it is delivered when the block ends.
``sigterm_raises()`` turns SIGTERM into ``Terminated`` (a KeyboardInterrupt), so the same clean-up runs for both.

>>> import os, signal
>>> with sigterm_raises():
...     try:
...         with deferred():
...             os.kill(os.getpid(), signal.SIGTERM)
...             print("the block finishes first")
...     except Terminated:
...         print("then SIGTERM arrives")
the block finishes first
then SIGTERM arrives
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be (exit code 143 rather than 130)."""


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then deliver them to the handlers they would have met.

    The Python-level handlers are swapped for one that only notes the signal, rather than the signals blocked:
    a mask holds only the calling thread, and the kernel hands a process-directed signal to any thread that does
    not block it (a pytest-timeout watchdog, a thread pool), whose C handler would then still have Python raise
    in the main thread. Handlers run in the main thread alone, so elsewhere the block runs as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(caught):  # once each, in arrival order
            signal.raise_signal(signum)  # the restored handler raises here (or the default action ends the process)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated in the main thread; the previous handler comes back after."""
    def raise_terminated(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def reset_in_child() -> None:
    """In a forked worker (forked inside ``deferred``): Ctrl-C is the parent's to handle, SIGTERM kills."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
