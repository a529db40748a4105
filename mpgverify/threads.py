"""How many intra-op threads torch uses: one for small tensors, every core for large ones.

The claims' games (≤ 3 agents × 3 actions × 3 states) make tensors of a few hundred numbers; each
torch call then costs microseconds of arithmetic and, with torch's default of one thread per core,
a wake-up of the thread pool. On a machine whose other core is busy that wake-up waits for the core:
``thm-3.8@step-e2`` took 350 ms an example against 15.8 ms with one thread (22×, issue 24). So every
entry point (the CLI, the ledger runner, the hunter, pool workers, replay) runs small work on one
thread, and work on a large game — a dense transition tensor of at least :data:`LARGE_ENTRIES`
numbers times the batch — keeps torch's default.

``MPGVERIFY_THREADS`` overrides the policy: a positive integer (that many threads, always), or
``auto`` (the default: the rule above).
"""

from __future__ import annotations

import math
import os

import torch

from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame

__all__ = ["LARGE_ENTRIES", "THREADS_ENV", "apply_thread_policy", "policy_threads", "work_entries"]

THREADS_ENV = "MPGVERIFY_THREADS"
#: from this many entries (batch × S × |A| × S) on, torch's default threads pay: ``benchmarks/threads.py``
#: on 2 cores, exact evaluation + Nash-gap of the dense coordination game, 2 threads ÷ 1 thread in time:
#: 1.0 up to n = 5 (32,768 entries), 0.8 at n = 6 (262,144) and 0.6 at n = 7 on a quiet machine; with
#: the other core busy 1.2, 0.9 and 1.3; on the claims' examples one thread is 1.0–2.5× faster (14.5×
#: for lemma-3.7@normalized-d) with the other core busy, and within 0.8–1.2× when it is quiet
LARGE_ENTRIES = 1 << 18
_DEFAULT_THREADS = torch.get_num_threads()  # torch's own choice at import: one per core


def _override() -> int | None:
    text = os.environ.get(THREADS_ENV, "auto").strip()
    if text in ("", "auto"):
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1024:
        raise FormatError(THREADS_ENV, f"must be 'auto' or an integer in [1, 1024], got {text!r}"[:200])
    return int(text)


def work_entries(game: object, batch: int = 1) -> int:
    """The size of the work on ``game`` that decides the policy: ``batch × S × |A| × S`` for a dense
    game, ``batch × S × Σ_i |Aⁱ| × S`` for a factored one (its local kernels), 0 when unknown."""
    S = int(getattr(game, "n_states", 0) or 0)
    actions = tuple(int(n) for n in getattr(game, "n_actions", ()) or ())
    if not S or not actions:
        return 0
    per_state = math.prod(actions) if isinstance(game, MarkovGame) else sum(actions)
    return batch * S * per_state * S


def policy_threads(entries: int = 0, *, threads_cap: int | None = None) -> int:
    """The thread count for work of ``entries`` numbers: ``MPGVERIFY_THREADS`` when set, else one
    below :data:`LARGE_ENTRIES` and torch's default (one per core) from there, at most ``threads_cap``
    (a pool worker's share of the cores)."""
    forced = _override()
    if forced is not None:
        return forced
    threads = _DEFAULT_THREADS if entries >= LARGE_ENTRIES else 1
    return threads if threads_cap is None else max(1, min(threads, threads_cap))


def apply_thread_policy(entries: int = 0, *, threads_cap: int | None = None) -> int:
    """Set torch's intra-op threads by :func:`policy_threads`; returns the count set."""
    threads = policy_threads(entries, threads_cap=threads_cap)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
