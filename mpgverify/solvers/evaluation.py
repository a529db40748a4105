"""Exact evaluation of a product policy by linear algebra (no rollouts), batched and differentiable.

For a product policy π with joint form ``π(a|s)`` (``[*B, S, A]``):

* ``P_π(s, s') = Σ_a π(a|s) P(s'|s, a)``,  ``rⁱ_π(s) = Σ_a π(a|s) rⁱ(s, a)``
* ``Vⁱ_π = (I − γ P_π)⁻¹ rⁱ_π``                                     (Bellman equation)
* ``Qⁱ_π(s, a) = rⁱ(s, a) + γ Σ_{s'} P(s'|s, a) Vⁱ_π(s')``
* ``Aⁱ_π(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)} Qⁱ_π(s, aⁱ, a⁻ⁱ) − Vⁱ_π(s)``       (local advantage, Lemma 3.1)
* ``d^π_μᵀ = μᵀ (I − γ P_π)⁻¹``, unnormalized: ``Σ_s d^π_μ(s) = 1/(1−γ)`` (Section 2)
* ``Φ_π = (I − γ P_π)⁻¹ φ_π``                                        (total potential, Def 2.2)

Everything is float64 torch and goes through autograd, so ``∂/∂θ`` of any of these is exact.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import NamedTuple

import torch

from mpgverify.errors import MpgverifyError
from mpgverify.game import Game, MarkovGame
from mpgverify.memo import per_game
from mpgverify.policy import expect_over_others, joint_policy

__all__ = [
    "Evaluation",
    "JointStructure",
    "at_mu",
    "evaluate",
    "joint_structure",
    "local_advantages",
    "policy_transition",
    "potential_values",
    "q_values",
    "state_values",
    "values_and_potential",
    "visitation",
]


class Evaluation(NamedTuple):
    """Exact quantities of one (batch of) product policies.

    Attributes:
      V: ``[*B, N, S]`` values ``Vⁱ_π(s)``.
      V_mu: ``[*B, N]`` values ``Vⁱ_π(μ)``.
      Q: ``[*B, N, S, A]`` action values with the joint action flattened; None for a factored game
        (the joint-action table is what that representation never builds).
      advantages: tuple of N tensors ``[*B, S, Aⁱ]``, local advantages ``Aⁱ_π(s, aⁱ)``.
      d: ``[*B, S]`` unnormalized discounted visitation ``d^π_μ(s)``.
      Phi: ``[*B, S]`` total potential ``Φ_π(s)``, or None when the game states no potential.
      Phi_mu: ``[*B]`` ``Φ_π(μ)``, or None likewise.
    """

    V: torch.Tensor
    V_mu: torch.Tensor
    Q: torch.Tensor | None
    advantages: tuple[torch.Tensor, ...]
    d: torch.Tensor
    Phi: torch.Tensor | None
    Phi_mu: torch.Tensor | None


def policy_transition(game: MarkovGame, pi: torch.Tensor) -> torch.Tensor:
    """``P_π(s, s') = Σ_a π(a|s) P(s'|s, a)`` from the joint policy ``pi`` ``[*B, S, A]``; ``[*B, S, S]``."""
    return (pi.unsqueeze(-2) @ game.P).squeeze(-2)  # matmul, not einsum: ~3× cheaper on tiny tensors


def _discounted_sums(game: MarkovGame, pi: torch.Tensor, P_pi: torch.Tensor, rewards: torch.Tensor) -> torch.Tensor:
    """``[(I − γ P_π)⁻¹ r_π](s)`` for each reward table ``rewards`` ``[K, S, A]``; ``[*B, K, S]``."""
    r_pi = (pi.unsqueeze(-2) @ rewards.permute(1, 2, 0)).squeeze(-2)  # Σ_a π(a|s) r_k(s, a), [*B, S, K]
    eye = torch.eye(game.n_states, dtype=P_pi.dtype, device=P_pi.device)
    return torch.linalg.solve(eye - game.gamma * P_pi, r_pi).transpose(-1, -2)


def _visitation(game: MarkovGame, P_pi: torch.Tensor) -> torch.Tensor:
    """``d = (I − γ P_π)⁻ᵀ μ``, ``[*B, S]``."""
    eye = torch.eye(game.n_states, dtype=P_pi.dtype, device=P_pi.device)
    mu = game.mu.expand(*P_pi.shape[:-2], game.n_states).unsqueeze(-1)
    return torch.linalg.solve((eye - game.gamma * P_pi).transpose(-1, -2), mu).squeeze(-1)


def _value_tables(game: MarkovGame) -> torch.Tensor:
    """The rewards, then the potential when stated: ``[N (+1), S, A]``, solved for together."""
    return game.R if game.phi is None else torch.cat([game.R, game.phi[None]])


def _require_potential(game: MarkovGame) -> torch.Tensor:
    if game.phi is None:
        raise MpgverifyError(f"game {game.name!r} states no potential φ")
    return game.phi


@functools.singledispatch
def state_values(game: Game, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Vⁱ_π(s) = [(I − γ P_π)⁻¹ rⁱ_π](s)`` for every agent, ``[*B, N, S]``."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@state_values.register
def _state_values_dense(game: MarkovGame, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    pi = joint_policy(probs)
    return _discounted_sums(game, pi, policy_transition(game, pi), game.R)


def q_values(game: MarkovGame, V: torch.Tensor) -> torch.Tensor:
    """``Qⁱ(s, a) = rⁱ(s, a) + γ Σ_{s'} P(s'|s, a) Vⁱ(s')``.

    Args:
      V: ``[*B, N, S]`` values.

    Returns:
      ``[*B, N, S, A]``.
    """
    S, A = game.n_states, game.n_joint_actions
    return game.R + game.gamma * (V @ game.P.reshape(S * A, S).T).unflatten(-1, (S, A))


def local_advantages(
    game: MarkovGame, probs: Sequence[torch.Tensor], Q: torch.Tensor, V: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """``Aⁱ(s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ(·|s)} Qⁱ(s, aⁱ, a⁻ⁱ) − Vⁱ(s)``, one ``[*B, S, Aⁱ]`` per agent."""
    return tuple(expect_over_others(Q[..., i, :, :], probs, i) - V[..., i, :, None] for i in range(game.n_agents))


@functools.singledispatch
def values_and_potential(game: Game, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(Vⁱ_π(s) [*B, N, S], Φ_π(s) [*B, S] or None)`` from one solve: what a recorded iteration needs."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@values_and_potential.register
def _values_and_potential_dense(
    game: MarkovGame, probs: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor | None]:
    pi = joint_policy(probs)
    tables = _value_tables(game)
    sol = _discounted_sums(game, pi, policy_transition(game, pi), tables)
    return sol[..., : game.n_agents, :], (sol[..., game.n_agents, :] if game.phi is not None else None)


@functools.singledispatch
def visitation(game: Game, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``d^π_μ(s) = E_{s₀~μ} Σ_t γᵗ Pr^π(s_t = s | s₀)`` (unnormalized), ``[*B, S]``."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@visitation.register
def _visitation_dense(game: MarkovGame, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    return _visitation(game, policy_transition(game, joint_policy(probs)))


@functools.singledispatch
def potential_values(game: Game, probs: Sequence[torch.Tensor], phi: torch.Tensor | None = None) -> torch.Tensor:
    """``Φ_π(s) = E_π[Σ_t γᵗ φ(s_t, a_t) | s₀ = s]``, ``[*B, S]``. Needs a stated potential, or ``phi``
    ``[S, A¹, …, Aᴺ]`` in its place (any tensor: the values are differentiable in it)."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@potential_values.register
def _potential_values_dense(
    game: MarkovGame, probs: Sequence[torch.Tensor], phi: torch.Tensor | None = None
) -> torch.Tensor:
    phi = _require_potential(game) if phi is None else phi.reshape(game.n_states, game.n_joint_actions)
    pi = joint_policy(probs)
    return _discounted_sums(game, pi, policy_transition(game, pi), phi[None])[..., 0, :]


@functools.singledispatch
def at_mu(game: Game, values: torch.Tensor) -> torch.Tensor:
    """``X(μ) = Σ_s μ(s) X(s)`` over the last axis (a batch of games: each member's μ)."""
    return values @ game.mu


@functools.singledispatch
def evaluate(game: Game, probs: Sequence[torch.Tensor]) -> Evaluation:
    """Every exact quantity of Section 2 for the product policy ``probs``.

    Args:
      game: the Markov game.
      probs: product policy, ``probs[i]`` of shape ``[*B, S, Aⁱ]``.

    Returns:
      An :class:`Evaluation` with values, action values, local advantages, visitation and the
      total potential (when the game states one).
    """
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@evaluate.register
def _evaluate_dense(game: MarkovGame, probs: Sequence[torch.Tensor]) -> Evaluation:
    pi = joint_policy(probs)
    P_pi = policy_transition(game, pi)
    tables = _value_tables(game)
    sol = _discounted_sums(game, pi, P_pi, tables)
    V = sol[..., : game.n_agents, :]
    Phi = sol[..., game.n_agents, :] if game.phi is not None else None
    Q = q_values(game, V)
    return Evaluation(
        V=V,
        V_mu=at_mu(game, V),
        Q=Q,
        advantages=local_advantages(game, probs, Q, V),
        d=_visitation(game, P_pi),
        Phi=Phi,
        Phi_mu=None if Phi is None else at_mu(game, Phi),
    )


class JointStructure(NamedTuple):
    """What the dense fast paths reuse across calls on one game (computed once per game object).

    Attributes:
      rewards: ``[U, S, A]`` the distinct reward tables among the agents' (U = 1 when all agents share
        one reward, as in the coordination game: one solve serves every agent).
      table_of: agent i's row in ``rewards``.
      marginals: ``[A, Σ_i Aⁱ]`` ``1[the i-th component of a = aⁱ]``: ``x @ marginals`` sums ``x(s, a)``
        over the other agents' actions for every agent at once.
      offsets: where agent i's ``Aⁱ`` columns start in ``marginals``.
      transition_rewards: ``[S, A, S + U]``, ``P(s'|s, a)`` then the U rewards: one product with
        the joint policy gives ``P_π`` and every ``r_π``.
      eye: the ``S × S`` identity.
    """

    rewards: torch.Tensor
    table_of: tuple[int, ...]
    marginals: torch.Tensor
    offsets: tuple[int, ...]
    transition_rewards: torch.Tensor
    eye: torch.Tensor


@per_game(keep=1)
def joint_structure(game: MarkovGame) -> JointStructure:
    """The game's :class:`JointStructure` (kept per game object: :func:`mpgverify.memo.per_game`)."""
    flat = game.R.reshape(game.n_agents, -1)
    unique, inverse = torch.unique(flat, dim=0, return_inverse=True)
    A = game.n_joint_actions
    cols = []
    for i, n in enumerate(game.n_actions):
        stride = math.prod(game.n_actions[i + 1 :])
        component = (torch.arange(A, device=flat.device) // stride) % n
        cols.append(torch.nn.functional.one_hot(component, n).to(flat.dtype))
    offsets = tuple(sum(game.n_actions[:i]) for i in range(game.n_agents))
    rewards = unique.reshape(-1, game.n_states, A)
    both = torch.cat([game.P, rewards.permute(1, 2, 0)], dim=-1)
    eye = torch.eye(game.n_states, dtype=flat.dtype, device=flat.device)
    return JointStructure(rewards, tuple(int(k) for k in inverse), torch.cat(cols, 1), offsets, both, eye)
