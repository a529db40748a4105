"""Factored Markov games: exact solvers that never build the ``S × A × S`` transition tensor.

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
* ``Āⁱ(s, aⁱ) = rⁱ(s) + γ Σ_{s'ⁱ} Kⁱ(s'ⁱ|sⁱ, aⁱ) Σ_{s'⁻ⁱ} (⊗_{j≠i} qʲ)(s, s'⁻ⁱ) Vⁱ(s') − Vⁱ(s)``;
* best responses by policy iteration on agent i's induced MDP, whose transition for a decision
  rule σ is ``Kⁱ(·|sⁱ, σ(s)) ⊗ (⊗_{j≠i} qʲ(s, ·))``;
* the social optimum by policy iteration on the team MDP, where ``Σ_{s'} P(s'|s, a) V(s')`` for all
  ``(s, a)`` is V contracted with each ``Kⁱ`` along its own axis (``N · S · A`` operations).

Every result equals the dense solver's on the dense game (:meth:`FactoredGame.dense`; tested for
N ≤ 6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch

from mpgverify.arrays import DTYPE, as_tensor, check_probability_rows
from mpgverify.builtin_games import coordination_reward
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame
from mpgverify.mdp import howard
from mpgverify.policy import joint_policy

__all__ = [
    "FactoredEvaluation",
    "FactoredGame",
    "factored_best_response_values",
    "factored_coordination_game",
    "factored_evaluate",
    "factored_nash_gap",
    "factored_poa",
    "factored_policy_gradients",
    "factored_social_optimum",
    "factored_values",
]


@dataclass(frozen=True, eq=False)
class FactoredGame:
    """A factored Markov game (module docstring), validated on construction.

    Args:
      gamma: discount ``0 ≤ γ < 1``.
      local: ``Kⁱ`` per agent, ``[Lⁱ, Aⁱ, Lⁱ]``, rows (last axis) probability vectors.
      rewards: ``rⁱ(s)``, ``[N, S]`` with ``S = Π Lⁱ``.
      mu: ``[S]``.
      potential: optional ``φ(s)``, ``[S]``.
    """

    gamma: float
    local: tuple[torch.Tensor, ...]
    rewards: torch.Tensor
    mu: torch.Tensor
    potential: torch.Tensor | None = None
    name: str = "factored"

    def __post_init__(self) -> None:
        if not (isinstance(self.gamma, (int, float)) and 0.0 <= self.gamma < 1.0):
            raise FormatError("gamma", f"must satisfy 0 ≤ gamma < 1, got {self.gamma!r}")
        if not self.local:
            raise FormatError("local", "must list one kernel per agent")
        local = []
        for i, k in enumerate(self.local):
            k = torch.as_tensor(k, dtype=DTYPE)
            if k.dim() != 3 or k.shape[0] != k.shape[2] or k.shape[1] < 1:
                raise FormatError(f"local[{i}]", f"must have shape [L, A, L], got {list(k.shape)}")
            check_probability_rows(k, f"local[{i}]")
            local.append(k)
        S = math.prod(k.shape[0] for k in local)
        object.__setattr__(self, "local", tuple(local))
        object.__setattr__(self, "rewards", as_tensor(self.rewards, (len(local), S), "rewards"))
        mu = as_tensor(self.mu, (S,), "mu")
        check_probability_rows(mu, "mu")
        object.__setattr__(self, "mu", mu)
        if self.potential is not None:
            object.__setattr__(self, "potential", as_tensor(self.potential, (S,), "potential"))
        object.__setattr__(self, "gamma", float(self.gamma))

    @property
    def n_agents(self) -> int:
        return len(self.local)

    @property
    def n_actions(self) -> tuple[int, ...]:
        return tuple(int(k.shape[1]) for k in self.local)

    @property
    def local_sizes(self) -> tuple[int, ...]:
        return tuple(int(k.shape[0]) for k in self.local)

    @property
    def n_states(self) -> int:
        return int(self.mu.shape[0])

    def local_index(self, i: int) -> torch.Tensor:
        """``sⁱ`` of every global state s, ``[S]``."""
        sizes = self.local_sizes
        stride = math.prod(sizes[i + 1 :])
        return (torch.arange(self.n_states, device=self.mu.device) // stride) % sizes[i]

    def to(self, device: torch.device | str) -> FactoredGame:
        pot = None if self.potential is None else self.potential.to(device)
        return FactoredGame(
            self.gamma,
            tuple(k.to(device) for k in self.local),
            self.rewards.to(device),
            self.mu.to(device),
            pot,
            self.name,
        )

    def dense(self) -> MarkovGame:
        """The same game as a dense :class:`~mpgverify.game.MarkovGame` (``S·A·S`` numbers)."""
        S, A = self.n_states, math.prod(self.n_actions)
        if S * A * S > 2**27:
            raise FormatError("dense", f"S·A·S = {S * A * S} entries is too large to build")
        # P[s, a, s'] = Π_i K_i[s_i, a_i, s'_i]: a tensor product over agents with (s_i, a_i, s'_i) per factor
        P = torch.ones((1, 1, 1), dtype=DTYPE, device=self.mu.device)
        for k in self.local:
            L, Ai = k.shape[0], k.shape[1]
            P = (P[:, None, :, None, :, None] * k[None, :, None, :, None, :]).reshape(
                P.shape[0] * L, P.shape[1] * Ai, P.shape[2] * L
            )
        shape = (S, *self.n_actions)
        rewards = self.rewards.reshape(self.n_agents, S, *([1] * self.n_agents)).expand(self.n_agents, *shape)
        potential = None
        if self.potential is not None:
            potential = self.potential.reshape(S, *([1] * self.n_agents)).expand(*shape).clone()
        return MarkovGame(
            gamma=self.gamma,
            n_actions=self.n_actions,
            mu=self.mu,
            transition=P.reshape(*shape, S),
            rewards=rewards.clone(),
            potential=potential,
            name=self.name,
        )


def factored_coordination_game(n: int = 2, *, gamma: float = 0.95, eps: float = 0.1) -> FactoredGame:
    """The coordination game of Section 5 in factored form (any N ≥ 1; 2ᴺ states)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise FormatError("n", f"must be an integer ≥ 1, got {n!r}")
    if not (0.0 <= eps <= 1.0):
        raise FormatError("eps", f"must lie in [0, 1], got {eps!r}")
    S = 2**n
    k = torch.tensor([[1.0 - eps, eps], [eps, 1.0 - eps]], dtype=DTYPE)  # [aⁱ, s'ⁱ]
    local = tuple(k[None].expand(2, 2, 2).clone() for _ in range(n))
    bits = ((torch.arange(S)[:, None] >> torch.arange(n - 1, -1, -1)[None, :]) & 1).tolist()
    r = torch.tensor([coordination_reward(tuple(b)) for b in bits], dtype=DTYPE)
    return FactoredGame(
        gamma, local, r.expand(n, S).clone(), torch.full((S,), 1.0 / S, dtype=DTYPE), r, f"coordination-N{n}"
    )


