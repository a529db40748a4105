"""Fixed suites of seeded games for checking a user's algorithm (``mpgverify check-algorithm``)."""

from __future__ import annotations

from collections.abc import Callable

from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from randomgames.generators import coordination_game, dummy_term_game, identical_interest_game

__all__ = ["algorithm_test_games"]


def algorithm_test_games(count: int, *, seed: int = 0, max_actions: int = 4) -> list[MarkovGame]:
    """``count`` MPGs in turn: identical-interest (2 agents, 2 states, γ = 0.9), dummy-term (3 agents,
    2 states, γ = 0.8, dummy terms in [0, 1]) and the coordination game (N = 2); rewards in [0, 1],
    full-support μ; every agent has 2, 3, …, ``max_actions`` actions in turn (an error on a higher
    action index shows).

    Args:
      count: number of games (≥ 1).
      seed: the k-th game is drawn from seed ``seed + k``.
      max_actions: the largest action count (≥ 2).
    """
    if count < 1:
        raise FormatError("--games", f"must be ≥ 1, got {count}")
    if max_actions < 2:
        raise FormatError("--max-actions", f"must be ≥ 2, got {max_actions}")

    def actions(k: int) -> int:
        return 2 + (k // 3) % (max_actions - 1)

    makers: list[Callable[[int], MarkovGame]] = [
        lambda k: identical_interest_game(seed=seed + k, n_agents=2, n_states=2, n_actions=actions(k), gamma=0.9),
        lambda k: dummy_term_game(
            seed=seed + k, n_agents=3, n_states=2, n_actions=actions(k), gamma=0.8, dummy_range=(0.0, 1.0)
        ),
        lambda k: coordination_game(2, gamma=0.9),
    ]
    return [makers[k % len(makers)](k) for k in range(count)]
