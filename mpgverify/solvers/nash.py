"""Best responses and the Nash-gap (Def 2.4), exactly.

Against fixed ``π⁻ⁱ``, agent i faces the induced MDP

* ``Pⁱ(s'|s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)} P(s'|s, aⁱ, a⁻ⁱ)``,  ``rⁱ(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)} rⁱ(s, aⁱ, a⁻ⁱ)``

whose optimal policy (policy iteration) is a best response:
``max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(μ) = Σ_s μ(s) V*ⁱ(s)``. Then

``Nash-gap(π) = max_i ( max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(μ) − Vⁱ_π(μ) )``        (Def 2.4, p. 2)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import torch

from mpgverify.arrays import DTYPE
from mpgverify.game import Game, MarkovGame
from mpgverify.policy import expect_over_others, others_weights
from mpgverify.solvers.evaluation import at_mu, state_values
from mpgverify.solvers.mdp import MDPSolution, howard, policy_iteration

__all__ = ["BestResponse", "NashGap", "best_response", "best_responses", "induced_mdp", "nash_gap"]


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
    responses: ``[*B, N, S]`` long, each agent's optimal deterministic rule (the best response
      whose value is ``best_values``); pass it as ``start`` at the next, nearby policy.
    """

    gap: torch.Tensor
    gains: torch.Tensor
    best_values: torch.Tensor
    responses: torch.Tensor


