"""Factored Markov games (the model): a local state per agent, transitions that factor over agents,
rewards of the global state. The solvers for this representation are the factored backend,
:mod:`mpgverify.solvers.factored` (its docstring gives the formulas); they return the same result
types as the dense ones, through the same functions.

``P(s'|s, a) = Π_i Kⁱ(s'ⁱ | sⁱ, aⁱ)``        (``Kⁱ``: ``local[i]``, ``[Lⁱ, Aⁱ, Lⁱ]``)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from mpgverify.arrays import DTYPE, as_tensor, check_probability_rows
from mpgverify.errors import FormatError
from mpgverify.game import MarkovGame

__all__ = ["FactoredGame"]


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

    def __repr__(self) -> str:
        return (
            f"FactoredGame(name={self.name!r}, N={self.n_agents}, S={self.n_states}, "
            f"n_actions={list(self.n_actions)}, gamma={self.gamma}, "
            f"potential={'yes' if self.potential is not None else 'no'})"
        )

    def renamed(self, name: str) -> FactoredGame:
        """The same game under another label."""
        return dataclasses.replace(self, name=name)

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
