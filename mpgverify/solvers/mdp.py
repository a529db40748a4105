"""Exact solution of finite discounted MDPs by policy iteration, batched over MDPs.

Policy iteration (Howard 1960; Puterman 1994, §6.4) alternates exact evaluation
``V = (I − γ P_σ)⁻¹ r_σ`` with greedy improvement ``σ(s) ← argmax_a r(s,a) + γ Σ_{s'} P(s'|s,a) V(s')``
and stops at a policy that no action improves: that policy is optimal in every state at once,
so it also maximizes ``V(μ)`` for every μ. An action replaces the current one only when it is
better by more than a tolerance relative to the value scale, so floating-point ties cannot cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from mpgverify.arrays import broadcast_shape

__all__ = ["MDPSolution", "howard", "policy_evaluation", "policy_iteration"]


class MDPSolution(NamedTuple):
    """Optimal deterministic policy and its values.

    Attributes:
      policy: ``[*B, S]`` long, the optimal action in each state.
      V: ``[*B, S]`` optimal values ``V*(s)``.
      Q: ``[*B, S, A]`` optimal action values.
      iterations: number of improvement rounds until no batch member changed.
    """

    policy: torch.Tensor
    V: torch.Tensor
    Q: torch.Tensor
    iterations: int


def policy_evaluation(
    P: torch.Tensor, r: torch.Tensor, pi: torch.Tensor, gamma: float | torch.Tensor, mu: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Exact values of a stochastic policy in a batch of MDPs.

    ``V = (I − γ P_π)⁻¹ r_π``, ``Q(s, a) = r(s, a) + γ Σ_{s'} P(s'|s, a) V(s')`` and, given μ, the
    unnormalized visitation ``d = μᵀ (I − γ P_π)⁻¹``.

    Args:
      P: ``[*B, S, A, S]``.  r: ``[*B, S, A]``.  pi: ``[*B, S, A]``.  mu: ``[S]`` or None.
      gamma: a float, or a tensor broadcasting against ``[*B, S, S]`` (one discount per MDP).

    Returns:
      ``(V [*B, S], Q [*B, S, A], d [*B, S] or None)``.
    """
    S, A = r.shape[-2:]
    # batched matrix products rather than einsum: on these tiny tensors each einsum costs ~2× a matmul,
    # and this function is the inner step of every NPG-BR loop
    P_pi = (pi.unsqueeze(-2) @ P).squeeze(-2)  # Σ_a π(a|s) P(s'|s, a), [*B, S, S]
    M = torch.eye(S, dtype=r.dtype, device=r.device) - gamma * P_pi
    V = torch.linalg.solve(M, (pi * r).sum(-1, keepdim=True)).squeeze(-1)
    Q = r + gamma * (P.flatten(-3, -2) @ V.unsqueeze(-1)).squeeze(-1).unflatten(-1, (S, A))
    d = None
    if mu is not None:
        d = torch.linalg.solve(M.transpose(-1, -2), mu.expand(*M.shape[:-2], S).unsqueeze(-1)).squeeze(-1)
    return V, Q, d


