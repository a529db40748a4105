"""Section 4's draws: smooth-decidable games, ε, α and β choices, and ε-ratio-Nash policies (Def 4.4)
built by maximum-gain ε-ratio-best-response dynamics over many games of one shape at once (issue 24,
deliverable 4).

An ε-ratio-Nash witness is drawn as a seed — the game, a start θ₀ (tails included), the reading the
dynamics stop under, how many steps to run, a blend toward uniform and ε — and built by
:func:`build_ratio_nash`: the dynamics (:func:`mpgverify.algorithms.br_dynamics.max_gain_step`, exact best
responses) from ``softmax(θ₀)`` for the drawn number of steps, each member stopping where it becomes
ε-ratio-Nash, then ``π ← (1 − t) π + t/|Aⁱ|``, and in three seeds of four with ``t > 0`` ε set just above
the least one that makes the blend ratio-Nash as used, ``ε* = max_i (bestⁱ − Vⁱ)/bestⁱ`` (when every
``bestⁱ > 0`` and ``0 < ε* < 0.9``). A seed alone runs as a batch of one, so alone or stacked a member
takes the same steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify.algorithms.br_dynamics import is_ratio_nash, max_gain_step
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import at_mu, state_values
from mpgverify.solvers.nash import nash_gap
from mpgverify.verify.claims import Example
from mpgverify.verify.construction import Construction
from properties.common import stacked_theta, theta_json
from randomgames.reuse import reused, sampled

__all__ = ["RATIO_NASH", "alphas", "build_ratio_nash", "choices", "epsilons", "ratio_nash_seeds", "smooth_games"]


def alphas(draw: Any) -> float:
    """α of either sign (Def 4.2 restricts neither α nor β): the round values, or any in [−1, 2]."""
    if draw(st.booleans()):
        return draw(sampled((1.0, 0.5, 0.25, -0.5)))
    return draw(st.floats(-1.0, 2.0))


def epsilons(draw: Any, high: float = 0.5) -> float:
    """ε of an ε-ratio-Nash policy over its range [0, 1): the closed end ε = 0 (ratio-Nash is then Nash),
    small values, and any in [0, ``high``]; shrinks to 0."""
    kind = draw(st.integers(0, 4))  # shrinks toward ε = 0
    return 0.0 if kind == 0 else draw(st.floats(0.0, 0.05)) if kind == 1 else draw(st.floats(0.05, high))


def choices(draw: Any) -> float:
    """A point of a valid interval (``beta_choice`` etc.): shrinks to 0, the interval's low end."""
    return draw(_CHOICES)


_CHOICES = st.one_of(st.just(0.0), st.floats(0.0, 0.99))


@reused
def smooth_games(max_states: int = 2) -> st.SearchStrategy[MarkovGame]:
    """General games whose smoothness can be decided exactly: one state or a state-only kernel;
    rewards in [−1, 1], drawn from sub-ranges so that every sign pattern of the joint totals
    r(s, a) = Σ_i rⁱ(s, a) occurs (smoothness is rare when the totals' signs mix: a = a' forces
    β ≥ α − 1 where r(a) > 0 and β ≤ α − 1 where r(a) < 0)."""
    kw: dict[str, Any] = dict(max_agents=3, max_states=max_states, max_actions=3, max_gamma=0.9)
    return st.one_of(
        *(
            rgs.general_sum_games(**kw, reward_range=rng, transitions=("action_independent",))
            for rng in ((0.1, 1.0), (-1.0, 1.0), (-0.3, 1.0), (-1.0, -0.1))
        )
    )


#: the blend's share: none (the closed end), or any in [0.05, 1] (drawn twice as often)
_BLEND = st.one_of(st.just(0.0), st.floats(0.05, 1.0), st.floats(0.05, 1.0))


@reused
def _steps_up_to(limit: int) -> st.SearchStrategy[int]:
    """The run's length: the whole ``limit``, or any count up to it."""
    return st.one_of(st.just(limit), st.integers(0, limit))


@st.composite
def _seeds(draw: Any) -> Example:
    game = draw(smooth_games())
    eps = epsilons(draw)
    theta = draw(rgs.logits(game, tails=True))
    reading = draw(sampled(("as-used", "as-written")))
    # run to the end, or stop early (the policy on the way is ratio-Nash less often, but when it is it is
    # rarely an exact Nash policy: the informative examples)
    limit = 4 * game.n_agents * max(game.n_actions) + 4
    steps = draw(_steps_up_to(limit))
    # blend toward uniform by t ∈ [0, ε] (0 apart): ratio-Nash policies that are not exact Nash policies
    t = draw(_BLEND) * max(eps, 0.1)
    constructive = t > 0 and draw(st.integers(0, 3)) > 0
    factor = draw(st.floats(1.0, 1.5)) if constructive else 1.0
    witness = {"theta": theta_json(theta), "eps": eps, "reading": reading, "steps": steps, "t": t}
    witness.update(constructive=constructive, factor=factor, alpha=alphas(draw), beta_choice=choices(draw))
    return Example(game, witness)


