"""Lemma 3.5's witnesses: θ near a stationary point of the log-barrier regularized potential

    L_λ(θ) = Φ_θ(μ) + λ Σ_i (Σ_{s,a} log πⁱ_θ(a|s) / (|S||Aⁱ|) + log|Aⁱ|)      (Section 3.2, Appendix D.1)

found by ascent from a drawn θ₀ over many games of one shape at once (issue 24, deliverable 4).

The ascent steps ``θ ← θ + h ∇L_λ(θ)`` with a step of its own per member: a trial that does not lower
``L_λ`` is kept and ``h`` doubles; one that lowers it is dropped and ``h`` halves. It starts from
``h = 50/β_λ`` (β_λ the smoothness bound of Thm 3.6, far above the local curvature) and stops at
``‖∇L_λ‖₂ ≤ ½ λ/(2|S| max_i |Aⁱ|)`` or after :data:`ASCENT_EVALUATIONS` evaluations. The gradient is
each agent's own (Lemma 3.1 plus the barrier's closed form), which in an MPG is ``∇L_λ``; the premise
gate re-decides the norm on the stored θ either way. Members that stop leave the batch, so every
member takes exactly the steps it takes alone (``tests/test_population.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from hypothesis import strategies as st

import randomgames.strategies as rgs
from mpgverify import bounds
from mpgverify.algorithms.gradients import log_barrier_gradients, member_log_barriers, policy_gradients
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy
from mpgverify.solvers.batched import GameBatch, stack_members
from mpgverify.solvers.evaluation import evaluate
from mpgverify.verify.claims import Example
from mpgverify.verify.construction import Construction
from properties.common import mpg_games, theta_json, theta_of

__all__ = ["ASCENT_EVALUATIONS", "STATIONARY", "ascend", "build_stationary", "stationary_seeds"]

#: the evaluations of L_λ (and its gradient) one ascent may spend
ASCENT_EVALUATIONS = 4000


@st.composite
def _seeds(draw: Any) -> Example:
    game = draw(mpg_games(max_agents=2, max_states=2, max_actions=2, max_gamma=0.9, reward_range=(-1.0, 1.0)))
    lam = draw(st.floats(0.05, 1.0))
    return Example(game, {"theta": theta_json(draw(rgs.logits(game))), "lam": lam})


def stationary_seeds() -> st.SearchStrategy[Example]:
    """A game (≤ 2 agents × 2 actions, ≤ 2 states, γ ≤ 0.9, rewards in [−1, 1]), λ ∈ [0.05, 1] and the
    ascent's start θ₀ (shrinking toward the smallest game, λ = 0.05 and θ₀ = 0)."""
    return _seeds()


def _objective(game: GameBatch, theta: Sequence[torch.Tensor], lam: torch.Tensor) -> Any:
    """``(L_λ(θ) [B], ∇L_λ(θ))`` for a leading batch ``B`` (one θ per member; ``lam`` ``[B]``)."""
    probs = softmax_policy(theta)
    ev = evaluate(game, probs)
    assert ev.Phi_mu is not None  # every MPG class states its potential
    barrier = member_log_barriers(probs)
    lam3 = lam[:, None, None]
    grads = tuple(g + b for g, b in zip(policy_gradients(probs, ev), log_barrier_gradients(probs, lam3), strict=True))  # type: ignore[arg-type]
    return ev.Phi_mu + lam * barrier, grads


def _norm(grads: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.sqrt(sum((g * g).sum((-2, -1)) for g in grads))  # type: ignore[arg-type]


def ascend(games: Sequence[MarkovGame], theta0: Sequence[Sequence[torch.Tensor]], lams: Sequence[float]) -> list[Any]:
    """θ for every member (one shape): the ascent of the module docstring from ``theta0``, each
    ``[S, Aⁱ]`` per agent."""
    B = len(games)
    game = GameBatch.stack(games)  # a stack of one too: alone or stacked, the same arithmetic
    lam = torch.tensor(list(lams), dtype=torch.float64)
    S, A = games[0].n_states, max(games[0].n_actions)
    stop = torch.tensor([0.5 * bounds.lemma_3_5_gradient_threshold(x, S, A) for x in lams], dtype=torch.float64)
    h = torch.tensor(
        [50 / bounds.thm_3_6_beta(g.n_agents, g.gamma, S, x) for g, x in zip(games, lams, strict=True)],
        dtype=torch.float64,
    )
    theta = list(stack_members(theta0))
    L, grads = _objective(game, theta, lam)
    done: list[Any] = [None] * B
    live = list(range(B))  # members of the current batch, by index into ``games``
    for _ in range(ASCENT_EVALUATIONS - 1):
        finished = _norm(grads) <= stop
        if bool(finished.any()):
            keep = [j for j, f in enumerate(finished.tolist()) if not f]
            for j, f in enumerate(finished.tolist()):
                if f:
                    done[live[j]] = tuple(t[j] for t in theta)
            if not keep:
                break
            live = [live[j] for j in keep]
            idx = torch.tensor(keep)
            game = game.select(keep)
            theta, grads = [t[idx] for t in theta], tuple(g[idx] for g in grads)
            L, lam, stop, h = L[idx], lam[idx], stop[idx], h[idx]
        trial = [t + h[:, None, None] * g for t, g in zip(theta, grads, strict=True)]
        L_trial, g_trial = _objective(game, trial, lam)
        up = L_trial >= L  # NaN or a lower L_λ: the trial is dropped
        theta = [torch.where(up[:, None, None], a, b) for a, b in zip(trial, theta, strict=True)]
        grads = tuple(torch.where(up[:, None, None], a, b) for a, b in zip(g_trial, grads, strict=True))
        L = torch.where(up, L_trial, L)
        h = torch.where(up, 2 * h, h / 2)
    for j, k in enumerate(live):
        if done[k] is None:
            done[k] = tuple(t[j] for t in theta)
    return done


def build_stationary(seeds: Sequence[Example]) -> list[Example]:
    """The examples of ``seeds`` (one shape) with θ₀ replaced by the ascent's θ."""
    games = [s.game for s in seeds]
    lams = [float(s.witness["lam"]) for s in seeds]
    thetas = ascend(games, [theta_of(s.game, s.witness) for s in seeds], lams)
    return [Example(s.game, {"theta": theta_json(t), "lam": x}) for s, t, x in zip(seeds, thetas, lams, strict=True)]


#: Lemma 3.5's examples: seeds drawn by Hypothesis, the ascent run over many at once
STATIONARY = Construction(stationary_seeds, build_stationary)
