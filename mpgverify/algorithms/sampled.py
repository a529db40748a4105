"""Sample-based PG and NPG (the abstract's exact vs sample-based comparison).

* ``sampled-pg``: θⁱ ← θⁱ + η ĝⁱ with ĝ the REINFORCE-with-baseline estimate of ∇_{θⁱ}Vⁱ(μ)
  from ``samples`` random-horizon rollouts (:mod:`mpgverify.algorithms.sampling`).
* ``sampled-npg``: soft policy iteration θⁱ ← θⁱ + η Âⁱ, with Q̂ⁱ(s, aⁱ) the mean of ``samples``
  rollouts started in s with agent i playing aⁱ and the others drawn from π⁻ⁱ, and
  ``Âⁱ(s, ·) = Q̂ⁱ(s, ·) − Σ_a πⁱ(a|s) Q̂ⁱ(s, a)``.

Batch member b draws step t from a generator seeded with (seed + b, t): a run is a pure function of
its seed, and member b of a batch is the lone run of seed ``seed + b``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from mpgverify.algorithms.api import Algorithm, register
from mpgverify.algorithms.promises import nothing_promised
from mpgverify.algorithms.sampling import reinforce_gradients, rollout_returns, sample_rows
from mpgverify.algorithms.tabular import ascend, check_lr, init_theta
from mpgverify.cost import Cost
from mpgverify.errors import FormatError
from mpgverify.game import Game, MarkovGame
from mpgverify.memory import recording_bytes
from mpgverify.policy import softmax_policy

__all__ = ["SampledState", "sampled_advantages", "sampled_npg", "sampled_pg"]


class SampledState(NamedTuple):
    """Attributes: theta (per agent ``[B, S, Aⁱ]``), t (steps done), seed (of the sampling stream)."""

    theta: tuple[torch.Tensor, ...]
    t: int
    seed: int


def _per_member(
    estimate: Callable[[tuple[torch.Tensor, ...], torch.Generator], tuple[torch.Tensor, ...]], state: SampledState
) -> tuple[torch.Tensor, ...]:
    """``estimate(probs, generator)`` for each batch member on its own stream (seed + b, t), stacked."""
    probs = softmax_policy(state.theta)
    rows = []
    for b in range(probs[0].shape[0]):
        gen = torch.Generator().manual_seed(((int(state.seed) + b) * 1_000_003 + state.t) % (2**63))
        rows.append(estimate(tuple(p[b : b + 1] for p in probs), gen))
    return tuple(torch.cat(parts) for parts in zip(*rows, strict=True))


def sampled_advantages(
    game: MarkovGame, probs: tuple[torch.Tensor, ...], samples: int, gen: torch.Generator
) -> tuple[torch.Tensor, ...]:
    """Monte Carlo local advantages Âⁱ(s, aⁱ), one ``[B, S, Aⁱ]`` per agent."""
    B, S = probs[0].shape[0], game.n_states
    out = []
    for i, n in enumerate(game.n_actions):
        starts = torch.arange(S).repeat_interleave(n * samples).expand(B, -1)  # [B, S·n·M]
        own = torch.arange(n).repeat_interleave(samples).repeat(S).expand(B, -1)
        rows = torch.arange(B)[:, None]
        first = torch.stack([own if j == i else sample_rows(p[rows, starts], gen) for j, p in enumerate(probs)], dim=-1)
        q = rollout_returns(game, probs, starts, first, gen)[..., i].reshape(B, S, n, samples).mean(-1)
        out.append(q - (probs[i] * q).sum(-1, keepdim=True))
    return tuple(out)


def _initializer(init: str) -> Callable[..., SampledState]:
    def init_fn(game: MarkovGame, *, seed: int, batch: int) -> SampledState:
        return SampledState(init_theta(game, seed=seed, batch=batch, init=init).theta, 0, seed)

    return init_fn


def _dense(game: Game, name: str) -> MarkovGame:
    """Rollouts draw from ``P(s'|s, a)`` itself: a dense game (:class:`~mpgverify.game.MarkovGame`)."""
    if not isinstance(game, MarkovGame):
        raise FormatError("GAME", f"{name} samples rollouts from the dense transition P(s'|s, a); use --repr dense")
    return game


def _rollout_cost(game: Game, batch: int, rollouts: int, samples: int) -> Cost:
    """``rollouts`` random-horizon rollouts per batch member (expected length 1/(1 − γ)), the members one
    after another: memory of one member's rollout tensors, work of all of them."""
    N, horizon = game.n_agents, 1.0 / (1.0 - game.gamma)
    per_element = 8 * (2 * N + 8)
    return Cost(
        2.0,
        50.0 * (N + 1) * horizon * rollouts * batch,
        max(per_element * rollouts, recording_bytes(game, batch)),
        f"{rollouts:.3g} rollouts of mean length {horizon:.3g} per step and seed",
        "--option samples",
    )


def _check_samples(samples: int) -> int:
    if isinstance(samples, bool) or not (isinstance(samples, int) and samples >= 1):
        raise FormatError("samples", f"must be an integer ≥ 1, got {samples!r}")
    return samples


def sampled_pg(*, lr: float = 0.1, samples: int = 64, baseline: bool = True, init: str = "normal") -> Algorithm:
    """REINFORCE-with-baseline policy gradient from ``samples`` rollouts per step and policy."""
    lr, samples = check_lr(lr), _check_samples(samples)

    def step(game: Game, state: SampledState) -> SampledState:
        dense = _dense(game, "sampled-pg")
        grads = _per_member(lambda p, gen: reinforce_gradients(dense, p, samples, gen, baseline)[0], state)
        return SampledState(ascend(state.theta, grads, lr), state.t + 1, state.seed)

    return Algorithm(
        "sampled-pg",
        _initializer(init),
        step,
        lambda s: softmax_policy(s.theta),
        options={"lr": lr, "samples": samples, "baseline": baseline, "init": init},
        promises=nothing_promised("a sample-based estimate of (3)/(4): the paper proves nothing for it"),
        cost=lambda game, batch: _rollout_cost(game, batch, samples, samples),
    )


def sampled_npg(*, lr: float = 0.1, samples: int = 16, init: str = "normal") -> Algorithm:
    """Soft policy iteration on Monte Carlo advantages (``samples`` rollouts per (s, aⁱ))."""
    lr, samples = check_lr(lr), _check_samples(samples)

    def step(game: Game, state: SampledState) -> SampledState:
        dense = _dense(game, "sampled-npg")
        adv = _per_member(lambda p, gen: sampled_advantages(dense, p, samples, gen), state)
        return SampledState(ascend(state.theta, adv, lr), state.t + 1, state.seed)

    return Algorithm(
        "sampled-npg",
        _initializer(init),
        step,
        lambda s: softmax_policy(s.theta),
        options={"lr": lr, "samples": samples, "init": init},
        promises=nothing_promised("a sample-based estimate of (3)/(4): the paper proves nothing for it"),
        cost=lambda game, batch: _rollout_cost(game, batch, game.n_states * max(game.n_actions) * samples, samples),
    )


register("sampled-pg", sampled_pg)
register("sampled-npg", sampled_npg)