def ratio_nash_seeds() -> st.SearchStrategy[Example]:
    """Seeds of ε-ratio-Nash examples (module docstring): shrinking toward the smallest game, ε = 0,
    θ₀ = 0, the as-used reading, no steps, no blend, α = 1 and β at its interval's low end."""
    return _seeds()


def _run(batch: GameBatch, probs: tuple[torch.Tensor, ...], seeds: Sequence[Example]) -> tuple[torch.Tensor, ...]:
    """The dynamics of every member for its own number of steps, a member leaving once ratio-Nash."""
    eps = torch.tensor([float(s.witness["eps"]) for s in seeds], dtype=torch.float64)[:, None]
    used = torch.tensor([s.witness["reading"] == "as-used" for s in seeds])
    steps = [int(s.witness["steps"]) for s in seeds]
    out = list(probs)
    live = [k for k in range(len(seeds)) if steps[k] > 0]
    for t in range(max(steps, default=0)):
        live = [k for k in live if steps[k] > t]
        if not live:
            break
        idx = torch.tensor(live)
        sub = batch.select(live)
        e, u = eps[idx], used[idx]

        def ratio_nash(V: torch.Tensor, best: torch.Tensor, e: torch.Tensor = e, u: torch.Tensor = u) -> torch.Tensor:
            return torch.where(u, is_ratio_nash(V, best, e, "as-used"), is_ratio_nash(V, best, e, "as-written"))

        moved, done, _ = max_gain_step(
            sub, tuple(p[idx] for p in out), torch.zeros(len(live), dtype=torch.bool), ratio_nash
        )
        for i, p in enumerate(moved):
            out[i] = out[i].index_copy(0, idx, p)
        live = [k for k, d in zip(live, done.tolist(), strict=True) if not d]
    return tuple(out)


def _constructive_eps(batch: GameBatch, blended: tuple[torch.Tensor, ...], seeds: Sequence[Example]) -> list[float]:
    """Each member's ε: just above ``ε* = max_i (bestⁱ − Vⁱ)/bestⁱ`` where the seed asks for it and
    every ``bestⁱ > 0`` and ``0 < ε* < 0.9``, else the drawn ε."""
    eps = [float(s.witness["eps"]) for s in seeds]
    ask = [k for k, s in enumerate(seeds) if s.witness["constructive"]]
    if not ask:
        return eps
    sub = batch.select(ask)
    probs = tuple(p[torch.tensor(ask)] for p in blended)
    V = at_mu(sub, state_values(sub, probs))
    best = nash_gap(sub, probs, V_mu=V).best_values
    for j, k in enumerate(ask):
        ratios = [float((b - v) / b) for v, b in zip(V[j], best[j], strict=True) if b > 0]
        if ratios and all(float(b) > 0 for b in best[j]) and 0 < max(ratios) < 0.9:
            eps[k] = min(0.99, max(ratios) * float(seeds[k].witness["factor"]) + 1e-9)
    return eps


def build_ratio_nash(seeds: Sequence[Example]) -> list[Example]:
    """The examples of ``seeds`` (one shape): the policy the dynamics reach, blended, with its ε, α and
    β choice (module docstring)."""
    batch = GameBatch.stack([s.game for s in seeds])  # a stack of one too: alone or stacked, the same arithmetic
    probs = _run(batch, softmax_policy(stacked_theta([s.game for s in seeds], [s.witness for s in seeds])), seeds)
    t = torch.tensor([float(s.witness["t"]) for s in seeds], dtype=torch.float64)[:, None, None]
    blended = tuple((1 - t) * p + t / p.shape[-1] for p in probs)
    eps = _constructive_eps(batch, blended, seeds)
    return [
        Example(
            s.game,
            {
                "probs": [p[k].tolist() for p in blended],
                "eps": eps[k],
                "alpha": s.witness["alpha"],
                "beta_choice": s.witness["beta_choice"],
            },
        )
        for k, s in enumerate(seeds)
    ]


#: ε-ratio-Nash examples of Def 4.4 and Thm 4.5: seeds drawn by Hypothesis, the dynamics run over many at once
RATIO_NASH = Construction(ratio_nash_seeds, build_ratio_nash)
