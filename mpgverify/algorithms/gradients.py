"""Exact policy-gradient quantities for tabular softmax policies, shared by the algorithms.

* Policy gradient (Lemma 3.1, eq. (2); the policy gradient theorem with unnormalized d):
  ``∂Vⁱ_θ(μ)/∂θⁱ_{s,a} = d^{π_θ}_μ(s) πⁱ(a|s) Aⁱ_θ(s, a)``.
* Log barrier (Section 3.2): ``∂/∂θⁱ_{s,b} λ Σ_{s,a} log πⁱ(a|s)/(|S||Aⁱ|) = λ (1 − |Aⁱ| πⁱ(b|s)) / (|S||Aⁱ|)``.
* Its natural direction has a closed form: ``(diag π − ππᵀ)(1/π) = 1 − |A|π``, so the minimum-norm
  solution of ``w(s)(diag π_s − π_s π_sᵀ) x = λ(1 − |A|π_s)/(|S||A|)`` is
  ``x = λ (1/π_s − mean_a 1/π_s) / (|S||A| w(s))`` (0 where ``w(s) = 0``).
* Fisher (eq. (4)): ``Fⁱ_θ = E_{s~d, aⁱ~πⁱ}[∇log πⁱ ∇log πⁱᵀ]`` is block diagonal over states with
  blocks ``w(s) (diag πⁱ_s − πⁱ_s πⁱ_sᵀ)``, where ``w = d^π_μ`` (the paper's unnormalized d, sums
  to 1/(1−γ)) or ``w = (1−γ) d^π_μ`` (a distribution), per the ``fisher_d`` option.

Autograd agrees with each of these (``tests/test_algorithms.py``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import torch

from mpgverify.factored import FactoredGame
from mpgverify.game import Game, MarkovGame
from mpgverify.memo import per_game
from mpgverify.policy import joint_policy, softmax_policy
from mpgverify.solvers.batched import GameBatch
from mpgverify.solvers.evaluation import Evaluation, evaluate, joint_structure

__all__ = [
    "FisherD",
    "autograd_policy_gradients",
    "fisher_blocks",
    "log_barrier",
    "log_barrier_gradients",
    "marginal_policy_gradients",
    "member_log_barriers",
    "natural_barrier_directions",
    "natural_directions",
    "policy_gradients",
]

FisherD = Literal["unnormalized", "normalized"]
#: Relative cutoff of the Fisher pseudo-inverse (see :func:`natural_directions`).
PINV_RTOL = 1e-10


def policy_gradients(probs: Sequence[torch.Tensor], ev: Evaluation) -> tuple[torch.Tensor, ...]:
    """``∇_{θⁱ} Vⁱ(μ)`` for every agent from an evaluation (Lemma 3.1), ``[*B, S, Aⁱ]`` each."""
    return tuple(ev.d[..., :, None] * p * a for p, a in zip(probs, ev.advantages, strict=True))


@functools.singledispatch
def marginal_policy_gradients(game: Game, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """The same gradients as :func:`policy_gradients`, computed as
    ``Σ_{a⁻ⁱ} d(s) π(aⁱ, a⁻ⁱ|s) (Qⁱ(s, aⁱ, a⁻ⁱ) − Vⁱ(s))`` — one sum over the other agents' action
    axes per agent (the fast path of the PG iteration)."""
    raise TypeError(f"no exact solver for a {type(game).__name__}")


@marginal_policy_gradients.register
def _marginal_policy_gradients_factored(game: FactoredGame, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """``∇_{θⁱ} Vⁱ(μ) = d(s) πⁱ(aⁱ|s) Āⁱ(s, aⁱ)`` (Lemma 3.1) from the factored evaluation's local
    advantages (no joint-action table), ``[*B, S, Aⁱ]`` per agent."""
    return policy_gradients(probs, evaluate(game, probs))


class _BatchTables(NamedTuple):
    """A batch's constant part of a PG step, built once for all the steps taken on it."""

    both: torch.Tensor  # [B, S, A, S + N]: every member's kernel beside its agents' rewards
    kernel_t: torch.Tensor  # [B, S, S·A]: Pᵀ, for Q = R + γ V Pᵀ
    gamma: torch.Tensor  # [B, 1, 1]
    mu: torch.Tensor  # [B, S, 1]


@per_game(keep=1)
def _batch_tables(game: GameBatch) -> _BatchTables:
    S, A = game.n_states, game.n_joint_actions
    return _BatchTables(
        torch.cat([game.P, game.R.permute(0, 2, 3, 1)], dim=-1),
        game.P.reshape(-1, S * A, S).mT,
        game.gamma.reshape(-1, 1, 1),
        game.mu[..., None],
    )


