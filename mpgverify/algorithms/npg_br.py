"""Approximate-best-response NPG, eqs. (5)–(6) (Section 3.3).

Outer step t: every agent i, on its own, runs K soft-policy-iteration steps against the others'
fixed θ⁻ⁱ_t (eq. 5):

``θⁱ_{t,k} = θⁱ_{t,k−1} + η Aⁱ_{t,k−1}``,  ``Aⁱ_{t,k−1}(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ_t} Aⁱ_{θⁱ_{t,k−1}, θ⁻ⁱ_t}(s, aⁱ, a⁻ⁱ)``

then only the agent with the largest gain keeps its change (eq. 6):
``i*_t = argmax_i Φ(θⁱ_{t,K}, θ⁻ⁱ_t)(μ) − Φ(θ_t)(μ)``. The gain is measured by Φ when the game
states a potential and by the agent's own value ``Vⁱ`` otherwise (equal in an MPG). The printed
eq. (5) has no step size; ``lr`` is η (1.0 reads it literally). One ``step`` is one outer step
(K inner steps for every agent); all N candidate inner loops run as one batch.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from mpgverify.algorithms.api import Algorithm, register
from mpgverify.algorithms.tabular import check_lr, init_theta
from mpgverify.errors import FormatError
from mpgverify.evaluation import evaluate
from mpgverify.game import MarkovGame
from mpgverify.policy import softmax_policy

__all__ = ["NPGBRState", "inner_loops", "npg_br"]


class NPGBRState(NamedTuple):
    """Attributes:
    theta: θ per agent ``[B, S, Aⁱ]``.  t: outer steps done.
    last_agent: ``[B]`` the agent whose change was kept at the last step (−1 before any).
    last_gain: ``[B]`` its gain.
    """

    theta: tuple[torch.Tensor, ...]
    t: int
    last_agent: torch.Tensor
    last_gain: torch.Tensor


def _gain_values(game: MarkovGame, probs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """``[*B, N]``: Φ(μ) repeated per agent when a potential is stated, else each Vⁱ(μ)."""
    ev = evaluate(game, probs)
    if ev.Phi_mu is not None:
        return ev.Phi_mu[..., None].expand(*ev.V_mu.shape)
    return ev.V_mu


def inner_loops(game: MarkovGame, theta: tuple[torch.Tensor, ...], K: int, lr: float) -> tuple[torch.Tensor, ...]:
    """Every agent's K-step inner loop (5) from θ_t: returns θⁱ_{t,K} per agent, ``[N, B, S, Aⁱ]``
    stacked on a leading candidate axis (candidate i moves agent i only)."""
    N = game.n_agents
    cand = tuple(t.unsqueeze(0).expand(N, *t.shape).clone() for t in theta)  # [N, B, S, Aⁱ]
    for _ in range(K):
        ev = evaluate(game, softmax_policy(cand))
        cand = tuple(
            torch.cat([c[:i], c[i : i + 1] + lr * ev.advantages[i][i : i + 1], c[i + 1 :]]) for i, c in enumerate(cand)
        )
    return cand


def npg_br(*, lr: float = 1.0, K: int = 5, init: str = "normal", init_scale: float = 1.0) -> Algorithm:
    """NPG-BR (5)–(6) with K inner steps of size η = ``lr`` and maximum-gain selection."""
    lr = check_lr(lr)
    if not (isinstance(K, int) and K >= 1):
        raise FormatError("K", f"must be an integer ≥ 1, got {K!r}")

    def init_fn(game: MarkovGame, *, seed: int, batch: int) -> NPGBRState:
        base = init_theta(game, seed=seed, batch=batch, init=init, scale=init_scale)
        return NPGBRState(
            theta=base.theta,
            t=0,
            last_agent=torch.full((batch,), -1),
            last_gain=torch.zeros(batch, dtype=torch.float64),
        )

    def step(game: MarkovGame, state: NPGBRState) -> NPGBRState:
        cand = inner_loops(game, state.theta, K, lr)
        base = _gain_values(game, softmax_policy(state.theta))  # [B, N]
        after = _gain_values(game, softmax_policy(cand))  # [N, B, N]
        idx = torch.arange(game.n_agents)
        gains = after[idx, :, idx].T - base  # [B, N]: candidate i's gain in its measure
        best = gains.argmax(dim=-1)  # [B]
        theta = tuple(torch.where((best == i)[:, None, None], cand[i][i], t) for i, t in enumerate(state.theta))
        return NPGBRState(
            theta=theta, t=state.t + 1, last_agent=best, last_gain=gains.gather(-1, best[:, None]).squeeze(-1)
        )

    return Algorithm(
        name="npg-br",
        init=init_fn,
        step=step,
        policy=lambda state: softmax_policy(state.theta),
        options={"lr": lr, "K": K, "init": init, "init_scale": init_scale},
    )


register("npg-br", npg_br)
