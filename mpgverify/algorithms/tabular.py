"""Shared pieces of the tabular softmax algorithms: the frozen state, its initialization, the
argument checks, and the ascent step ``θⁱ_{t+1} = θⁱ_t + η dⁱ(θ_t)`` that PG (3), NPG (4) and their
sample-based versions share (each supplies its direction dⁱ)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch

from mpgverify.algorithms.api import Algorithm
from mpgverify.arrays import DTYPE
from mpgverify.errors import FormatError
from mpgverify.game import Game
from mpgverify.policy import softmax_policy

__all__ = [
    "TabularState",
    "ascend",
    "check_lam",
    "check_lr",
    "init_theta",
    "member_normals",
    "tabular_ascent",
    "tabular_policy",
]


class TabularState(NamedTuple):
    """Frozen state of a tabular softmax run.

    Attributes:
      theta: θ, one ``[B, S, Aⁱ]`` tensor per agent.
      t: iterations done.
    """

    theta: tuple[torch.Tensor, ...]
    t: int


def member_normals(
    seed: int, batch: int, shapes: Sequence[tuple[int, ...]], *, scale: float, device: torch.device
) -> list[torch.Tensor]:
    """``scale · N(0, 1)`` draws of each shape for a batch of runs, ``[batch, *shape]`` each.

    Member b draws from its own generator seeded ``seed + b``, so member b of a batch starting at
    ``seed`` equals the lone run with seed ``seed + b`` (a curve's ``seed`` column re-runs alone)."""
    members = []
    for b in range(batch):
        gen = torch.Generator().manual_seed((int(seed) + b) % 2**63)
        members.append([scale * torch.randn(*shape, generator=gen, dtype=DTYPE) for shape in shapes])
    return [torch.stack([m[k] for m in members]).to(device) for k in range(len(shapes))]


def init_theta(game: Game, *, seed: int, batch: int, init: str = "normal", scale: float = 1.0) -> TabularState:
    """θ₀ ~ N(0, scale²) per entry (Section 5: N(0, 1)), or ``init="zeros"`` (θ₀ = 0, Thm 3.6); batch
    member b is the run of seed ``seed + b`` (:func:`member_normals`)."""
    if batch < 1:
        raise FormatError("batch", f"must be ≥ 1, got {batch}")
    if init == "zeros":
        theta = tuple(torch.zeros(batch, game.n_states, n, dtype=DTYPE, device=game.mu.device) for n in game.n_actions)
    elif init == "normal":
        shapes = [(game.n_states, n) for n in game.n_actions]
        theta = tuple(member_normals(seed, batch, shapes, scale=scale, device=game.mu.device))
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


def check_lam(lam: float) -> float:
    if not (isinstance(lam, (int, float)) and lam >= 0):
        raise FormatError("lam", f"must be ≥ 0, got {lam!r}")
    return float(lam)


def ascend(theta: Sequence[torch.Tensor], direction: Sequence[torch.Tensor], lr: float) -> tuple[torch.Tensor, ...]:
    """``θⁱ + η dⁱ`` for every agent i (one fused call over the agents' tensors)."""
    if len(theta) != len(direction):
        raise ValueError(f"{len(theta)} parameter tensors but {len(direction)} directions")
    return tuple(torch._foreach_add(list(theta), list(direction), alpha=lr))


def tabular_ascent(
    name: str,
    direction: Callable[[Game, tuple[torch.Tensor, ...]], tuple[torch.Tensor, ...]],
    *,
    lr: float,
    init: str,
    init_scale: float,
    options: Mapping[str, Any],
    promises: Any,
) -> Algorithm:
    """An exact tabular ascent ``θ_{t+1} = θ_t + η d(θ_t)`` as an :class:`Algorithm` over
    :class:`TabularState` (``direction(game, θ)``: one ``[B, S, Aⁱ]`` per agent)."""

    def step(game: Game, state: TabularState) -> TabularState:
        return TabularState(theta=ascend(state.theta, direction(game, state.theta), lr), t=state.t + 1)

    return Algorithm(
        name=name,
        init=lambda game, *, seed, batch: init_theta(game, seed=seed, batch=batch, init=init, scale=init_scale),
        step=step,
        policy=tabular_policy,
        options=dict(options),
        promises=promises,
    )
