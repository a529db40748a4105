"""Vectorized Monte Carlo estimators with random horizons (unbiased, no truncation bias in law).

* ``s ~ (1−γ) d^π_μ``: start at s₀ ~ μ and stop after each step with probability 1 − γ.
* ``Q̂ⁱ(s, a)``: start in s with joint action a, then follow π, summing *undiscounted* rewards
  until a stop that happens after each step with probability 1 − γ:
  ``E[Σ_{t≤T} r_t] = Σ_t γᵗ E[r_t] = Qⁱ(s, a)`` (Zhang et al. 2020, random-horizon estimator).
* REINFORCE with a baseline: ``∇_{θⁱ}Vⁱ(μ) = 1/(1−γ) · E_{s~(1−γ)d, a~π}[∇_{θⁱ} log πⁱ(aⁱ|s) (Q̂ⁱ(s,a) − V̂ⁱ(s))]``
  with ``∂ log πⁱ(aⁱ|s)/∂θⁱ_{s',b} = 1[s = s'](1[b = aⁱ] − πⁱ(b|s))`` and V̂ⁱ(s) an independent
  rollout from s (so the baseline adds no bias).

Runs are simulated as tensors ``[B, M]`` (batch of policies × samples). A horizon cap of
``ceil(60/(1−γ))`` steps leaves a survival probability below e⁻⁶⁰.
"""

from __future__ import annotations

import math

import torch

from mpgverify.arrays import DTYPE
from mpgverify.game import MarkovGame

__all__ = ["reinforce_gradients", "rollout_returns", "sample_actions", "sample_rows", "sample_visited_states"]


def sample_rows(weights: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One index per row of ``weights`` ``[..., K]`` (inverse CDF)."""
    u = torch.rand((*weights.shape[:-1], 1), generator=gen, dtype=weights.dtype)
    cdf = weights.cumsum(-1)
    return torch.searchsorted(cdf, u * cdf[..., -1:]).squeeze(-1).clamp_max(weights.shape[-1] - 1)


def sample_actions(probs: tuple[torch.Tensor, ...], states: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Per-agent actions ``[B, M, N]`` for states ``[B, M]`` under the product policy ``[B, S, Aⁱ]``."""
    B = states.shape[0]
    rows = torch.arange(B)[:, None]
    return torch.stack([sample_rows(p[rows, states], gen) for p in probs], dim=-1)


def _joint_index(game: MarkovGame, actions: torch.Tensor) -> torch.Tensor:
    idx = torch.zeros(actions.shape[:-1], dtype=torch.long)
    for i, n in enumerate(game.n_actions):
        idx = idx * n + actions[..., i]
    return idx


def _cap(game: MarkovGame) -> int:
    return math.ceil(60 / (1 - game.gamma)) if game.gamma > 0 else 1


def sample_visited_states(
    game: MarkovGame, probs: tuple[torch.Tensor, ...], M: int, gen: torch.Generator
) -> torch.Tensor:
    """``[B, M]`` states drawn from the normalized visitation ``(1−γ) d^π_μ``."""
    B = probs[0].shape[0]
    states = sample_rows(game.mu.expand(B, M, -1), gen)
    alive = torch.ones(B, M, dtype=torch.bool)
    for _ in range(_cap(game)):
        alive &= torch.rand(B, M, generator=gen, dtype=DTYPE) < game.gamma
        if not bool(alive.any()):
            break
        a = _joint_index(game, sample_actions(probs, states, gen))
        nxt = sample_rows(game.P[states, a], gen)
        states = torch.where(alive, nxt, states)
    return states


def rollout_returns(
    game: MarkovGame,
    probs: tuple[torch.Tensor, ...],
    states: torch.Tensor,
    first_actions: torch.Tensor | None,
    gen: torch.Generator,
) -> torch.Tensor:
    """Random-horizon returns ``[B, M, N]`` from ``states`` ``[B, M]``, unbiased for Qⁱ(s, a) when
    ``first_actions`` (per-agent, ``[B, M, N]``) is given and for Vⁱ(s) when it is None."""
    B, M = states.shape
    total = torch.zeros(B, M, game.n_agents, dtype=DTYPE)
    alive = torch.ones(B, M, dtype=torch.bool)
    actions = sample_actions(probs, states, gen) if first_actions is None else first_actions
    for _ in range(_cap(game)):
        a = _joint_index(game, actions)
        total += alive[..., None] * game.R[:, states, a].permute(1, 2, 0)
        alive &= torch.rand(B, M, generator=gen, dtype=DTYPE) < game.gamma
        if not bool(alive.any()):
            break
        states = torch.where(alive, sample_rows(game.P[states, a], gen), states)
        actions = sample_actions(probs, states, gen)
    return total


def reinforce_gradients(
    game: MarkovGame, probs: tuple[torch.Tensor, ...], M: int, gen: torch.Generator, baseline: bool = True
) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """Per-sample REINFORCE gradients of every ``Vⁱ(μ)`` w.r.t. θⁱ.

    Returns ``(mean, per_sample)``: ``mean[i]`` ``[B, S, Aⁱ]`` and ``per_sample[i]``
    ``[B, M, S, Aⁱ]`` (for standard errors).
    """
    s = sample_visited_states(game, probs, M, gen)
    a = sample_actions(probs, s, gen)
    q = rollout_returns(game, probs, s, a, gen)
    if baseline:
        q = q - rollout_returns(game, probs, s, None, gen)
    B = s.shape[0]
    rows = torch.arange(B)[:, None]
    per_sample = []
    for i, p in enumerate(probs):
        score = torch.nn.functional.one_hot(a[..., i], p.shape[-1]).to(DTYPE) - p[rows, s]  # [B, M, Aⁱ]
        g = torch.zeros(B, M, game.n_states, p.shape[-1], dtype=DTYPE)
        g[rows, torch.arange(M)[None, :], s] = score * q[..., i : i + 1] / (1 - game.gamma)
        per_sample.append(g)
    return tuple(g.mean(dim=1) for g in per_sample), tuple(per_sample)
