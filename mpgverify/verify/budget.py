"""A hunt's budget: a number of claim evaluations and/or wall-clock seconds, the Ctrl-C flag that
ends every running hunt at its next budget check, and the hard time limit that interrupts one
evaluation running past the seconds."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STOP_REQUESTED", "Budget", "hard_limit"]


#: Set by a Ctrl-C (:mod:`mpgverify.verify.execution`): a running hunt stops at its next budget check
#: and returns what it has, as if its budget were spent.
STOP_REQUESTED = threading.Event()


@dataclass
class Budget:
    evaluations: int | None
    seconds: float | None
    start: float = field(default_factory=time.perf_counter)
    used: int = 0

    def left(self, share: float = 1.0) -> bool:
        """Whether the budget (its ``share``) allows another evaluation."""
        if STOP_REQUESTED.is_set():
            return False
        if self.evaluations is not None and self.used >= share * self.evaluations:
            return False
        return self.seconds is None or time.perf_counter() - self.start < share * self.seconds

    def room(self, share: float = 1.0) -> int | None:
        """Evaluations left in the budget's ``share`` (None: a budget of seconds alone)."""
        if self.evaluations is None:
            return None
        return max(0, math.ceil(share * self.evaluations - self.used))


_MAX_TIMER = 1e8  # seconds (three years): a longer itimer overflows the platform's time_t


class _HardStop(BaseException):
    """Raised by SIGALRM when one evaluation runs past the time budget; a BaseException, so neither a
    claim's nor Hypothesis's ``except Exception`` swallows it."""


@contextlib.contextmanager
def hard_limit(seconds: float | None, search: Any) -> Iterator[None]:
    """Interrupt the search at ``seconds + max(1, seconds/10)`` even inside one slow evaluation (the
    budget is otherwise checked between evaluations), marking ``search.overran``. Main thread with
    SIGALRM only; elsewhere a no-op. ``search``: any object with an ``overran`` flag."""
    usable = (
        seconds is not None and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    )
    if not usable or seconds is None:
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _HardStop

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, min(seconds + max(1.0, seconds / 10), _MAX_TIMER))
    try:
        yield
    except _HardStop:
        search.overran = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
