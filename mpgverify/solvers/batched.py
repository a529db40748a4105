"""A batch of dense games of one shape, and the exact solvers over it (issue 24, step 2).

:class:`GameBatch` stacks B games with the same agents, actions and states on a leading axis —
``P [B, S, A, S]``, ``R [B, N, S, A]``, ``φ [B, S, A]``, ``μ [B, S]``, ``γ [B]`` — so that one torch
call serves the population a hunter or a batched check evaluates, instead of B calls on a few
hundred numbers each. The solvers register with the same single-dispatch functions as the dense
and factored games and return the same result types with a leading ``B`` axis; a policy is one
product policy per game, ``probs[i]`` of shape ``[B, S, Aⁱ]``:

* ``evaluate``: ``Vⁱ_b = (I − γ_b P_{b,π_b})⁻¹ rⁱ_{b,π_b}``, Q, local advantages, d, Φ (Section 2);
* ``nash_gap`` / ``best_response``: policy iteration on every game's and agent's induced MDP at once
  (Def 2.4), certified per member by :func:`mpgverify.solvers.mdp.howard`'s optimality check;
* ``social_optimum``: policy iteration on the joint-action MDPs with reward ``Σ_i rⁱ`` (Def 4.1);
* ``potential_range``: ``Φ_max`` and ``−Φ_min`` by policy iteration on the joint-action MDPs with
  rewards ``φ`` and ``−φ`` (Assumption 2.3), ``[B]`` each;
* ``potential_values``: ``Φ_b(s) = (I − γ_b P_{b,π_b})⁻¹ φ_{b,π_b}``, ``[B, S]`` (differentiable in π);
* ``at_mu``: ``X_b(μ_b)``; ``induced_mdp``: every game's agent-i MDP against ``π⁻ⁱ_b``.

Each equals the single-game solver member by member (``tests/test_batched.py``, to 1e-12).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import AssumptionError, FormatError, MpgverifyError
from mpgverify.game import MarkovGame
from mpgverify.policy import joint_policy, others_weights
from mpgverify.solvers.evaluation import (
    Evaluation,
    at_mu,
    evaluate,
    local_advantages,
    potential_values,
    state_values,
    values_and_potential,
)
from mpgverify.solvers.game_constants import (
    Mismatch,
    PotentialRange,
    _mismatch_coefficient_dense,
    _potential_range_dense,
    assumption_2_1,
    mismatch_coefficient,
    potential_range,
)
from mpgverify.solvers.mdp import MDPSolution, howard
from mpgverify.solvers.nash import BestResponse, NashGap, best_response, best_responses, nash_gap
from mpgverify.solvers.welfare import SocialOptimum, social_optimum, unravel_joint

__all__ = ["PRIME_DIM", "GameBatch", "induced_mdps", "prime_game_constants", "stack_members"]


@dataclass(frozen=True, eq=False)
class GameBatch:
    """B dense games of one shape (the same ``n_actions`` and ``n_states``), stacked.

    Attributes:
      games: the members, in order (each validated on its own construction).
      gamma: ``[B]``.  mu: ``[B, S]``.  P: ``[B, S, A, S]``.  R: ``[B, N, S, A]``.
      phi: ``[B, S, A]`` when every member states a potential, else None.
    """

    games: tuple[MarkovGame, ...]
    gamma: torch.Tensor
    mu: torch.Tensor
    P: torch.Tensor
    R: torch.Tensor
    phi: torch.Tensor | None

    @classmethod
    def stack(cls, games: Sequence[MarkovGame]) -> GameBatch:
        """The batch of ``games``; refused in one line when they differ in shape."""
        games = tuple(games)
        if not games:
            raise FormatError("games", "a batch needs at least one game")
        shape = (games[0].n_actions, games[0].n_states)
        for k, g in enumerate(games):
            if (g.n_actions, g.n_states) != shape:
                raise FormatError(
                    f"games[{k}]",
                    f"has actions {list(g.n_actions)} and {g.n_states} states; the batch is "
                    f"{list(shape[0])} and {shape[1]} (one shape per batch)",
                )
        # the stored tables stacked, then flattened once: [B, S, A, S], [B, N, S, A], [B, S, A]
        B, (n_actions, S) = len(games), shape
        A = math.prod(n_actions)
        potentials = [g.potential for g in games]
        phi = None if any(p is None for p in potentials) else torch.stack(potentials).reshape(B, S, A)  # type: ignore[arg-type]
        return cls(
            games,
            torch.tensor([g.gamma for g in games], dtype=DTYPE),
            torch.stack([g.mu for g in games]),
            torch.stack([g.transition for g in games]).reshape(B, S, A, S),
            torch.stack([g.rewards for g in games]).reshape(B, len(n_actions), S, A),
            phi,
        )

    def select(self, members: Sequence[int]) -> GameBatch:
        """The sub-batch of ``members`` (indices into this batch), in that order."""
        idx = torch.as_tensor(list(members), dtype=torch.long)
        return GameBatch(
            tuple(self.games[k] for k in members),
            self.gamma[idx],
            self.mu[idx],
            self.P[idx],
            self.R[idx],
            None if self.phi is None else self.phi[idx],
        )

    @property
    def size(self) -> int:
        return len(self.games)

    @property
    def n_agents(self) -> int:
        return self.games[0].n_agents

    @property
    def n_actions(self) -> tuple[int, ...]:
        return self.games[0].n_actions

    @property
    def n_states(self) -> int:
        return self.games[0].n_states

    @property
    def n_joint_actions(self) -> int:
        return self.games[0].n_joint_actions

    def _g(self, extra: int) -> torch.Tensor:
        """γ shaped ``[B, 1, …]`` to broadcast against a tensor of ``1 + extra`` axes."""
        return self.gamma.reshape(-1, *([1] * extra))

    def at_mu(self, values: torch.Tensor) -> torch.Tensor:
        """``X_b(μ_b)`` over the last axis of ``values`` ``[B, …, S]``."""
        mu = self.mu.reshape(self.size, *([1] * (values.dim() - 2)), self.n_states)
        return (values * mu).sum(-1)

    def policy_transition(self, pi: torch.Tensor) -> torch.Tensor:
        """``P_π,b(s, s') = Σ_a π_b(a|s) P_b(s'|s, a)`` from joint policies ``pi`` ``[B, S, A]``: ``[B, S, S]``
        (a batched matrix product: einsum costs ~3× as much on these tiny tensors)."""
        return (pi.unsqueeze(-2) @ self.P).squeeze(-2)

    def _solve(self, P_pi: torch.Tensor, r_pi: torch.Tensor) -> torch.Tensor:
        """``(I − γ_b P_π)⁻¹ r`` for ``P_pi`` ``[B, S, S]`` and ``r_pi`` ``[B, S, K]``: ``[B, K, S]``."""
        eye = torch.eye(self.n_states, dtype=DTYPE, device=P_pi.device)
        return torch.linalg.solve(eye - self._g(2) * P_pi, r_pi).transpose(-1, -2)


def _check_policy(batch: GameBatch, probs: Sequence[torch.Tensor]) -> None:
    for i, p in enumerate(probs):
        want = (batch.size, batch.n_states, batch.n_actions[i])
        if tuple(p.shape) != want:
            raise FormatError(f"probs[{i}]", f"must have shape {list(want)} (one policy per game), got {list(p.shape)}")


def _values_solve(batch: GameBatch, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(P_π [B, S, S], sol [B, K, S])``: every agent's values and, when stated, the potential's (the last
    of the K rows) from one solve."""
    pi = joint_policy(probs)  # [B, S, A]
    P_pi = batch.policy_transition(pi)
    tables = batch.R if batch.phi is None else torch.cat([batch.R, batch.phi[:, None]], dim=1)  # [B, K, S, A]
    return P_pi, batch._solve(P_pi, (pi.unsqueeze(-2) @ tables.permute(0, 2, 3, 1)).squeeze(-2))


