"""Estimate the time and memory of a job before doing it, and refuse one past the budget.

A job is counted in *exact-evaluation equivalents*: one batched exact policy evaluation of the game
(:func:`mpgverify.solvers.evaluation.evaluate` on ``batch`` policies), whose time is measured on this game
and batch (:func:`seconds_per_evaluation`, three small calls), plus raw floating-point work at
:data:`FLOPS` for what is not an evaluation (a network's layers, Monte Carlo rollouts). So

    time ≈ evaluations · t_eval + flops / FLOPS,        memory ≈ the largest tensors held at once,

and :func:`require_cost` refuses, with one line giving the estimate and naming the option to lower,
a job above ``MPGVERIFY_TIME_LIMIT`` (seconds, or with ``s``/``min``/``h``; default 1 h) or above the
memory budget (:func:`mpgverify.memory.require_memory`). The estimate is meant within a factor of a
few: it guards against K = 10⁹, not against a minute too many.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass

from mpgverify.errors import MpgverifyError
from mpgverify.game import Game
from mpgverify.memory import require_memory
from mpgverify.progress import format_seconds

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "FLOPS",
    "Cost",
    "CostError",
    "estimate_seconds",
    "require_cost",
    "seconds_per_evaluation",
    "time_budget",
]

#: the default time budget of one command (``MPGVERIFY_TIME_LIMIT`` changes it)
DEFAULT_TIME_LIMIT_S = 3600.0
#: floating-point operations per second assumed for work that is not an exact evaluation (one core, float64)
FLOPS = 1e9
_UNITS = {"": 1.0, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


class CostError(MpgverifyError):
    """The job asked for would take longer than the time budget allows."""


@dataclass(frozen=True)
class Cost:
    """What a job needs: ``evaluations`` exact-evaluation equivalents, ``flops`` other work, ``bytes``
    held at once; ``detail`` says where the count comes from, ``lower`` which option to lower."""

    evaluations: float = 0.0
    flops: float = 0.0
    bytes: int = 0
    detail: str = ""
    lower: str = ""

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.evaluations + other.evaluations,
            self.flops + other.flops,
            max(self.bytes, other.bytes),
            "; ".join(x for x in (self.detail, other.detail) if x),
            " or ".join(dict.fromkeys(x for x in (self.lower, other.lower) if x)),
        )

    def times(self, n: float, what: str) -> Cost:
        """This cost ``n`` times over (``what``: the count, for the detail)."""
        return Cost(self.evaluations * n, self.flops * n, self.bytes, f"{what} × ({self.detail})", self.lower)


def time_budget() -> float:
    """Seconds one command may take: ``MPGVERIFY_TIME_LIMIT`` (``90``, ``30s``, ``10min``, ``2h``), else 1 h."""
    text = os.environ.get("MPGVERIFY_TIME_LIMIT", "").strip()
    if not text:
        return DEFAULT_TIME_LIMIT_S
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(s|min|h|d)?", text)
    value = float(m.group(1)) * _UNITS[m.group(2) or ""] if m else math.nan
    if not (math.isfinite(value) and value > 0):
        raise MpgverifyError(f"MPGVERIFY_TIME_LIMIT: must read like 90, 30s, 10min or 2h, got {text!r}")
    return value


_MEASURED: dict[tuple[int, int, str], float] = {}


def seconds_per_evaluation(game: Game, batch: int) -> float:
    """Measured seconds of one exact evaluation of ``batch`` uniform policies of ``game`` (best of 3)."""
    from mpgverify.policy import uniform_policy
    from mpgverify.solvers.evaluation import evaluate

    key = (id(game), batch, str(game.mu.device))
    if key not in _MEASURED:
        probs = tuple(p.expand(batch, *p.shape) for p in uniform_policy(game))
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            evaluate(game, probs)
            best = min(best, time.perf_counter() - start)
        _MEASURED[key] = best
    return _MEASURED[key]


def estimate_seconds(cost: Cost, game: Game, batch: int) -> float:
    """Seconds ``cost`` is estimated to take on ``game`` with batches of ``batch`` (module docstring)."""
    per = seconds_per_evaluation(game, batch) if cost.evaluations else 0.0
    return cost.evaluations * per + cost.flops / FLOPS


def require_cost(cost: Cost, game: Game, batch: int, what: str) -> float:
    """Refuse ``cost`` (one line: the estimate, where it comes from, the option to lower) when it needs
    more memory or time than the budgets; returns the estimated seconds."""
    lower = f"; lower {cost.lower}" if cost.lower else ""
    require_memory(cost.bytes, f"{what} ({cost.detail}{lower})")
    per = seconds_per_evaluation(game, batch) if cost.evaluations else 0.0
    seconds = estimate_seconds(cost, game, batch)
    budget = time_budget()
    if not seconds <= budget:
        raise CostError(
            f"{what} would take about {format_seconds(seconds)} ({cost.detail}; {per * 1e3:.2g} ms per exact "
            f"evaluation here), above the time budget of {format_seconds(budget)}{lower}, or raise "
            "MPGVERIFY_TIME_LIMIT"
        )
    return seconds