def induced_mdp(game: MarkovGame, probs: Sequence[torch.Tensor], agent: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Agent ``agent``'s MDP against ``π⁻ⁱ``: ``(Pⁱ [*B, S, Aⁱ, S], rⁱ [*B, S, Aⁱ])``."""
    P_i = expect_over_others(game.P, probs, agent, n_trailing=1)
    r_i = expect_over_others(game.R[agent], probs, agent)
    return P_i, r_i


@functools.singledispatch
def best_response(game: Game, probs: Sequence[torch.Tensor], agent: int) -> BestResponse:
    """Exact best response of ``agent`` to the others' policies in ``probs`` (policy iteration).

    Args:
      game: the Markov game.
      probs: product policy ``[*B, S, Aʲ]`` per agent (``probs[agent]`` is ignored).
      agent: i, 0-based.

    Returns:
      :class:`BestResponse`.
    """
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@best_response.register
def _best_response_dense(game: MarkovGame, probs: Sequence[torch.Tensor], agent: int) -> BestResponse:
    P_i, r_i = induced_mdp(game, probs, agent)
    sol = policy_iteration(P_i, r_i, game.gamma)
    onehot = torch.nn.functional.one_hot(sol.policy, game.n_actions[agent]).to(DTYPE)
    return BestResponse(policy=onehot, V=sol.V, V_mu=at_mu(game, sol.V))


@functools.singledispatch
def best_responses(game: Game, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Every agent's exact best response to the others: ``(max_π̄ⁱ Vⁱ(π̄ⁱ, π⁻ⁱ)(μ) [*B, N], (the deterministic
    best response ``[*B, S, Aⁱ]`` per agent))`` — :func:`best_response` of each agent (a batch of games:
    agents of equal action counts in one policy iteration, the same numbers)."""
    brs = [best_response(game, probs, i) for i in range(game.n_agents)]
    return torch.stack([b.V_mu for b in brs], dim=-1), tuple(b.policy for b in brs)


@functools.singledispatch
def nash_gap(
    game: Game,
    probs: Sequence[torch.Tensor],
    V_mu: torch.Tensor | None = None,
    *,
    start: torch.Tensor | None = None,
) -> NashGap:
    """``Nash-gap(π) = max_i (max_{π̄ⁱ} Vⁱ_{π̄ⁱ,π⁻ⁱ}(μ) − Vⁱ_π(μ))`` (Def 2.4), exactly.

    All agents' best responses come from one batched policy iteration over the ``N × B`` induced
    MDPs where the action counts allow it, and each is certified by the optimality check of
    :func:`mpgverify.solvers.mdp.howard` whatever rule it starts from.

    Args:
      game: the Markov game (dense or factored).
      probs: product policy, ``[*B, S, Aⁱ]`` per agent.
      V_mu: ``[*B, N]`` values ``Vⁱ_π(μ)`` when already computed.
      start: ``[*B, N, S]`` best-response rules to start policy iteration from (a warm start: the
        previous recorded policy's :attr:`NashGap.responses`); the result does not depend on it.

    Returns:
      :class:`NashGap`.
    """
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@nash_gap.register
def _nash_gap_dense(
    game: MarkovGame,
    probs: Sequence[torch.Tensor],
    V_mu: torch.Tensor | None = None,
    *,
    start: torch.Tensor | None = None,
) -> NashGap:
    with torch.no_grad():
        probs = tuple(p.detach() for p in probs)
        V = None
        if start is None or V_mu is None:  # the greedy start, and the policy's values at μ
            V = state_values(game, probs)  # [*B, N, S]
            V_mu = at_mu(game, V) if V_mu is None else V_mu
        assert V_mu is not None
        groups: dict[int, list[int]] = {}
        for i, n in enumerate(game.n_actions):
            groups.setdefault(n, []).append(i)
        shape = (*V_mu.shape, game.n_states)
        best = torch.empty(shape, dtype=V_mu.dtype, device=V_mu.device)
        rules = torch.empty(shape, dtype=torch.long, device=V_mu.device)
        for agents in groups.values():  # agents with equal action counts: one batched policy iteration
            first = None if start is None else start[..., agents, :]
            sol = _best_responses(game, probs, agents, None if V is None else V[..., agents, :], first)
            best[..., agents, :], rules[..., agents, :] = sol.V, sol.policy
        best_mu = at_mu(game, best)
        gains = (best_mu - V_mu.detach()).clamp_min(0.0)
    return NashGap(gap=gains.amax(dim=-1), gains=gains, best_values=best_mu, responses=rules)


def _best_responses(
    game: MarkovGame,
    probs: Sequence[torch.Tensor],
    agents: Sequence[int],
    V: torch.Tensor | None,
    start: torch.Tensor | None,
) -> MDPSolution:
    """Best responses of ``agents`` (equal action counts) by one policy iteration over their induced
    MDPs, batched over agents and policies, without building the ``[S, Aⁱ, S]`` induced kernels:
    ``Qⁱ(s, aⁱ) = Σ_a Wⁱ(s, aⁱ, a) [rⁱ(s, a) + γ Σ_{s'} P(s'|s, a) V(s')]`` with the others' weights
    ``Wⁱ`` (:func:`~mpgverify.policy.others_weights`), and a rule σ moves the state by
    ``Σ_a Wⁱ(s, σ(s), a) P(·|s, a)``."""
    W = torch.stack([others_weights(probs, i) for i in agents], dim=-4)  # [*B, n, S, Aⁱ, A]
    R = game.R[list(agents)]  # [n, S, A]
    S, A = game.n_states, game.n_joint_actions
    eye = torch.eye(S, dtype=R.dtype, device=R.device)

    def q_of(values: torch.Tensor) -> torch.Tensor:
        Q = torch.add(R, torch.einsum("sat,...nt->...nsa", game.P, values), alpha=game.gamma)  # [*B, n, S, A]
        return torch.einsum("...nsia,...nsa->...nsi", W, Q)

    def evaluate_rule(rule: torch.Tensor) -> torch.Tensor:
        chosen = W.gather(-2, rule[..., None, None].expand(*rule.shape, 1, A)).squeeze(-2)  # [*B, n, S, A]
        P_rule = torch.einsum("...nsa,sat->...nst", chosen, game.P)
        r_rule = (chosen * R).sum(-1)
        return torch.linalg.solve(torch.add(eye, P_rule, alpha=-game.gamma), r_rule[..., None])[..., 0]

    if V is None:  # warm start: the first rule is given, the starting values are not used
        assert start is not None
        V = torch.zeros(start.shape, dtype=R.dtype, device=R.device)
    return howard(V, q_of, evaluate_rule, policy0=start)