@values_and_potential.register
def _values_and_potential_batch(  # type: ignore[misc]
    batch: GameBatch, probs: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(V [B, N, S], Φ [B, S] or None)``: the numbers :func:`_evaluate_batch` gives, without its Q, advantages
    and d."""
    _check_policy(batch, probs)
    sol = _values_solve(batch, probs)[1]
    return sol[:, : batch.n_agents], (sol[:, batch.n_agents] if batch.phi is not None else None)


@evaluate.register
def _evaluate_batch(batch: GameBatch, probs: Sequence[torch.Tensor]) -> Evaluation:  # type: ignore[misc]
    _check_policy(batch, probs)
    N = batch.n_agents
    P_pi, sol = _values_solve(batch, probs)
    V = sol[:, :N]
    Phi = sol[:, N] if batch.phi is not None else None
    S, A = batch.n_states, batch.n_joint_actions
    Q = batch.R + batch._g(3) * (V @ batch.P.reshape(-1, S * A, S).transpose(-1, -2)).unflatten(-1, (S, A))
    eye = torch.eye(batch.n_states, dtype=DTYPE, device=P_pi.device)
    d = torch.linalg.solve((eye - batch._g(2) * P_pi).transpose(-1, -2), batch.mu[..., None])[..., 0]
    return Evaluation(
        V=V,
        V_mu=batch.at_mu(V),
        Q=Q,
        advantages=local_advantages(batch, probs, Q, V),  # type: ignore[arg-type]
        d=d,
        Phi=Phi,
        Phi_mu=None if Phi is None else batch.at_mu(Phi),
    )


@state_values.register
def _state_values_batch(batch: GameBatch, probs: Sequence[torch.Tensor]) -> torch.Tensor:  # type: ignore[misc]
    """``Vⁱ_b(s)`` of every member, ``[B, N, S]`` (the values of :func:`_evaluate_batch` alone)."""
    _check_policy(batch, probs)
    pi = joint_policy(probs)
    return batch._solve(batch.policy_transition(pi), (pi.unsqueeze(-2) @ batch.R.permute(0, 2, 3, 1)).squeeze(-2))


@potential_values.register
def _potential_values_batch(  # type: ignore[misc]
    batch: GameBatch, probs: Sequence[torch.Tensor], phi: torch.Tensor | None = None
) -> torch.Tensor:
    """``Φ_b(s)`` of every member, ``[B, S]``, from the batch's potentials (or ``phi`` ``[B, S, A]``)."""
    _check_policy(batch, probs)
    if phi is None:
        if batch.phi is None:
            raise MpgverifyError("a potential value needs every member's stated potential φ")
        phi = batch.phi
    pi = joint_policy(probs)
    P_pi = batch.policy_transition(pi)
    return batch._solve(P_pi, torch.einsum("bsa,bsa->bs", pi, phi.reshape(pi.shape))[..., None])[:, 0]


def _best_responses(batch: GameBatch, probs: Sequence[torch.Tensor], agents: Sequence[int]) -> tuple[torch.Tensor, ...]:
    """Best responses of ``agents`` (equal action counts) in every game: one policy iteration over the
    ``B × n`` induced MDPs, ``Qⁱ(s, aⁱ) = Σ_a Wⁱ(s, aⁱ, a)[rⁱ(s, a) + γ Σ_{s'} P(s'|s, a) V(s')]`` with the
    others' weights Wⁱ. Returns (values ``[B, n, S]``, rules ``[B, n, S]``)."""
    W = torch.stack([others_weights(probs, i) for i in agents], dim=1)  # [B, n, S, Aⁱ, A]
    R = batch.R[:, list(agents)]  # [B, n, S, A]
    S, A = batch.n_states, batch.n_joint_actions
    eye = torch.eye(S, dtype=DTYPE, device=R.device)

    def q_of(values: torch.Tensor) -> torch.Tensor:
        Q = R + batch._g(3) * torch.einsum("bsat,bnt->bnsa", batch.P, values)
        return torch.einsum("bnsia,bnsa->bnsi", W, Q)

    def evaluate_rule(rule: torch.Tensor) -> torch.Tensor:
        chosen = W.gather(-2, rule[..., None, None].expand(*rule.shape, 1, A)).squeeze(-2)  # [B, n, S, A]
        P_rule = torch.einsum("bnsa,bsat->bnst", chosen, batch.P)
        r_rule = (chosen * R).sum(-1)
        return torch.linalg.solve(eye - batch._g(3) * P_rule, r_rule[..., None])[..., 0]

    V0 = torch.zeros(batch.size, len(agents), S, dtype=DTYPE, device=R.device)
    sol = howard(V0, q_of, evaluate_rule)
    return sol.V, sol.policy


@nash_gap.register
def _nash_gap_batch(  # type: ignore[misc]
    batch: GameBatch,
    probs: Sequence[torch.Tensor],
    V_mu: torch.Tensor | None = None,
    *,
    start: torch.Tensor | None = None,
) -> NashGap:
    _check_policy(batch, probs)
    with torch.no_grad():
        probs = tuple(p.detach() for p in probs)
        if V_mu is None:  # evaluate's V_mu, without its Q, advantages and d
            V_mu = batch.at_mu(_values_solve(batch, probs)[1][:, : batch.n_agents])
        shape = (batch.size, batch.n_agents, batch.n_states)
        best = torch.empty(shape, dtype=DTYPE)
        rules = torch.empty(shape, dtype=torch.long)
        for agents in _equal_action_groups(batch.n_actions):
            best[:, agents], rules[:, agents] = _best_responses(batch, probs, agents)
        best_mu = batch.at_mu(best)
        gains = (best_mu - V_mu.detach()).clamp_min(0.0)
    return NashGap(gap=gains.amax(dim=-1), gains=gains, best_values=best_mu, responses=rules)


@best_response.register
def _best_response_batch(batch: GameBatch, probs: Sequence[torch.Tensor], agent: int) -> BestResponse:  # type: ignore[misc]
    _check_policy(batch, probs)
    V, rule = _best_responses(batch, tuple(p.detach() for p in probs), [agent])
    onehot = torch.nn.functional.one_hot(rule[:, 0], batch.n_actions[agent]).to(DTYPE)
    return BestResponse(policy=onehot, V=V[:, 0], V_mu=batch.at_mu(V[:, 0]))


def _equal_action_groups(n_actions: Sequence[int]) -> list[list[int]]:
    """The agents grouped by action count (one policy iteration per group), in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(n_actions):
        groups.setdefault(n, []).append(i)
    return list(groups.values())


@best_responses.register
def _best_responses_batch(  # type: ignore[misc]
    batch: GameBatch, probs: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Every agent's best response in every member, agents of equal action counts in one policy iteration
    (each agent's rule and value the numbers :func:`_best_response_batch` gives it alone)."""
    _check_policy(batch, probs)
    probs = tuple(p.detach() for p in probs)
    best_mu = torch.empty(batch.size, batch.n_agents, dtype=DTYPE)
    policies: list[torch.Tensor | None] = [None] * batch.n_agents
    for agents in _equal_action_groups(batch.n_actions):
        V, rules = _best_responses(batch, probs, agents)
        best_mu[:, agents] = batch.at_mu(V)
        for k, i in enumerate(agents):
            policies[i] = torch.nn.functional.one_hot(rules[:, k], batch.n_actions[i]).to(DTYPE)
    return best_mu, tuple(policies)  # type: ignore[arg-type]


@social_optimum.register
def _social_optimum_batch(batch: GameBatch) -> SocialOptimum:  # type: ignore[misc]
    """Policy iteration on every member's joint-action MDP with reward ``Σ_i rⁱ``; ``value [B]``,
    ``V [B, S]``, ``actions [B, N, S]``."""
    r = batch.R.sum(dim=1)  # [B, S, A]
    S = batch.n_states
    eye = torch.eye(S, dtype=DTYPE, device=r.device)

    def q_of(values: torch.Tensor) -> torch.Tensor:
        return r + batch._g(2) * torch.einsum("bsat,bt->bsa", batch.P, values)

    def evaluate_rule(rule: torch.Tensor) -> torch.Tensor:
        P_rule = batch.P.gather(-2, rule[..., None, None].expand(*rule.shape, 1, S)).squeeze(-2)
        r_rule = r.gather(-1, rule[..., None])
        return torch.linalg.solve(eye - batch._g(2) * P_rule, r_rule)[..., 0]

    sol = howard(torch.zeros(batch.size, S, dtype=DTYPE, device=r.device), q_of, evaluate_rule)
    return SocialOptimum(value=batch.at_mu(sol.V), V=sol.V, actions=unravel_joint(batch.games[0], sol.policy))


def _optima(batch: GameBatch, r: torch.Tensor) -> MDPSolution:
    """``max_σ`` of K reward tables per member, ``r [B, K, S, A]``, by policy iteration on the stack (each
    member's own P and γ): the arithmetic of :func:`~mpgverify.solvers.mdp.policy_iteration`."""
    S, A, K = batch.n_states, batch.n_joint_actions, r.shape[1]
    eye = torch.eye(S, dtype=DTYPE, device=r.device)

    def q_of(values: torch.Tensor) -> torch.Tensor:
        return r + batch._g(3) * torch.einsum("bsat,bkt->bksa", batch.P, values)

    def evaluate_rule(rule: torch.Tensor) -> torch.Tensor:
        P_rule = batch.P[:, None].expand(-1, K, S, A, S).gather(-2, rule[..., None, None].expand(*rule.shape, 1, S))
        r_rule = r.gather(-1, rule[..., None])
        return torch.linalg.solve(eye - batch._g(3) * P_rule.squeeze(-2), r_rule)[..., 0]

    return howard(torch.zeros(batch.size, K, S, dtype=DTYPE, device=r.device), q_of, evaluate_rule)


@potential_range.register
def _potential_range_batch(batch: GameBatch) -> PotentialRange:  # type: ignore[misc]
    """``low`` and ``high`` as ``[B]`` tensors: ``Φ_min`` and ``Φ_max`` of each member."""
    if batch.phi is None:
        raise FormatError("games", "every game of the batch must state a potential φ for Φ_max/Φ_min")
    sol = _optima(batch, torch.stack([batch.phi, -batch.phi], dim=1))  # [B, 2, S, A]
    return PotentialRange(low=-sol.V[:, 1].amax(-1), high=sol.V[:, 0].amax(-1))  # type: ignore[arg-type]


def _extreme_visitation_batch(batch: GameBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """``(max_π d^π_μ, min_π d^π_μ)`` ``[B, S]``: :func:`~mpgverify.solvers.game_constants.extreme_visitation`
    over the stack (2S MDP optima per member, ``d = μ + γ U``), in its arithmetic."""
    S = batch.n_states
    stage = batch.P.permute(0, 3, 1, 2)  # [B, s, x, a] = P(s | x, a)
    sol = _optima(batch, torch.cat([stage, -stage], dim=1))
    # [B, 2S]: each member's values at its μ, one matrix–vector product per member as for one game (a
    # batched product accumulates in another order on some CPUs: AVX-512 kernels differ in the last bit)
    U = torch.stack([v @ m for v, m in zip(sol.V, batch.mu, strict=True)])
    vals = torch.cat([batch.mu, batch.mu], dim=1) + batch._g(1) * torch.cat([U[:, :S], -U[:, S:]], dim=1)
    return vals[:, :S], vals[:, S:]


@mismatch_coefficient.register
def _mismatch_coefficient_batch(batch: GameBatch) -> Mismatch:  # type: ignore[misc]
    """M of each member: ``M`` and ``state`` ``[B]``, ``d_max`` and ``d_min`` ``[B, S]`` (the one-game
    definition, :func:`~mpgverify.solvers.game_constants.mismatch_coefficient`, member by member).

    Raises:
      AssumptionError: naming the first member where Assumption 2.1 fails (M is infinite there).
    """
    for k, game in enumerate(batch.games):
        if (unvisited := assumption_2_1(game)) is not None:
            raise AssumptionError(
                "Assumption 2.1 (d^π_μ(s) > 0 for all π, s)",
                f"games[{k}]: state {unvisited.state} is never visited from mu under actions[agent][state] = "
                f"{unvisited.actions}, so M is infinite",
            )
    d_max, d_min = _extreme_visitation_batch(batch)
    if not bool((d_min > 0).all()):
        k = int((d_min <= 0).any(-1).to(torch.int8).argmax())
        raise AssumptionError(
            "Assumption 2.1 (d^π_μ(s) > 0 for all π, s)",
            f"games[{k}]: min_π d^π_μ(s) > 0 holds exactly but underflows float64, so M cannot be represented",
        )
    return _mismatch_rows(d_max, d_min)


def _mismatch_rows(d_max: torch.Tensor, d_min: torch.Tensor) -> Mismatch:
    """M of each member from its extreme visitations ``[B, S]``: ``max_s d_max(s)/d_min(s)`` and the state
    attaining it (a member with a zero ``d_min`` gets an infinite or undefined M: callers check first)."""
    ratio = d_max / d_min
    state = ratio.argmax(-1)
    return Mismatch(M=ratio.gather(-1, state[:, None])[:, 0], state=state, d_max=d_max, d_min=d_min)  # type: ignore[arg-type]


#: the largest S·A whose constants :func:`prime_game_constants` solves stacked (the hunter's sizes)
PRIME_DIM = 64


def prime_game_constants(games: Sequence[MarkovGame], *, mismatch: bool = False, potential: bool = False) -> None:
    """Solve M (``mismatch``) and Φ's range (``potential``) for the games whose answers are not kept yet,
    stacked by shape, and keep each member's answer as the one-game solver's (:func:`mpgverify.memo.per_game`'s
    ``prime``), so that a population's gates, asking one game at a time, find them. Members the one-game
    solver refuses (no φ; Assumption 2.1 failing or M underflowing; S·A above :data:`PRIME_DIM`) are left
    to it, so it raises as it always did."""
    groups: dict[tuple[tuple[int, ...], int], list[MarkovGame]] = {}
    for g in {id(g): g for g in games}.values():
        if isinstance(g, MarkovGame) and g.n_states * g.n_joint_actions <= PRIME_DIM:
            groups.setdefault((g.n_actions, g.n_states), []).append(g)
    for members in groups.values():
        todo = [g for g in members if potential and g.phi is not None and not _potential_range_dense.known(g)]  # type: ignore[attr-defined]
        if len(todo) > 1:
            got = _potential_range_batch(GameBatch.stack(todo))
            for g, low, high in zip(todo, got.low.tolist(), got.high.tolist(), strict=True):  # type: ignore[attr-defined]
                _potential_range_dense.prime(g, PotentialRange(low=low, high=high))  # type: ignore[attr-defined]
        todo = [
            g
            for g in members
            if mismatch and not _mismatch_coefficient_dense.known(g) and assumption_2_1(g) is None  # type: ignore[attr-defined]
        ]
        if len(todo) > 1:
            d_max, d_min = _extreme_visitation_batch(GameBatch.stack(todo))
            rows = _mismatch_rows(d_max, d_min)
            Ms, states = rows.M.tolist(), rows.state.tolist()  # type: ignore[attr-defined]
            for k, g in enumerate(todo):
                if bool((d_min[k] > 0).all()):  # else the one-game solver raises, as it always did
                    _mismatch_coefficient_dense.prime(  # type: ignore[attr-defined]
                        g, Mismatch(M=Ms[k], state=states[k], d_max=d_max[k].clone(), d_min=d_min[k].clone())
                    )


@at_mu.register
def _at_mu_batch(batch: GameBatch, values: torch.Tensor) -> torch.Tensor:  # type: ignore[misc]
    return batch.at_mu(values)


def induced_mdps(batch: GameBatch, probs: Sequence[torch.Tensor], agent: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Agent ``agent``'s MDP in every game against its others: ``(Pⁱ [B, S, Aⁱ, S], rⁱ [B, S, Aⁱ])``,
    ``Pⁱ_b(s'|s, aⁱ) = E_{a⁻ⁱ~π⁻ⁱ_b} P_b(s'|s, a)`` (the batch of :func:`mpgverify.solvers.nash.induced_mdp`)."""
    W = others_weights(probs, agent)  # [B, S, Aⁱ, A]
    return torch.einsum("bsia,bsat->bsit", W, batch.P), torch.einsum("bsia,bsa->bsi", W, batch.R[:, agent])


def stack_members(members: Sequence[Sequence[torch.Tensor]]) -> tuple[torch.Tensor, ...]:
    """One θ or product policy per game (``[S, Aⁱ]`` per agent) as the batch's, agent by agent:
    ``[B, S, Aⁱ]`` per agent, members in order."""
    return tuple(torch.stack(parts) for parts in zip(*members, strict=True))
