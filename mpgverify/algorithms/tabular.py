"""Shared pieces of the tabular softmax algorithms: the frozen state and its initialization."""

from __future__ import annotations

from typing import NamedTuple

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy

__all__ = ["TabularState", "check_lr", "init_theta", "tabular_policy"]


class TabularState(NamedTuple):
    """Frozen state of a tabular softmax run.

    Attributes:
      theta: θ, one ``[B, S, Aⁱ]`` tensor per agent.
      t: iterations done.
    """

    theta: tuple[torch.Tensor, ...]
    t: int


def init_theta(game: MarkovGame, *, seed: int, batch: int, init: str = "normal", scale: float = 1.0) -> TabularState:
    """θ₀ ~ N(0, scale²) per entry (Section 5: N(0, 1)), or ``init="zeros"`` (θ₀ = 0, Thm 3.6)."""
    if batch < 1:
        raise FormatError("batch", f"must be ≥ 1, got {batch}")
    if init == "zeros":
        theta = tuple(torch.zeros(batch, game.n_states, n, dtype=DTYPE, device=game.mu.device) for n in game.n_actions)
    elif init == "normal":
        gen = torch.Generator().manual_seed(int(seed))
        theta = tuple(
            (scale * torch.randn(batch, game.n_states, n, generator=gen, dtype=DTYPE)).to(game.mu.device)
            for n in game.n_actions
        )
    else:
        raise FormatError("init", f"must be 'normal' or 'zeros', got {init!r}")
    return TabularState(theta=theta, t=0)


def tabular_policy(state: TabularState) -> tuple[torch.Tensor, ...]:
    """``softmax(θⁱ)`` per agent."""
    return softmax_policy(state.theta)


def check_lr(lr: float) -> float:
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise FormatError("lr", f"must be a positive number, got {lr!r}")
    return float(lr)
