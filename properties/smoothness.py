"""Exact (α, β)-smoothness of Section 4 on games where it can be decided: shared by the Section 4
claim modules.

Two kinds of games (``docs/CLAIMS.md``, note under Section 4):

* one state: ``Vⁱ_π = rⁱ_π/(1−γ)`` for every π, and ``Σ_i rⁱ(π'ⁱ, π⁻ⁱ) − α r(π') + β r(π)`` is
  multilinear in the 2N mixed strategies, so its minimum over product policy pairs is attained at a
  pair of pure profiles — for rewards of either sign;
* several states with a state-only kernel: the law of ``s_t`` does not depend on the policy, so
  smoothness of every state's stage game with one (α, β) gives it for the Markov game at every s.

For a given α, each pure pair (a, a') of a state gives the linear constraint
``β · r(a) ≥ α r(a') − Σ_i rⁱ(a'ⁱ, a⁻ⁱ)`` (``r = Σ_i rⁱ``): a lower bound on β where r(a) > 0, an
upper bound where r(a) < 0. The valid β form an interval, possibly empty or unbounded; a witness
picks a point of it with ``beta_choice`` ∈ [0, 1) (0 = the smallest β, the strongest premise).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

from mpgverify.game import MarkovGame
from randomgames.perturb import is_action_independent

__all__ = [
    "Interval",
    "beta_interval",
    "feasible",
    "pick",
    "profile_pairs",
    "smoothness_constants",
    "smoothness_gap",
    "smoothness_not_established",
    "stage",
]

#: ``(low, high)`` with None for an unbounded side.
Interval = tuple[Fraction | None, Fraction | None]


def stage(game: MarkovGame, s: int = 0) -> dict[tuple[int, ...], list[Fraction]]:
    """Exact stage rewards ``rⁱ(s, a)`` of state ``s``, per pure profile a."""
    R = game.rewards[:, s]
    profiles = itertools.product(*(range(n) for n in game.n_actions))
    return {a: [Fraction(float(R[(i, *a)])) for i in range(game.n_agents)] for a in profiles}


def profile_pairs(
    r: dict[tuple[int, ...], list[Fraction]], n_agents: int
) -> Iterator[tuple[Fraction, Fraction, Fraction]]:
    """``(r(a), r(a'), Σ_i rⁱ(a'ⁱ, a⁻ⁱ))`` for every pair of pure profiles (a, a'), exact."""
    for a in r:
        for b in r:
            yield sum(r[a]), sum(r[b]), sum(r[(*a[:i], b[i], *a[i + 1 :])][i] for i in range(n_agents))


def feasible(constraints: Iterable[tuple[Fraction, Fraction]]) -> Interval | None:
    """``{x : c·x ≥ b for every (c, b)}`` as an interval, or None when it is empty."""
    lo: Fraction | None = None
    hi: Fraction | None = None
    for c, b in constraints:
        if c > 0:
            lo = b / c if lo is None else max(lo, b / c)
        elif c < 0:
            hi = b / c if hi is None else min(hi, b / c)
        elif b > 0:
            return None
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


def pick(interval: Interval, choice: Fraction) -> Fraction:
    """A point of ``interval`` from ``choice`` ∈ [0, 1): the low end at 0, moving toward the high end
    (or out to infinity, ``t/(1−t)`` away, on an unbounded side)."""
    lo, hi = interval
    if not 0 <= choice < 1:
        raise ValueError(f"a choice must lie in [0, 1), got {choice}")
    if lo is not None and hi is not None:
        return lo + choice * (hi - lo)
    far = choice / (1 - choice)
    if lo is not None:
        return lo + far
    if hi is not None:
        return hi - far
    return far


def smoothness_not_established(game: MarkovGame) -> str | None:
    """Why smoothness over all policy pairs cannot be decided exactly for ``game`` (None: it can)."""
    if game.n_states == 1 or is_action_independent(game):
        return None
    return "transitions depend on actions: smoothness over all policy pairs is not established exactly"


def _pairs(game: MarkovGame) -> Iterator[tuple[Fraction, Fraction, Fraction]]:
    for s in range(game.n_states):
        yield from profile_pairs(stage(game, s), game.n_agents)


def beta_interval(game: MarkovGame, alpha: Fraction) -> Interval | None:
    """Every β for which ``game`` is (α, β)-smooth by the stage-wise test (module docstring)."""
    assert smoothness_not_established(game) is None
    return feasible((total, alpha * total_b - lhs) for total, total_b, lhs in _pairs(game))


def smoothness_constants(game: MarkovGame, witness: dict[str, Any]) -> tuple[Fraction, Fraction] | str:
    """The witness's (α, β), exactly, β picked by ``beta_choice`` (default 0) in the valid interval;
    or why the premises fail."""
    if (reason := smoothness_not_established(game)) is not None:
        return reason
    alpha = Fraction(float(witness["alpha"]))
    interval = beta_interval(game, alpha)
    if interval is None:
        return f"no β makes the game (α, β)-smooth for α = {float(alpha):.4g}"
    return alpha, pick(interval, Fraction(float(witness.get("beta_choice", 0.0))))


def smoothness_gap(game: MarkovGame, alpha: Fraction, beta: Fraction, s: int = 0) -> Fraction:
    """``min_{a,a'} Σ_i rⁱ(a'ⁱ,a⁻ⁱ) − α r(a') + β r(a)`` at state s (≥ 0 iff its stage is (α, β)-smooth)."""
    return min(
        lhs - alpha * total_b + beta * total for total, total_b, lhs in profile_pairs(stage(game, s), game.n_agents)
    )