@marginal_policy_gradients.register
def _marginal_policy_gradients_batch(  # type: ignore[misc]
    game: GameBatch, probs: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, ...]:
    """A batch of games (one policy per game), ``[B, S, Aⁱ]`` per agent, so that PG (3) steps every
    member at once — the dense path's arithmetic with a member axis: one LU of ``I − γ_b P_{b,π}``
    for every agent's ``Vⁱ_b`` and for ``d_b = μ_bᵀ (I − γ_b P_{b,π})⁻¹`` (adjoint solve),
    ``Qⁱ_b = rⁱ_b + γ_b P_b Vⁱ_b`` in one product, and
    ``d_b(s) Σ_{a⁻ⁱ} π_b(a|s) (Qⁱ_b(s, a) − Vⁱ_b(s))`` as one product with the marginalization matrix.
    About a third of the cost of ``d π A`` from the full batched evaluation (which also builds the
    local advantages through every agent's others' weights); equal to it to round-off
    (``tests/test_batched.py``)."""
    S, A = game.n_states, game.n_joint_actions
    tables = _batch_tables(game)
    st = joint_structure(game.games[0])  # the marginals and offsets depend on the action counts alone
    pi = joint_policy(probs)  # [B, S, A]
    both = (pi.unsqueeze(-2) @ tables.both).squeeze(-2)  # [B, S, S + N]: P_π and every r^i_π
    LU, pivots = torch.linalg.lu_factor(st.eye - tables.gamma * both[..., :S])
    V = torch.linalg.lu_solve(LU, pivots, both[..., S:]).mT  # [B, N, S]
    d = torch.linalg.lu_solve(LU, pivots, tables.mu, adjoint=True)  # [B, S, 1]
    Q = game.R + tables.gamma[..., None] * (V @ tables.kernel_t).unflatten(-1, (S, A))  # [B, N, S, A]
    G = (pi[:, None] * Q) @ st.marginals  # [B, N, S, Σ Aⁱ]
    own = torch.cat(tuple(probs), dim=-1)[:, None] * V[..., None]  # πⁱ(aⁱ|s) Vⁱ(s)
    G = d.mT[..., None] * (G - own)
    return tuple(G[:, i, :, st.offsets[i] : st.offsets[i] + n] for i, n in enumerate(game.n_actions))


