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