# -- policy-dependent factors -------------------------------------------------------------------------------
def _rows(game: FactoredGame, probs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """``qⁱ(s, s'ⁱ) = Σ_{aⁱ} πⁱ(aⁱ|s) Kⁱ(s'ⁱ|sⁱ, aⁱ)`` per agent, ``[*B, S, Lⁱ]``."""
    return [
        torch.einsum("...sa,sat->...st", p, k[game.local_index(i)])
        for i, (p, k) in enumerate(zip(probs, game.local, strict=True))
    ]


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


def _own_expectation(game: FactoredGame, others: torch.Tensor, V: torch.Tensor, i: int) -> torch.Tensor:
    """``Σ_{s'} Kⁱ(s'ⁱ|sⁱ, aⁱ) (⊗_{j≠i} qʲ)(s, s'⁻ⁱ) V(s')`` for every (s, aⁱ), ``[*B, S, Aⁱ]``, with
    ``others = _without(rows, i)``."""
    X = others @ _split_axis(game, V, i)  # [*B, S, Lⁱ]
    return torch.einsum("sat,...st->...sa", game.local[i][game.local_index(i)], X)


def _solve(game: FactoredGame, P: torch.Tensor, rhs: torch.Tensor, transpose: bool = False) -> torch.Tensor:
    eye = torch.eye(game.n_states, dtype=P.dtype, device=P.device)
    M = eye - game.gamma * P
    return torch.linalg.solve(M.transpose(-1, -2) if transpose else M, rhs)


class FactoredEvaluation(NamedTuple):
    """As :class:`mpgverify.evaluation.Evaluation`, without the joint-action Q table."""

    V: torch.Tensor
    V_mu: torch.Tensor
    advantages: tuple[torch.Tensor, ...]
    d: torch.Tensor
    Phi: torch.Tensor | None
    Phi_mu: torch.Tensor | None


def factored_evaluate(game: FactoredGame, probs: Sequence[torch.Tensor]) -> FactoredEvaluation:
    """Values ``[*B, N, S]``, local advantages, unnormalized visitation d and Φ of a product policy."""
    rows = _rows(game, probs)
    P = joint_policy(rows)  # [*B, S, S]
    tables = game.rewards if game.potential is None else torch.cat([game.rewards, game.potential[None]])
    sol = _solve(game, P, tables.T.expand(*P.shape[:-2], *tables.T.shape)).transpose(-1, -2)  # [*B, K, S]
    V = sol[..., : game.n_agents, :]
    Phi = sol[..., game.n_agents, :] if game.potential is not None else None
    adv = tuple(
        game.rewards[i][:, None]
        + game.gamma * _own_expectation(game, _without(rows, i), V[..., i, :], i)
        - V[..., i, :, None]
        for i in range(game.n_agents)
    )
    d = _solve(game, P, game.mu.expand(*P.shape[:-2], game.n_states).unsqueeze(-1), transpose=True).squeeze(-1)
    return FactoredEvaluation(
        V=V, V_mu=V @ game.mu, advantages=adv, d=d, Phi=Phi, Phi_mu=None if Phi is None else Phi @ game.mu
    )


def factored_policy_gradients(game: FactoredGame, probs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """``∇_{θⁱ} Vⁱ(μ) = d(s) πⁱ(aⁱ|s) Āⁱ(s, aⁱ)`` (Lemma 3.1), ``[*B, S, Aⁱ]`` per agent."""
    ev = factored_evaluate(game, probs)
    return tuple(ev.d[..., :, None] * p * a for p, a in zip(probs, ev.advantages, strict=True))


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


def factored_best_response_values(
    game: FactoredGame, probs: Sequence[torch.Tensor], i: int, V_i: torch.Tensor | None = None
) -> torch.Tensor:
    """``max_{π̄ⁱ} Vⁱ(π̄ⁱ, π⁻ⁱ)(s)`` for every s, ``[*B, S]`` (policy iteration, started from the greedy
    improvement of πⁱ; an action replaces the current one only if better by 1e-12 relative).
    ``V_i``: ``Vⁱ_π`` ``[*B, S]`` when already known (saves one ``S × S`` solve)."""
    others = _without(_rows(game, probs), i)
    K = game.local[i][game.local_index(i)]  # [S, Aⁱ, Lⁱ]
    r = game.rewards[i]
    V = factored_values(game, probs)[..., i, :] if V_i is None else V_i

    def q_of(V: torch.Tensor) -> torch.Tensor:
        return r[:, None] + game.gamma * _own_expectation(game, others, V, i)

    def evaluate_rule(policy: torch.Tensor) -> torch.Tensor:
        idx = policy[..., None, None].expand(*policy.shape, 1, K.shape[-1])
        own = K.expand(*policy.shape, *K.shape[1:]).gather(-2, idx).squeeze(-2)  # Kⁱ(·|sⁱ, σ(s))
        return _solve(game, _insert_own(game, others, own, i), r.expand(*policy.shape).unsqueeze(-1)).squeeze(-1)

    sweeps = BEST_RESPONSE_SWEEPS if game.n_states >= SWEEPS_FROM_STATES else 0
    return howard(V, q_of, evaluate_rule, sweeps=sweeps).V


#: Value-iteration backups before a best response's first exact solve (each costs one ``S × S/Lⁱ``
#: product instead of an ``S × S`` solve; they save policy-iteration rounds, see :func:`mpgverify.mdp.howard`), used
#: from ``SWEEPS_FROM_STATES`` states on, where a solve costs far more than 20 backups.
BEST_RESPONSE_SWEEPS = 20
SWEEPS_FROM_STATES = 256


def factored_values(game: FactoredGame, probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``Vⁱ_π(s)`` for every agent, ``[*B, N, S]`` (one solve with N right-hand sides)."""
    P = joint_policy(_rows(game, probs))
    return _solve(game, P, game.rewards.T.expand(*P.shape[:-2], *game.rewards.T.shape)).transpose(-1, -2)


def factored_nash_gap(game: FactoredGame, probs: Sequence[torch.Tensor], V: torch.Tensor | None = None) -> torch.Tensor:
    """``max_i (max_{π̄ⁱ} Vⁱ(π̄ⁱ, π⁻ⁱ)(μ) − Vⁱ_π(μ))`` (Def 2.4), ``[*B]``; ``V``: the values
    ``[*B, N, S]`` when already known."""
    with torch.no_grad():
        if V is None:
            V = factored_values(game, probs)
        best = torch.stack(
            [factored_best_response_values(game, probs, i, V[..., i, :]) @ game.mu for i in range(game.n_agents)], -1
        )
        return (best - V @ game.mu).clamp_min(0.0).amax(-1)


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


class FactoredOptimum(NamedTuple):
    value: torch.Tensor  # max_π Σ_i Vⁱ_π(μ)
    V: torch.Tensor  # [S]


def factored_social_optimum(game: FactoredGame) -> FactoredOptimum:
    """``max_π Σ_i Vⁱ_π(μ)`` by policy iteration on the team MDP (rewards ``Σ_i rⁱ(s)``)."""
    R = game.rewards.sum(0)
    V = howard(
        R,  # the first rule is greedy with respect to the one-step rewards' values
        lambda V: R[:, None] + game.gamma * _team_expectation(game, V),
        lambda policy: _solve(game, _joint_rows(game, policy), R[:, None]).squeeze(-1),
    ).V
    return FactoredOptimum(V @ game.mu, V)


def _joint_rows(game: FactoredGame, policy: torch.Tensor) -> torch.Tensor:
    """``P(s, s') = Π_i Kⁱ(s'ⁱ|sⁱ, σⁱ(s))`` for a deterministic joint decision rule σ ``[S]``, ``[S, S]``."""
    acts = game.n_actions
    rows = []
    for i, k in enumerate(game.local):
        stride = math.prod(acts[i + 1 :])
        a_i = (policy // stride) % acts[i]
        rows.append(k[game.local_index(i), a_i])  # [S, Lⁱ]
    return joint_policy(rows)


def factored_poa(game: FactoredGame, probs: Sequence[torch.Tensor], V: torch.Tensor | None = None) -> torch.Tensor:
    """``Σ_i Vⁱ_π(μ) / max_π' Σ_i Vⁱ_π'(μ)`` (Def 4.1), ``[*B]``; ``V`` as in :func:`factored_nash_gap`."""
    if V is None:
        V = factored_values(game, probs)
    return (V @ game.mu).sum(-1) / factored_social_optimum(game).value
