"""Refuse work that cannot fit in memory before allocating it.

A batch of exact evaluations of a dense game holds, per batch member, the action values
``Q`` ``[N, S, |A|]``, the joint policy ``[S, |A|]``, the transition under π ``[S, S]`` and, for
best responses, each agent's induced MDP ``[S, Aⁱ, S]``; :func:`evaluation_bytes` counts them (with
room for temporaries) and :func:`require_memory` compares against the budget: ``MPGVERIFY_MEMORY_LIMIT``
(bytes, or with a ``K``/``M``/``G`` suffix) when set, else three quarters of the memory available now
(read at most every :data:`AVAILABLE_TTL` seconds).
"""

from __future__ import annotations

import functools
import math
import os
import time
from pathlib import Path
from typing import Any

from mpgverify.errors import MpgverifyError

__all__ = [
    "MemoryLimitError",
    "evaluation_bytes",
    "memory_budget",
    "parse_bytes",
    "recording_bytes",
    "require_memory",
]

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
#: temporaries beside the tensors counted (solves, einsum outputs, gradients)
_HEADROOM = 3


class MemoryLimitError(MpgverifyError):
    """The work asked for would need more memory than the budget allows."""


def parse_bytes(text: str, name: str) -> int:
    """``4G``, ``512M``, ``1.5K`` or a plain count of bytes, as an integer; one line naming ``name`` else."""
    t = text.strip().upper().removesuffix("B")
    unit = t[-1] if t and t[-1] in _UNITS else ""
    try:
        value = float(t[: len(t) - len(unit)])
    except ValueError:
        raise MpgverifyError(f"{name}: must read like 4G or 512M, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value < 2**63 / _UNITS[unit]):
        raise MpgverifyError(f"{name}: must be a positive size below 8 EiB, got {text!r}")
    return int(value * _UNITS[unit])


def memory_budget() -> int:
    """Bytes a single job may use (see the module docstring)."""
    text = os.environ.get("MPGVERIFY_MEMORY_LIMIT", "").strip()
    if text:
        return parse_bytes(text, "MPGVERIFY_MEMORY_LIMIT")
    now = time.monotonic()
    if now - _AVAILABLE[0] > AVAILABLE_TTL:  # /proc/meminfo read at most every AVAILABLE_TTL seconds
        _AVAILABLE[:] = [now, _available()]
    return int(_AVAILABLE[1])


#: seconds a reading of the memory available is used before it is read again: the hunter asks before
#: every small solve, and reading /proc/meminfo costs ~25 µs, a good part of such a solve
AVAILABLE_TTL = 0.5
_AVAILABLE: list[float] = [-math.inf, 0.0]  # [when read (monotonic), the budget read]


def _available() -> int:
    """Three quarters of the memory available now."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 * 3 // 4
    except OSError:
        pass
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")) * 3 // 4


def evaluation_bytes(n_agents: int, n_states: int, n_actions: tuple[int, ...], batch: int) -> int:
    """Bytes of a batch of ``batch`` exact evaluations and best responses of a dense game (float64)."""
    joint = 1
    for n in n_actions:
        joint *= n
    per_member = n_agents * n_states * joint + n_states * joint + n_states**2
    per_member += sum(n_states * n * n_states for n in n_actions)
    return 8 * _HEADROOM * batch * per_member


@functools.singledispatch
def recording_bytes(game: Any, batch: int) -> int:
    """Bytes of exact evaluations and best responses of ``batch`` policies of ``game`` (a dense game:
    :func:`evaluation_bytes`; a factored game registers its own count in :mod:`mpgverify.solvers.factored`)."""
    return evaluation_bytes(game.n_agents, game.n_states, game.n_actions, batch)


def require_memory(nbytes: int, what: str) -> None:
    """Raise :class:`MemoryLimitError` naming ``what`` when ``nbytes`` exceeds :func:`memory_budget`."""
    budget = memory_budget()
    if nbytes > budget:
        raise MemoryLimitError(
            f"{what} needs about {nbytes / 2**30:.3g} GiB, above this machine's budget of {budget / 2**30:.3g} GiB "
            "(set MPGVERIFY_MEMORY_LIMIT to change it, or ask for less)"
        )
