"""Factored Markov games: the same exact solvers without the ``S × A × S`` transition tensor.

There is one interface: :func:`mpgverify.solvers.evaluation.evaluate`, ``state_values``, ``visitation``,
``potential_values``, :func:`mpgverify.solvers.nash.best_response`, :func:`mpgverify.solvers.nash.nash_gap`,
:func:`mpgverify.solvers.welfare.social_optimum` (and so ``price_of_anarchy``), the policy gradients and
:func:`mpgverify.solvers.game_constants.potential_range` dispatch on the game's type; on a
:class:`FactoredGame` they run the implementations below (registered when :mod:`mpgverify.solvers` is imported,
which importing ``mpgverify`` does) and return the same result types (``Evaluation.Q`` is None: the
joint-action table is what this representation never builds).

A factored game has a local state ``sⁱ ∈ {0..Lⁱ−1}`` per agent (global state ``s = (s¹..sᴺ)``,
agent 0 the most significant digit, as in :func:`mpgverify.builtin_games.coordination_game`), agent i's next
local state depends only on its own local state and action,

``P(s'|s, a) = Π_i Kⁱ(s'ⁱ | sⁱ, aⁱ)``        (``Kⁱ``: ``local[i]``, ``[Lⁱ, Aⁱ, Lⁱ]``)

and rewards depend on the global state only, ``rⁱ(s)`` (the coordination game of Section 5:
``Kⁱ(0|·, 0) = 1 − ε``, ``Kⁱ(0|·, 1) = ε``, the shared reward of Algorithm 1). Then, for a product
policy π,

* ``P_π(s, ·) = ⊗_i qⁱ(s, ·)`` with ``qⁱ(s, s'ⁱ) = Σ_{aⁱ} πⁱ(aⁱ|s) Kⁱ(s'ⁱ|sⁱ, aⁱ)``: an ``S × S`` matrix
  built from N small factors (``S²`` numbers instead of ``S² A``);
* ``Vⁱ = (I − γ P_π)⁻¹ rⁱ``, ``d = (I − γ P_π)⁻ᵀ μ``;
* ``Āⁱ(s, aⁱ) = rⁱ(s) + γ Σ_{s'ⁱ} Kⁱ(s'ⁱ|sⁱ, aⁱ) Wⁱ(s, s'ⁱ) − Vⁱ(s)`` with the leave-one-out sum
  ``Wⁱ(s, t) = Σ_{s'⁻ⁱ} (⊗_{j≠i} qʲ)(s, s'⁻ⁱ) Vⁱ(s'⁻ⁱ, t) = Σ_{s' : s'ⁱ = t} P_π(s, s') Vⁱ(s') / qⁱ(s, t)``;
* best responses by policy iteration on agent i's induced MDP, whose transition for a decision
  rule σ is ``Kⁱ(·|sⁱ, σ(s)) ⊗ (⊗_{j≠i} qʲ(s, ·))``;
* the social optimum by policy iteration on the team MDP, where ``Σ_{s'} P(s'|s, a) V(s')`` for all
  ``(s, a)`` is V contracted with each ``Kⁱ`` along its own axis (``N · S · A`` operations).

The ``S × S`` systems are solved by :func:`mpgverify.solvers.linsolve.discounted_solve` (LU below 1024
states; certified GMRES on products with ``P_π`` above), agents sharing a reward share one solve, and
batches are split so that a few ``S × S`` arrays per member fit :data:`CHUNK_BYTES`. Every result
equals the dense solver's on the dense game (:meth:`FactoredGame.dense`; tested for N ≤ 8).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from mpgverify.arrays import DTYPE
from mpgverify.errors import MpgverifyError
from mpgverify.factored import FactoredGame
from mpgverify.memory import recording_bytes
from mpgverify.policy import joint_policy
from mpgverify.solvers.evaluation import (
    Evaluation,
    evaluate,
    potential_values,
    state_values,
    values_and_potential,
    visitation,
)
from mpgverify.solvers.game_constants import Mismatch, PotentialRange, mismatch_coefficient, potential_range
from mpgverify.solvers.linsolve import MATRIX_FREE_FROM, certified_solve, discounted_solve
from mpgverify.solvers.mdp import MDPSolution, howard
from mpgverify.solvers.nash import BestResponse, NashGap, best_response, nash_gap
from mpgverify.solvers.welfare import SocialOptimum, social_optimum

__all__ = ["CHUNK_BYTES"]


# -- policy-dependent factors -------------------------------------------------------------------------------
#: Bytes of ``S × S`` work arrays a factored computation may hold at once; batches are split to fit
#: (at N = 12 one ``S × S`` matrix is 128 MiB, so a 10-seed batch runs member by member).
CHUNK_BYTES = 512 * 2**20
#: A local transition probability ``qⁱ(s, s'ⁱ)`` below this is treated as zero: the rows it scales
#: are rebuilt from the other agents' factors instead of divided out of ``P_π``.
_TINY_Q = 1e-250


def _rows(game: FactoredGame, probs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """``qⁱ(s, s'ⁱ) = Σ_{aⁱ} πⁱ(aⁱ|s) Kⁱ(s'ⁱ|sⁱ, aⁱ)`` per agent, ``[*B, S, Lⁱ]``."""
    return [
        torch.einsum("...sa,sat->...st", p, k[game.local_index(i)])
        for i, (p, k) in enumerate(zip(probs, game.local, strict=True))
    ]


def _policy_transition(rows: Sequence[torch.Tensor]) -> torch.Tensor:
    """``P_π(s, s') = Π_i qⁱ(s, s'ⁱ)``, ``[*B, S, S]`` (contiguous: every solve multiplies by it)."""
    return joint_policy(rows).contiguous()


def _without(rows: Sequence[torch.Tensor], i: int) -> torch.Tensor:
    """``⊗_{j≠i} qʲ``, ``[*B, S, S/Lⁱ]`` (ones when N = 1)."""
    others = [r for j, r in enumerate(rows) if j != i]
    if not others:
        return torch.ones((*rows[0].shape[:-1], 1), dtype=rows[0].dtype, device=rows[0].device)
    return joint_policy(others)


def _split_axis(game: FactoredGame, V: torch.Tensor, i: int) -> torch.Tensor:
    """``V(s')`` ``[*B, S]`` as ``[*B, S/Lⁱ, Lⁱ]``: agent i's local state last, the others in order."""
    sizes = game.local_sizes
    lead = V.shape[:-1]
    W = V.reshape(*lead, *sizes).movedim(len(lead) + i, -1)
    return W.reshape(*lead, -1, sizes[i])


def _group(game: FactoredGame, X: torch.Tensor, i: int) -> torch.Tensor:
    """``X(s, s')`` ``[*B, S, S]`` viewed as ``[*B, S, before, Lⁱ, after]`` (agent i's ``s'ⁱ`` axis in the middle)."""
    sizes = game.local_sizes
    before, after = math.prod(sizes[:i]), math.prod(sizes[i + 1 :])
    return X.reshape(*X.shape[:-1], before, sizes[i], after)


def _indicators(game: FactoredGame, agents: Sequence[int]) -> torch.Tensor:
    """``1[s'ⁱ = t]`` for every listed agent i and local state t, ``[S, Σ_i Lⁱ]``."""
    return torch.cat(
        [torch.nn.functional.one_hot(game.local_index(i), game.local_sizes[i]).to(game.mu.dtype) for i in agents],
        dim=-1,
    )


def _column_sums(game: FactoredGame, P: torch.Tensor, X: torch.Tensor, agents: Sequence[int]) -> list[torch.Tensor]:
    """``Σ_{s' : s'ⁱ = t} P(s, s') X_k(s')`` for each listed agent i (column k of ``X`` ``[*B, S, n]``) and
    local state t, ``[*B, S, Lⁱ]`` each: one product of ``P`` with ``Σ_i Lⁱ`` columns."""
    sizes = [game.local_sizes[i] for i in agents]
    ind = torch.split(_indicators(game, agents), sizes, dim=-1)
    Z = torch.cat([X[..., k, None] * ind_k for k, ind_k in enumerate(ind)], dim=-1)
    return list(torch.split(P @ Z, sizes, dim=-1))


def _leave_one_out(
    game: FactoredGame, P: torch.Tensor, rows: Sequence[torch.Tensor], X: torch.Tensor, agents: Sequence[int]
) -> list[torch.Tensor]:
    """``Wⁱ(s, t) = Σ_{s'⁻ⁱ} (⊗_{j≠i} qʲ)(s, s'⁻ⁱ) X_k(s'⁻ⁱ, s'ⁱ = t)``, ``[*B, S, Lⁱ]`` for each agent i
    in ``agents``, with its values in column k of ``X`` ``[*B, S, n]``.

    ``P_π(s, s') = qⁱ(s, s'ⁱ) (⊗_{j≠i} qʲ)(s, s'⁻ⁱ)``, so ``Wⁱ(s, t) = [P_π (X_k ⊙ 1[s'ⁱ = t])](s) / qⁱ(s, t)``:
    every agent's sums come from one product of ``P_π`` (:func:`_column_sums`), instead of building the
    other agents' product (``S²/Lⁱ`` numbers) per agent. Where ``qⁱ(s, t)`` is (numerically) zero the row
    is rebuilt from the other agents' factors."""
    out = []
    for k, (Y, i) in enumerate(zip(_column_sums(game, P, X, agents), agents, strict=True)):
        q = rows[i]
        small = q < _TINY_Q
        W = Y / torch.where(small, torch.ones_like(q), q)
        if bool(small.any()):
            idx = small.any(-1).nonzero(as_tuple=True)  # (batch…, s) of the affected rows
            sub = [r[idx][:, None, :] for r in rows]  # [m, 1, Lʲ]
            others = _without(sub, i)[:, 0]  # [m, S/Lⁱ]
            W[idx] = torch.einsum("mk,mkt->mt", others, _split_axis(game, X[idx[:-1]][..., k], i))
        out.append(W)
    return out


def _own_expectation(game: FactoredGame, i: int, W: torch.Tensor) -> torch.Tensor:
    """``Σ_{s'} Kⁱ(s'ⁱ|sⁱ, aⁱ) (⊗_{j≠i} qʲ)(s, s'⁻ⁱ) V(s') = Σ_t Kⁱ(t|sⁱ, aⁱ) Wⁱ(s, t)`` for every (s, aⁱ),
    ``[*B, S, Aⁱ]``, from agent i's leave-one-out sums ``W`` (:func:`_leave_one_out`)."""
    return torch.einsum("sat,...st->...sa", game.local[i][game.local_index(i)], W)


def _value_tables(game: FactoredGame) -> torch.Tensor:
    """The rewards, then the potential when stated: ``[N (+1), S]``, solved for together."""
    return game.rewards if game.potential is None else torch.cat([game.rewards, game.potential[None]])


def _values(game: FactoredGame, P: torch.Tensor, tables: torch.Tensor) -> torch.Tensor:
    """``(I − γ P_π)⁻¹ t`` for each row ``t`` of ``tables`` ``[K, S]``, ``[*B, K, S]``: one solve per
    distinct row (agents that share a reward, as every agent and the potential of the coordination
    game do, share it)."""
    unique, inverse = torch.unique(tables, dim=0, return_inverse=True)
    sol = discounted_solve(P, unique.T.expand(*P.shape[:-2], *unique.T.shape), game.gamma)  # [*B, S, U]
    return sol.mT[..., inverse, :]


def _batch_chunks(batch: tuple[int, ...], n_states: int) -> list[tuple[int, int]]:
    """Slices ``[start, stop)`` of the flattened batch so that a few ``S × S`` arrays per member fit
    :data:`CHUNK_BYTES`."""
    total = math.prod(batch)
    per = max(1, CHUNK_BYTES // (4 * 8 * n_states * n_states))
    return [(a, min(total, a + per)) for a in range(0, total, per)] or [(0, 0)]


def _chunked(
    game: FactoredGame, probs: Sequence[torch.Tensor], fn: Callable[[Sequence[torch.Tensor]], tuple[torch.Tensor, ...]]
) -> tuple[torch.Tensor, ...]:
    """``fn`` over chunks of the policy batch (each output ``[chunk, …]``), re-assembled to ``[*B, …]``."""
    batch = tuple(probs[0].shape[:-2])
    flat = [p.reshape(-1, *p.shape[-2:]) for p in probs]
    parts = [fn([p[a:b] for p in flat]) for a, b in _batch_chunks(batch, game.n_states)]
    return tuple(torch.cat(out).reshape(*batch, *out[0].shape[1:]) for out in zip(*parts, strict=True))


def _evaluate_chunk(game: FactoredGame, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    rows = _rows(game, probs)
    P = _policy_transition(rows)  # [c, S, S]
    tables = _value_tables(game)
    sol = _values(game, P, tables)  # [c, K, S]
    V = sol[:, : game.n_agents]
    W = _leave_one_out(game, P, rows, V.mT, range(game.n_agents))
    adv = tuple(
        game.rewards[i][:, None] + game.gamma * _own_expectation(game, i, W[i]) - V[:, i, :, None]
        for i in range(game.n_agents)
    )
    d = discounted_solve(P, game.mu.expand(P.shape[0], game.n_states)[..., None], game.gamma, transpose=True)[..., 0]
    return (sol, d, *adv)


def _evaluate_factored(game: FactoredGame, probs: Sequence[torch.Tensor]) -> Evaluation:
    """:func:`mpgverify.solvers.evaluation.evaluate` for a factored game (the same :class:`Evaluation`,
    ``Q = None``: the joint-action table is what the factored path never builds)."""
    sol, d, *adv = _chunked(game, probs, lambda p: _evaluate_chunk(game, p))
    V = sol[..., : game.n_agents, :]
    Phi = sol[..., game.n_agents, :] if game.potential is not None else None
    return Evaluation(
        V=V,
        V_mu=V @ game.mu,
        Q=None,
        advantages=tuple(adv),
        d=d,
        Phi=Phi,
        Phi_mu=None if Phi is None else Phi @ game.mu,
    )


def _state_values_factored(game: FactoredGame, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Vⁱ_π(s)`` for every agent, ``[*B, N, S]``."""
    return _chunked(game, probs, lambda p: (_values(game, _policy_transition(_rows(game, p)), game.rewards),))[0]


def _values_and_potential_factored(
    game: FactoredGame, probs: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """:func:`mpgverify.solvers.evaluation.values_and_potential` for a factored game."""
    tables = _value_tables(game)
    sol = _chunked(game, probs, lambda p: (_values(game, _policy_transition(_rows(game, p)), tables),))[0]
    return sol[..., : game.n_agents, :], (sol[..., game.n_agents, :] if game.potential is not None else None)


def _potential_values_factored(game: FactoredGame, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Φ_π(s)``, ``[*B, S]`` (needs a stated potential)."""
    if game.potential is None:
        raise MpgverifyError(f"game {game.name!r} states no potential φ")
    phi = game.potential[None]
    return _chunked(game, probs, lambda p: (_values(game, _policy_transition(_rows(game, p)), phi)[:, 0],))[0]


def _visitation_factored(game: FactoredGame, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``d^π_μ`` (unnormalized), ``[*B, S]``."""

    def chunk(p: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        P = _policy_transition(_rows(game, p))
        mu = game.mu.expand(P.shape[0], game.n_states)[..., None]
        return (discounted_solve(P, mu, game.gamma, transpose=True)[..., 0],)

    return _chunked(game, probs, chunk)[0]


def _best_responses_group(
    game: FactoredGame,
    P: torch.Tensor,
    rows: Sequence[torch.Tensor],
    V: torch.Tensor,
    start: torch.Tensor | None,
    agents: Sequence[int],
) -> MDPSolution:
    """Best responses of ``agents`` (equal action counts) against ``π⁻ⁱ`` as *one* policy iteration over
    their induced MDPs, batched over agents and policies: values ``[c, n, S]``.

    A rule σ of agent i moves the state by ``P_σ(s, s') = Kⁱ(s'ⁱ|sⁱ, σ(s)) (⊗_{j≠i} qʲ)(s, s'⁻ⁱ)``, so
    ``[P_σ x](s) = Σ_t Kⁱ(t|sⁱ, σ(s)) / qⁱ(s, t) · [P_π (x ⊙ 1[s'ⁱ = t])](s)``: every product with the
    agents' matrices is one product of ``P_π`` with ``Σ Lⁱ`` columns (:func:`_column_sums`), and
    ``Qⁱ(s, aⁱ) = rⁱ(s) + γ Σ_t Kⁱ(t|sⁱ, aⁱ) Wⁱ(s, t)`` comes from the leave-one-out sums. The solves are
    certified GMRES on those products; below :data:`~mpgverify.solvers.linsolve.MATRIX_FREE_FROM` states, when
    GMRES cannot certify, or where some ``qⁱ`` vanishes, they go through the built ``P_σ`` instead."""
    S = game.n_states
    K = [game.local[i][game.local_index(i)] for i in agents]  # [S, Aⁱ, Lⁱ] each
    q = [rows[i] for i in agents]
    r = game.rewards[list(agents)]  # [n, S]
    divisible = all(bool((qk >= _TINY_Q).all()) for qk in q)

    def q_of(values: torch.Tensor) -> torch.Tensor:  # [c, n, S] → [c, n, S, Aⁱ]
        W = _leave_one_out(game, P, rows, values.mT, agents)
        return r[:, :, None] + game.gamma * torch.stack(
            [_own_expectation(game, i, Wk) for i, Wk in zip(agents, W, strict=True)], dim=-3
        )

    last = [V.mT]  # each rule's values start the next rule's solve (nearby systems)

    def evaluate_rule(rule: torch.Tensor) -> torch.Tensor:  # [c, n, S] → values [c, n, S]
        own = [Kk[torch.arange(S, device=rule.device), rule[:, k]] for k, Kk in enumerate(K)]  # Kⁱ(·|sⁱ, σ(s))

        def product(X: torch.Tensor) -> torch.Tensor:
            Y = _column_sums(game, P, X, agents)
            return torch.stack([(o / qk * y).sum(-1) for o, qk, y in zip(own, q, Y, strict=True)], dim=-1)

        def direct() -> torch.Tensor:
            out = []
            for k, i in enumerate(agents):
                if divisible:
                    P_rule = (_group(game, P, i) * (own[k] / q[k])[..., None, :, None]).reshape(P.shape)
                else:
                    P_rule = _insert_own(game, _without(rows, i), own[k], i)
                rhs = r[k].expand(P.shape[0], S)[..., None]
                out.append(discounted_solve(P_rule, rhs, game.gamma, x0=last[0][..., k, None])[..., 0])
            return torch.stack(out, dim=-1)

        rhs = r.T.expand(P.shape[0], S, len(agents))
        if S < MATRIX_FREE_FROM or not divisible:
            last[0] = direct()
        else:
            last[0] = certified_solve(product, rhs, game.gamma, fallback=direct, x0=last[0])
        return last[0].mT

    return howard(V, q_of, evaluate_rule, policy0=start)


def _best_responses_chunk(
    game: FactoredGame,
    probs: Sequence[torch.Tensor],
    V: torch.Tensor,
    start: torch.Tensor | None,
    agents: Sequence[int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """(best-response values ``[c, n, S]``, rules ``[c, n, S]``) of the listed agents against ``π⁻ⁱ``,
    agents with equal action counts as one batched policy iteration (:func:`_best_responses_group`)."""
    rows = _rows(game, probs)
    P = _policy_transition(rows)
    best = torch.empty_like(V)
    rules = torch.empty(V.shape, dtype=torch.long, device=V.device)
    groups: dict[int, list[int]] = {}
    for k, i in enumerate(agents):
        groups.setdefault(game.n_actions[i], []).append(k)
    for ks in groups.values():
        first = None if start is None else start[:, ks]
        sol = _best_responses_group(game, P, rows, V[:, ks], first, [agents[k] for k in ks])
        best[:, ks], rules[:, ks] = sol.V, sol.policy
    return best, rules


def _insert_own(game: FactoredGame, others: torch.Tensor, own: torch.Tensor, i: int) -> torch.Tensor:
    """``P(s, s') = own(s, s'ⁱ) · others(s, s'⁻ⁱ)`` in the global order, ``[*B, S, S]``."""
    sizes = game.local_sizes
    lead = others.shape[:-1]
    rest = [n for j, n in enumerate(sizes) if j != i]
    o = others.reshape(*lead, *rest).unsqueeze(len(lead) + i)
    shape = [1] * len(sizes)
    shape[i] = sizes[i]
    w = own.reshape(*lead, *shape)
    return (o * w).reshape(*lead, -1)


def _best_responses_factored(
    game: FactoredGame,
    probs: Sequence[torch.Tensor],
    V: torch.Tensor | None = None,
    start: torch.Tensor | None = None,
    agents: Sequence[int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(max_{π̄ⁱ} Vⁱ(π̄ⁱ, π⁻ⁱ)(s) [*B, n, S], the optimal rules [*B, n, S])`` for the listed agents (all by
    default), by policy iteration (certified: no action improves on the returned rule by 1e-12
    relative), started from ``start`` (previous rules, a warm start) or from the greedy improvement
    of π (``V``: ``Vⁱ_π`` of the listed agents)."""
    agents = list(range(game.n_agents)) if agents is None else list(agents)
    with torch.no_grad():
        probs = tuple(p.detach() for p in probs)
        if V is None:
            V = _state_values_factored(game, probs)[..., agents, :]
        batch = tuple(probs[0].shape[:-2])
        Vf = V.reshape(-1, len(agents), game.n_states)
        sf = None if start is None else start.reshape(-1, len(agents), game.n_states)
        flat = [p.reshape(-1, *p.shape[-2:]) for p in probs]
        parts = [
            _best_responses_chunk(game, [p[a:b] for p in flat], Vf[a:b], None if sf is None else sf[a:b], agents)
            for a, b in _batch_chunks(batch, game.n_states)
        ]
        best = torch.cat([v for v, _ in parts]).reshape(*batch, len(agents), game.n_states)
        rules = torch.cat([r for _, r in parts]).reshape(*batch, len(agents), game.n_states)
    return best, rules


def _best_response_factored(game: FactoredGame, probs: Sequence[torch.Tensor], agent: int) -> BestResponse:
    """:func:`mpgverify.solvers.nash.best_response` for a factored game."""
    best, rules = _best_responses_factored(game, probs, agents=[agent])
    onehot = torch.nn.functional.one_hot(rules[..., 0, :], game.n_actions[agent]).to(DTYPE)
    return BestResponse(policy=onehot, V=best[..., 0, :], V_mu=best[..., 0, :] @ game.mu)


def _nash_gap_factored(
    game: FactoredGame,
    probs: Sequence[torch.Tensor],
    V_mu: torch.Tensor | None = None,
    *,
    start: torch.Tensor | None = None,
) -> NashGap:
    """:func:`mpgverify.solvers.nash.nash_gap` for a factored game (Def 2.4), with the best-response rules."""
    with torch.no_grad():
        if start is not None and V_mu is not None:  # warm start with known values: no solve for V_π
            shape = (*V_mu.shape, game.n_states)
            V = torch.zeros(shape, dtype=V_mu.dtype, device=V_mu.device)
        else:  # the greedy start, and the policy's values at μ
            V = _state_values_factored(game, probs)
            V_mu = V @ game.mu if V_mu is None else V_mu
        best, rules = _best_responses_factored(game, probs, V, start)
        best_mu = best @ game.mu
        gains = (best_mu - V_mu.detach()).clamp_min(0.0)
    return NashGap(gap=gains.amax(dim=-1), gains=gains, best_values=best_mu, responses=rules)


def _team_expectation(game: FactoredGame, V: torch.Tensor) -> torch.Tensor:
    """``Σ_{s'} P(s'|s, a) V(s')`` for every (s, joint a), ``[S, A]``: V contracted with each Kⁱ along
    its own axis (axis i becomes (sⁱ, aⁱ))."""
    sizes, acts = game.local_sizes, game.n_actions
    W = V.reshape(*sizes)
    for k in game.local:
        # the first remaining s' axis is the next agent's; its (sⁱ, aⁱ) axes are appended last
        W = torch.tensordot(W, k, dims=([0], [2]))
    # after N contractions the axes are (s⁰, a⁰, s¹, a¹, …) in agent order
    perm = [2 * i for i in range(game.n_agents)] + [2 * i + 1 for i in range(game.n_agents)]
    return W.permute(*perm).reshape(game.n_states, math.prod(acts))


def _joint_rows(game: FactoredGame, policy: torch.Tensor) -> torch.Tensor:
    """``P(s, s') = Π_i Kⁱ(s'ⁱ|sⁱ, σⁱ(s))`` for a deterministic joint decision rule σ ``[S]``, ``[S, S]``."""
    acts = game.n_actions
    rows = []
    for i, k in enumerate(game.local):
        stride = math.prod(acts[i + 1 :])
        a_i = (policy // stride) % acts[i]
        rows.append(k[game.local_index(i), a_i])  # [S, Lⁱ]
    return _policy_transition(rows)


def _team_optimum(game: FactoredGame, reward: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(V*, σ*)`` of the team MDP with state reward ``reward`` ``[S]`` over joint actions."""
    sol = howard(
        reward,  # the first rule is greedy with respect to the one-step rewards' values
        lambda V: reward[:, None] + game.gamma * _team_expectation(game, V),
        lambda policy: discounted_solve(_joint_rows(game, policy), reward[:, None], game.gamma)[..., 0],
    )
    return sol.V, sol.policy


def _social_optimum_factored(game: FactoredGame) -> SocialOptimum:
    """:func:`mpgverify.solvers.welfare.social_optimum` for a factored game: ``max_π Σ_i Vⁱ_π(μ)`` by policy
    iteration on the team MDP (rewards ``Σ_i rⁱ(s)``)."""
    V, policy = _team_optimum(game, game.rewards.sum(0))
    acts = []
    for i in range(game.n_agents):
        stride = math.prod(game.n_actions[i + 1 :])
        acts.append((policy // stride) % game.n_actions[i])
    return SocialOptimum(value=V @ game.mu, V=V, actions=torch.stack(acts, dim=-2))


def _potential_range_factored(game: FactoredGame) -> PotentialRange:
    """:func:`mpgverify.solvers.game_constants.potential_range` for a factored game (team MDPs with ``±φ``)."""
    if game.potential is None:
        raise MpgverifyError(f"game {game.name!r} states no potential φ, so Φ_max/Φ_min are undefined")
    high, _ = _team_optimum(game, game.potential)
    low, _ = _team_optimum(game, -game.potential)
    return PotentialRange(low=-float(low.max()), high=float(high.max()))


def _mismatch_factored(game: FactoredGame) -> Mismatch:
    """The mismatch coefficient needs ``2S`` MDP optima over all joint actions (one per indicator
    reward); the factored path does not compute it."""
    raise MpgverifyError(
        f"the mismatch coefficient M of {game.name} needs 2S = {2 * game.n_states} MDP optima over "
        f"{math.prod(game.n_actions)} joint actions; it is computed for dense games only (--repr dense where it fits)"
    )


def _recording_bytes_factored(game: FactoredGame, batch: int) -> int:
    """Bytes of a factored evaluation and best responses: the ``S × S`` arrays of one chunk (at most
    four per member: ``P_π``, a best response's ``P_σ``, products) and ``[B, N + 2, S]`` results."""
    members = min(batch, max(1, CHUNK_BYTES // (4 * 8 * game.n_states**2)))
    return 8 * (4 * members * game.n_states**2 + 3 * batch * (game.n_agents + 2) * game.n_states)


# -- the one interface: the library's public functions dispatch here on a FactoredGame -------------------
evaluate.register(FactoredGame, _evaluate_factored)
state_values.register(FactoredGame, _state_values_factored)
values_and_potential.register(FactoredGame, _values_and_potential_factored)
potential_values.register(FactoredGame, lambda game, probs, phi=None: _potential_values_factored(game, probs))
visitation.register(FactoredGame, _visitation_factored)
best_response.register(FactoredGame, _best_response_factored)
nash_gap.register(FactoredGame, _nash_gap_factored)
social_optimum.register(FactoredGame, _social_optimum_factored)
potential_range.register(FactoredGame, _potential_range_factored)
mismatch_coefficient.register(FactoredGame, _mismatch_factored)
recording_bytes.register(FactoredGame, _recording_bytes_factored)
