"""Small games whose quantities are worked out by hand in the tests that use them."""

from __future__ import annotations

import torch

from mpgverify import MarkovGame


def switch_mdp(gamma: float = 0.5) -> MarkovGame:
    """One agent, two states, action 0 stays and action 1 switches; r(0, ·) = 0, r(1, ·) = 1; μ uniform."""
    stay = torch.eye(2, dtype=torch.float64)
    switch = stay.flip(0)
    transition = torch.stack([stay, switch], dim=1)  # [s, a, s']
    rewards = torch.tensor([[[0.0, 0.0], [1.0, 1.0]]], dtype=torch.float64)
    return MarkovGame(
        gamma=gamma,
        n_actions=(2,),
        mu=[0.5, 0.5],
        transition=transition,
        rewards=rewards,
        potential=rewards[0],
        name="switch-mdp",
    )


def matrix_coordination(gamma: float = 0.5) -> MarkovGame:
    """Two agents, one state, identical payoff [[2, 0], [0, 1]]."""
    payoff = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    return MarkovGame(
        gamma=gamma,
        n_actions=(2, 2),
        mu=[1.0],
        transition=torch.ones(1, 2, 2, 1, dtype=torch.float64),
        rewards=payoff.expand(2, 1, 2, 2).clone(),
        potential=payoff[None].clone(),
        name="matrix-coordination",
    )


def smooth_only_as_a_whole() -> MarkovGame:
    """One agent, two states, a state-only kernel Q = [[0.9, 0.1], [0.9, 0.1]], γ = 0.9, rewards
    r(0, ·) = (1, 0.5), r(1, ·) = (0.2, −0.1). At α = 2 the stage gaps are m₀(β) = −1 + 0.5β and
    m₁(β) = −0.2 − 0.1β (β ≥ 0): no β makes every stage smooth, yet D m(β) ≥ 0 (Def 4.2 for the whole
    game) for β large enough — the counterexample to deciding smoothness state by state."""
    Q = torch.tensor([[0.9, 0.1], [0.9, 0.1]], dtype=torch.float64)
    return MarkovGame(
        gamma=0.9,
        n_actions=(2,),
        mu=torch.tensor([0.5, 0.5], dtype=torch.float64),
        transition=Q[:, None, :].expand(2, 2, 2).clone(),
        rewards=torch.tensor([[[1.0, 0.5], [0.2, -0.1]]], dtype=torch.float64),
    )


def mpg_or_roundoff(result) -> bool:
    """A :func:`mpgverify.solvers.mpg_check.check_mpg` verdict of a game built as an MPG in floats: "MPG", or
    "undecided at this precision" because its 4-cycles, summed in rationals, miss 0 by round-off only
    (the generators' sums φ + uⁱ round; the checker never calls such a game "not an MPG")."""
    return bool(result.is_mpg) or (result.is_mpg is None and "round-off" in result.note)