@marginal_policy_gradients.register
def _marginal_policy_gradients_dense(game: MarkovGame, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """One LU of ``I − γ P_π`` for the values of the distinct rewards and for d, one product for
    ``Q``, and every agent's marginal of ``d(s) π(a|s) (Q(s, a) − V(s))`` as one product with the
    marginalization matrix (:func:`mpgverify.solvers.evaluation.joint_structure`)."""
    st = joint_structure(game)
    S = game.n_states
    pi = joint_policy(probs)  # [*B, S, A]
    lead = pi.shape[:-2]
    flat = pi.reshape(-1, S, pi.shape[-1]).transpose(0, 1)  # [S, B, A]: one product per state
    both = torch.bmm(flat, st.transition_rewards).transpose(0, 1).reshape(*lead, S, -1)  # [*B, S, S + U]
    LU, pivots = torch.linalg.lu_factor(torch.add(st.eye, both[..., :S], alpha=-game.gamma))
    V = torch.linalg.lu_solve(LU, pivots, both[..., S:])  # [*B, S, U]
    d = torch.linalg.lu_solve(LU, pivots, game.mu.expand(*lead, S)[..., None], adjoint=True)  # [*B, S, 1]
    Q = torch.add(st.rewards, torch.einsum("sat,...tu->...usa", game.P, V), alpha=game.gamma)  # [*B, U, S, A]
    # Σ_{a⁻ⁱ} π(a|s) (Q(s, a) − V(s)) = [(π ⊙ Q) @ marginals](s, aⁱ) − πⁱ(aⁱ|s) V(s), times d(s)
    G = (pi[..., None, :, :] * Q) @ st.marginals  # [*B, U, S, Σ Aⁱ]
    own = torch.cat(tuple(probs), dim=-1)[..., None, :, :] * V.mT[..., None]  # [*B, U, S, Σ Aⁱ]
    G = d.mT[..., None] * (G - own)
    return tuple(G[..., st.table_of[i], :, st.offsets[i] : st.offsets[i] + n] for i, n in enumerate(game.n_actions))


def autograd_policy_gradients(game: Game, theta: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """``∇_{θⁱ} Vⁱ_θ(μ)`` by automatic differentiation through the exact evaluation."""
    leaves = tuple(t.detach().requires_grad_(True) for t in theta)
    V_mu = evaluate(game, softmax_policy(leaves)).V_mu
    return tuple(
        torch.autograd.grad(V_mu[..., i].sum(), leaves[i], retain_graph=i < game.n_agents - 1)[0]
        for i in range(game.n_agents)
    )


def log_barrier(probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """The regularizer of Lemma 3.5 without its λ: ``Σ_i (Σ_{s,a} log πⁱ(a|s) / (|S||Aⁱ|) + log|Aⁱ|)``
    (0 at the uniform policy), summed over any leading batch axes."""
    return sum(
        (torch.log(p).sum() / (p.shape[-2] * p.shape[-1]) + math.log(p.shape[-1]) for p in probs),
        torch.zeros((), dtype=probs[0].dtype),
    )


def member_log_barriers(probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """:func:`log_barrier` of every member of a leading batch, ``[*B]``:
    ``Σ_i (Σ_{s,a} log πⁱ_b(a|s) / (|S||Aⁱ|) + log|Aⁱ|)`` per b (not summed over b)."""
    return sum(torch.log(p).sum((-2, -1)) / (p.shape[-2] * p.shape[-1]) + math.log(p.shape[-1]) for p in probs)  # type: ignore[return-value]


def log_barrier_gradients(probs: Sequence[torch.Tensor], lam: float) -> tuple[torch.Tensor, ...]:
    """Gradient of ``λ Σ_i (Σ_{s,a} log πⁱ(a|s) / (|S||Aⁱ|) + log|Aⁱ|)`` in each θⁱ."""
    out = []
    for p in probs:
        S, A = p.shape[-2], p.shape[-1]
        out.append(lam * (1.0 - A * p) / (S * A))
    return tuple(out)


def natural_barrier_directions(
    probs: Sequence[torch.Tensor], lam: float, d: torch.Tensor, gamma: float, fisher_d: FisherD
) -> tuple[torch.Tensor, ...]:
    """``(Fⁱ)† ∇_{θⁱ}`` of the log barrier for every agent, in closed form (module docstring);
    equal to ``natural_directions(probs, log_barrier_gradients(probs, lam), d, gamma, fisher_d)``."""
    w = d if fisher_d == "unnormalized" else (1.0 - gamma) * d
    safe = torch.where(w > 0, w, torch.ones_like(w))
    out = []
    for p in probs:
        S, A = p.shape[-2], p.shape[-1]
        inv = 1.0 / p.clamp_min(torch.finfo(p.dtype).tiny)  # π underflowed to 0: the largest finite step
        x = lam * (inv - inv.mean(-1, keepdim=True)) / (S * A * safe[..., None])
        out.append(torch.where(w[..., None] > 0, x, torch.zeros_like(x)))
    return tuple(out)


def fisher_blocks(p: torch.Tensor, d: torch.Tensor, gamma: float, fisher_d: FisherD) -> torch.Tensor:
    """Agent i's Fisher matrix as per-state blocks ``w(s)(diag π_s − π_s π_sᵀ)``, ``[*B, S, Aⁱ, Aⁱ]``."""
    w = d if fisher_d == "unnormalized" else (1.0 - gamma) * d
    cov = torch.diag_embed(p) - p[..., :, None] * p[..., None, :]
    return w[..., :, None, None] * cov


def natural_directions(
    probs: Sequence[torch.Tensor], grads: Sequence[torch.Tensor], d: torch.Tensor, gamma: float, fisher_d: FisherD
) -> tuple[torch.Tensor, ...]:
    """``(Fⁱ)† ∇_{θⁱ}Vⁱ`` for every agent (Moore–Penrose inverse of each state block), eq. (4).

    Each block ``w(s)(diag π − ππᵀ)`` has an exact null vector 1 whose computed eigenvalue is
    round-off (~1e-18), not zero; torch's default cutoff can keep and invert it (entries ~1e16),
    so singular values below ``PINV_RTOL`` times the largest are treated as zero.
    """
    out = []
    for p, g in zip(probs, grads, strict=True):
        F = fisher_blocks(p, d, gamma, fisher_d)
        out.append((torch.linalg.pinv(F, hermitian=True, rtol=PINV_RTOL) @ g.unsqueeze(-1)).squeeze(-1))
    return tuple(out)
