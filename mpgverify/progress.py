"""Progress with an ETA for every long job (``run``, ``figures``, ``claims``, ``hunt``).

On a terminal one line is redrawn in place; on anything else (a pipe, a file, a CI log) a plain line
is printed at most every ``every`` seconds and at the end, so a piped job is never silent for long:

    run npg-br: 12/400 (3%), 8.1 s elapsed, ETA 4 min 22 s
"""

from __future__ import annotations

import time
from typing import TextIO

from mpgverify.interrupts import raise_if_lost

__all__ = ["Progress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``4 min 22 s``, ``1 h 03 min``, ``8.1 s``; past 1000 hours ``762 years`` or ``4.1 days``."""
    if not seconds < 3.6e6:
        years = seconds / 3.156e7
        return f"{seconds / 86400:.3g} days" if years < 1 else f"{years:.3g} years"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class Progress:
    """Counts done units of ``total`` and reports on ``stream`` (None: silent).

    Args:
      label: what is running (``run npg-br``).
      total: units of work (iterations, configurations, claims).
      stream: where to write; a terminal gets a redrawn line, anything else periodic lines.
      every: seconds between lines when ``stream`` is not a terminal.
    """

    def __init__(self, label: str, total: int, stream: TextIO | None, *, every: float = 10.0) -> None:
        self.label, self.total, self.stream, self.every = label, max(total, 1), stream, every
        self.start = time.perf_counter()
        self.last_line = self.start
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.done = 0

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        share = 100 * self.done // self.total
        text = f"{self.label}: {self.done}/{self.total} ({share}%), {format_seconds(elapsed)} elapsed"
        if 0 < self.done < self.total:
            text += f", ETA {format_seconds(elapsed / self.done * (self.total - self.done))}"
        return text

    def update(self, done: int, note: str = "") -> None:
        """``done`` units finished; ``note`` (e.g. the claim just finished) is shown beside the count.
        A Ctrl-C that some library swallowed since the last unit is raised again here
        (:mod:`mpgverify.interrupts`), so a long job stops within one unit."""
        raise_if_lost()
        self.done = min(done, self.total)
        if self.stream is None:
            return
        now = time.perf_counter()
        text = self.line() + (f" — {note}" if note else "")
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if self.done == self.total else ""))
        elif note or self.done == self.total or now - self.last_line >= self.every:
            self.stream.write(text + "\n")
            self.last_line = now
        self.stream.flush()

    def advance(self, note: str = "") -> None:
        """One more unit finished."""
        self.update(self.done + 1, note)