def policy_iteration(
    P: torch.Tensor,
    r: torch.Tensor,
    gamma: float,
    *,
    rtol: float = 1e-12,
    max_iter: int = 10_000,
    policy0: torch.Tensor | None = None,
) -> MDPSolution:
    """Solve ``max_σ E[Σ_t γᵗ r(s_t, a_t)]`` exactly for a batch of MDPs.

    Args:
      P: transition ``[*B, S, A, S]`` (``*B`` broadcasts against ``r``'s batch shape).
      r: reward ``[*B, S, A]``.
      gamma: discount ``0 ≤ γ < 1``.
      rtol: an action must beat the current one by ``rtol · (1 + max|Q|)`` to replace it.
      max_iter: safety bound on improvement rounds (policy iteration needs far fewer).
      policy0: a first rule ``[*B, S]`` (warm start); default: greedy in the one-step rewards.

    Returns:
      :class:`MDPSolution`.
    """
    batch = broadcast_shape(P.shape[:-3], r.shape[:-2])
    S, A = r.shape[-2], r.shape[-1]
    P_shared = P  # not expanded: a matmul over an expanded P would materialize it once per batch member
    P = P.expand(*batch, S, A, S)
    r = r.expand(*batch, S, A)
    eye = torch.eye(S, dtype=r.dtype, device=r.device)

    def q_of(V: torch.Tensor) -> torch.Tensor:
        return r + gamma * torch.einsum("...sat,...t->...sa", P_shared, V)

    def evaluate_rule(policy: torch.Tensor) -> torch.Tensor:
        P_pol = P.gather(-2, policy[..., None, None].expand(*batch, S, 1, S)).squeeze(-2)
        r_pol = r.gather(-1, policy[..., None]).squeeze(-1)
        return torch.linalg.solve(eye - gamma * P_pol, r_pol.unsqueeze(-1)).squeeze(-1)

    # from V = 0 the first greedy rule is argmax_a r(s, a)
    V0 = torch.zeros(*batch, S, dtype=r.dtype, device=r.device)
    start = None if policy0 is None else policy0.expand(*batch, S)
    return howard(V0, q_of, evaluate_rule, rtol=rtol, max_iter=max_iter, policy0=start)


def howard(
    V0: torch.Tensor,
    q_of: Callable[[torch.Tensor], torch.Tensor],
    evaluate_rule: Callable[[torch.Tensor], torch.Tensor],
    *,
    rtol: float = 1e-12,
    max_iter: int = 10_000,
    sweeps: int = 0,
    policy0: torch.Tensor | None = None,
) -> MDPSolution:
    """Policy iteration with the transition structure left to the caller (dense here, factored in
    :mod:`mpgverify.solvers.factored`).

    Args:
      V0: starting values ``[*B, S]``; the first rule is greedy with respect to them.
      q_of: ``V ↦ Q`` ``[*B, S, A]``, ``Q(s, a) = r(s, a) + γ Σ_{s'} P(s'|s, a) V(s')``.
      evaluate_rule: a deterministic rule σ ``[*B, S]`` ↦ its exact values ``[*B, S]``.
      rtol: an action must beat the current one by ``rtol · (1 + max|Q|)`` to replace it.
      max_iter: safety bound on improvement rounds.
      sweeps: value-iteration backups ``V ← max_a Q`` before the first rule (cheaper than an exact
        evaluation when ``q_of`` is; the result is still certified by exact evaluation and the check).
      policy0: the first rule ``[*B, S]`` (a warm start, e.g. the previous step's best responses),
        instead of the greedy rule of ``V0``. The answer is the same: it is certified by the check.

    The certificate: the returned rule's exact values ``V`` satisfy ``max_a Q(s, a) ≤ Q(s, σ(s)) +
    rtol (1 + max|Q|)`` at every state (no action improves), the optimality condition of the MDP;
    ``max|Q|`` is each MDP's own (over its states and actions), so an MDP's answer does not depend on
    the others solved beside it.
    """
    V = V0
    if policy0 is not None:
        policy = policy0
    else:
        for _ in range(sweeps):
            V = q_of(V).amax(dim=-1)
        policy = q_of(V).argmax(dim=-1)
    for it in range(1, max_iter + 1):
        V = evaluate_rule(policy)
        Q = q_of(V)
        best, best_a = Q.max(dim=-1)
        current = Q.gather(-1, policy[..., None]).squeeze(-1)
        improve = best > current + rtol * (1.0 + Q.abs().amax(dim=(-2, -1), keepdim=True)[..., 0])
        if not bool(improve.any()):
            return MDPSolution(policy=policy, V=V, Q=Q, iterations=it)
        policy = torch.where(improve, best_a, policy)
    raise RuntimeError(f"policy iteration did not stabilize in {max_iter} rounds")  # pragma: no cover
