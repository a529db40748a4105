"""Best responses and the Nash-gap (Def 2.4), exactly.

Against fixed ``π⁻ⁱ``, agent i faces the induced MDP

* ``Pⁱ(s'|s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)} P(s'|s, aⁱ, a⁻ⁱ)``,  ``rⁱ(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)} rⁱ(s, aⁱ, a⁻ⁱ)``

whose optimal policy (policy iteration) is a best response:
``max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(μ) = Σ_s μ(s) V*ⁱ(s)``. Then

``Nash-gap(π) = max_i ( max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(μ) − Vⁱ_π(μ) )``        (Def 2.4, p. 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from mpgverify.arrays import DTYPE
from mpgverify.evaluation import at_mu, state_values
from mpgverify.game import MarkovGame
from mpgverify.mdp import policy_iteration
from mpgverify.policy import expect_over_others

__all__ = ["BestResponse", "NashGap", "best_response", "induced_mdp", "nash_gap"]


class BestResponse(NamedTuple):
    """Agent i's exact best response to ``π⁻ⁱ``.

    Attributes:
      policy: ``[*B, S, Aⁱ]`` deterministic (one-hot) best response.
      V: ``[*B, S]`` its values ``max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(s)``.
      V_mu: ``[*B]`` the same at μ.
    """

    policy: torch.Tensor
    V: torch.Tensor
    V_mu: torch.Tensor


class NashGap(NamedTuple):
    """Attributes:
    gap: ``[*B]`` Nash-gap of Def 2.4.
    gains: ``[*B, N]`` each agent's best-response gain ``max_{π̄ⁱ} Vⁱ(π̄ⁱ, π⁻ⁱ)(μ) − Vⁱ_π(μ) ≥ 0``
      (float round-off below zero is clipped to 0: the exact gain is never negative).
    best_values: ``[*B, N]`` ``max_{π̄ⁱ} Vⁱ(π̄ⁱ, π⁻ⁱ)(μ)``.
    """

    gap: torch.Tensor
    gains: torch.Tensor
    best_values: torch.Tensor


def induced_mdp(game: MarkovGame, probs: Sequence[torch.Tensor], agent: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Agent ``agent``'s MDP against ``π⁻ⁱ``: ``(Pⁱ [*B, S, Aⁱ, S], rⁱ [*B, S, Aⁱ])``."""
    P_i = expect_over_others(game.P, probs, agent, n_trailing=1)
    r_i = expect_over_others(game.R[agent], probs, agent)
    return P_i, r_i


def best_response(game: MarkovGame, probs: Sequence[torch.Tensor], agent: int) -> BestResponse:
    """Exact best response of ``agent`` to the others' policies in ``probs`` (policy iteration).

    Args:
      game: the Markov game.
      probs: product policy ``[*B, S, Aʲ]`` per agent (``probs[agent]`` is ignored).
      agent: i, 0-based.

    Returns:
      :class:`BestResponse`.
    """
    P_i, r_i = induced_mdp(game, probs, agent)
    sol = policy_iteration(P_i, r_i, game.gamma)
    onehot = torch.nn.functional.one_hot(sol.policy, game.n_actions[agent]).to(DTYPE)
    return BestResponse(policy=onehot, V=sol.V, V_mu=at_mu(game, sol.V))


def nash_gap(game: MarkovGame, probs: Sequence[torch.Tensor], V_mu: torch.Tensor | None = None) -> NashGap:
    """``Nash-gap(π) = max_i (max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(μ) − Vⁱ_π(μ))`` (Def 2.4), exactly.

    Args:
      game: the Markov game.
      probs: product policy, ``[*B, S, Aⁱ]`` per agent.
      V_mu: ``[*B, N]`` values ``Vⁱ_π(μ)`` when already computed.

    Returns:
      :class:`NashGap`.
    """
    with torch.no_grad():
        probs = tuple(p.detach() for p in probs)
        if V_mu is None:
            V_mu = at_mu(game, state_values(game, probs))
        if len(set(game.n_actions)) == 1:
            # equal action counts: all N induced MDPs in one batched policy iteration
            mdps = [induced_mdp(game, probs, i) for i in range(game.n_agents)]
            P_all = torch.stack(torch.broadcast_tensors(*(m[0] for m in mdps)), dim=-4)
            r_all = torch.stack(torch.broadcast_tensors(*(m[1] for m in mdps)), dim=-3)
            best = at_mu(game, policy_iteration(P_all, r_all, game.gamma).V)
        else:
            best = torch.stack([best_response(game, probs, i).V_mu for i in range(game.n_agents)], dim=-1)
        gains = (best - V_mu.detach()).clamp_min(0.0)
    return NashGap(gap=gains.amax(dim=-1), gains=gains, best_values=best)
