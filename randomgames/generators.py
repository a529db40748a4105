"""Seeded random Markov games: ``identical_interest_game(seed=3, ...)`` draws one game of a class
from a seeded torch RNG through the class's builder (:mod:`randomgames.builders`, which the
Hypothesis strategies of :mod:`randomgames.strategies` call too); sizes are validated by
:class:`randomgames.sizes.GameSizes`, the rules the strategies use.

Common keyword arguments:
  n_agents, n_states, n_actions (an int for every agent, or one per agent), gamma.
  reward_range: ``(low, high)`` of rewards / potentials (``(0, 1)`` meets Lemma 3.2's premise).
  transitions: ``"random"`` (every row full support), ``"sparse"`` (rows on ≤ 2 states),
    ``"deterministic"`` (one-hot rows), or ``"action_independent"`` (P(s'|s, a) = P(s'|s)).
  mu: ``"uniform"``, ``"random"`` (full support) or ``"point"`` (mass on state 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mpgverify.builtin_games import coordination_game
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from randomgames.builders import (
    agent_term_dims,
    build_congestion,
    build_constant_offset,
    build_dummy_term,
    build_general_mpg,
    build_general_sum,
    build_identical_interest,
    build_positive_potential_mpg,
    build_statewise_potential,
    draw_dummies,
    draw_mu,
    draw_transition,
)
from randomgames.sizes import GameSizes
from randomgames.sources import Source, TorchSource

__all__ = [
    "congestion_game",
    "constant_offset_game",
    "coordination_game",
    "dummy_term_game",
    "general_mpg_game",
    "general_sum_game",
    "identical_interest_game",
    "normal_form_potential_game",
    "positive_potential_mpg_game",
    "statewise_potential_game",
]


def _actions(n_agents: int, n_actions: int | Sequence[int]) -> tuple[int, ...]:
    """Per-agent action counts, one entry per agent."""
    if isinstance(n_agents, int) and n_agents >= 1:
        acts = (n_actions,) * n_agents if isinstance(n_actions, int) else tuple(int(n) for n in n_actions)
        if len(acts) != n_agents:
            raise FormatError("n_actions", f"must have {n_agents} entries (one per agent), has {len(acts)}")
    else:
        acts = (n_actions,) if isinstance(n_actions, int) else tuple(n_actions)
    return acts


def _check(
    n_agents: int, n_states: int, acts: tuple[int, ...], gamma: float, reward_range: tuple[float, float]
) -> None:
    """The size rules of :class:`~randomgames.sizes.GameSizes` (one size), and an ordered reward range."""
    GameSizes.exactly(n_agents=n_agents, n_states=n_states, n_actions=min(acts, default=0), gamma=gamma)
    if not reward_range[0] <= reward_range[1]:
        raise FormatError("reward_range", f"must satisfy low ≤ high, got {reward_range}")


# -- plain seeded functions --------------------------------------------------------------------
def _frame(
    src: Source,
    n_agents: int,
    n_states: int,
    n_actions: int | Sequence[int],
    gamma: float,
    reward_range: tuple[float, float],
    transitions: str,
    mu: str,
) -> tuple[tuple[int, ...], torch.Tensor, torch.Tensor, torch.Tensor]:
    """(actions, φ-shaped draw, transition, μ): the parts every class shares."""
    acts = _actions(n_agents, n_actions)
    _check(n_agents, n_states, acts, gamma, reward_range)
    P = draw_transition(src, n_states, acts, transitions)
    m = draw_mu(src, n_states, mu)
    phi = src.uniform((n_states, *acts), *reward_range)
    return acts, phi, P, m


def identical_interest_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """Fully cooperative game ``rⁱ = φ``, any transitions (see :func:`build_identical_interest`)."""
    _, phi, P, m = _frame(TorchSource(seed), n_agents, n_states, n_actions, gamma, reward_range, transitions, mu)
    return build_identical_interest(phi, P, m, gamma, f"identical-interest-seed{seed}")


def dummy_term_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    dummy_range: tuple[float, float] = (-1.0, 1.0),
    mu: str = "uniform",
) -> MarkovGame:
    """General-sum MPG ``φ + uⁱ(s, a⁻ⁱ)``, action-independent transitions
    (:func:`randomgames.builders.build_dummy_term`)."""
    src = TorchSource(seed)
    acts, phi, P, m = _frame(src, n_agents, n_states, n_actions, gamma, reward_range, "action_independent", mu)
    return build_dummy_term(phi, draw_dummies(src, n_states, acts, dummy_range), P, m, gamma, f"dummy-term-seed{seed}")


def normal_form_potential_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.0,
    reward_range: tuple[float, float] = (0.0, 1.0),
    dummy_range: tuple[float, float] = (-1.0, 1.0),
) -> MarkovGame:
    """Single-state exact potential game ``rⁱ(a) = φ(a) + uⁱ(a⁻ⁱ)`` (Monderer & Shapley 1996):
    every exact potential game has this form, and with one state it is an MPG with potential φ."""
    game = dummy_term_game(
        seed=seed,
        n_agents=n_agents,
        n_states=1,
        n_actions=n_actions,
        gamma=gamma,
        reward_range=reward_range,
        dummy_range=dummy_range,
    )
    return game.replace(name=f"normal-form-potential-seed{seed}")


def general_mpg_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    agent_term_range: tuple[float, float] = (-1.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """Any MPG of the drawn kernel: φ in ``reward_range`` plus admissible agent terms with
    coefficients in ``agent_term_range`` (:func:`randomgames.builders.build_general_mpg`)."""
    src = TorchSource(seed)
    _, phi, P, m = _frame(src, n_agents, n_states, n_actions, gamma, reward_range, transitions, mu)
    z = [src.uniform((k,), *agent_term_range) for k in agent_term_dims(P, gamma)]
    return build_general_mpg(phi, z, P, m, gamma, f"general-mpg-seed{seed}")


def positive_potential_mpg_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.5,
    agent_term_range: tuple[float, float] = (-1.0, 1.0),
    mu: str = "uniform",
) -> MarkovGame:
    """An MPG meeting Assumption 4.6 with agent terms of either sign
    (:func:`randomgames.builders.build_positive_potential_mpg`)."""
    src = TorchSource(seed)
    acts, phi, P, m = _frame(src, n_agents, n_states, n_actions, gamma, (-1.0, 1.0), "action_independent", mu)
    return build_positive_potential_mpg(
        phi,
        draw_dummies(src, n_states, acts, agent_term_range),
        P.reshape(n_states, -1, n_states)[:, 0],
        src.uniform((n_states,), 0.05, 1.0),
        src.uniform((n_states,), 0.0, 1.0),
        m,
        gamma,
        f"positive-potential-mpg-seed{seed}",
    )


def constant_offset_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    offset_range: tuple[float, float] = (-1.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """General-sum MPG ``rⁱ = φ + cⁱ``, any transitions (:func:`randomgames.builders.build_constant_offset`)."""
    src = TorchSource(seed)
    _, phi, P, m = _frame(src, n_agents, n_states, n_actions, gamma, reward_range, transitions, mu)
    offsets = src.uniform((n_agents,), *offset_range)
    return build_constant_offset(phi, offsets, P, m, gamma, f"constant-offset-seed{seed}")


def statewise_potential_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    dummy_range: tuple[float, float] = (0.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """Non-MPG control: potential game in every state, action-dependent transitions
    (:func:`randomgames.builders.build_statewise_potential`)."""
    if transitions == "action_independent":
        raise FormatError("transitions", "a state-wise potential control needs action-dependent transitions")
    src = TorchSource(seed)
    acts, phi, P, m = _frame(src, n_agents, n_states, n_actions, gamma, reward_range, transitions, mu)
    return build_statewise_potential(
        phi, draw_dummies(src, n_states, acts, dummy_range), P, m, gamma, f"statewise-potential-seed{seed}"
    )


def general_sum_game(
    *,
    seed: int,
    n_agents: int = 2,
    n_states: int = 2,
    n_actions: int | Sequence[int] = 2,
    gamma: float = 0.9,
    reward_range: tuple[float, float] = (0.0, 1.0),
    transitions: str = "random",
    mu: str = "uniform",
) -> MarkovGame:
    """Independent random rewards per agent: a control, in general not an MPG."""
    src = TorchSource(seed)
    acts, _, P, m = _frame(src, n_agents, n_states, n_actions, gamma, reward_range, transitions, mu)
    rewards = src.uniform((n_agents, n_states, *acts), *reward_range)
    return build_general_sum(rewards, P, m, gamma, f"general-sum-seed{seed}")


def congestion_game(
    *,
    seed: int,
    n_agents: int = 3,
    n_facilities: int = 2,
    gamma: float = 0.9,
    crowding: bool = False,
    switch_prob: float = 0.5,
    relief: float = 0.5,
) -> MarkovGame:
    """Safe-distancing congestion game (:func:`randomgames.builders.build_congestion`) with facility weights drawn in
    [0.5, 1.5] for the safe state and scaled by ``relief`` in the distancing state."""
    if n_facilities < 1:
        raise FormatError("n_facilities", f"must be ≥ 1, got {n_facilities}")
    if n_agents < 1:
        raise FormatError("n_agents", f"must be ≥ 1, got {n_agents}")
    safe = TorchSource(seed).uniform((n_facilities,), 0.5, 1.5)
    weights = torch.stack([safe, relief * safe])
    return build_congestion(
        weights,
        n_agents,
        crowding=crowding,
        switch_prob=switch_prob,
        gamma=gamma,
        name=f"congestion{'-crowding' if crowding else ''}-seed{seed}",
    )
